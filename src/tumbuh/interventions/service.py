"""Interventions: catalogue administration, recording, coverage, convergence, meeting actions.

Services flush and never commit; the caller (request, CLI command) owns the transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from tumbuh.errors import Conflict, InvalidInput, NotFound
from tumbuh.interventions import repository as repo
from tumbuh.interventions.coverage import (
    ConvergenceResult,
    CoverageResult,
    convergence,
    coverage,
    coverage_by_area,
)
from tumbuh.interventions.groups import (
    WELFARE_ELIGIBLE_MAX_DECILE,
    Period,
    Register,
    is_family_group,
    load_register,
)
from tumbuh.interventions.models import (
    Intervention,
    InterventionKind,
    Meeting,
    MeetingAction,
)
from tumbuh.interventions.schemas import (
    ActionCreate,
    ActionRead,
    ActionStatus,
    ActionUpdate,
    InterventionCreate,
    KindCreate,
    KindUpdate,
    MeetingActionCreate,
    MeetingCreate,
)

CATALOGUE_CSV = (
    Path(__file__).resolve().parents[1] / "data" / "interventions" / "catalogue.csv"
)

# ------------------------------------------------------------------------ catalogue


def read_catalogue_csv(path: Path = CATALOGUE_CSV) -> list[KindCreate]:
    """Catalogue rows of a CSV with the columns of data/interventions/catalogue.csv."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from None
    out: list[KindCreate] = []
    for line, row in enumerate(rows, start=2):
        try:
            out.append(
                KindCreate(
                    code=row["code"].strip(),
                    name_id=row["name_id"].strip(),
                    name_en=row["name_en"].strip(),
                    kind=row["kind"].strip(),  # type: ignore[arg-type]
                    target_group=row["target_group"].strip(),
                    sector=row["sector"].strip(),
                    indicator=(row.get("indicator") or "").strip(),
                    target_pct=float(row["target_pct"])
                    if row.get("target_pct")
                    else None,
                    target_year=int(row["target_year"])
                    if row.get("target_year")
                    else None,
                    target_source=(row.get("target_source") or "").strip(),
                    in_package_for=[
                        g.strip()
                        for g in (row.get("in_package_for") or "").split(";")
                        if g.strip()
                    ],
                    active=(row.get("active") or "y").strip().lower()
                    not in {"n", "no", "0", "false", "tidak"},
                )
            )
        except (KeyError, ValueError) as exc:
            raise InvalidInput(f"{path.name}, row {line}: {exc}") from None
    return out


def load_catalogue(
    session: Session, *, path: Path = CATALOGUE_CSV, overwrite: bool = False
) -> int:
    """Add the kinds of `path` missing from the catalogue (all of them with `overwrite`).

    Administrator edits are kept unless `overwrite`. Returns the number added or changed.
    """
    existing = {k.code: k for k in repo.list_kinds(session)}
    changed = 0
    for item in read_catalogue_csv(path):
        kind = existing.get(item.code)
        if kind is None:
            session.add(InterventionKind(**item.model_dump(mode="json")))
            changed += 1
        elif overwrite:
            for name, value in item.model_dump(mode="json").items():
                setattr(kind, name, value)
            changed += 1
    session.flush()
    return changed


def ensure_catalogue(session: Session) -> None:
    """Seed the packaged catalogue into an empty catalogue table."""
    if not repo.list_kinds(session):
        load_catalogue(session)


def list_kinds(
    session: Session, *, active_only: bool = False
) -> list[InterventionKind]:
    ensure_catalogue(session)
    return repo.list_kinds(session, active_only=active_only)


def get_kind(session: Session, code: str) -> InterventionKind:
    kind = repo.get_kind(session, code)
    if kind is None:
        raise NotFound(f"no intervention kind {code!r} in the catalogue")
    return kind


def create_kind(session: Session, data: KindCreate) -> InterventionKind:
    ensure_catalogue(session)
    if repo.get_kind(session, data.code) is not None:
        raise Conflict(f"intervention kind {data.code!r} already exists")
    kind = InterventionKind(**data.model_dump(mode="json"))
    session.add(kind)
    session.flush()
    return kind


def update_kind(session: Session, code: str, data: KindUpdate) -> InterventionKind:
    ensure_catalogue(session)
    kind = get_kind(session, code)
    values = data.model_dump(mode="json", exclude_unset=True, exclude={"clear_target"})
    for name, value in values.items():
        if value is not None:
            setattr(kind, name, value)
    if data.clear_target:
        kind.target_pct = None
        kind.target_year = None
    session.flush()
    return kind


# ------------------------------------------------------------------------ recording


def record_key(
    code: str, person_id: int | None, family_id: int | None, on: dt.date
) -> str:
    """Identity of a record: kind, subject and date (the same visit imported twice is one)."""
    subject = f"p{person_id}" if person_id is not None else f"f{family_id}"
    raw = f"{code}|{subject}|{on.isoformat()}"
    return hashlib.md5(raw.encode(), usedforsecurity=False).hexdigest()


