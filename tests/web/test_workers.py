"""Several worker processes, as docs/deploy.md runs them (`tumbuh serve --workers 2`), on
SQLite and PostgreSQL: the instance secret, sessions, logout and the import queue are shared
by the workers, whichever of them a request reaches."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import postgres_database, require_postgres
from tests.imports.builders import EPPGBM_HEADER, many_eppgbm_rows, write_csv
from tests.web.serving import free_port, log_in, upload

from tumbuh.accounts import service as accounts
from tumbuh.accounts.security import configure_hasher
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.register.models import Measurement
from tumbuh.register.regions import load_regions

pytestmark = pytest.mark.slow

PASSWORD = "rahasia-123"
WORKERS = 2
REQUESTS = 24  # fresh connections: the kernel spreads them over the workers


def _wait_for(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"tumbuh serve exited with {proc.returncode}: {out[-2000:]}")
        try:
            if httpx.get(f"{base}/login", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail("tumbuh serve --workers did not answer")


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of `tumbuh serve --workers 2` over a new database with the
    regions and an admin; no secret configured (the instance makes its own, once)."""
    folder = tmp_path_factory.mktemp("workers")
    with _database(request.param, folder) as url:
        configure_hasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
        engine = make_engine(url)
        create_schema(engine, Base.metadata)
        with unit_of_work(engine) as session:
            load_regions(session)
            accounts.create_user(
                session, username="admin", password=PASSWORD,
                role="province_admin", region_code="64",
            )  # fmt: skip
        engine.dispose()
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUMBUH_")} | {
            "TUMBUH_IMPORT_DIR": str(folder / "uploads")
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "tumbuh", "serve", "--port", str(port),
             "--workers", str(WORKERS), "--db", url],
            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for(base, proc)
            yield base, url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _database(kind: str, folder: Path) -> object:
    from contextlib import nullcontext

    if kind == "sqlite":
        return nullcontext(f"sqlite:///{folder / 'tumbuh.db'}")
    require_postgres()
    return postgres_database("tumbuh_workers_")


def _fresh(base: str, cookies: httpx.Cookies) -> httpx.Client:
    """A client that opens a new connection for every request (no keep-alive)."""
    return httpx.Client(
        base_url=base,
        cookies=cookies,
        timeout=60,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def _login(base: str) -> httpx.Client:
    return log_in(_fresh(base, httpx.Cookies()), "admin", PASSWORD)


def test_a_session_holds_on_every_worker_and_logout_ends_it_on_all(
    served: tuple[str, str],
) -> None:
    base, _ = served
    client = _login(base)
    pages = [client.get("/imports") for _ in range(REQUESTS)]
    assert [r.status_code for r in pages] == [200] * REQUESTS
    copied = httpx.Cookies(dict(client.cookies.items()))  # kept past the logout
    r = client.post(
        "/logout", data={"csrf_token": client.cookies["tumbuh_csrf"]},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code in (302, 303)
    with _fresh(base, copied) as stale:
        after = [stale.get("/imports") for _ in range(REQUESTS // 2)]
    assert [
        (r.status_code, r.headers.get("location", "").split("?")[0]) for r in after
    ] == [(303, "/login")] * (REQUESTS // 2)


def test_uploads_to_several_workers_each_run_once(
    served: tuple[str, str], tmp_path: Path
) -> None:
    base, url = served
    client = _login(base)
    files = []
    for i, rows in enumerate((1200, 800)):
        batch = many_eppgbm_rows(rows)
        for row in batch:  # children of their own per file
            row["Nama"] = f"{row['Nama']} f{i}"
        files.append(write_csv(tmp_path / f"e{i}.csv", EPPGBM_HEADER, batch))
    jobs = [upload(client, path) for path in files]
    deadline = time.monotonic() + 300
    status = {}
    while time.monotonic() < deadline:
        for job in jobs:
            found = re.search(r'data-status="(\w+)"', client.get(job).text)
            status[job] = found.group(1) if found else "?"
        if all(s in ("done", "failed") for s in status.values()):
            break
        time.sleep(1)
    assert set(status.values()) == {"done"}, status
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as s:
            stored = s.scalar(select(func.count()).select_from(Measurement))
    finally:
        engine.dispose()
    assert stored == 1200 + 800
