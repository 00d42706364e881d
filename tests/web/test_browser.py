"""Browser tests: Playwright (sync API) driving Debian's chromium against a real uvicorn server.

Skipped with a reason when chromium is missing, unless TUMBUH_REQUIRE_BROWSER=1 (CI), where
that is a failure. Screenshots go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.web.conftest import PASSWORD
from tests.web.serving import sample_database, serving

from tumbuh.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        reason = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("TUMBUH_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server in a thread over a SQLite file with the published figures and users."""
    settings, engine = sample_database(
        tmp_path_factory.mktemp("browser"), secret="browser-secret",
        users=[("admin", "province_admin", "64"), ("bpp", "district_analyst", "64.71")],
    )  # fmt: skip
    engine.dispose()
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server
    )
    # Generous: the CI machine is shared, and a slow step is not a failure here.
    context.set_default_timeout(60_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on(
        "console", lambda msg: errors.append(msg.text) if msg.type == "error" else None
    )
    pg.errors = errors
    yield pg
    context.close()


def _login_with_keyboard(pg, username: str) -> None:  # type: ignore[no-untyped-def]
    pg.goto("/login")
    pg.keyboard.press("Tab")  # the skip link comes first
    assert pg.evaluate("document.activeElement.className") == "skip-link"
    pg.keyboard.press("Enter")  # jump to the content, then the first field
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.id") == "username"
    pg.keyboard.type(username)
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.id") == "password"
    pg.keyboard.type(PASSWORD)
    with pg.expect_navigation():
        pg.keyboard.press("Enter")
    assert "/login" not in pg.url, pg.inner_text("main")  # logged in, or why not


def test_province_page_draws_the_map_and_sparklines(page) -> None:  # type: ignore[no-untyped-def]
    _login_with_keyboard(page, "admin")
    assert page.url.endswith("/regions/64")
    page.wait_for_selector("#map[data-ready='1']")
    # One coloured shape per kab/kota, and one sparkline per kab/kota with a series.
    assert page.locator("#map path.leaflet-interactive").count() >= 10
    assert page.locator(".spark svg").count() >= 8
    assert page.locator("#kpi-national").inner_text().strip() == "19,8 %"
    fills = page.eval_on_selector_all(
        "#map path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))"
    )
    assert "#d9d9d9" in fills  # Paser and Mahakam Ulu have no 2024 figure
    assert len(set(fills)) >= 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "province.png"), full_page=True)
    assert page.errors == []


def test_clicking_a_kabkota_opens_its_page(page) -> None:  # type: ignore[no-untyped-def]
    _login_with_keyboard(page, "admin")
    with page.expect_navigation():
        page.click("#kabkota-table a[href='/regions/64.71']")
    assert page.locator("h1").inner_text().startswith("Kota Balikpapan")
    assert page.locator(".status-rising").count() >= 1
    assert page.errors == []


def test_district_user_is_kept_in_their_region(page) -> None:  # type: ignore[no-untyped-def]
    _login_with_keyboard(page, "bpp")
    assert page.url.endswith("/regions/64.71")
    response = page.goto("/regions/64")
    assert response is not None
    assert response.status == 403
    assert "di luar wilayah kerja Anda" in page.content()


def test_english_switch_and_lang_attribute(page) -> None:  # type: ignore[no-untyped-def]
    _login_with_keyboard(page, "admin")
    assert page.get_attribute("html", "lang") == "id"
    with page.expect_navigation():
        page.click("a[hreflang='en']")
    assert page.get_attribute("html", "lang") == "en"
    assert "Stunting prevalence from surveys" in page.content()


def test_every_form_control_has_a_label(page) -> None:  # type: ignore[no-untyped-def]
    _login_with_keyboard(page, "admin")
    for path in ["/login", "/regions/64", "/admin/users", "/admin/audit"]:
        page.goto(path)
        unlabelled = page.evaluate(
            """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                 .map(el => el.name || el.id)"""
        )
        assert unlabelled == [], path


def test_keyboard_focus_is_visible(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


def test_mobile_layout_has_no_sideways_scroll(browser, server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, base_url=server, is_mobile=True
    )
    context.set_default_timeout(60_000)
    pg = context.new_page()
    _login_with_keyboard(pg, "admin")
    pg.wait_for_selector("#map[data-ready='1']")
    overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "province_mobile.png"), full_page=True)
    context.close()


def test_print_hides_navigation_and_controls(page) -> None:  # type: ignore[no-untyped-def]
    _login_with_keyboard(page, "admin")
    page.emulate_media(media="print")
    assert page.locator(".site-header nav").is_hidden()
    assert page.locator("form.filters").is_hidden()
    assert page.locator("#kabkota-table").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "province.pdf"))
    page.screenshot(path=str(ARTIFACTS / "province_print.png"), full_page=True)


