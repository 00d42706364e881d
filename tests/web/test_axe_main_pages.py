"""axe-core (vendored from npm) on the main pages as the people who use them see them: a province
admin on a desktop screen and a district analyst, in Bahasa Indonesia and in English. No serious
or critical violation of the WCAG 2.0-2.2 A/AA rules is allowed (issue 17). The village team's
phone pages are checked in test_offline_village.py, the tables on a phone in test_tables_phone.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.web.conftest import PASSWORD
from tests.web.serving import sample_database, serving
from tests.web.test_browser import CHROMIUM_ARGS, _chromium
from tests.web.test_offline_village import _axe

from tumbuh.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USERS = [("admin", "province_admin", "64"), ("bpp", "district_analyst", "64.71")]

ADMIN_PAGES = [
    "/regions/64",
    "/regions/64.71",
    "/regions/64.71.01",
    "/regions/64.71.01.1001",
    "/children/602",
    "/families/501",
    "/growth?indicator=len&sex=2",
    "/quality/64",
    "/interventions",
    "/actions",
    "/meetings",
    "/imports",
    "/admin/audit",
    "/admin/users",
    "/account/password",
]
DISTRICT_PAGES = ["/regions/64.71", "/quality/64.71", "/interventions"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings, engine = sample_database(
        tmp_path_factory.mktemp("axe"), secret="axe-secret", users=USERS
    )
    engine.dispose()
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _logged_in(browser: Any, server: str, username: str) -> Any:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    assert "/login" not in page.url, page.inner_text("main")
    return page


def _violations(page: Any, paths: list[str], lang: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        sep = "&" if "?" in path else "?"
        response = page.goto(f"{path}{sep}lang={lang}")
        assert response is not None, path
        assert response.status == 200, path
        assert page.get_attribute("html", "lang") == lang, path
        violations = _axe(page)
        if violations:
            found[path] = violations
    return found


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_admins_main_pages_have_no_serious_violation(
    browser: Any, server: str, lang: str
) -> None:
    page = _logged_in(browser, server, "admin")
    assert _violations(page, ADMIN_PAGES, lang) == {}
    page.context.close()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_district_analysts_pages_have_no_serious_violation(
    browser: Any, server: str, lang: str
) -> None:
    page = _logged_in(browser, server, "bpp")
    assert _violations(page, DISTRICT_PAGES, lang) == {}
    page.context.close()