def resolve_subject(
    session: Session, kind: InterventionKind, *, nik: str | None, no_kk: str | None
) -> tuple[int | None, int | None, str | None]:
    """(person id, family id, desa code) of the record's subject.

    Person kinds need the NIK; family kinds take the No KK, or the family of the NIK.
    """
    if is_family_group(kind.target_group):
        if no_kk:
            fam = repo.family_by_kk(session, [no_kk]).get(no_kk)
            if fam is None:
                raise NotFound(f"no family with No KK {no_kk} in the register")
            return None, fam[0], fam[1]
        if nik:
            person = repo.person_by_nik(session, [nik]).get(nik)
            if person is None or person[1] is None:
                raise NotFound(f"no family for NIK {nik} in the register")
            return None, person[1], person[2]
        raise InvalidInput(f"{kind.code} is given to a family: No KK (or NIK) required")
    if not nik:
        raise InvalidInput(f"{kind.code} is given to a person: NIK required")
    person = repo.person_by_nik(session, [nik]).get(nik)
    if person is None:
        raise NotFound(f"no person with NIK {nik} in the register")
    return person[0], None, person[2]


def record(session: Session, data: InterventionCreate) -> Intervention:
    """Record one intervention; the same kind, subject and date updates the existing record."""
    ensure_catalogue(session)
    if data.given_on > dt.date.today():
        raise InvalidInput(f"date {data.given_on} is in the future")
    kind = get_kind(session, data.kind_code)
    pid, fid, desa = resolve_subject(session, kind, nik=data.nik, no_kk=data.no_kk)
    key = record_key(kind.code, pid, fid, data.given_on)
    rec = repo.records_by_key(session, [key]).get(key)
    if rec is None:
        rec = Intervention(
            kind_code=kind.code,
            person_id=pid,
            family_id=fid,
            desa_code=desa,
            given_on=data.given_on,
            record_key=key,
        )
        session.add(rec)
    rec.status = str(data.status)
    rec.sector = data.sector or kind.sector
    rec.unit = data.unit
    rec.note = data.note
    rec.quantity = data.quantity
    session.flush()
    return rec


# ------------------------------------------------------------------------ coverage


def coverage_report(
    session: Session,
    *,
    region: str | None,
    period: Period,
    register: Register | None = None,
    welfare_max_decile: int = WELFARE_ELIGIBLE_MAX_DECILE,
) -> CoverageResult:
    """Coverage of every active catalogue kind in `region` over `period` (JKN PBI, PKH and
    food aid over the families of welfare decile <= `welfare_max_decile`)."""
    return coverage(
        session,
        kinds=_active_kinds_in(session, region),
        region=region,
        period=period,
        register=register,
        welfare_max_decile=welfare_max_decile,
    )


def coverage_by_area_report(
    session: Session,
    *,
    region: str | None,
    period: Period,
    level: str,
    register: Register | None = None,
    welfare_max_decile: int = WELFARE_ELIGIBLE_MAX_DECILE,
) -> pd.DataFrame:
    """Coverage of every active kind per kab/kota, kecamatan or desa of `region`."""
    return coverage_by_area(
        session,
        kinds=_active_kinds_in(session, region),
        region=region,
        period=period,
        level=level,
        register=register,
        welfare_max_decile=welfare_max_decile,
    )


def convergence_report(
    session: Session,
    *,
    region: str | None,
    period: Period,
    register: Register | None = None,
    welfare_max_decile: int = WELFARE_ELIGIBLE_MAX_DECILE,
) -> ConvergenceResult:
    """Full-package shares per desa and the gap list of families at risk in `region`;
    JKN PBI, PKH and food aid only for families of welfare decile <= `welfare_max_decile`."""
    return convergence(
        session,
        kinds=_active_kinds_in(session, region),
        region=region,
        period=period,
        register=register,
        welfare_max_decile=welfare_max_decile,
    )


def register_for(session: Session, *, region: str | None, period: Period) -> Register:
    """The register of `region` with its target groups, to share between reports."""
    _check_region(session, region)
    return load_register(session, region=region, period=period)


def _check_region(session: Session, region: str | None) -> None:
    if region is not None and not repo.region_exists(session, region):
        raise NotFound(f"no region with code {region!r}")


def _active_kinds_in(session: Session, region: str | None) -> list[InterventionKind]:
    """The active catalogue kinds, once `region` is known to exist (reports start here)."""
    _check_region(session, region)
    return list_kinds(session, active_only=True)


# ------------------------------------------------------------------------ meeting actions


def _indicator_pct(
    session: Session, code: str, region: str, on: dt.date, year: int | None = None
) -> float | None:
    """Coverage of `code` in `region` over `year` (default: the year of `on`), up to `on`."""
    kind = get_kind(session, code)
    period = Period.year(min(year or on.year, on.year), as_of=on)
    reg = load_register(session, region=region, period=period)
    return (
        coverage(session, kinds=[kind], region=region, period=period, register=reg)
        .rows[0]
        .coverage_pct
    )


