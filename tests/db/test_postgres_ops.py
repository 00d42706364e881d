"""PostgreSQL in operation: pool and timeouts from tumbuh's settings, planner statistics
after an import, and the background panel refresh surviving a dropped connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from tests.conftest import postgres_database, require_postgres
from tests.imports.builders import EPPGBM_HEADER, eppgbm_row, write_csv

from tumbuh.config import Settings
from tumbuh.db.derived import DerivedResult
from tumbuh.db.engine import make_engine, postgres_options
from tumbuh.db.maintenance import is_disconnect, retry_on_disconnect
from tumbuh.db.schema import create_schema
from tumbuh.db.session import session_factory, unit_of_work
from tumbuh.imports.service import run_import
from tumbuh.models import Base
from tumbuh.register.regions import load_regions

pytestmark = pytest.mark.postgres


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, environment="test", **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this module with the schema and the region master."""
    require_postgres()
    with postgres_database("tumbuh_ops_") as url:
        engine = make_engine(url)
        create_schema(engine, Base.metadata)
        with unit_of_work(engine) as s:
            load_regions(s)
        engine.dispose()
        yield url


def test_the_engine_takes_pool_and_timeouts_from_the_settings(pg_url: str) -> None:
    settings = _settings(
        db_pool_size=3,
        db_max_overflow=2,
        db_pool_timeout_s=7.5,
        db_pool_recycle_s=600,
        db_statement_timeout_ms=1500,
        db_idle_in_transaction_timeout_ms=2500,
    )
    engine = make_engine(pg_url, settings=settings)
    try:
        pool = engine.pool
        assert pool.size() == 3  # type: ignore[attr-defined]
        assert pool._max_overflow == 2  # type: ignore[attr-defined]
        assert pool._timeout == 7.5  # type: ignore[attr-defined]
        assert pool._recycle == 600
        with engine.connect() as conn:
            assert conn.scalar(text("SHOW statement_timeout")) == "1500ms"
            assert (
                conn.scalar(text("SHOW idle_in_transaction_session_timeout"))
                == "2500ms"
            )
    finally:
        engine.dispose()


def test_a_statement_longer_than_the_timeout_is_cancelled(pg_url: str) -> None:
    engine = make_engine(pg_url, settings=_settings(db_statement_timeout_ms=200))
    try:
        with engine.connect() as conn, pytest.raises(OperationalError, match="timeout"):
            conn.execute(text("SELECT pg_sleep(5)"))
    finally:
        engine.dispose()


def test_the_db_options_are_read_from_tumbuh_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TUMBUH_DB_POOL_SIZE", "12")
    monkeypatch.setenv("TUMBUH_DB_POOL_RECYCLE_S", "300")
    monkeypatch.setenv("TUMBUH_DB_STATEMENT_TIMEOUT_MS", "60000")
    options = postgres_options(Settings(_env_file=None))
    assert options["pool_size"] == 12
    assert options["pool_recycle"] == 300
    assert options["connect_args"] == {"options": "-c statement_timeout=60000"}


def _statistics(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text("SELECT count(*) FROM pg_stats WHERE tablename = :t"),
                {"t": table},
            )
        )


def _import_one_file(engine: Engine, tmp_path: Path) -> None:
    rows = [
        eppgbm_row(**{"Tanggal Pengukuran": f"{d:02d}/10/2024", "Berat": "9.8"})
        for d in (1, 10, 20)
    ]
    path = write_csv(tmp_path / "ukur.csv", EPPGBM_HEADER, rows)
    report = run_import(engine, kind="eppgbm", paths=[path])
    assert report.inserted > 0


def test_an_import_leaves_the_planner_statistics_of_the_new_rows(
    pg_url: str, tmp_path: Path
) -> None:
    engine = make_engine(pg_url)
    try:
        assert _statistics(engine, "measurements") == 0  # empty, never analyzed
        _import_one_file(engine, tmp_path)
        assert _statistics(engine, "measurements") > 0
        assert _statistics(engine, "persons") > 0
    finally:
        engine.dispose()


def test_a_refresh_whose_connection_is_terminated_runs_again_on_a_fresh_one(
    pg_url: str, tmp_path: Path
) -> None:
    from tumbuh.web import cache, insights

    engine = make_engine(pg_url)
    admin = create_engine(pg_url)
    factory = session_factory(engine)
    backends: list[int] = []

    def refresh(db: Session) -> None:  # in the background worker, on its session
        pid = int(db.scalar(text("SELECT pg_backend_pid()")))
        backends.append(pid)
        if len(backends) == 1:  # the server drops the first refresh's connection
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        insights.refresh(db, welfare_max_decile=4)

    try:
        with factory() as db:
            if not db.scalar(text("SELECT count(*) FROM measurements")):
                _import_one_file(engine, tmp_path)
        cache.clear_cache()
        cache.enable_background(engine, factory)
        assert cache.refresh_in_background(engine, refresh)
        assert cache.wait_idle(engine, 300), "the refresh did not end"
        assert len(backends) == 2
        assert backends[0] != backends[1]
        with factory() as db:
            stored = db.scalars(select(DerivedResult.key)).all()
            generation = cache.generation(db)
            generations = set(db.scalars(select(DerivedResult.generation)).all())
        assert stored, "no panel stored: the refresh was lost with its connection"
        assert all(g.endswith(generation) for g in generations)
    finally:
        cache.disable_background(engine)
        cache.clear_cache()
        admin.dispose()
        engine.dispose()


def test_only_a_lost_connection_is_retried(pg_url: str) -> None:
    engine = make_engine(pg_url)
    calls: list[int] = []

    def bad_sql() -> None:
        calls.append(1)
        with engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))

    try:
        with pytest.raises(Exception, match="no_such_table") as caught:
            retry_on_disconnect(bad_sql, wait_s=0)
        assert not is_disconnect(caught.value)
        assert calls == [1]
    finally:
        engine.dispose()
