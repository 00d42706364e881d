"""Read-only views of the register for pages and the API (all their SQL lives here).

Nothing here writes, except `drop_quarantined` (a quarantined row fixed and re-imported from
the imports page).

Scoping is the caller's job (`accounts.scope.require_personal_data`) except for lists, which
take the region prefix and never return rows outside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, QueryableAttribute, Session, aliased

from tumbuh.errors import NotFound
from tumbuh.register.master import codes_under
from tumbuh.register.models import (
    Facility,
    Family,
    Measurement,
    Person,
    QuarantinedRow,
    Region,
)


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


#: Orders of the children list: each sorts by one column, ties by person id.
#: ``age`` ascending is youngest first; ``zlen`` is the latest length/height-for-age z
#: (flagged values count as unknown); unknown values come last either way.
CHILD_SORTS = ("name", "age", "desa", "measured", "zlen")
#: Balita: 0-59 completed months (Permenkes 2/2020 counts under-fives so; WHO's standards
#: end at 60 months too).
UNDER_FIVE_MONTHS = 60


@dataclass(frozen=True, slots=True)
class ChildQuery:
    """Which children of a region a list holds, and in which order.

    ``name`` matches a fragment of the name (as `name_key` writes it); ``nik`` a fragment
    of the NIK, for callers whose role may see whole NIKs only (the gate decides: a role
    that sees masked NIKs must not learn hidden digits from what a search finds);
    ``born_after``/``born_until`` bound the birth date (after: exclusive)."""

    name: str | None = None
    nik: str | None = None
    born_after: dt.date | None = None
    born_until: dt.date | None = None
    sort: str | None = None  # one of CHILD_SORTS; None: person id
    descending: bool = False


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day where the day
    does not exist: 31 May less 3 months is 28/29 February)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    first_next = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return dt.date(
        year, month + 1, min(day.day, (first_next - dt.timedelta(days=1)).day)
    )


def under_five(today: dt.date) -> tuple[dt.date, dt.date]:
    """(born_after, born_until) of the children aged 0-59 completed months on `today`."""
    return months_before(today, UNDER_FIVE_MONTHS), today


def age_months(birth_date: dt.date | None, today: dt.date) -> int | None:
    """Completed months between `birth_date` and `today` (None when unknown or later)."""
    if birth_date is None or birth_date > today:
        return None
    months = (today.year - birth_date.year) * 12 + today.month - birth_date.month
    return months - (months_before(today, months) < birth_date)


def _measured_children(region_code: str, query: ChildQuery) -> Select[int]:
    """Ids of the children with at least one measurement whose desa lies in the region,
    filtered as `query` says (not ordered)."""
    stmt = (
        select(Person.id)
        .where(_in_region(Person.desa_code, region_code))
        .where(
            select(Measurement.person_id)
            .where(Measurement.person_id == Person.id)
            .correlate(Person)  # never to a measurements table the caller joins
            .exists()
        )
    )
    found: list[ColumnElement[bool]] = []
    if query.name:
        found.append(Person.name_key.contains(query.name, autoescape=True))
    if query.nik:
        found.append(Person.nik.contains(query.nik, autoescape=True))
    if found:
        stmt = stmt.where(or_(*found))
    if query.born_after is not None:
        stmt = stmt.where(Person.birth_date > query.born_after)
    if query.born_until is not None:
        stmt = stmt.where(Person.birth_date <= query.born_until)
    return stmt


def _ordered(stmt: Select[int], query: ChildQuery) -> Select[int]:
    """`stmt` (person ids) in the order of `query.sort`, unknown values last, ties by id."""
    if query.sort is None:
        return stmt.order_by(Person.id.desc() if query.descending else Person.id)
    if query.sort not in CHILD_SORTS:
        raise ValueError(f"sort must be one of {', '.join(CHILD_SORTS)}")
    key: ColumnElement[Any] | QueryableAttribute[Any]
    if query.sort == "name":
        key = Person.name_key
    elif query.sort == "age":  # age ascending: the latest birth date first
        key = Person.birth_date
    elif query.sort == "desa":
        stmt = stmt.outerjoin(Region, Region.code == Person.desa_code)
        key = Region.name
    else:
        last = (
            select(
                Measurement.person_id.label("pid"),
                func.max(Measurement.measured_on).label("on"),
            )
            .where(Measurement.person_id.in_(stmt.scalar_subquery()))
            .group_by(Measurement.person_id)
            .subquery()
        )
        stmt = stmt.join(last, last.c.pid == Person.id)
        key = last.c.on
        if query.sort == "zlen":
            latest = aliased(Measurement)
            stmt = stmt.join(
                latest,
                and_(latest.person_id == last.c.pid, latest.measured_on == last.c.on),
            )
            key = case((latest.flen.is_(True), None), else_=latest.zlen)
    descending = query.descending != (query.sort == "age")
    if query.sort == "name":  # never null: the order of index ix_persons_name_key_id
        return stmt.order_by(
            *(
                (Person.name_key.desc(), Person.id.desc())
                if descending
                else (key, Person.id)
            )
        )
    ordered = key.desc() if descending else key.asc()
    return stmt.order_by(ordered.nulls_last(), Person.id)


def list_children(
    session: Session,
    *,
    region_code: str,
    limit: int,
    offset: int,
    total: int | None = None,
    query: ChildQuery | None = None,
) -> tuple[list[ChildRow], int]:
    """Children with at least one measurement whose desa lies in the region, filtered and
    ordered by `query`; (page, total).

    Pages over person ids (index on persons.desa_code, measurements keyed by person), then
    reads the latest measurement of just those children. `total` (when the caller cached
    it for the same query) skips the count."""
    query = query or ChildQuery()
    if total is None:
        total = count_children(session, region_code=region_code, query=query)
    measured = _ordered(_measured_children(region_code, query), query)
    ids = list(session.scalars(measured.limit(limit).offset(offset)))
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


def count_children(
    session: Session, *, region_code: str, query: ChildQuery | None = None
) -> int:
    """Children with at least one measurement whose desa lies in the region (and match
    `query`'s filters)."""
    measured = _measured_children(region_code, query or ChildQuery())
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


def register_provinces(session: Session) -> list[str]:
    """The provinces (two-digit Kemendagri codes) the register's persons live in, sorted:
    the region a command given none covers when there is one."""
    province = func.substr(Person.desa_code, 1, 2)
    rows = session.execute(
        select(province).where(Person.desa_code.is_not(None)).distinct()
    )
    return sorted(code for (code,) in rows if code)


def busiest_posyandu(
    session: Session, *, days: int = 92, limit: int = 10
) -> list[tuple[int, str, str | None, int]]:
    """The posyandu that weighed the most children in the register's last `days` days (up
    to its latest measurement): (facility id, name, desa code, children), most first."""
    latest = session.scalar(select(func.max(Measurement.measured_on)))
    if latest is None:
        return []
    children = func.count(func.distinct(Measurement.person_id))
    rows = session.execute(
        select(Facility.id, Facility.name, Facility.region_code, children)
        .join(Facility, Facility.id == Measurement.posyandu_id)
        .where(Measurement.measured_on > latest - dt.timedelta(days=days))
        .group_by(Facility.id, Facility.name, Facility.region_code)
        .order_by(children.desc(), Facility.id)
        .limit(limit)
    )
    return [(int(i), str(n), r, int(c)) for i, n, r, c in rows]
