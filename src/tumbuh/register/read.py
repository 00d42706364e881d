"""Read-only views of the register for pages and the API (all their SQL lives here).

Nothing here writes, except `drop_quarantined` (a quarantined row fixed and re-imported from
the imports page).

Scoping is the caller's job (`accounts.scope.require_personal_data`) except for lists, which
take the region prefix and never return rows outside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tumbuh.errors import NotFound
from tumbuh.register.master import codes_under
from tumbuh.register.models import Family, Measurement, Person, QuarantinedRow


@dataclass(frozen=True, slots=True)
class MeasurementRow:
    measured_on: dt.date
    age_days: int | None
    weight_kg: float | None
    lenhei_cm: float | None
    measure: str | None
    zlen: float | None
    zwei: float | None
    zwfl: float | None
    flen: bool | None
    cat_tbu: str | None
    desa_code: str | None


@dataclass(frozen=True, slots=True)
class ChildRow:
    id: int
    name: str
    sex: str | None
    birth_date: dt.date | None
    nik: str | None
    desa_code: str | None
    family_id: int | None
    last_measured_on: dt.date | None
    last_zlen: float | None
    stunted: bool | None


@dataclass(frozen=True, slots=True)
class ChildDetail:
    child: ChildRow
    mother_name: str | None
    measurements: list[MeasurementRow]


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: int
    name: str
    nik: str | None
    sex: str | None
    birth_date: dt.date | None
    family_role: str | None


@dataclass(frozen=True, slots=True)
class FamilyDetail:
    id: int
    no_kk: str
    desa_code: str | None
    rt: str | None
    rw: str | None
    water_source: str | None
    latrine: str | None
    welfare_decile: int | None
    surveyed_on: dt.date | None
    members: list[MemberRow]


def _in_region(
    column: InstrumentedAttribute[str | None], code: str
) -> ColumnElement[bool]:
    """`column` is `code` or a code below it. An IN list from the region master rather than
    LIKE 'code.%' or a string range: it uses the column's index on SQLite and PostgreSQL,
    and its meaning does not depend on the database's collation."""
    return column.in_(codes_under(code) or [code])


def _latest_measurement(*, where: ColumnElement[bool]) -> Select[int, dt.date]:
    return (
        select(
            Measurement.person_id, func.max(Measurement.measured_on).label("last_on")
        )
        .where(where)
        .group_by(Measurement.person_id)
    )


def list_children(
    session: Session,
    *,
    region_code: str,
    limit: int,
    offset: int,
    total: int | None = None,
) -> tuple[list[ChildRow], int]:
    """Children with at least one measurement whose desa lies in the region; (page, total).

    Pages over person ids (index on persons.desa_code, measurements keyed by person), then
    reads the latest measurement of just those children. `total` (when the caller cached
    it) skips the count."""
    measured = (
        select(Person.id)
        .where(_in_region(Person.desa_code, region_code))
        .where(
            select(Measurement.person_id)
            .where(Measurement.person_id == Person.id)
            .exists()
        )
    )
    if total is None:
        total = count_children(session, region_code=region_code)
    ids = list(
        session.scalars(measured.order_by(Person.id).limit(limit).offset(offset))
    )
    if not ids:
        return [], total
    last = (
        select(Measurement.person_id, func.max(Measurement.measured_on).label("on"))
        .where(Measurement.person_id.in_(ids))
        .group_by(Measurement.person_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Person.id, Person.name, Person.sex, Person.birth_date, Person.nik,
            Person.desa_code, Person.family_id, Measurement.measured_on,
            Measurement.zlen, Measurement.flen, Measurement.desa_code,
        )
        .join(last, last.c.person_id == Person.id)
        .join(
            Measurement,
            and_(
                Measurement.person_id == last.c.person_id,
                Measurement.measured_on == last.c.on,
            ),
        )
        .where(Person.id.in_(ids))
    ).all()  # fmt: skip
    out: dict[int, ChildRow] = {}
    for pid, name, sex, born, nik, desa, fam, on, zlen, flen, m_desa in rows:
        stunted = None if zlen is None or flen else zlen < -2
        out[pid] = ChildRow(
            pid, name, sex, born, nik, desa or m_desa, fam, on, zlen, stunted
        )
    return [out[i] for i in ids if i in out], total


def count_children(session: Session, *, region_code: str) -> int:
    """Children with at least one measurement whose desa lies in the region."""
    measured = (
        select(Person.id)
        .where(_in_region(Person.desa_code, region_code))
        .where(
            select(Measurement.person_id)
            .where(Measurement.person_id == Person.id)
            .exists()
        )
    )
    return int(
        session.scalar(select(func.count()).select_from(measured.subquery())) or 0
    )


