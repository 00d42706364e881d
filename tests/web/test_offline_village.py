"""Browser tests of the village team on a phone: the installable app works offline (visits
queued in IndexedDB, synced once when the connection returns) and the desa page is light
on a throttled connection.

Playwright on Debian's chromium (skipped without it, failing in CI: tests/web/test_browser.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from tests.web.conftest import PASSWORD
from tests.web.serving import sample_database, serving
from tests.web.test_browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    _chromium,
)

from tumbuh.db.session import unit_of_work
from tumbuh.interventions.models import Intervention, Visit
from tumbuh.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
# A slow phone connection: 1.5 Mbit/s down, 750 kbit/s up, 150 ms latency (bytes/s for CDP).
SLOW_3G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_500_000 / 8,
    "uploadThroughput": 750_000 / 8,
}


@pytest.fixture(scope="module")
def village_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    """uvicorn over a SQLite file with the sample register and a village team in Manggar."""
    settings, engine = sample_database(
        tmp_path_factory.mktemp("village"), secret="village-secret",
        users=[("kader", "village_team", "64.71.01.1001")],
    )  # fmt: skip
    with serving(create_app(settings)) as url:
        yield {"url": url, "engine": engine}
    engine.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(chromium: Any, village_server: dict[str, Any]) -> Iterator[Any]:
    context = chromium.new_context(
        viewport=PHONE, base_url=village_server["url"], is_mobile=True, has_touch=True
    )
    context.set_default_timeout(60_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    context.close()


def _login(pg: Any) -> None:
    pg.goto("/login")
    pg.fill("#username", "kader")
    pg.fill("#password", PASSWORD)
    with pg.expect_navigation():
        pg.click("button[type=submit]")
    assert "/login" not in pg.url, pg.inner_text("main")  # logged in, or why not


def _until(pg: Any, script: str, timeout_s: float = 30) -> None:
    """Evaluate `script` (a promise is awaited) until it is true; fail after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while pg.evaluate(script) is not True:
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout_s} s: {script}")
        time.sleep(0.2)


def _visits(engine: Any) -> list[tuple[int | None, str, bool]]:
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(Visit.family_id, Visit.outcome, Visit.offline).order_by(Visit.id)
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def test_two_visits_recorded_offline_are_stored_once_after_reconnecting(
    phone: Any, village_server: dict[str, Any]
) -> None:
    engine = village_server["engine"]
    before = _visits(engine)
    _login(phone)
    assert phone.url.endswith("/today")  # a village team opens on today's work
    assert phone.locator("#visit-list").is_visible()
    # The service worker takes control and the family pages are put aside for offline use.
    phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(600):  # the page is controlled once the worker has claimed it
        if phone.evaluate("navigator.serviceWorker.controller !== null"):
            break
        phone.wait_for_timeout(100)
    phone.wait_for_selector("html[data-precached]")
    phone.context.set_offline(True)
    phone.goto("/families/501")  # from the service worker's cache
    assert phone.locator("#visit-form").is_visible()
    for outcome in ("not_home", "met"):
        phone.check(f"#visit-form input[value={outcome}]")
        phone.click("#visit-form button[type=submit]")
        # A locator, not wait_for_function: the app's CSP forbids evaluating strings.
        expect(phone.locator("#sync-status")).not_to_have_text("", timeout=60_000)
    pending = phone.evaluate("window.tumbuhVillage.queue.all().then(q => q.length)")
    assert pending == 2
    queued = phone.evaluate("window.tumbuhVillage.queue.all()")
    assert _visits(engine) == before  # nothing reached the server
    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    _until(phone, "window.tumbuhVillage.queue.all().then(q => q.length === 0)")
    # The same queue sent again (a reply lost on a flaky connection) stores nothing twice.
    resent = phone.evaluate(
        """async (items) => {
          for (const item of items) await window.tumbuhVillage.queue.put(item);
          return window.tumbuhVillage.flush();
        }""",
        queued,
    )
    assert resent == 2
    after = _visits(engine)
    assert after[len(before) :] == [(501, "not_home", True), (501, "met", True)]
    phone.reload()
    assert phone.locator("#visits-made li").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(
        path=str(ARTIFACTS / "village_family_after_sync.png"), full_page=True
    )
    # Online, an intervention from the same page (a family kind, no NIK): stored once.
    phone.select_option("#intervention-form select[name=kind_code]", "sanitasi")
    with phone.expect_navigation():
        phone.click("#intervention-form button[type=submit]")
    assert phone.locator("#record-flash").is_visible()
    with unit_of_work(engine) as session:
        given = session.execute(
            select(Intervention.family_id).where(Intervention.kind_code == "sanitasi")
        ).all()
    assert [g[0] for g in given] == [501]
    # The list reflects the visit: the family met today is marked visited, at the end.
    phone.goto("/today")
    assert phone.locator("#visit-list li[data-family='501'].task-done").count() == 1
    phone.screenshot(
        path=str(ARTIFACTS / "village_today_after_sync.png"), full_page=True
    )
    # Logging out leaves no personal page in the offline cache.
    assert phone.evaluate("caches.has('tumbuh-pages-v1')") is True
    with phone.expect_navigation():
        phone.click("form[action='/logout'] button")
    _until(phone, "caches.has('tumbuh-pages-v1').then(h => !h)")
    assert phone.errors == []