def test_growth_chart_draws_seven_lines(page) -> None:  # type: ignore[no-untyped-def]
    _login_with_keyboard(page, "admin")
    page.goto("/growth?indicator=len&sex=2")
    page.wait_for_selector("#growth-chart[data-ready='1']")
    assert page.locator("#growth-chart svg path").count() >= 7
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "growth.png"), full_page=True)
    assert page.errors == []


def test_child_page_plots_the_child_on_both_charts(page) -> None:  # type: ignore[no-untyped-def]
    _login_with_keyboard(page, "admin")
    response = page.goto("/children/602")
    assert response is not None
    assert response.status == 200, page.inner_text("main")
    page.wait_for_selector("#growth-len-chart[data-ready='1']")
    page.wait_for_selector("#growth-wei-chart[data-ready='1']")
    # Seven SD lines plus the child's line on each chart.
    assert page.locator("#growth-len-chart svg path").count() >= 8
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "child.png"), full_page=True)
    assert page.errors == []


def _click_region(pg, code: str) -> None:  # type: ignore[no-untyped-def]
    """Click the map shape of `code` and wait for its page."""
    pg.wait_for_selector("#map[data-ready='1']")
    with pg.expect_navigation():
        pg.locator(f"#map path[data-code='{code}']").click(force=True)
    assert pg.url.endswith(f"/regions/{code}"), pg.url


def test_drill_down_from_the_province_map_to_a_child(page) -> None:  # type: ignore[no-untyped-def]
    """Province map → kab/kota (kecamatan map) → kecamatan (desa map) → desa → child chart."""
    _login_with_keyboard(page, "admin")
    ARTIFACTS.mkdir(exist_ok=True)
    _click_region(page, "64.71")
    assert page.locator("h1").inner_text().startswith("Kota Balikpapan")
    # The kecamatan map: only Balikpapan's kecamatan, each clickable.
    page.wait_for_selector("#map[data-ready='1']")
    codes = page.eval_on_selector_all(
        "#map path[data-code]", "els => els.map(e => e.getAttribute('data-code'))"
    )
    assert codes
    assert all(c.startswith("64.71.") and c.count(".") == 2 for c in codes)
    page.screenshot(path=str(ARTIFACTS / "drill_kabkota.png"), full_page=True)
    _click_region(page, "64.71.01")
    page.wait_for_selector("#map[data-ready='1']")
    codes = page.eval_on_selector_all(
        "#map path[data-code]", "els => els.map(e => e.getAttribute('data-code'))"
    )
    assert "64.71.01.1001" in codes
    assert all(c.startswith("64.71.01.") for c in codes)
    page.screenshot(path=str(ARTIFACTS / "drill_kecamatan.png"), full_page=True)
    _click_region(page, "64.71.01.1001")
    # The desa page: the visit list (risk scores of the sample) and the register's children.
    assert page.locator("#visits-table tbody tr").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "drill_desa.png"), full_page=True)
    with page.expect_navigation():
        page.click("#children-table a[href='/children/602']")
    page.wait_for_selector("#growth-len-chart[data-ready='1']")
    assert page.locator("#child-interventions tbody tr").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "drill_child.png"), full_page=True)
    assert page.errors == []


def test_phase_two_pages_render_without_script_errors(page) -> None:  # type: ignore[no-untyped-def]
    _login_with_keyboard(page, "admin")
    ARTIFACTS.mkdir(exist_ok=True)
    for path, name in [
        ("/families/501", "family"),
        ("/quality/64.71", "quality"),
        ("/interventions", "interventions"),
        ("/actions", "actions"),
        ("/imports", "imports"),
    ]:
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        unlabelled = page.evaluate(
            """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
                 .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                 .map(el => el.name || el.id)"""
        )
        assert unlabelled == [], path
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert page.errors == []


def test_an_upload_shows_its_job_until_done_by_the_pages_own_refresh(  # type: ignore[no-untyped-def]
    page, tmp_path: Path
) -> None:
    """The job page reloads itself (a meta refresh: the CSP allows no inline script) until
    the import is finished, then shows the counts and stops reloading."""
    import re

    from tests.imports.builders import EPPGBM_HEADER, eppgbm_row, write_csv

    path = write_csv(tmp_path / "satu.csv", EPPGBM_HEADER, [eppgbm_row()])
    _login_with_keyboard(page, "admin")
    page.goto("/imports")
    page.set_input_files("#file", str(path))
    with page.expect_navigation():
        page.click("form[action='/imports'] button[type=submit]")
    assert re.search(r"/imports/jobs/\d+$", page.url), page.url
    page.wait_for_selector(
        "#import-job[data-status='done'], #import-job[data-status='failed']"
    )
    assert page.get_attribute("#import-job", "data-status") == "done"
    assert page.locator("meta[http-equiv='refresh']").count() == 0
    assert page.text_content("#job-read") == "1"
    page.screenshot(path=str(ARTIFACTS / "import_job.png"), full_page=True)
    assert page.errors == []
