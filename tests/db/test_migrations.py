"""`alembic upgrade head` on an empty database gives exactly the tables of the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from tests.conftest import postgres_database

from tumbuh.cli.db import has_migrations, upgrade
from tumbuh.db.engine import make_engine
from tumbuh.models import Base


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PostgreSQL
    with postgres_database("tumbuh_mig_") as url:
        yield url


def test_the_migrations_exist() -> None:
    assert has_migrations()


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        upgrade(engine)
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set(Base.metadata.tables)
        for name, table in Base.metadata.tables.items():
            columns = {c["name"] for c in inspect(engine).get_columns(name)}
            assert columns == set(table.columns.keys()), name
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diffs == []
        upgrade(engine)  # a second upgrade is a no-op
    finally:
        engine.dispose()


def test_a_database_made_from_the_models_is_stamped_not_recreated(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        Base.metadata.create_all(engine)
        upgrade(engine)
        with engine.connect() as conn:
            version = conn.execute(
                text("SELECT version_num FROM alembic_version")
            ).scalar()
        assert version is not None
    finally:
        engine.dispose()


def test_0016_keeps_the_sentences_of_earlier_import_jobs_readable(
    empty_url: str,
) -> None:
    """A job failed before 0016 stored two sentences; after it, its message shows both (as
    they were), and a downgrade gives each language its own text again."""
    from alembic import command

    from tumbuh.cli.db import alembic_config
    from tumbuh.i18n import Message, dumps
    from tumbuh.imports.jobs import job_message
    from tumbuh.imports.models import ImportJob

    engine = make_engine(empty_url)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        command.upgrade(cfg, "0015_persons_name_index")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO import_jobs (id, kind, file_name, stored_path, status,"
                    " rows_read, inserted, updated, rejected, error_code, message_id,"
                    " message_en, created_at) VALUES (7, 'families', 'a.csv', '/x',"
                    " 'failed', 0, 0, 0, 0, 'file_too_large', 'a.csv: Berkas besar',"
                    " 'a.csv: File large', '2025-03-01 02:00:00')"
                )
            )
        command.upgrade(cfg, "head")
        with engine.begin() as conn:
            stored = conn.execute(
                text("SELECT message FROM import_jobs WHERE id = 7")
            ).scalar()
            assert stored == "a.csv: Berkas besar / a.csv: File large"
            job = ImportJob(message=stored)
            assert job_message(job, "en") == stored  # shown as it is
            said = dumps([Message.of("issue.import_crashed", value="boom")])
            conn.execute(
                text("UPDATE import_jobs SET message = :m WHERE id = 7"), {"m": said}
            )
        command.downgrade(cfg, "0015_persons_name_index")
        with engine.connect() as conn:
            back = conn.execute(
                text("SELECT message_id, message_en FROM import_jobs WHERE id = 7")
            ).one()
        assert back[1] == "Import failed with an internal error: boom"
        assert back[0] != back[1]
        assert "boom" in back[0]
    finally:
        engine.dispose()
