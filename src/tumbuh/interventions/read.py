"""Read-only views of intervention records and meeting actions for pages (moved from
`register.read`: the register does not import its sibling domains)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from tumbuh.interventions.models import Intervention, InterventionKind, MeetingAction


@dataclass(frozen=True, slots=True)
class InterventionRow:
    given_on: dt.date
    kind_code: str
    name: str
    person_id: int | None
    status: str
    sector: str


def interventions_of(
    session: Session, *, person_ids: list[int], family_id: int | None, lang: str
) -> list[InterventionRow]:
    """Interventions recorded for these people or this family, newest first."""
    conds: list[ColumnElement[bool]] = []
    if person_ids:
        conds.append(Intervention.person_id.in_(person_ids))
    if family_id is not None:
        conds.append(Intervention.family_id == family_id)
    if not conds:
        return []
    name = InterventionKind.name_en if lang == "en" else InterventionKind.name_id
    rows = session.execute(
        select(
            Intervention.given_on,
            Intervention.kind_code,
            name,
            Intervention.person_id,
            Intervention.status,
            Intervention.sector,
        )
        .join(InterventionKind, InterventionKind.code == Intervention.kind_code)
        .where(or_(*conds))
        .order_by(Intervention.given_on.desc(), Intervention.id)
    ).all()
    return [InterventionRow(*r) for r in rows]


def action_region(session: Session, action_id: int) -> str | None:
    """The region of a meeting action (to check scope before updating it); None if absent."""
    return session.scalar(
        select(MeetingAction.region_code).where(MeetingAction.id == action_id)
    )
