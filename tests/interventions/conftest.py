"""Fixtures: the small register of builders.py with its intervention records."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from tests.interventions.builders import World, build_register, record_world


@pytest.fixture
def world(session: Session) -> World:
    w = build_register(session)
    record_world(session, w)
    return w
