"""Every query of the interventions package (catalogue, records, actions, register slices)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    TextClause,
    any_,
    bindparam,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from tumbuh.interventions.models import (
    Intervention,
    InterventionKind,
    Meeting,
    MeetingAction,
)
from tumbuh.register.models import (
    Family,
    Measurement,
    Person,
    Pregnancy,
    Region,
    Screening,
)

GIVEN = ("given", "verified")


def in_region(column: Any, region: str | None) -> ColumnElement[bool]:
    """`column` is the region code or lies under it (codes are dotted prefixes)."""
    if region is None:
        return true()
    return or_(column == region, column.like(f"{region}.%"))


def frame(session: Session, stmt: Any, columns: Sequence[str]) -> pd.DataFrame:
    """The rows of `stmt` as a frame. Statements carry an ORDER BY: without one, rows come
    in the back-end's order, and whatever follows row order (invented records, first-of
    ties) would differ between SQLite and PostgreSQL."""
    rows = session.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))


# ------------------------------------------------------------------------ catalogue


def list_kinds(
    session: Session, *, active_only: bool = False
) -> list[InterventionKind]:
    stmt = select(InterventionKind).order_by(InterventionKind.id)
    if active_only:
        stmt = stmt.where(InterventionKind.active.is_(True))
    return list(session.scalars(stmt))


def get_kind(session: Session, code: str) -> InterventionKind | None:
    return session.scalar(select(InterventionKind).where(InterventionKind.code == code))


# ------------------------------------------------------------------------ records


def records_by_key(session: Session, keys: Sequence[str]) -> dict[str, Intervention]:
    out: dict[str, Intervention] = {}
    stmt = select(Intervention)
    for part in _matching(session, stmt, Intervention.record_key, keys):
        for rec in session.scalars(part):
            out[rec.record_key] = rec
    return out


def given_records(
    session: Session, *, start: dt.date, end: dt.date, region: str | None
) -> pd.DataFrame:
    """Given/verified records dated in [start, end] whose desa lies in `region`."""
    stmt = select(
        Intervention.kind_code,
        Intervention.person_id,
        Intervention.family_id,
        Intervention.given_on,
    ).where(
        Intervention.status.in_(GIVEN),
        Intervention.given_on >= start,
        Intervention.given_on <= end,
    )
    if region is not None:
        stmt = stmt.where(in_region(Intervention.desa_code, region))
    stmt = stmt.order_by(Intervention.id)
    return frame(session, stmt, ["code", "person_id", "family_id", "given_on"])


def list_records(
    session: Session,
    *,
    person_id: int | None = None,
    family_id: int | None = None,
    limit: int = 500,
) -> list[Intervention]:
    stmt = select(Intervention).order_by(Intervention.given_on.desc()).limit(limit)
    if person_id is not None:
        stmt = stmt.where(Intervention.person_id == person_id)
    if family_id is not None:
        stmt = stmt.where(Intervention.family_id == family_id)
    return list(session.scalars(stmt))


# ------------------------------------------------------------------------ register


def person_by_nik(
    session: Session, niks: Sequence[str]
) -> dict[str, tuple[int, int | None, str | None]]:
    """NIK → (person id, family id, desa code: the person's, else the family's)."""
    out: dict[str, tuple[int, int | None, str | None]] = {}
    stmt = select(
        Person.nik,
        Person.id,
        Person.family_id,
        func.coalesce(Person.desa_code, Family.desa_code),
    ).outerjoin(Family, Family.id == Person.family_id)
    for part in _matching(session, stmt, Person.nik, niks):
        for nik, pid, fid, desa in session.execute(part):
            out[str(nik)] = (int(pid), fid, desa)
    return out


def family_by_kk(
    session: Session, kks: Sequence[str]
) -> dict[str, tuple[int, str | None]]:
    out: dict[str, tuple[int, str | None]] = {}
    stmt = select(Family.no_kk, Family.id, Family.desa_code)
    for part in _matching(session, stmt, Family.no_kk, kks):
        for kk, fid, desa in session.execute(part):
            out[str(kk)] = (int(fid), desa)
    return out


def _matching(
    session: Session, stmt: Any, column: Any, values: Sequence[Any]
) -> list[Any]:
    """`stmt` restricted to the rows whose `column` is one of `values` (text keys or integer
    ids), as the statements to run: one per 5,000 values.

    PostgreSQL: ``column = ANY(:array)``, the part as one array parameter (SQLAlchemy
    rendered and the server parsed one bound value per key: 17 s of the import's record-key
    look-ups for 460,000 records). Not one statement for all the values: ``= ANY`` costs
    planning time per element (0.4 s per 250,000 ids), and a join to ``unnest(:array)``
    depends on the table's statistics: an import's own table, analysed empty before it
    began, was planned as a nested loop over the whole array per row (minutes). An index
    scan per part does not. SQLite: ``IN`` (integers written into the SQL: `_id_in`).
    """
    uniq = sorted(set(values))
    parts = [uniq[i : i + 5000] for i in range(0, len(uniq), 5000)]
    if not parts:
        return []
    if session.get_bind().dialect.name == "postgresql":
        kind = Integer() if isinstance(uniq[0], int) else String()
        return [
            stmt.where(column == any_(bindparam(None, part, type_=ARRAY(kind))))
            for part in parts
        ]
    if isinstance(uniq[0], int):
        return [stmt.where(_id_in(column, part)) for part in parts]
    return [stmt.where(column.in_(part)) for part in parts]


def families(session: Session, *, region: str | None) -> pd.DataFrame:
    stmt = (
        select(
            Family.id,
            Family.no_kk,
            Family.desa_code,
            Family.water_source,
            Family.latrine,
            Family.wife_pregnant,
            Family.wife_modern_contraception,
            Family.welfare_decile,
            Family.surveyed_on,
        )
        .where(in_region(Family.desa_code, region))
        .order_by(Family.id)
    )
    return frame(
        session,
        stmt,
        [
            "family_id",
            "no_kk",
            "desa_code",
            "water_source",
            "latrine",
            "wife_pregnant",
            "wife_modern_contraception",
            "welfare_decile",
            "surveyed_on",
        ],
    )


def persons(session: Session, *, region: str | None) -> pd.DataFrame:
    """Persons whose desa (their own, else their family's) lies in `region`."""
    desa = func.coalesce(Person.desa_code, Family.desa_code)
    stmt = (
        select(
            Person.id,
            Person.nik,
            Person.name,
            Person.sex,
            Person.birth_date,
            Person.family_id,
            Person.family_role,
            desa,
        )
        .outerjoin(Family, Family.id == Person.family_id)
        .where(in_region(desa, region))
        .order_by(Person.id)
    )
    return frame(
        session,
        stmt,
        [
            "person_id",
            "nik",
            "name",
            "sex",
            "birth_date",
            "family_id",
            "family_role",
            "desa_code",
        ],
    )


def pregnancies(session: Session, *, person_ids: Sequence[int]) -> pd.DataFrame:
    return _by_person(
        session,
        select(Pregnancy.person_id, Pregnancy.lmp_date, Pregnancy.due_date),
        Pregnancy.person_id,
        person_ids,
        ["person_id", "lmp_date", "due_date"],
    )


def screenings(
    session: Session, *, person_ids: Sequence[int], kind: str, end: dt.date
) -> pd.DataFrame:
    stmt = select(Screening.person_id, Screening.screened_on, Screening.muac_cm).where(
        Screening.kind == kind, Screening.screened_on <= end
    )
    return _by_person(
        session,
        stmt,
        Screening.person_id,
        person_ids,
        ["person_id", "screened_on", "muac_cm"],
    )


def latest_measurements(
    session: Session, *, person_ids: Sequence[int], end: dt.date
) -> pd.DataFrame:
    """The last measurement on or before `end` of each person (zwfl and its flag).

    One statement for all the persons, whatever their number: the ids travel as one bound
    value (an array on PostgreSQL, a JSON list on SQLite) and each person's last day is
    found through the ``(person_id, measured_on)`` index (a LATERAL sub-query on PostgreSQL,
    a correlated one on SQLite). The former form, a ``max(measured_on)`` grouped per 5,000
    ids and joined back, had PostgreSQL scan the whole table twice per 5,000 children
    (issue 18: ~1 s a query at 3.3 M measurements).
    """
    columns = ["person_id", "zwfl", "fwfl"]
    ids = sorted({int(i) for i in person_ids})
    if not ids:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    m = Measurement
    if session.get_bind().dialect.name == "postgresql":
        pid = (
            func.unnest(bindparam("ids", ids, type_=ARRAY(Integer)))
            .table_valued("id")
            .render_derived()
        )
        last = (
            select(m.zwfl, m.fwfl)
            .where(m.person_id == pid.c.id, m.measured_on <= end)
            .order_by(m.measured_on.desc())
            .limit(1)
            .lateral()
        )
        stmt = (
            select(pid.c.id, last.c.zwfl, last.c.fwfl)
            .select_from(pid)
            .join(last, true())
            .order_by(pid.c.id)
        )
    else:
        pid = func.json_each(json.dumps(ids)).table_valued("value")
        inner = aliased(Measurement)
        last_id = (
            select(inner.id)
            .where(inner.person_id == pid.c.value, inner.measured_on <= end)
            .order_by(inner.measured_on.desc())
            .limit(1)
            .correlate(pid)
            .scalar_subquery()
        )
        stmt = (
            select(m.person_id, m.zwfl, m.fwfl)
            .select_from(pid)
            .join(m, m.id == last_id)
            .order_by(m.person_id)
        )
    return frame(session, stmt, columns)


def measurements(session: Session, *, person_ids: Sequence[int]) -> pd.DataFrame:
    """Every measurement of the persons (for routine new cases: analytics.routine)."""
    stmt = select(
        Measurement.person_id,
        Measurement.measured_on,
        Measurement.age_days,
        Measurement.desa_code,
        Measurement.zlen,
        Measurement.flen,
    )
    return _by_person(
        session,
        stmt,
        Measurement.person_id,
        person_ids,
        ["child_id", "measured_on", "age_days", "desa_code", "zlen", "flen"],
    )


def _id_in(column: Any, ids: Sequence[int]) -> ColumnElement[bool] | TextClause:
    """``column IN (ids)`` with the integers written into the SQL: the same condition as
    ``column.in_(ids)``, without SQLAlchemy coercing and rendering thousands of bound
    values one by one (seconds per register read)."""
    col = column.expression
    name = f"{col.table.name}.{col.name}"
    values = ", ".join(str(int(i)) for i in ids)
    return text(f"{name} IN ({values})") if ids else column.in_([])


def _by_person(
    session: Session,
    stmt: Any,
    column: Any,
    person_ids: Sequence[int],
    columns: list[str],
) -> pd.DataFrame:
    # Every selected column in order, NULLs first on both back-ends: a stable row order.
    stmt = stmt.order_by(*(c.asc().nulls_first() for c in stmt.selected_columns))
    ids = [int(i) for i in person_ids]
    parts = [
        frame(session, part, columns) for part in _matching(session, stmt, column, ids)
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(parts, ignore_index=True)


def region_names(session: Session, codes: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for start in range(0, len(codes), 5000):
        part = list(codes[start : start + 5000])
        for code, name in session.execute(
            select(Region.code, Region.name).where(Region.code.in_(part))
        ):
            out[code] = name
    return out


def region_exists(session: Session, code: str) -> bool:
    return session.scalar(select(Region.code).where(Region.code == code)) is not None


# ------------------------------------------------------------------------ actions


def list_actions(session: Session, *, region: str | None) -> list[MeetingAction]:
    stmt = select(MeetingAction).order_by(MeetingAction.due_on, MeetingAction.id)
    if region is not None:
        stmt = stmt.where(in_region(MeetingAction.region_code, region))
    return list(session.scalars(stmt))


def get_action(session: Session, action_id: int) -> MeetingAction | None:
    return session.get(MeetingAction, action_id)


def get_meeting(session: Session, meeting_id: int) -> Meeting | None:
    return session.get(Meeting, meeting_id)


def list_meetings(
    session: Session, *, region: str | None, before: dt.date | None = None
) -> list[Meeting]:
    """Meetings of `region` (its own and those of the regions within), latest first."""
    stmt = select(Meeting).order_by(Meeting.held_on.desc(), Meeting.id.desc())
    if region is not None:
        stmt = stmt.where(in_region(Meeting.region_code, region))
    if before is not None:
        stmt = stmt.where(Meeting.held_on < before)
    return list(session.scalars(stmt))


def meeting_actions_in(
    session: Session, *, region: str, before: dt.date | None = None
) -> list[tuple[MeetingAction, Meeting]]:
    """Actions agreed at meetings (held before `before`) for `region` or a region within
    it, with their meeting; latest meeting first, then by due date."""
    stmt = (
        select(MeetingAction, Meeting)
        .join(Meeting, MeetingAction.meeting_id == Meeting.id)
        .where(in_region(MeetingAction.region_code, region))
        .order_by(
            Meeting.held_on.desc(),
            Meeting.id.desc(),
            MeetingAction.due_on,
            MeetingAction.id,
        )
    )
    if before is not None:
        stmt = stmt.where(Meeting.held_on < before)
    return [(row[0], row[1]) for row in session.execute(stmt)]