def create_action(
    session: Session, data: ActionCreate, *, year: int | None = None
) -> MeetingAction:
    """Record an agreed action; the linked indicator's coverage on the meeting day is kept
    (over `year`, the reporting year the caller chose, by default the meeting's year)."""
    ensure_catalogue(session)
    _check_region(session, data.region_code)
    if data.due_on < data.meeting_on:
        raise InvalidInput("due date is before the meeting date")
    baseline = None
    if data.indicator_code is not None:
        baseline = _indicator_pct(
            session, data.indicator_code, data.region_code, data.meeting_on, year
        )
    action = MeetingAction(
        meeting_on=data.meeting_on,
        title=data.title,
        owner=data.owner,
        region_code=data.region_code,
        due_on=data.due_on,
        indicator_code=data.indicator_code,
        status=str(ActionStatus.open),
        baseline_pct=baseline,
        note=data.note,
    )
    session.add(action)
    session.flush()
    return action


def update_action(
    session: Session,
    action_id: int,
    data: ActionUpdate,
    *,
    today: dt.date | None = None,
) -> MeetingAction:
    action = repo.get_action(session, action_id)
    if action is None:
        raise NotFound(f"no meeting action {action_id}")
    if data.status is not None:
        action.status = str(data.status)
        if (
            data.status == ActionStatus.done
            and data.done_on is None
            and action.done_on is None
        ):
            action.done_on = today or dt.date.today()
    if data.due_on is not None:
        action.due_on = data.due_on
    if data.done_on is not None:
        action.done_on = data.done_on
    if data.note is not None:
        action.note = data.note
    session.flush()
    return action


def is_overdue(action: MeetingAction, today: dt.date) -> bool:
    """Past its due date and neither done nor dropped."""
    return action.status in {"open", "in_progress"} and action.due_on < today


def list_actions(
    session: Session,
    *,
    region: str | None = None,
    today: dt.date | None = None,
    year: int | None = None,
) -> list[ActionRead]:
    """Actions (by due date) with the overdue mark and the indicator's movement since the
    meeting (current coverage over `year`, by default this year)."""
    today = today or dt.date.today()
    out: list[ActionRead] = []
    current: dict[tuple[str, str], float | None] = {}
    for a in repo.list_actions(session, region=region):
        now: float | None = None
        if a.indicator_code is not None:
            key = (a.indicator_code, a.region_code)
            if key not in current:
                current[key] = _indicator_pct(
                    session, a.indicator_code, a.region_code, today, year
                )
            now = current[key]
        movement = (
            round(now - a.baseline_pct, 2)
            if now is not None and a.baseline_pct is not None
            else None
        )
        out.append(
            ActionRead(
                id=a.id,
                meeting_on=a.meeting_on,
                title=a.title,
                owner=a.owner,
                region_code=a.region_code,
                due_on=a.due_on,
                indicator_code=a.indicator_code,
                status=a.status,
                done_on=a.done_on,
                overdue=is_overdue(a, today),
                baseline_pct=a.baseline_pct,
                current_pct=now,
                movement_pts=movement,
                note=a.note,
            )
        )
    return out


def existing_record_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of `keys` are already recorded."""
    return set(repo.records_by_key(session, keys))


# ------------------------------------------------------------------------------ meetings


def create_meeting(session: Session, data: MeetingCreate) -> Meeting:
    """Record a coordination meeting of a region."""
    _check_region(session, data.region_code)
    meeting = Meeting(
        region_code=data.region_code,
        held_on=data.held_on,
        title=data.title,
        note=data.note,
    )
    session.add(meeting)
    session.flush()
    return meeting


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = repo.get_meeting(session, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    return meeting


def list_meetings(
    session: Session, *, region: str | None = None, before: dt.date | None = None
) -> list[Meeting]:
    return repo.list_meetings(session, region=region, before=before)


def add_meeting_action(session: Session, data: MeetingActionCreate) -> MeetingAction:
    """An action agreed at a recorded meeting (its region must lie in the meeting's, or
    contain it; the due date may not precede the meeting)."""
    meeting = get_meeting(session, data.meeting_id)
    _check_region(session, data.region_code)
    a, b = data.region_code, meeting.region_code
    if not (a == b or a.startswith(b + ".") or b.startswith(a + ".")):
        raise InvalidInput(
            f"region {a} is neither within nor around the meeting's region {b}"
        )
    if data.due_on < meeting.held_on:
        raise InvalidInput("due date is before the meeting date")
    action = MeetingAction(
        meeting_id=meeting.id,
        meeting_on=meeting.held_on,
        title=data.title,
        owner=data.owner,
        region_code=data.region_code,
        due_on=data.due_on,
        status=str(ActionStatus.open),
        indicator=data.indicator,
        baseline_value=data.baseline_value,
        baseline_period=data.baseline_period,
        target_value=data.target_value,
        note=data.note,
    )
    session.add(action)
    session.flush()
    return action


def meeting_actions_in(
    session: Session, *, region: str, before: dt.date | None = None
) -> list[tuple[MeetingAction, Meeting]]:
    return repo.meeting_actions_in(session, region=region, before=before)
