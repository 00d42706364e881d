"""Fixtures for import tests: the region master loaded once per test database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tumbuh.db.session import unit_of_work
from tumbuh.register.regions import load_regions


@pytest.fixture(scope="session")
def regions_engine(engine: Engine) -> Engine:
    """The test database with the Kemendagri region master committed (reference data)."""
    with unit_of_work(engine) as s:
        load_regions(s)
    return engine


@pytest.fixture
def db(regions_engine: Engine, session: Session) -> Session:
    """A rolled-back session on a database that has the regions."""
    return session
