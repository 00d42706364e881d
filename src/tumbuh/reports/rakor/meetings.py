"""Meetings as records: an action's baseline and its movement, both from the indicator engine.

An action names a catalogue indicator (reports.catalogue) and a region. When it is agreed,
its baseline is the indicator's value in the region over the latest complete period
(reports.periods); the next pack reads the same indicator for the same region over the
pack's period. One definition on both sides, so the movement is not "26.5 % -> 0.0 %" from
comparing a whole year with an empty year-to-date.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput
from tumbuh.interventions import service as interventions
from tumbuh.interventions.models import Meeting, MeetingAction
from tumbuh.interventions.schemas import MeetingActionCreate, MeetingCreate
from tumbuh.reports import engine
from tumbuh.reports.catalogue import CATALOGUE, by_code
from tumbuh.reports.periods import default_period

__all__ = [
    "ActionMovement",
    "Baseline",
    "add_action",
    "baseline",
    "create_meeting",
    "movements",
]


@dataclass(frozen=True)
class Baseline:
    period: str
    value: float | None


def _value(table: engine.IndicatorTable, indicator: str, region: str) -> float | None:
    items = engine.select(table, region=region)
    hit = items.loc[items["indicator"] == indicator, "value"]
    if hit.empty:
        return None
    v = hit.iloc[0]
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def baseline(
    session: Session,
    *,
    indicator: str,
    region: str,
    period: str | None = None,
    today: dt.date | None = None,
) -> Baseline:
    """The indicator's value in `region` over `period` (default: the latest complete year)."""
    known = {c.code: c for c in CATALOGUE}
    if indicator not in known:
        raise InvalidInput(
            f"unknown indicator {indicator!r}: use a code of docs/indicators.md "
            "(e.g. stunting_routine, pendampingan_krs)"
        )
    if known[indicator].not_computed:
        raise InvalidInput(
            f"indicator {indicator} cannot be computed from the register"
        )
    today = today or dt.date.today()
    if period is None:
        choice = default_period(session, kind="year", region=region, as_of=today)
        period = choice.label
    table = engine.compute(session, period=period, region=region, today=today)
    return Baseline(table.period, _value(table, indicator, region))


def create_meeting(
    session: Session,
    *,
    region: str,
    held_on: dt.date,
    title: str,
    note: str | None = None,
) -> Meeting:
    return interventions.create_meeting(
        session,
        MeetingCreate(region_code=region, held_on=held_on, title=title, note=note),
    )


def add_action(
    session: Session,
    *,
    meeting_id: int,
    title: str,
    owner: str,
    region: str,
    due_on: dt.date,
    indicator: str | None = None,
    target: float | None = None,
    period: str | None = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> MeetingAction:
    """Record an action with its indicator's baseline over the latest complete period."""
    base = (
        baseline(
            session, indicator=indicator, region=region, period=period, today=today
        )
        if indicator
        else None
    )
    return interventions.add_meeting_action(
        session,
        MeetingActionCreate(
            meeting_id=meeting_id,
            title=title,
            owner=owner,
            region_code=region,
            due_on=due_on,
            indicator=indicator,
            baseline_value=None if base is None else base.value,
            baseline_period=None if base is None else base.period,
            target_value=target,
            note=note,
        ),
    )


@dataclass(frozen=True)
class ActionMovement:
    meeting_id: int
    meeting_on: dt.date
    title: str
    owner: str
    region_code: str
    indicator: str | None
    baseline: float | str | None
    baseline_period: str | None
    current: float | str | None
    period: str
    movement: float | None  # points (current - baseline); None when either is missing
    target: float | None
    due_on: dt.date
    status: str
    overdue: bool


def _small(value: float | None, indicator: str, threshold: int | None) -> bool:
    """A count indicator under the threshold is hidden in public packs."""
    if threshold is None or value is None or indicator is None:
        return False
    return str(by_code(indicator).unit) == "number" and 0 < value < threshold


def movements(
    session: Session,
    *,
    region: str,
    table: engine.IndicatorTable,
    before: dt.date,
    threshold: int | None = None,
) -> list[ActionMovement]:
    """Actions of the last meeting held before `before` (for `region` or within it), with
    their movement measured on `table` (the pack's period); overdue ones first."""
    pairs = interventions.meeting_actions_in(session, region=region, before=before)
    if not pairs:
        return []
    last = pairs[0][1].id
    suppressed: set[tuple[str, str]] = set()
    if threshold is not None:
        items = engine.suppress_small(
            table.items, threshold=threshold, posyandu_desa=table.posyandu_desa
        )
        suppressed = {
            (str(i), str(r))
            for i, r, s in zip(
                items["indicator"],
                items["region_code"],
                items["suppressed"],
                strict=True,
            )
            if s
        }
    out: list[ActionMovement] = []
    for action, meeting in pairs:
        if meeting.id != last:
            continue
        ind = action.indicator
        now: float | str | None = None
        base: float | str | None = action.baseline_value
        move = None
        if ind:
            value = _value(table, ind, action.region_code)
            hidden = (ind, action.region_code) in suppressed or _small(
                value, ind, threshold
            )
            now = f"<{threshold}" if hidden else value
            if _small(action.baseline_value, ind, threshold):
                base = f"<{threshold}"
            if isinstance(now, float) and isinstance(base, float):
                move = round(now - base, 2)
        overdue = interventions.is_overdue(action, before)
        out.append(
            ActionMovement(
                meeting_id=meeting.id,
                meeting_on=meeting.held_on,
                title=action.title,
                owner=action.owner,
                region_code=action.region_code,
                indicator=ind,
                baseline=base,
                baseline_period=action.baseline_period,
                current=now,
                period=table.period,
                movement=move,
                target=action.target_value,
                due_on=action.due_on,
                status=action.status,
                overdue=overdue,
            )
        )
    out.sort(key=lambda m: (not m.overdue, m.due_on, m.title))
    return out
