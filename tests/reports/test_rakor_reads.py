"""The meeting pack reads the register in bulk once (reports.rakor.reads) and hands the
rows to the quality and early-warning services: the same figures as the services' own
reads, through the child process and through the cursor alike."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.surveillance.test_routine_service import populate

from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.reports import repository
from tumbuh.reports.rakor.reads import quality_rows, routine_rows
from tumbuh.surveillance import routine, service
from tumbuh.surveillance.models import FigureKind

ROWS: dict[str, int] = {}


@pytest.fixture
def register(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'register.db'}")
    create_schema(eng, Base.metadata)
    with unit_of_work(eng) as s:
        ROWS.update(populate(s))
    yield eng
    eng.dispose()


@pytest.mark.parametrize("min_rows", [0, 10**12], ids=["child", "cursor"])
def test_quality_from_the_bulk_read_equals_the_service_read(
    register: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    min_rows: int,
) -> None:
    monkeypatch.setattr(repository, "SUBPROCESS_MIN_ROWS", min_rows)
    levels = ("desa", "posyandu")
    with (
        caplog.at_level(logging.WARNING, logger=repository.__name__),
        unit_of_work(register) as s,
    ):
        own = routine.quality_reports(s, levels=levels, period="2024")
        measurements, persons = quality_rows(s)
        handed = routine.quality_reports(
            s,
            levels=levels,
            period="2024",
            measurements=measurements,
            persons=persons,
        )
    assert caplog.records == []  # no fall-back from the child process
    assert len(measurements) == ROWS["rows"]  # every row `populate` wrote
    assert all(own[lv] for lv in levels)
    assert handed == own


@pytest.mark.parametrize("min_rows", [0, 10**12], ids=["child", "cursor"])
@pytest.mark.parametrize("level", ["kabkota", "kecamatan", "desa", "posyandu"])
def test_the_warning_from_shared_bulk_rows_equals_its_own_read(
    register: Engine, monkeypatch: pytest.MonkeyPatch, min_rows: int, level: str
) -> None:
    monkeypatch.setattr(repository, "SUBPROCESS_MIN_ROWS", min_rows)
    with unit_of_work(register) as s:
        own = service.routine_warning(s, level=level, judge="2024")
        rows = routine_rows(s)
        first = service.routine_warning(s, level=level, judge="2024", rows=rows)
        again = service.early_warning(
            s, kind=FigureKind.routine, level=level, judge="2024", rows=rows
        )
    assert len(rows.frames) == 1  # one read for both calls
    assert own.items
    assert first == own
    assert again == own
