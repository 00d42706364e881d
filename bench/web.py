"""Server-side latency of the main pages (p50/p95 from the Server-Timing header).

Run: ``.venv/bin/python bench/web.py [--children 100000] [--n 30]``.

The database is a synthetic province built once through the real import path
(``tumbuh synth --children N --db sqlite:///bench/out/web<N>.db``), then the risk model is
trained and every family scored (as ``tumbuh demo`` does); it is reused on later runs
(cached under bench/out/). ``--db URL --user NAME --password PW`` measures another database.

Pages: the login page (baseline), the province page (map, kab/kota table, forecast, coverage,
best performers), a kab/kota page, a kecamatan page, a desa page (posyandu quality, visit
list, gaps) and their Excel tables. The time is measured inside the app (middleware): it
excludes the network and the browser. First views are timed on a fresh app before and
after the start-up warm-up (`insights.warm`).
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
from tumbuh.risk.models import RiskScore
from tumbuh.web import cache, insights
from tumbuh.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
USER, PASSWORD = "bench", "bench-pass-123"


def build(children: int) -> str:
    """The cached synthetic database (built on first use: ~10 min for 100,000 children)."""
    db = OUT / f"web{children // 1000}k.db"
    url = f"sqlite:///{db}"
    stamp = db.with_suffix(".ready")
    if not stamp.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        tumbuh = str(Path(sys.executable).with_name("tumbuh"))
        if not db.exists():
            subprocess.run(
                [tumbuh, "synth", "--children", str(children), "--out",
                 str(OUT / f"synth{children // 1000}k"), "--db", url],
                check=True,
            )  # fmt: skip
        engine = make_engine(url)
        with unit_of_work(engine) as session:
            scored = session.scalar(select(func.count()).select_from(RiskScore))
        if not scored:
            model = OUT / f"risk{children // 1000}k.pkl"
            subprocess.run(
                [tumbuh, "risk", "train", "--db", url, "--model", str(model)],
                check=True,
            )
            subprocess.run(
                [tumbuh, "risk", "score", "--db", url, "--model", str(model)],
                check=True,
            )
        engine.dispose()
        stamp.write_text("ok\n")
    return url


def ensure_user(url: str) -> None:
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        if accounts.get_by_username(session, USER) is None:
            accounts.create_user(
                session, username=USER, password=PASSWORD, role="province_admin",
                region_code="64",
            )  # fmt: skip
    engine.dispose()


def busiest(url: str) -> tuple[str, str, str]:
    """(kab/kota, kecamatan, desa) with the most children measured (the heaviest pages)."""
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
        children = session.scalar(select(func.count()).select_from(Person))
    engine.dispose()
    assert desa is not None, "no measured children"
    print(f"persons in the register: {children}")
    parts = desa.split(".")
    return ".".join(parts[:2]), ".".join(parts[:3]), desa


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--db")
    parser.add_argument("--user", default=USER)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args()
    if args.db is None:
        url = build(args.children)
        ensure_user(url)
    else:
        url = args.db
    print(f"database: {url}")
    kab, kec, desa = busiest(url)
    pages = [
        ("login (baseline)", "/login"),
        ("province 64", "/regions/64"),
        (f"kab/kota {kab}", f"/regions/{kab}"),
        (f"kecamatan {kec}", f"/regions/{kec}"),
        (f"desa {desa}", f"/regions/{desa}"),
        ("province xlsx", "/regions/64?format=xlsx"),
        (f"kab/kota {kab} forecast xlsx", f"/regions/{kab}?format=xlsx&table=forecast"),
        (f"quality {kab}", f"/quality/{kab}"),
    ]
    settings = Settings(environment="test", database_url=url, secret_key="bench")
    cache.clear_cache()
    app = create_app(settings, warm=False)
    with TestClient(app) as client:
        login(client, args.user, args.password)
        print("first views on a cold app (no warm-up):")
        for label, path in pages[1:5]:
            r = client.get(path)
            print(f"  {label:<34}{server_ms(dict(r.headers)):>10.0f} ms")
        cache.clear_cache()
        started = time.perf_counter()
        with app.state.session_factory() as db:
            took = insights.warm(db)
        print(
            f"warm-up (background thread at start-up): {time.perf_counter() - started:.1f} s {took}"
        )
        print(
            f"{'page':<36}{'n':>4}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'wall p95':>10}"
        )
        for label, path in pages:
            client.get(path)  # first view after the warm-up (templates, region master)
            inside, wall = [], []
            for _ in range(args.n):
                t0 = time.perf_counter()
                resp = client.get(path)
                wall.append((time.perf_counter() - t0) * 1000)
                if resp.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {resp.status_code}")
                inside.append(server_ms(dict(resp.headers)))
            q = statistics.quantiles(inside, n=20)
            wq = statistics.quantiles(wall, n=20)
            print(
                f"{label:<36}{args.n:>4}{statistics.median(inside):>9.1f}"
                f"{q[18]:>9.1f}{max(inside):>9.1f}{wq[18]:>10.1f}"
            )
    app.state.engine.dispose()


if __name__ == "__main__":
    main()