def _child(p: Person, m: Measurement | None) -> ChildRow:
    stunted = None
    if m is not None and m.zlen is not None and not m.flen:
        stunted = m.zlen < -2
    return ChildRow(
        id=p.id,
        name=p.name,
        sex=p.sex,
        birth_date=p.birth_date,
        nik=p.nik,
        desa_code=p.desa_code or (m.desa_code if m is not None else None),
        family_id=p.family_id,
        last_measured_on=m.measured_on if m is not None else None,
        last_zlen=m.zlen if m is not None else None,
        stunted=stunted,
    )


def get_child(session: Session, child_id: int) -> ChildDetail:
    """A child with all measurements, oldest first; NotFound when no such person."""
    person = session.get(Person, child_id)
    if person is None:
        raise NotFound(f"child {child_id} does not exist")
    ms = list(
        session.scalars(
            select(Measurement)
            .where(Measurement.person_id == child_id)
            .order_by(Measurement.measured_on)
        )
    )
    mother = session.get(Person, person.mother_id) if person.mother_id else None
    return ChildDetail(
        child=_child(person, ms[-1] if ms else None),
        mother_name=mother.name if mother is not None else person.mother_name,
        measurements=[
            MeasurementRow(
                m.measured_on,
                m.age_days,
                m.weight_kg,
                m.lenhei_cm,
                m.measure,
                m.zlen,
                m.zwei,
                m.zwfl,
                m.flen,
                m.cat_tbu,
                m.desa_code,
            )  # fmt: skip
            for m in ms
        ],
    )


def get_family(session: Session, family_id: int) -> FamilyDetail:
    family = session.get(Family, family_id)
    if family is None:
        raise NotFound(f"family {family_id} does not exist")
    members = session.scalars(
        select(Person).where(Person.family_id == family_id).order_by(Person.birth_date)
    )
    return FamilyDetail(
        id=family.id,
        no_kk=family.no_kk,
        desa_code=family.desa_code,
        rt=family.rt,
        rw=family.rw,
        water_source=family.water_source,
        latrine=family.latrine,
        welfare_decile=family.welfare_decile,
        surveyed_on=family.surveyed_on,
        members=[
            MemberRow(p.id, p.name, p.nik, p.sex, p.birth_date, p.family_role)
            for p in members
        ],
    )


def family_ids_by_kk(
    session: Session, *, desa_code: str, no_kks: list[str]
) -> dict[str, int]:
    """Family id per No KK among the families of one desa (links from the visit list)."""
    if not no_kks:
        return {}
    rows = session.execute(
        select(Family.no_kk, Family.id).where(
            Family.desa_code == desa_code, Family.no_kk.in_(no_kks)
        )
    ).all()
    return {str(k): int(i) for k, i in rows}


@dataclass(frozen=True, slots=True)
class QuarantineView:
    id: int
    kind: str
    file: str
    row: int
    raw: dict[str, object]
    issues: list[dict[str, object]]
    created_at: dt.datetime | None


def quarantined_rows(session: Session, *, limit: int) -> list[QuarantineView]:
    """The latest quarantined rows (newest first) with their raw cells and issues."""
    rows = session.scalars(
        select(QuarantinedRow).order_by(QuarantinedRow.id.desc()).limit(limit)
    )
    return [_quarantine(q) for q in rows]


def quarantined_row(session: Session, row_id: int) -> QuarantineView | None:
    q = session.get(QuarantinedRow, row_id)
    return _quarantine(q) if q is not None else None


def _quarantine(q: QuarantinedRow) -> QuarantineView:
    return QuarantineView(
        q.id, q.kind, q.file, q.row, dict(q.raw), list(q.issues), q.created_at
    )


def drop_quarantined(session: Session, row_id: int) -> None:
    """Forget a quarantined row once its fixed version has been imported."""
    q = session.get(QuarantinedRow, row_id)
    if q is not None:
        session.delete(q)
        session.flush()


def desa_growth(session: Session, *, desa_code: str) -> pd.DataFrame:
    """Every measurement taken in one desa with the child's name and birth date: the long
    table of `tumbuh.risk.signals.weight_faltering` (child_id, name, date, weight_kg, zwei,
    zlen, flen, birth_date, posyandu_id)."""
    rows = session.execute(
        select(
            Measurement.person_id, Person.name, Measurement.measured_on,
            Measurement.weight_kg, Measurement.zwei, Measurement.zlen, Measurement.flen,
            Person.birth_date, Measurement.posyandu_id,
        )
        .join(Person, Person.id == Measurement.person_id)
        .where(Measurement.desa_code == desa_code)
    ).all()  # fmt: skip
    cols = ["child_id", "name", "date", "weight_kg", "zwei", "zlen", "flen",
            "birth_date", "posyandu_id"]  # fmt: skip
    if not rows:
        return pd.DataFrame(rows, columns=cols)
    # Column lists rather than Row objects: pandas probes each Row for attributes (slow).
    return pd.DataFrame(
        dict(zip(cols, map(list, zip(*rows, strict=True)), strict=True))
    )
