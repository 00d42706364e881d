"""Server-side latency of the main pages (p50/p95 from the Server-Timing header) on a FRESH
server: no warm-up step before the first request.

Run: ``.venv/bin/python bench/web.py [--children 100000] [--n 30]``.

The database is the demo province built once through the real path (``tumbuh demo
--children N --no-serve``: synthesis, imports, interventions, risk model, and the pages'
panels stored per data generation), cached under bench/out/; ``--db URL --user NAME
--password PW`` measures another database (run ``tumbuh db refresh --db URL`` first).

This process has never built the app when it starts measuring (a fresh server): the app is
created as in production (`warm`: the stored panels are read into memory by a background
thread while the first requests arrive), every page is timed at its first view, then `n`
more times. Pages: the login page (baseline), the province page (map, kab/kota table,
forecast, coverage, best performers), a kab/kota, a kecamatan and a desa page (the busiest),
a child page (growth charts), Excel tables and the quality page. The time is measured inside
the app (middleware): it excludes the network and the browser. The start-up time printed
includes reading the stored panels into memory (before the server accepts requests).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tumbuh.accounts import service as accounts
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.register.models import Measurement, Person
from tumbuh.web import cache
from tumbuh.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
USER, PASSWORD = "bench", "bench-pass-123"


def build(children: int) -> str:
    """The cached demo database (built on first use with `tumbuh demo --no-serve`)."""
    folder = OUT / f"demo{children // 1000}k"
    tumbuh = str(Path(sys.executable).with_name("tumbuh"))
    started = time.perf_counter()
    subprocess.run(
        [tumbuh, "demo", "--dir", str(folder), "--children", str(children), "--no-serve"],
        check=True,
    )  # fmt: skip
    print(f"demo database ready in {time.perf_counter() - started:.0f} s")
    return f"sqlite:///{(folder / 'tumbuh.db').resolve()}"


def ensure_user(url: str) -> None:
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        if accounts.get_by_username(session, USER) is None:
            accounts.create_user(
                session, username=USER, password=PASSWORD, role="province_admin",
                region_code="64",
            )  # fmt: skip
    engine.dispose()


def busiest(url: str) -> tuple[str, str, str, int]:
    """(kab/kota, kecamatan, desa, child id): the desa with the most children measured (the
    heaviest pages) and its most measured child."""
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        desa = session.scalar(
            select(Person.desa_code)
            .join(Measurement, Measurement.person_id == Person.id)
            .where(Person.desa_code.is_not(None))
            .group_by(Person.desa_code)
            .order_by(func.count(func.distinct(Person.id)).desc())
            .limit(1)
        )
        assert desa is not None, "no measured children"
        child = session.scalar(
            select(Measurement.person_id)
            .join(Person, Measurement.person_id == Person.id)
            .where(Person.desa_code == desa)
            .group_by(Measurement.person_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        children = session.scalar(select(func.count()).select_from(Person))
    engine.dispose()
    assert child is not None
    print(f"persons in the register: {children}")
    parts = desa.split(".")
    return ".".join(parts[:2]), ".".join(parts[:3]), desa, int(child)


def server_ms(headers: dict[str, str]) -> float:
    return float(headers["server-timing"].split("dur=")[1])


def login(client: TestClient, user: str, password: str) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": user, "password": password,
              "csrf_token": client.cookies["tumbuh_csrf"]},
        follow_redirects=False,
    )  # fmt: skip
    if r.status_code != 303:
        raise SystemExit(f"login failed ({r.status_code}): check --user/--password")


def measure(client: TestClient, path: str) -> float:
    resp = client.get(path)
    if resp.status_code != 200:
        raise SystemExit(f"{path}: HTTP {resp.status_code}")
    return server_ms(dict(resp.headers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--db")
    parser.add_argument("--user", default=USER)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args()
    url = build(args.children) if args.db is None else args.db
    if args.user == USER:  # the bench's own log-in (a given database may not have it)
        ensure_user(url)
    print(f"database: {url}")
    kab, kec, desa, child = busiest(url)
    pages = [
        ("login (baseline)", "/login"),
        ("province 64", "/regions/64"),
        (f"kab/kota {kab}", f"/regions/{kab}"),
        (f"kecamatan {kec}", f"/regions/{kec}"),
        (f"desa {desa}", f"/regions/{desa}"),
        (f"child {child}", f"/children/{child}"),
        ("province xlsx", "/regions/64?format=xlsx"),
        (f"kab/kota {kab} forecast xlsx", f"/regions/{kab}?format=xlsx&table=forecast"),
        (f"quality {kab}", f"/quality/{kab}"),
    ]
    with open("/proc/loadavg") as fh:
        print(f"load average before the run: {' '.join(fh.read().split()[:3])}")
    settings = Settings(environment="development", database_url=url, secret_key="bench")
    started = time.perf_counter()
    app = create_app(settings, warm=True)  # as `tumbuh serve` builds it
    with TestClient(app) as client:
        print(f"app started (stored panels read) in {time.perf_counter() - started:.1f} s; "
              "first view of each page on the fresh server (no warm-up):")  # fmt: skip
        login(client, args.user, args.password)
        for label, path in pages[1:6]:
            print(f"  {label:<34}{measure(client, path):>10.0f} ms")
        print(
            f"{'page':<36}{'n':>4}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'wall p95':>10}"
        )
        for label, path in pages:
            inside, wall = [], []
            for _ in range(args.n):
                t0 = time.perf_counter()
                inside.append(measure(client, path))
                wall.append((time.perf_counter() - t0) * 1000)
            q = statistics.quantiles(inside, n=20)
            wq = statistics.quantiles(wall, n=20)
            print(
                f"{label:<36}{args.n:>4}{statistics.median(inside):>9.1f}"
                f"{q[18]:>9.1f}{max(inside):>9.1f}{wq[18]:>10.1f}"
            )
        stale = cache.refreshing(app.state.engine)
        print(f"background refresh still running at the end: {stale}")
    with open("/proc/loadavg") as fh:
        print(f"load average after the run: {' '.join(fh.read().split()[:3])}")
    app.state.engine.dispose()


if __name__ == "__main__":
    main()