def _weigh(pg: Any, path: str) -> tuple[int, float, float, float]:
    """(bytes transferred, DOM interactive ms, load ms, server ms) of a cold visit to `path` on the
    throttled connection (CDP: the encoded bytes of every response, headers included)."""
    cdp = pg.context.new_cdp_session(pg)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    sizes: dict[str, float] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    pg.goto(path, wait_until="load")
    timing = pg.evaluate(
        "(() => { const n = performance.getEntriesByType('navigation')[0];"
        " const app = n.serverTiming.find((t) => t.name === 'app');"
        " return [n.domInteractive, n.loadEventEnd, app ? app.duration : -1]; })()"
    )
    cdp.send("Network.emulateNetworkConditions", {**SLOW_3G, "latency": 0,
             "downloadThroughput": -1, "uploadThroughput": -1})  # fmt: skip
    cdp.detach()
    return (
        int(sum(sizes.values())),
        float(timing[0]),
        float(timing[1]),
        float(timing[2]),
    )


def test_the_desa_page_of_a_village_team_weighs_under_100_kb_on_a_phone(
    chromium: Any, village_server: dict[str, Any]
) -> None:
    context = chromium.new_context(
        viewport=PHONE, base_url=village_server["url"], is_mobile=True,
        has_touch=True, service_workers="block",
    )  # fmt: skip
    context.set_default_timeout(60_000)
    pg = context.new_page()
    try:
        _login(pg)
        figures = {}
        for name, path in (
            ("desa (first view: panels computed)", "/regions/64.71.01.1001"),
            ("desa", "/regions/64.71.01.1001"),
            ("today", "/today"),
            ("family", "/families/501"),
            ("child", "/children/602"),
        ):
            figures[name] = _weigh(pg, path)
            assert pg.locator("main h1").count() == 1, (
                path
            )  # the page itself, not a login
        lines = [
            f"{name}: {size / 1024:.1f} KiB transferred, interactive {inter:.0f} ms, "
            f"load {load:.0f} ms, server {server:.0f} ms (390x844, 1.5 Mbit/s, 150 ms)"
            for name, (size, inter, load, server) in figures.items()
        ]
        print("\n".join(lines))  # noqa: T201  (figures printed, never asserted)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "phone_weight.txt").write_text("\n".join(lines) + "\n")
        size = figures["desa"][0]
        assert size < 100 * 1024
    finally:
        context.close()


AXE = "vendor/axe-core/axe.min.js"


def _axe(pg: Any) -> list[str]:
    """Serious and critical axe-core violations on the current page (WCAG 2.0-2.2 A/AA rules,
    with 2.2 target-size: tap targets of at least 24 px)."""
    base = pg.evaluate("JSON.parse(document.getElementById('village-text')?.textContent"
                       " || 'null')?.static_base") or "/static/"  # fmt: skip
    pg.add_script_tag(url=base.rstrip("/") + "/" + AXE)
    result = pg.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
           .then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
           .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))"""
    )
    return list(result)


@pytest.mark.parametrize(
    "path",
    ["/today", "/families/501", "/children/602", "/regions/64.71.01.1001", "/login"],
)
def test_the_village_pages_have_no_serious_accessibility_violations(
    phone: Any, path: str
) -> None:
    if path != "/login":
        _login(phone)
    phone.goto(path)
    assert _axe(phone) == []


def test_a_conflicting_visit_from_the_queue_is_shown_and_kept_on_the_phone(
    phone: Any, village_server: dict[str, Any]
) -> None:
    _login(phone)
    phone.goto("/families/501")
    today = phone.evaluate("new Date().toISOString().slice(0, 10)")
    sent = phone.evaluate(
        """async ([today]) => {
          const v = window.tumbuhVillage;
          const item = (outcome) => ({client_id: 'conflict-0001', at: Date.now(),
            visit: {client_id: 'conflict-0001', family_id: 501, visited_on: today, outcome}});
          await v.queue.put(item('met'));
          const first = await v.flush();
          await v.queue.put(item('refused'));  // the same id, other content
          const second = await v.flush();
          return [first, second, (await v.queue.conflicts()).length];
        }""",
        [today],
    )
    assert sent == [1, 0, 1]
    conflict = phone.locator("#sync-conflicts li")
    assert conflict.count() == 1
    assert "menolak" in conflict.inner_text()  # yours
    assert "bertemu" in conflict.inner_text()  # the stored one
    with unit_of_work(village_server["engine"]) as session:
        stored = session.scalars(
            select(Visit.outcome).where(Visit.client_id == "conflict-0001")
        ).all()
    assert stored == ["met"]
    phone.reload()  # still listed after a reload: kept in IndexedDB, never lost
    # Drawn once the page has read IndexedDB (asynchronously): wait for it.
    expect(phone.locator("#sync-conflicts li")).to_have_count(1)
