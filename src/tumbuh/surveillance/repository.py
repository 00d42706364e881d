"""Every query on published figures and targets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    Integer,
    String,
    column,
    func,
    inspect,
    select,
    table,
)
from sqlalchemy.orm import Session

from tumbuh.surveillance.models import ProgrammeAggregate, PublishedFigure, Target


def get_figure_by_key(session: Session, natural_key: str) -> PublishedFigure | None:
    return session.scalars(
        select(PublishedFigure).where(PublishedFigure.natural_key == natural_key)
    ).one_or_none()


def get_target_by_key(session: Session, natural_key: str) -> Target | None:
    return session.scalars(
        select(Target).where(Target.natural_key == natural_key)
    ).one_or_none()


def get_programme_aggregate(
    session: Session, *, code: str, region_code: str, year: int
) -> ProgrammeAggregate | None:
    return session.scalars(
        select(ProgrammeAggregate).where(
            ProgrammeAggregate.code == code,
            ProgrammeAggregate.region_code == region_code,
            ProgrammeAggregate.year == year,
        )
    ).one_or_none()


def list_figures(
    session: Session,
    *,
    kind: str | None = None,
    indicator: str | None = None,
    confidences: Collection[str] | None = None,
) -> Sequence[PublishedFigure]:
    """Figures in a stable order (region, year, source, id)."""
    stmt = select(PublishedFigure)
    if kind is not None:
        stmt = stmt.where(PublishedFigure.kind == kind)
    if indicator is not None:
        stmt = stmt.where(func.lower(PublishedFigure.indicator) == indicator.lower())
    if confidences is not None:
        stmt = stmt.where(PublishedFigure.confidence.in_(list(confidences)))
    stmt = stmt.order_by(
        PublishedFigure.region_code,
        PublishedFigure.year,
        PublishedFigure.source,
        PublishedFigure.id,
    )
    return session.scalars(stmt).all()


def list_targets(session: Session) -> Sequence[Target]:
    return session.scalars(select(Target).order_by(Target.id)).all()


def count_targets(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Target)) or 0)


# --------------------------------------------------------------------------------------
# The register's measurements, read for routine small-area series.
#
# Surveillance may not import tumbuh.register (sibling domains are independent), so these
# lightweight table references name the register's columns; `missing_register_columns`
# checks that they exist before any query runs.

_MEASUREMENTS = table(
    "measurements",
    column("person_id", Integer),
    column("measured_on", Date),
    column("age_days", Integer),
    column("desa_code", String),
    column("posyandu_id", Integer),
    column("zlen", Float),
    column("flen", Boolean),
)
_REGIONS = table("regions", column("code", String), column("name", String))
_FACILITIES = table(
    "facilities",
    column("id", Integer),
    column("name", String),
    column("region_code", String),
)


def missing_register_columns(session: Session) -> list[str]:
    """``table.column`` names the routine series needs but the database lacks."""
    inspector = inspect(session.connection())
    tables = set(inspector.get_table_names())
    missing = []
    for tbl in (_MEASUREMENTS, _REGIONS, _FACILITIES):
        if tbl.name not in tables:
            missing.append(tbl.name)
            continue
        have = {c["name"] for c in inspector.get_columns(tbl.name)}
        missing += [f"{tbl.name}.{c.name}" for c in tbl.columns if c.name not in have]
    return missing


def latest_measurement_date(
    session: Session, *, date_to: dt.date | None
) -> dt.date | None:
    m = _MEASUREMENTS.c
    stmt = select(func.max(m.measured_on))
    if date_to is not None:
        stmt = stmt.where(m.measured_on <= date_to)
    value = session.scalar(stmt)
    if isinstance(value, str):  # SQLite without type information on a bare column
        return dt.date.fromisoformat(value[:10])
    return value if isinstance(value, dt.date) else None


def _routine_stmt(
    *, date_from: dt.date | None, date_to: dt.date | None, max_age_days: int
) -> Any:
    m = _MEASUREMENTS.c
    stmt = select(
        m.person_id, m.measured_on, m.desa_code, m.posyandu_id, m.zlen, m.flen
    ).where(m.age_days.is_not(None), m.age_days < max_age_days)
    if date_from is not None:
        stmt = stmt.where(m.measured_on >= date_from)
    if date_to is not None:
        stmt = stmt.where(m.measured_on <= date_to)
    return stmt


def routine_measurements(
    session: Session,
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    max_age_days: int,
) -> list[tuple[Any, ...]]:
    """(person_id, measured_on, desa_code, posyandu_id, zlen, flen) of under-fives."""
    stmt = _routine_stmt(
        date_from=date_from, date_to=date_to, max_age_days=max_age_days
    )
    return [tuple(row) for row in session.execute(stmt)]


def routine_measurements_sql(
    session: Session,
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    max_age_days: int,
) -> str:
    """The SQL of `routine_measurements` in the session's dialect, values written in
    (dates and an integer only)."""
    stmt = _routine_stmt(
        date_from=date_from, date_to=date_to, max_age_days=max_age_days
    )
    return str(
        stmt.compile(
            dialect=session.get_bind().dialect,
            compile_kwargs={"literal_binds": True},
        )
    )


def region_names(session: Session, codes: Collection[str]) -> dict[str, str]:
    if not codes:
        return {}
    r = _REGIONS.c
    rows = session.execute(select(r.code, r.name).where(r.code.in_(list(codes))))
    return {str(code): str(name) for code, name in rows}


def facility_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    f = _FACILITIES.c
    rows = session.execute(select(f.id, f.name).where(f.id.in_(list(ids))))
    return {int(i): str(name) for i, name in rows}
