"""Home visits and interventions recorded by the village team where the work is: from a
family's or a child's page (subject by id, never a typed NIK), online or from the phone's
offline queue.

One visit is one row whatever the network does: the client generates ``client_id`` (a UUID)
when the visit is entered, and :func:`record_visit` answers ``duplicate`` for a second copy,
``conflict`` when the same id arrives with different content (the stored row is kept and
shown to the user, never silently overwritten). Interventions keep their own identity
(kind, subject, date: :func:`tumbuh.interventions.service.record_key`).

Outcomes change the visit list (:func:`apply_visits`): a family met or referred recently is
marked visited and moves to the end; a family that moved leaves the list; "not home" and
"refused" keep their place with the attempt shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.interventions import repository as repo
from tumbuh.interventions import service as interventions
from tumbuh.interventions.groups import is_family_group
from tumbuh.interventions.models import Intervention, Visit
from tumbuh.interventions.schemas import RecordStatus
from tumbuh.register.models import Facility, Family, Measurement, Person

__all__ = [
    "FRESH_DAYS",
    "Outcome",
    "SubjectRef",
    "VisitCreate",
    "VisitResult",
    "Contact",
    "apply_visits",
    "child_contacts",
    "family_contacts",
    "latest_visits",
    "record_for_subject",
    "record_visit",
    "subject_of",
    "visits_of",
]

# A family met (or referred) within this many days counts as visited on the list; after
# that it is due again (TPK accompany a family at risk at least monthly: BKKBN, Juknis
# Pendampingan Keluarga 2021).
FRESH_DAYS = 30


class Outcome(StrEnum):
    met = "met"
    not_home = "not_home"
    moved = "moved"
    refused = "refused"
    referred = "referred"


DONE = frozenset({Outcome.met, Outcome.referred})


class VisitCreate(BaseModel):
    """One visit as entered on the phone (online form or offline queue)."""

    client_id: str = Field(
        pattern=r"^[A-Za-z0-9-]{8,36}$",
        description="Generated where the visit was entered (a UUID); the same id is one visit.",
    )
    family_id: int | None = Field(default=None, ge=1)
    person_id: int | None = Field(default=None, ge=1)
    visited_on: dt.date
    outcome: Outcome
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _subject(self) -> VisitCreate:
        if self.family_id is None and self.person_id is None:
            raise ValueError("a visit needs a family_id or a person_id")
        return self


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """Who a record is about: the person and/or family ids and the desa holding the record."""

    person_id: int | None
    family_id: int | None
    desa_code: str | None


def subject_of(
    session: Session, *, family_id: int | None, person_id: int | None
) -> SubjectRef:
    """The subject named by ids; NotFound when either id names nothing, InvalidInput when
    the person is not a member of the family."""
    if person_id is not None:
        row = session.execute(
            select(Person.id, Person.family_id, Person.desa_code, Family.desa_code)
            .outerjoin(Family, Family.id == Person.family_id)
            .where(Person.id == person_id)
        ).first()
        if row is None:
            raise NotFound(f"no person {person_id}")
        if family_id is not None and row[1] != family_id:
            raise InvalidInput(f"person {person_id} is not in family {family_id}")
        return SubjectRef(int(row[0]), row[1], row[2] or row[3])
    assert family_id is not None
    desa = session.execute(
        select(Family.desa_code).where(Family.id == family_id)
    ).first()
    if desa is None:
        raise NotFound(f"no family {family_id}")
    return SubjectRef(None, family_id, desa[0])


VisitStatus = Literal["created", "duplicate", "conflict"]


@dataclass(frozen=True, slots=True)
class VisitResult:
    visit: Visit
    status: VisitStatus


def _same(visit: Visit, data: VisitCreate, subject: SubjectRef) -> bool:
    return (
        visit.family_id == subject.family_id
        and visit.person_id == subject.person_id
        and visit.visited_on == data.visited_on
        and visit.outcome == str(data.outcome)
        and (visit.note or None) == (data.note or None)
    )


def record_visit(
    session: Session,
    data: VisitCreate,
    *,
    subject: SubjectRef,
    recorded_by: int | None,
    offline: bool = False,
) -> VisitResult:
    """Store a visit once per ``client_id`` (check the user's access to ``subject`` first).

    ``duplicate``: the same visit was stored before (nothing changes); ``conflict``: the id
    is stored with different content (the stored one stays; the caller shows both)."""
    if data.visited_on > dt.date.today():
        raise InvalidInput(f"visited_on: {data.visited_on} is in the future")
    stmt = select(Visit).where(Visit.client_id == data.client_id)
    existing = session.scalars(stmt).first()
    if existing is None:
        visit = Visit(
            client_id=data.client_id,
            family_id=subject.family_id,
            person_id=subject.person_id,
            desa_code=subject.desa_code,
            visited_on=data.visited_on,
            outcome=str(data.outcome),
            note=data.note or None,
            recorded_by=recorded_by,
            offline=offline,
        )
        try:
            with session.begin_nested():  # two copies racing: the second sees the first
                session.add(visit)
        except IntegrityError:
            existing = session.scalars(stmt).one()
        else:
            return VisitResult(visit, "created")
    status: VisitStatus = "duplicate" if _same(existing, data, subject) else "conflict"
    return VisitResult(existing, status)


def visits_of(
    session: Session, *, family_id: int | None, person_ids: Sequence[int] = ()
) -> list[Visit]:
    """The visits to a family (or its members) and to the given persons, newest first."""
    conds = []
    if family_id is not None:
        conds.append(Visit.family_id == family_id)
    if person_ids:
        conds.append(Visit.person_id.in_(list(person_ids)))
    if not conds:
        return []
    stmt = (
        select(Visit)
        .where(or_(*conds))
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
    )
    return list(session.scalars(stmt))


def latest_visits(session: Session, *, desa_code: str) -> dict[int, Visit]:
    """Per family of the desa, its latest visit (by date, then by entry)."""
    stmt = (
        select(Visit)
        .where(Visit.desa_code == desa_code, Visit.family_id.is_not(None))
        .order_by(Visit.visited_on, Visit.id)
    )
    latest: dict[int, Visit] = {}
    for visit in session.scalars(stmt):
        assert visit.family_id is not None
        latest[visit.family_id] = visit
    return latest


def apply_visits(
    rows: Iterable[dict[str, Any]],
    latest: dict[int, Visit],
    *,
    today: dt.date | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The visit list after the visits made: (rows to show, number of families that moved).

    Every row gets ``last_visit`` (the Visit or None) and ``visited`` (met or referred in the
    last FRESH_DAYS days); visited rows go to the end, keeping their order; families whose
    latest visit found them moved leave the list."""
    today = today or dt.date.today()
    due: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    moved = 0
    for row in rows:
        fid = row.get("family_id")
        visit = latest.get(int(fid)) if fid is not None else None
        row = {**row, "last_visit": visit, "visited": False}
        if visit is not None and visit.outcome == Outcome.moved:
            moved += 1
            continue
        if (
            visit is not None
            and visit.outcome in DONE
            and (today - visit.visited_on).days <= FRESH_DAYS
        ):
            row["visited"] = True
            done.append(row)
        else:
            due.append(row)
    return due + done, moved


def record_for_subject(
    session: Session,
    *,
    kind_code: str,
    subject: SubjectRef,
    given_on: dt.date,
    status: RecordStatus = RecordStatus.given,
    note: str | None = None,
    quantity: int | None = None,
) -> Intervention:
    """Record an intervention for a subject given by ids (a family kind goes to the family,
    a person kind needs the person); the same kind, subject and date is one record."""
    interventions.ensure_catalogue(session)
    if given_on > dt.date.today():
        raise InvalidInput(f"given_on: {given_on} is in the future")
    kind = interventions.get_kind(session, kind_code)
    if not kind.active:
        raise InvalidInput(f"intervention kind {kind_code!r} is not active")
    if is_family_group(kind.target_group):
        if subject.family_id is None:
            raise InvalidInput(
                f"{kind.code} is given to a family: this person has none"
            )
        pid, fid = None, subject.family_id
    else:
        if subject.person_id is None:
            raise InvalidInput(f"{kind.code} is given to a person: choose a member")
        pid, fid = subject.person_id, None
    key = interventions.record_key(kind.code, pid, fid, given_on)
    rec = repo.records_by_key(session, [key]).get(key)
    if rec is None:
        rec = Intervention(
            kind_code=kind.code,
            person_id=pid,
            family_id=fid,
            desa_code=subject.desa_code,
            given_on=given_on,
            record_key=key,
        )
        session.add(rec)
    rec.status = str(status)
    rec.sector = kind.sector
    rec.note = note or rec.note
    if quantity is not None:
        rec.quantity = quantity
    session.flush()
    return rec


# ------------------------------------------------------------------ contacts on the list


@dataclass(frozen=True, slots=True)
class Contact:
    """Where and whom to visit: address with RT/RW, the mother, the posyandu where the
    children were last weighed, and the youngest child's age (None where unknown; the
    register holds no phone numbers)."""

    address: str
    mother: str | None
    posyandu: str | None
    child_birth: dt.date | None
    family_id: int | None = None


def _address(address: str | None, rt: str | None, rw: str | None) -> str:
    parts = [(address or "").strip()]
    if rt or rw:
        parts.append(f"RT {rt or '-'}/RW {rw or '-'}")
    return ", ".join(p for p in parts if p)


def _latest_posyandu(session: Session, person_ids: Sequence[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    stmt = (
        select(Measurement.person_id, Facility.name)
        .join(Facility, Facility.id == Measurement.posyandu_id)
        .where(Measurement.person_id.in_(list(person_ids)))
        .order_by(Measurement.person_id, Measurement.measured_on, Measurement.id)
    )
    return {int(pid): str(name) for pid, name in session.execute(stmt)}


def family_contacts(
    session: Session, family_ids: Sequence[int], *, under_five_on: dt.date | None = None
) -> dict[int, Contact]:
    """Per family: address, mother (wife of the head), posyandu and youngest child's birth."""
    if not family_ids:
        return {}
    on = under_five_on or dt.date.today()
    ids = list(family_ids)
    fams = session.execute(
        select(Family.id, Family.address, Family.rt, Family.rw).where(
            Family.id.in_(ids)
        )
    ).all()
    people = session.execute(
        select(Person.id, Person.family_id, Person.family_role, Person.name, Person.birth_date)
        .where(Person.family_id.in_(ids))
    ).all()  # fmt: skip
    mother: dict[int, str] = {}
    youngest: dict[int, tuple[dt.date, int]] = {}
    for pid, fid_, role, name, birth in people:
        if fid_ is None:
            continue
        fid = int(fid_)
        if role == "istri":
            mother[int(fid)] = str(name)
        if birth is not None and (on - birth).days < 5 * 365.25 and birth <= on:
            if int(fid) not in youngest or birth > youngest[int(fid)][0]:
                youngest[int(fid)] = (birth, int(pid))
    posyandu = _latest_posyandu(session, [p for _, p in youngest.values()])
    out: dict[int, Contact] = {}
    for fid, address, rt, rw in fams:
        kid = youngest.get(int(fid))
        out[int(fid)] = Contact(
            address=_address(address, rt, rw),
            mother=mother.get(int(fid)),
            posyandu=posyandu.get(kid[1]) if kid else None,
            child_birth=kid[0] if kid else None,
            family_id=int(fid),
        )
    return out


def child_contacts(session: Session, child_ids: Sequence[int]) -> dict[int, Contact]:
    """Per child: the family's (else the child's own) address, the mother, the posyandu of
    the latest weighing and the birth date."""
    if not child_ids:
        return {}
    mothers = Person.__table__.alias("m")
    rows = session.execute(
        select(
            Person.id, Person.birth_date, Person.family_id, Person.address, Person.rt,
            Person.rw, Person.mother_name, mothers.c.name, Family.address, Family.rt,
            Family.rw,
        )
        .outerjoin(mothers, mothers.c.id == Person.mother_id)
        .outerjoin(Family, Family.id == Person.family_id)
        .where(Person.id.in_(list(child_ids)))
    ).all()  # fmt: skip
    posyandu = _latest_posyandu(session, list(child_ids))
    out: dict[int, Contact] = {}
    for pid, birth, fid, addr, rt, rw, m_reported, m_name, f_addr, f_rt, f_rw in rows:
        address = (
            _address(f_addr, f_rt, f_rw) if fid is not None else _address(addr, rt, rw)
        )
        out[int(pid)] = Contact(
            address=address,
            mother=m_name or m_reported,
            posyandu=posyandu.get(int(pid)),
            child_birth=birth,
            family_id=fid,
        )
    return out
