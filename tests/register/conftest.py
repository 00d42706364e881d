"""Fixtures for register/import tests: a database of their own with the region master.

The Kemendagri master (91,600 regions) is committed once per backend into a separate
database, so the shared test database stays free for tests that insert their own regions.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.register.regions import load_regions

PG_ADMIN_URL = os.environ.get(
    "TUMBUH_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def regions_engine(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An engine on a fresh database (same backend as `database_url`) with the regions."""
    admin: Engine | None = None
    name = f"tumbuh_reg_{uuid.uuid4().hex[:10]}"
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('register') / 'register.db'}"
    else:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"
    eng = make_engine(url)
    try:
        create_schema(eng, Base.metadata)
        with unit_of_work(eng) as s:
            load_regions(s)
        yield eng
    finally:
        eng.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture
def db(regions_engine: Engine) -> Iterator[Session]:
    """A session on the regions database, inside a transaction rolled back after the test."""
    with regions_engine.connect() as conn:
        trans = conn.begin()
        sess = Session(
            bind=conn, join_transaction_mode="create_savepoint", autoflush=False
        )
        try:
            yield sess
        finally:
            sess.close()
            trans.rollback()
