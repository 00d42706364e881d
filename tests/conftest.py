"""Shared fixtures: settings, a database on SQLite and on PostgreSQL, transactional sessions.

Database-backed tests ask for `engine` or `session`; each runs once on SQLite and once on
PostgreSQL (marked `postgres`). When no PostgreSQL server answers, the PostgreSQL runs are
skipped with a reason, unless TUMBUH_REQUIRE_POSTGRES=1 (CI), where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.register.regions import load_regions

PG_ADMIN_URL = os.environ.get(
    "TUMBUH_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("TUMBUH_REQUIRE_POSTGRES") == "1"


def _postgres_reason() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
    except Exception as exc:  # any failure to connect means: no server for these tests
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database named `prefix` + a random suffix,
    dropped (connections and all) when the block ends."""
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back when the block ends (the
    session's own commits become savepoints)."""
    with engine.connect() as conn:
        trans = conn.begin()
        sess = Session(
            bind=conn, join_transaction_mode="create_savepoint", autoflush=False
        )
        try:
            yield sess
        finally:
            sess.close()
            trans.rollback()


def require_postgres() -> None:
    """Skip the test without a PostgreSQL server, or fail it in CI (REQUIRE_POSTGRES)."""
    reason = _postgres_reason()
    if reason is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session, dropped afterwards."""
    require_postgres()
    with postgres_database("tumbuh_test_") as url:
        yield url


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "tumbuh.db"
        return f"sqlite:///{path}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """An engine whose database has the full schema (created once per backend)."""
    eng = make_engine(database_url)
    create_schema(eng, Base.metadata)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with rolled_back_session(engine) as sess:
        yield sess


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test", database_url=database_url, secret_key="test-secret"
    )


# Register and import tests: a database of their own with the Kemendagri region master
# (91,600 regions), committed once per backend, so the shared `engine` database stays free
# for tests that insert their own regions.


@pytest.fixture(scope="session")
def regions_engine(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An engine on a fresh database (same backend as `database_url`) with the regions."""
    with ExitStack() as stack:  # the PostgreSQL database is dropped after the dispose
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path_factory.mktemp('register') / 'register.db'}"
        else:
            url = stack.enter_context(postgres_database("tumbuh_reg_"))
        eng = make_engine(url)
        try:
            create_schema(eng, Base.metadata)
            with unit_of_work(eng) as s:
                load_regions(s)
            yield eng
        finally:
            eng.dispose()


@pytest.fixture
def db(regions_engine: Engine) -> Iterator[Session]:
    """A session on the regions database, inside a transaction rolled back after the test."""
    with rolled_back_session(regions_engine) as sess:
        yield sess


@pytest.fixture(autouse=True)
def _no_tumbuh_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read in a test come from the test, not from the caller's TUMBUH_* variables
    (e.g. TUMBUH_DATABASE_URL set for PostgreSQL, as the README suggests)."""
    from tumbuh.config import Settings, get_settings

    for name in Settings.model_fields:
        monkeypatch.delenv(f"TUMBUH_{name.upper()}", raising=False)
    get_settings.cache_clear()
