"""The data-quality page and the children table on a phone (390 x 844, Debian's chromium):
no sideways scrolling of the page, rows shown as cards, every tap target at least 24 px,
and the filters work without JavaScript (a plain GET form)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.web.conftest import PASSWORD
from tests.web.serving import serving
from tests.web.tables_sample import TABLE_USERS, add_tables_sample
from tests.web.test_browser import ARTIFACTS, CHROMIUM_ARGS, _chromium
from tests.web.test_offline_village import _axe

from tumbuh.accounts import service as accounts
from tumbuh.accounts.security import configure_hasher
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.web.app import create_app
from tumbuh.web.i18n import WITA

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
#: WCAG 2.2 SC 2.5.8 (target size, minimum): 24 x 24 CSS pixels.
MIN_TARGET_PX = 24
# Interactive elements of the pages' own tools (links inside running text are exempt from
# 2.5.8; a table cell's link stands alone, so it is measured too).
TARGETS = (
    "main form select, main form input:not([type=hidden]), main form button, main form a, "
    ".pager a, .table-tools a, main summary, table.cards-on-mobile td > a, "
    "table.compact td > a, th a.sort"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configure_hasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
    folder: Path = tmp_path_factory.mktemp("tables-phone")
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{folder / 'tumbuh.db'}",
        secret_key="tables-phone-secret",
    )
    engine = make_engine(settings.database_url)
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        add_tables_sample(session, today=dt.datetime.now(WITA).date())
        for username, role, region in TABLE_USERS:
            accounts.create_user(
                session, username=username, password=PASSWORD, role=role,
                region_code=region,
            )  # fmt: skip
    engine.dispose()
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(params=[False], ids=["no-js"])
def phone(server: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """A logged-in phone page (province admin); without JavaScript unless the test is
    parametrised with ``phone=True`` (indirect)."""
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport=PHONE, base_url=server, is_mobile=True, has_touch=True,
            java_script_enabled=bool(request.param), service_workers="block",
        )  # fmt: skip
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", "t_admin")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.press("#password", "Enter")
        yield page
        browser.close()


def _small_targets(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """([selector, min]) => Array.from(document.querySelectorAll(selector))
             .filter(el => el.offsetParent !== null)
             .map(el => [el, el.getBoundingClientRect()])
             .filter(([el, r]) => r.width < min || r.height < min)
             .map(([el, r]) => `${el.tagName} ${el.id || el.textContent.trim().slice(0, 30)}: `
                               + `${Math.round(r.width)}x${Math.round(r.height)}`)""",
        [TARGETS, MIN_TARGET_PX],
    )


def _fits_the_screen(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(
        page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    )


def test_quality_page_on_a_phone(phone) -> None:  # type: ignore[no-untyped-def]
    page = phone
    page.goto("/quality/64")
    assert _fits_the_screen(page)
    assert _small_targets(page) == []
    # Rows are cards: the header row is moved off screen, each cell labelled.
    assert page.evaluate(
        "getComputedStyle(document.querySelector('#quality-table td')).display"
    ) in ("block", "flex")
    # The filter form without JavaScript: choose a kab/kota, submit, land on its rows.
    page.select_option("#kabkota", "64.71")
    with page.expect_navigation():
        page.click("#quality-filters button[type=submit]")
    assert "kabkota=64.71" in page.url
    codes = page.eval_on_selector_all(
        "#quality-table tbody tr", "rows => rows.map(r => r.dataset.code)"
    )
    assert codes
    assert all(c.startswith("64.71.") for c in codes)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "quality_phone.png"), full_page=True)


def test_children_table_on_a_phone(phone) -> None:  # type: ignore[no-untyped-def]
    page = phone
    page.goto("/regions/64.72")
    assert _fits_the_screen(page)
    assert _small_targets(page) == []
    page.fill("#children-q", "anak")
    page.select_option("#children-sort", "age")
    page.check("#children-under5")
    with page.expect_navigation():
        page.click("#children-filters button[type=submit]")
    assert "under5=1" in page.url
    assert "sort=age" in page.url
    assert page.locator("#children-table tbody tr").count() > 0
    assert _fits_the_screen(page)
    with page.expect_navigation():
        page.click(".pager a[rel=next]")
    assert "page=2" in page.url
    assert "under5=1" in page.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "children_phone.png"), full_page=True)


@pytest.mark.parametrize("phone", [True], indirect=True, ids=["js"])
@pytest.mark.parametrize(
    "path",
    [
        "/quality/64?kabkota=64.71",
        "/quality/64?level=posyandu&lang=en",
        "/regions/64.72?sort=name&under5=1",
        "/regions/64.72.01?q=anak&lang=en",
    ],
)
def test_no_serious_accessibility_violation(phone, path: str) -> None:  # type: ignore[no-untyped-def]
    phone.goto(path)
    assert _axe(phone) == []
