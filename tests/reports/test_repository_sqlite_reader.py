"""The SQLite bulk read in a child process gives the very tables and indicators the
in-process ``sqlite3`` cursor gives."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from tests.reports import builders as b

from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.reports import engine, repository


@pytest.fixture
def register(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'register.db'}")
    create_schema(eng, Base.metadata)
    with unit_of_work(eng) as s:
        b.reset_ids()
        b.sample(s)
    yield eng
    eng.dispose()


def _load_both(
    eng: Engine, monkeypatch: pytest.MonkeyPatch, **kw: str | None
) -> tuple[repository.RegisterTables, repository.RegisterTables]:
    monkeypatch.setattr(repository, "SUBPROCESS_MIN_ROWS", 10**12)
    with unit_of_work(eng) as s:
        cursor = repository.load(s, region=kw.get("region"))
    monkeypatch.setattr(repository, "SUBPROCESS_MIN_ROWS", 0)
    with unit_of_work(eng) as s:
        child = repository.load(s, region=kw.get("region"))
    return cursor, child


@pytest.mark.parametrize("region", [None, "64.71"])
def test_the_child_process_reads_every_table_exactly_as_the_cursor_does(
    register: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    region: str | None,
) -> None:
    with caplog.at_level(logging.WARNING, logger=repository.__name__):
        cursor, child = _load_both(register, monkeypatch, region=region)
    assert caplog.records == []  # the child process did read: no fallback logged
    for name in vars(cursor):
        pd.testing.assert_frame_equal(
            getattr(cursor, name), getattr(child, name), obj=name
        )
    assert len(child.measurements) > 0
    assert child.measurements["measured_on"].notna().all()


def test_the_engine_gives_identical_items_through_either_reader(
    register: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = []
    for threshold in (10**12, 0):
        monkeypatch.setattr(repository, "SUBPROCESS_MIN_ROWS", threshold)
        with unit_of_work(register) as s:
            items.append(engine.compute(s, period="2025").items)
    pd.testing.assert_frame_equal(items[0], items[1])


def test_the_child_process_sees_nulls_first_and_still_types_the_columns(
    register: Engine,
) -> None:
    # More than a batch of NULLs first would make the driver guess int for every column.
    path = Path(str(register.url.database))
    q = repository.Query(
        "SELECT NULL, NULL, NULL, NULL FROM (WITH RECURSIVE n(i) AS (SELECT 1 "
        "UNION ALL SELECT i + 1 FROM n WHERE i < 70000) SELECT i FROM n) "
        "UNION ALL SELECT 7, '2025-03-01', 1.5, 1",
        (("n", "int"), ("d", "date"), ("x", "float"), ("f", "bool")),
    )
    (table,) = repository.read_in_child(path, [(q, q.sql, [])])
    assert table.num_rows == 70001
    assert table.slice(69999).to_pylist() == [
        {"n": None, "d": None, "x": None, "f": None},
        {"n": 7, "d": dt.date(2025, 3, 1), "x": 1.5, "f": True},
    ]


def test_uncommitted_writes_are_read_through_the_sessions_own_connection(
    register: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "SUBPROCESS_MIN_ROWS", 0)
    with unit_of_work(register) as s:
        before = repository.load(s, region=None).measurements
        child = int(before["child_id"].iloc[0])
        b.measure(s, child, dt.date(2025, 11, 3), dt.date(2024, 1, 1), b.MANGGAR)
        # The child process could not see the pending row: the cursor reads.
        assert repository.sqlite_file(s.connection()) is None
        after = repository.load(s, region=None).measurements
    assert len(after) == len(before) + 1


def test_a_failing_child_process_is_logged_and_the_cursor_reads_instead(
    register: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(repository, "SUBPROCESS_MIN_ROWS", 0)
    with unit_of_work(register) as s:
        expected = repository.load(s, region=None).measurements
    # The child cannot write its output: the directory it is given is read-only.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with (
        caplog.at_level(logging.WARNING, logger=repository.__name__),
        unit_of_work(register) as s,
    ):
        got = repository.load(s, region=None).measurements
    assert any("child process failed" in r.getMessage() for r in caplog.records)
    pd.testing.assert_frame_equal(expected, got)


def test_writes_after_a_child_process_read_leave_the_file_intact(
    register: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "SUBPROCESS_MIN_ROWS", 0)
    with unit_of_work(register) as s:
        before = repository.load(s, region=None).measurements
        child = int(before["child_id"].iloc[0])
        b.measure(s, child, dt.date(2025, 11, 3), dt.date(2024, 1, 1), b.MANGGAR)
    with unit_of_work(register) as s:
        raw: Any = s.connection().connection.driver_connection
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        after = repository.load(s, region=None).measurements
    assert len(after) == len(before) + 1
