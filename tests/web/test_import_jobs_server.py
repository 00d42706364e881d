"""A large import running in the served SQLite database (a real uvicorn server, its job
worker thread) while people log in and open pages, and a second import waits its turn.

Issue 16's done-when: a 200,000-row import does not make a login, a page or a second import
fail. The job runs in a child process of the server (imports.jobs.run_job_in_child). The row
count is TUMBUH_TEST_IMPORT_ROWS (default 200,000: about 40 s of import on
the 2-core CI machine); the figures (login and page latency during the import) are measured
by bench/import_jobs.py, not asserted here.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.imports.builders import (
    EPPGBM_HEADER,
    eppgbm_row,
    many_eppgbm_rows,
    write_csv,
)
from tests.web.conftest import FIGURES_CSV
from tests.web.serving import log_in, serving, upload

from tumbuh.accounts import service as accounts
from tumbuh.accounts.security import configure_hasher
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.register.models import Measurement
from tumbuh.register.regions import load_regions
from tumbuh.surveillance import service as surveillance
from tumbuh.web.app import create_app

pytestmark = pytest.mark.slow

ROWS = int(os.environ.get("TUMBUH_TEST_IMPORT_ROWS", "200000"))
PASSWORD = "rahasia-123"
PAGES = ("/", "/imports", "/regions/64")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of a uvicorn server over a SQLite file with the regions,
    the published figures and an admin."""
    configure_hasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
    folder = tmp_path_factory.mktemp("jobs_server")
    url = f"sqlite:///{folder / 'tumbuh.db'}"
    settings = Settings(
        environment="test",
        database_url=url,
        secret_key="jobs-server-secret",
        import_max_upload_mb=200,
    )
    engine = make_engine(url)
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        load_regions(session)
        surveillance.import_file(session, path=FIGURES_CSV)
        surveillance.ensure_targets(session)
        accounts.create_user(
            session, username="admin", password=PASSWORD,
            role="province_admin", region_code="64",
        )  # fmt: skip
    engine.dispose()
    with serving(create_app(settings)) as base:
        yield base, url


def _login(base: str) -> httpx.Client:
    return log_in(httpx.Client(base_url=base, timeout=120), "admin", PASSWORD)


def _status(client: httpx.Client, job_url: str) -> str:
    r = client.get(job_url)
    assert r.status_code == 200, r.text[:300]
    found = re.search(r'data-status="(\w+)"', r.text)
    assert found is not None
    return found.group(1)


def test_logins_pages_and_a_second_import_go_on_during_a_large_import(
    served: tuple[str, str], tmp_path: Path
) -> None:
    base, url = served
    big = write_csv(tmp_path / "besar.csv", EPPGBM_HEADER, many_eppgbm_rows(ROWS))
    small = write_csv(
        tmp_path / "kecil.csv", EPPGBM_HEADER, [eppgbm_row(Nama="Anak Susulan")]
    )
    admin = _login(base)
    big_job = upload(admin, big)
    second_job = upload(admin, small)

    logins_while_running = 0
    deadline = time.monotonic() + 900
    while (status := _status(admin, big_job)) in ("queued", "running"):
        assert time.monotonic() < deadline, "the large import did not finish"
        if status == "running":
            # The second file waits its turn while the first one runs.
            assert _status(admin, second_job) == "queued"
        visitor = _login(base)  # a fresh login: writes its session and the audit
        for page in PAGES:
            r = visitor.get(page, follow_redirects=True)
            assert r.status_code == 200, (page, r.status_code, r.text[:300])
            assert r.url.path != "/login", page  # the new session is there
        visitor.close()
        if status == "running" and _status(admin, big_job) == "running":
            logins_while_running += 1  # the import ran before and after this login
    assert status == "done", admin.get(big_job).text[:2000]
    assert logins_while_running >= 1, "no login overlapped the import"

    deadline = time.monotonic() + 300
    while (status := _status(admin, second_job)) in ("queued", "running"):
        assert time.monotonic() < deadline, "the second import did not finish"
        time.sleep(0.2)
    assert status == "done"
    admin.close()

    engine = make_engine(url)
    with unit_of_work(engine) as session:
        n = session.scalar(select(func.count()).select_from(Measurement))
    engine.dispose()
    assert n == ROWS + 1
