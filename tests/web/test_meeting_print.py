"""Issue 15: region pages print cleanly, checked in Debian's chromium with print media: the
"alasan lain" (other reasons) stay unprinted even when opened, each top-level section starts
a page, and the meeting-pack button is on screen but not on paper."""

from __future__ import annotations

import pytest
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _login_with_keyboard,
    browser,
    page,
    server,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_printed_province_page_has_no_opened_reasons_and_breaks_between_sections(
    page,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    _login_with_keyboard(page, "admin")
    page.wait_for_selector("#kabkota-table")
    assert page.locator("#rakor-download a[href='/regions/64/rakor.pdf']").is_visible()
    opened = page.eval_on_selector_all(
        "td details",
        "els => { els.forEach(e => { e.open = true; }); return els.length; }",
    )
    assert opened > 0
    page.emulate_media(media="print")
    hidden = page.eval_on_selector_all(
        "td details", "els => els.map(e => getComputedStyle(e).display)"
    )
    assert set(hidden) == {"none"}
    breaks = page.eval_on_selector_all(
        "main > section + section",
        "els => els.map(e => getComputedStyle(e).breakBefore)",
    )
    assert breaks
    assert set(breaks) == {"page"}
    assert page.locator("#rakor-download").is_hidden()
    assert page.locator("#kabkota-table").is_visible()
