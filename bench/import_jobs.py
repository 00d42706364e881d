"""Logins and pages while a large import runs as a job in the served SQLite database.

Run: ``.venv/bin/python bench/import_jobs.py [--rows 200000] [--baseline-s 15]``.

Builds a fresh SQLite database under bench/out/import_jobs/ (the region master, the
published figures, one province admin), serves it with uvicorn in this process, warm as
``tumbuh serve`` is (pages answer with stale panels while a refresh recomputes them; the web
process runs the import worker, which runs each job in a child process, as ``tumbuh
serve`` does), then:

1. baseline: one client loops "log in, open /imports, open /regions/64" for --baseline-s;
2. import: uploads a --rows e-PPGBM CSV and a one-row second file (queued behind it), and
   the same client loops until both jobs are done.

Printed per phase and request kind: requests, errors (HTTP >= 400, a login that did not
answer 303, or a failed connection), p50/p95/max in ms; then the import's wall time,
rows/s, and the p95 ratio import/baseline of the logins, both measured in this run.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.imports.builders import (  # noqa: E402
    EPPGBM_HEADER,
    eppgbm_row,
    many_eppgbm_rows,
    write_csv,
)

from tumbuh.accounts import service as accounts  # noqa: E402
from tumbuh.config import Settings  # noqa: E402
from tumbuh.db.engine import make_engine  # noqa: E402
from tumbuh.db.schema import create_schema  # noqa: E402
from tumbuh.db.session import unit_of_work  # noqa: E402
from tumbuh.models import Base  # noqa: E402
from tumbuh.register.regions import load_regions  # noqa: E402
from tumbuh.surveillance import service as surveillance  # noqa: E402
from tumbuh.web.app import create_app  # noqa: E402

OUT = ROOT / "bench/out/import_jobs"
PASSWORD = "bench-import-123"
FIGURES = ROOT / "src/tumbuh/data/published/published_stunting_kaltim.csv"
Samples = dict[str, list[float]]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(rows: int) -> tuple[str, Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("tumbuh.db*"):
        old.unlink()
    url = f"sqlite:///{OUT / 'tumbuh.db'}"
    engine = make_engine(url)
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        load_regions(session)
        surveillance.import_file(session, path=FIGURES)
        surveillance.ensure_targets(session)
        accounts.create_user(
            session, username="admin", password=PASSWORD,
            role="province_admin", region_code="64",
        )  # fmt: skip
    engine.dispose()
    big = write_csv(OUT / "besar.csv", EPPGBM_HEADER, many_eppgbm_rows(rows))
    small = write_csv(OUT / "kecil.csv", EPPGBM_HEADER, [eppgbm_row(Nama="Susulan")])
    return url, big, small


def login(base: str, samples: Samples, errors: dict[str, int]) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    client.get("/login")
    started = time.perf_counter()
    try:
        r = client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD,
                  "csrf_token": client.cookies.get("tumbuh_csrf", "")},
            follow_redirects=False,
        )  # fmt: skip
        if r.status_code != 303:
            errors["login"] += 1
    except httpx.HTTPError:
        errors["login"] += 1
    samples["login"].append(time.perf_counter() - started)
    return client


def visit(client: httpx.Client, samples: Samples, errors: dict[str, int]) -> None:
    for kind, path in (("imports page", "/imports"), ("region page", "/regions/64")):
        started = time.perf_counter()
        try:
            r = client.get(path)
            if r.status_code >= 400 or "/login" in str(r.url):
                errors[kind] += 1
        except httpx.HTTPError:
            errors[kind] += 1
        samples[kind].append(time.perf_counter() - started)


def status(client: httpx.Client, url: str) -> str:
    found = re.search(r'data-status="(\w+)"', client.get(url).text)
    return found.group(1) if found else "?"


def upload(client: httpx.Client, path: Path) -> str:
    with path.open("rb") as fh:
        r = client.post(
            "/imports",
            data={"kind": "eppgbm", "csrf_token": client.cookies["tumbuh_csrf"]},
            files={"file": (path.name, fh, "text/csv")},
            follow_redirects=False,
        )
    if r.status_code != 303:
        raise SystemExit(f"upload refused: {r.status_code} {r.text[:300]}")
    return str(r.headers["location"])


def report(phase: str, samples: Samples, errors: dict[str, int]) -> None:
    for kind, values in samples.items():
        ms = sorted(v * 1000 for v in values)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        print(
            f"{phase:9} {kind:13} n={len(ms):4d} errors={errors[kind]:2d} "
            f"p50={statistics.median(ms):7.1f} ms p95={p95:7.1f} ms max={ms[-1]:7.1f} ms"
        )


def p95(values: list[float]) -> float:
    ms = sorted(values)
    return ms[min(len(ms) - 1, int(0.95 * len(ms)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--baseline-s", type=float, default=15.0)
    args = parser.parse_args()
    url, big, small = build(args.rows)
    settings = Settings(
        environment="test", database_url=url, secret_key="bench-import-jobs-secret"
    )
    port = _port()
    server = uvicorn.Server(
        # warm: as served (stale panels answered while a background refresh recomputes)
        uvicorn.Config(create_app(settings, warm=True), port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"

    idle: Samples = defaultdict(list)
    idle_errors: dict[str, int] = defaultdict(int)
    end = time.monotonic() + args.baseline_s
    while time.monotonic() < end:
        client = login(base, idle, idle_errors)
        visit(client, idle, idle_errors)
        client.close()

    busy: Samples = defaultdict(list)
    busy_errors: dict[str, int] = defaultdict(int)
    admin = login(base, defaultdict(list), defaultdict(int))
    started = time.perf_counter()
    big_job = upload(admin, big)
    second_job = upload(admin, small)
    while status(admin, big_job) in ("queued", "running"):
        client = login(base, busy, busy_errors)
        visit(client, busy, busy_errors)
        client.close()
    took = time.perf_counter() - started
    while status(admin, second_job) in ("queued", "running"):
        time.sleep(0.2)
    outcome = (status(admin, big_job), status(admin, second_job))
    server.should_exit = True

    report("baseline", idle, idle_errors)
    report("import", busy, busy_errors)
    print(
        f"import of {args.rows:,} rows (upload included): {took:.1f} s, "
        f"{args.rows / took:,.0f} rows/s; jobs: {outcome[0]}, second {outcome[1]}"
    )
    ratio = p95(busy["login"]) / p95(idle["login"])
    print(f"login p95 import/baseline: {ratio:.1f}x")


if __name__ == "__main__":
    main()
