"""After an import, SQLite's planner has statistics of the new rows too (sqlite_stat1)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from tests.imports.builders import EPPGBM_HEADER, eppgbm_row, write_csv

from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.imports.service import run_import
from tumbuh.models import Base
from tumbuh.register.regions import load_regions


def _analyzed(engine: object, table: str) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        has = conn.scalar(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        )
        if not has:
            return 0
        return int(
            conn.scalar(
                text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}
            )
        )


def test_an_import_on_sqlite_leaves_statistics_of_the_measurements(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        create_schema(engine, Base.metadata)
        with unit_of_work(engine) as s:
            load_regions(s)
        assert _analyzed(engine, "measurements") == 0
        rows = [
            eppgbm_row(**{"Tanggal Pengukuran": f"{d:02d}/10/2024"}) for d in (1, 9)
        ]
        path = write_csv(tmp_path / "ukur.csv", EPPGBM_HEADER, rows)
        assert run_import(engine, kind="eppgbm", paths=[path]).inserted > 0
        assert _analyzed(engine, "measurements") > 0
    finally:
        engine.dispose()
