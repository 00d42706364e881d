"""Server-side latency of the main pages (p50/p95 from the Server-Timing header).

Run: ``.venv/bin/python bench/web.py [--db URL --user NAME --password PW] [--n 50]``.
Without --db it builds a throw-away SQLite database with the published figures and a
province admin. With --db (e.g. the demo province from ``make demo``) it uses that
database and an existing user. Pages: the province page (map + kab/kota table + early
warning), a kab/kota page, a desa page, and the region summary API. The time is measured
inside the app (middleware), so it excludes the network and the browser.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from tumbuh.accounts import service as accounts
from tumbuh.accounts.security import configure_hasher
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.surveillance import service as surveillance
from tumbuh.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "src/tumbuh/data/published/published_stunting_kaltim.csv"
PAGES = [
    ("province 64", "/regions/64"),
    ("province 64 (xlsx)", "/regions/64?format=xlsx"),
    ("kab/kota 64.71", "/regions/64.71"),
    ("kecamatan 64.71.01", "/regions/64.71.01"),
    ("desa 64.71.01.1001", "/regions/64.71.01.1001"),
]


def scratch_db(folder: Path) -> str:
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        surveillance.import_file(session, path=FIGURES)
        surveillance.ensure_targets(session)
        accounts.create_user(
            session, username="bench", password="bench-pass", role="province_admin",
            region_code="64",
        )  # fmt: skip
    engine.dispose()
    return url


def server_ms(response_headers: dict[str, str]) -> float:
    timing = response_headers["server-timing"]
    return float(timing.split("dur=")[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db")
    parser.add_argument("--user", default="bench")
    parser.add_argument("--password", default="bench-pass")
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.db is None:
            configure_hasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
            url = scratch_db(Path(tmp))
            print("database: scratch SQLite with the published figures (70 rows)")
        else:
            url = args.db
            print(f"database: {url}")
        settings = Settings(environment="test", database_url=url, secret_key="bench")
        app = create_app(settings)
        with TestClient(app) as client:
            client.get("/login")
            r = client.post(
                "/login",
                data={"username": args.user, "password": args.password,
                      "csrf_token": client.cookies["tumbuh_csrf"]},
                follow_redirects=False,
            )  # fmt: skip
            if r.status_code != 303:
                raise SystemExit(
                    f"login failed ({r.status_code}): check --user/--password"
                )
            token = client.post(
                "/api/v1/auth/token",
                data={"username": args.user, "password": args.password},
            ).json()["access_token"]
            api = [("API summary 64.71", "/api/v1/regions/64.71/summary")]
            # The first region view computes the routine statuses (cached 5 min after).
            cold = client.get("/regions/64.71.01")
            print(
                f"first kecamatan view (uncached): {server_ms(dict(cold.headers)):.0f} ms"
            )
            print(
                f"{'page':<24}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'wall p95':>10}"
            )
            for label, path in PAGES + api:
                headers = (
                    {"Authorization": f"Bearer {token}"}
                    if path.startswith("/api")
                    else {}
                )
                client.get(
                    path, headers=headers
                )  # warm caches (region master, templates)
                inside, wall = [], []
                for _ in range(args.n):
                    t0 = time.perf_counter()
                    resp = client.get(path, headers=headers)
                    wall.append((time.perf_counter() - t0) * 1000)
                    if resp.status_code != 200:
                        raise SystemExit(f"{path}: HTTP {resp.status_code}")
                    inside.append(server_ms(dict(resp.headers)))
                q = statistics.quantiles(inside, n=20)
                wq = statistics.quantiles(wall, n=20)
                print(
                    f"{label:<24}{args.n:>5}{statistics.median(inside):>10.1f}"
                    f"{q[18]:>10.1f}{max(inside):>10.1f}{wq[18]:>10.1f}"
                )
        app.state.engine.dispose()


if __name__ == "__main__":
    main()
