"""The register read in bulk once per pack, for the services the pack calls.

The quality and early-warning services read the measurements through the ORM, row by row
(about 2 M rows on the 100,000-child province: most of the pack's time). Here the very
same SELECTs run through the indicator engine's bulk reader (`reports.repository`: a child
process on a large SQLite file, COPY on PostgreSQL) and the rows are handed to the
services in the order the SELECT gives them, so every figure is the one the service
computes on its own.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.orm import Session

from tumbuh.reports import repository
from tumbuh.reports.repository import Kind, Query
from tumbuh.surveillance.routine import CHILDREN_SQL, measurement_select
from tumbuh.surveillance.service import RoutineRows, routine_select

__all__ = ["quality_rows", "routine_rows"]

_QUALITY: tuple[tuple[str, Kind], ...] = (
    ("child_id", "int"),
    ("measured_on", "date"),
    ("age_days", "int"),
    ("desa_code", "str"),
    ("posyandu_id", "int"),
    ("weight_kg", "float"),
    ("lenhei_cm", "float"),
    ("measure", "str"),
    ("muac_cm", "float"),
    ("zlen", "float"),
    ("zwei", "float"),
    ("zwfl", "float"),
    ("flen", "bool"),
    ("fwei", "bool"),
    ("fwfl", "bool"),
    ("sex", "str"),
    ("birth_date", "date"),
)
_CHILDREN: tuple[tuple[str, Kind], ...] = (
    ("child_id", "int"),
    ("birth_date", "date"),
    ("desa_code", "str"),
)
_ROUTINE: tuple[tuple[str, Kind], ...] = (
    ("person_id", "int"),
    ("measured_on", "date"),
    ("desa_code", "str"),
    ("posyandu_id", "int"),
    ("zlen", "float"),
    ("flen", "bool"),
)


def quality_rows(session: Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows `surveillance.routine.quality_reports` reads: under-five measurements
    with sex and birth date, and the registered children (one read for both)."""
    measurements, persons = repository.read_selects(
        session,
        [Query(measurement_select(), _QUALITY), Query(CHILDREN_SQL, _CHILDREN)],
    )
    # Ids and ages are never missing here (primary key, WHERE age_days IS NOT NULL):
    # plain integers, as the cursor gives them.
    for col in ("child_id", "age_days"):
        measurements[col] = measurements[col].astype("int64")
    persons["child_id"] = persons["child_id"].astype("int64")
    return measurements, persons


def routine_rows(session: Session) -> RoutineRows:
    """A store for the early warning's measurements, filled by the bulk reader."""

    def read(date_from: dt.date | None, date_to: dt.date | None) -> pd.DataFrame:
        sql = routine_select(session, date_from, date_to)
        return repository.read_selects(session, [Query(sql, _ROUTINE)])[0]

    return RoutineRows(read)
