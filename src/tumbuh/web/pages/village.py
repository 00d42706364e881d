"""The village team's day: a task-first home (/today), visits and interventions recorded
from the family and child pages (no NIK typing), the offline queue's idempotent /sync, and
the installable web app's manifest and service worker.

Every route checks the record's desa with ``require_record`` (personal-data roles, inside
the user's area) and audits what it stores."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import User
from tumbuh.accounts.roles import Role, policy
from tumbuh.accounts.scope import require_record, require_region
from tumbuh.errors import Forbidden, InvalidInput, TumbuhError
from tumbuh.interventions import service as interventions
from tumbuh.interventions import visits
from tumbuh.interventions.groups import is_family_group
from tumbuh.interventions.schemas import RecordStatus
from tumbuh.register.master import get_region
from tumbuh.web import cache
from tumbuh.web.deps import DbDep, LangDep, PageUser, RecordId, client_ip
from tumbuh.web.i18n import Lang
from tumbuh.web.pages import village_data
from tumbuh.web.templating import render

router = APIRouter()
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
TODAY_VISITS = 30  # rows on the home screen; the desa page and the PDF have the rest
TODAY_ALERTS = 30
SYNC_MAX = 200  # visits per /sync request


def is_village_home(user: User) -> bool:
    """Does the user open on /today (a village team at a desa)?"""
    return Role(user.role) == Role.village_team and user.region_code.count(".") == 3


# ------------------------------------------------------------------ the home screen


@router.get("/today")
def today_page(request: Request, user: PageUser, db: DbDep, lang: LangDep) -> Response:
    """Today's work for a village team: growth alerts and the visit list of the desa."""
    if not is_village_home(user):
        return RedirectResponse(f"/regions/{user.region_code}", status_code=303)
    code = require_region(user, user.region_code)
    region = get_region(code)
    ip = client_ip(request)
    alerts = village_data.growth_alerts(db, user, code, ip=ip, lang=lang)[:TODAY_ALERTS]
    vl = village_data.visit_list(db, user, code, ip=ip, lang=lang)
    rows = village_data.rows_of(vl) if vl is not None else []
    latest = visits.latest_visits(db, desa_code=code)
    shown, moved = visits.apply_visits(rows, latest)
    shown = shown[:TODAY_VISITS]
    family_ids = [int(r["family_id"]) for r in shown if r.get("family_id")]
    fam = village_data.family_contacts(db, family_ids)
    kids = village_data.child_contacts(db, [a.child_id for a in alerts])
    for r in shown:
        r["contact"] = fam.get(int(r["family_id"])) if r.get("family_id") else None
    return render(
        request,
        "village/today.html",
        {
            "region": region,
            "alerts": [(a, kids.get(a.child_id)) for a in alerts],
            "visit_rows": shown,
            "visits_year": vl.year if vl is not None else None,
            "moved": moved,
            "today": dt.date.today(),
        },
        lang=lang,
    )


# ------------------------------------------------------ forms on family and child pages


def record_context(
    db: Session,
    user: User,
    *,
    family_id: int | None,
    person_ids: list[int],
    child_id: int | None,
    request: Request,
) -> dict[str, Any]:
    """What the family and child pages need for "sudah dikunjungi" and "catat intervensi"."""
    can = policy(user.role).personal_data and Role(user.role) != Role.viewer
    kinds = interventions.list_kinds(db, active_only=True) if can else []
    if child_id is not None:
        kinds = [k for k in kinds if not is_family_group(k.target_group)]
        # A child's own kinds first (infant_*, child_*, wasted_child ...), then the others.
        kinds.sort(
            key=lambda k: (
                "child" not in k.target_group and "infant" not in k.target_group
            )
        )
    return {
        "can_record": can,
        "outcomes": [o.value for o in visits.Outcome],
        "record_kinds": kinds,
        "family_kinds": {k.code for k in kinds if is_family_group(k.target_group)},
        "visits_made": visits.visits_of(db, family_id=family_id, person_ids=person_ids),
        "client_id": str(uuid.uuid4()),
        "today": dt.date.today(),
        "flash": request.query_params.get("saved"),
        "record_child_id": child_id,
        "record_family_id": family_id,
    }


def _back(kind: str, subject_id: int, saved: str) -> RedirectResponse:
    return RedirectResponse(f"/{kind}/{subject_id}?saved={saved}", status_code=303)


def _store_visit(
    request: Request,
    db: Session,
    user: User,
    data: visits.VisitCreate,
    *,
    offline: bool,
) -> visits.VisitResult:
    if not policy(user.role).personal_data:
        raise Forbidden("your role sees aggregate figures only", code="aggregates_only")
    subject = visits.subject_of(db, family_id=data.family_id, person_id=data.person_id)
    require_record(user, subject.desa_code)
    result = visits.record_visit(
        db, data, subject=subject, recorded_by=user.id, offline=offline
    )
    if result.status != "duplicate":
        accounts.record(
            db, actor=user, action="create" if result.status == "created" else "conflict",
            object_type="visit", object_id=str(result.visit.id),
            region_code=subject.desa_code, ip=client_ip(request),
            detail=f"{data.outcome.value} on {data.visited_on}"
            f"{' (offline)' if offline else ''} client_id={data.client_id}",
        )  # fmt: skip
    if result.status == "created":
        cache.clear_cache()
    return result


def _visit_form(
    client_id: str,
    outcome: str,
    visited_on: str,
    note: str,
    *,
    family_id: int | None,
    person_id: int | None,
) -> visits.VisitCreate:
    try:
        return visits.VisitCreate(
            client_id=client_id, family_id=family_id, person_id=person_id,
            visited_on=dt.date.fromisoformat(visited_on), outcome=visits.Outcome(outcome),
            note=note.strip() or None,
        )  # fmt: skip
    except (ValidationError, ValueError) as exc:
        raise InvalidInput(f"visit: {exc}") from None


@router.post("/families/{family_id}/visits")
def family_visit(
    request: Request,
    family_id: RecordId,
    user: PageUser,
    db: DbDep,
    client_id: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    visited_on: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """ "Sudah dikunjungi": one visit to the family (the form's client_id makes it once)."""
    data = _visit_form(
        client_id, outcome, visited_on, note, family_id=family_id, person_id=None
    )
    result = _store_visit(request, db, user, data, offline=False)
    return _back("families", family_id, result.status)


@router.post("/children/{child_id}/visits")
def child_visit(
    request: Request,
    child_id: RecordId,
    user: PageUser,
    db: DbDep,
    client_id: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    visited_on: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    data = _visit_form(
        client_id, outcome, visited_on, note, family_id=None, person_id=child_id
    )
    result = _store_visit(request, db, user, data, offline=False)
    return _back("children", child_id, result.status)


def _quantity(text: str) -> int | None:
    """The form's "how many" (blank: not said); a whole number 0-1000 or ValueError."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 1000:
        raise ValueError(
            f"quantity must be a whole number from 0 to 1000, not {text!r}"
        )
    return int(text)


def _store_intervention(
    request: Request,
    db: Session,
    user: User,
    *,
    subject: visits.SubjectRef,
    kind_code: str,
    given_on: str,
    status: str,
    note: str,
    quantity: str = "",
) -> None:
    if not policy(user.role).personal_data or Role(user.role) == Role.viewer:
        raise Forbidden("your role sees aggregate figures only", code="aggregates_only")
    require_record(user, subject.desa_code)
    try:
        on = dt.date.fromisoformat(given_on)
        state = RecordStatus(status)
        amount = _quantity(quantity)
    except ValueError as exc:
        raise InvalidInput(f"intervention: {exc}") from None
    rec = visits.record_for_subject(
        db, kind_code=kind_code, subject=subject, given_on=on, status=state,
        note=note.strip() or None, quantity=amount,
    )  # fmt: skip
    cache.clear_cache()
    accounts.record(
        db, actor=user, action="create", object_type="intervention", object_id=str(rec.id),
        region_code=subject.desa_code, ip=client_ip(request),
        detail=f"{kind_code} {state.value} on {on}",
    )  # fmt: skip


@router.post("/families/{family_id}/interventions")
def family_intervention(
    request: Request,
    family_id: RecordId,
    user: PageUser,
    db: DbDep,
    kind_code: Annotated[str, Form()],
    given_on: Annotated[str, Form()],
    status: Annotated[str, Form()] = "given",
    person_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
) -> Response:
    """ "Catat intervensi" for the family, or one member chosen from the list."""
    member = int(person_id) if person_id.strip().isdigit() else None
    subject = visits.subject_of(db, family_id=family_id, person_id=member)
    _store_intervention(
        request, db, user, subject=subject, kind_code=kind_code, given_on=given_on,
        status=status, note=note, quantity=quantity,
    )  # fmt: skip
    return _back("families", family_id, "intervention")


@router.post("/children/{child_id}/interventions")
def child_intervention(
    request: Request,
    child_id: RecordId,
    user: PageUser,
    db: DbDep,
    kind_code: Annotated[str, Form()],
    given_on: Annotated[str, Form()],
    status: Annotated[str, Form()] = "given",
    note: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
) -> Response:
    subject = visits.subject_of(db, family_id=None, person_id=child_id)
    _store_intervention(
        request, db, user, subject=subject, kind_code=kind_code, given_on=given_on,
        status=status, note=note, quantity=quantity,
    )  # fmt: skip
    return _back("children", child_id, "intervention")


# ------------------------------------------------------------------ the offline queue


class SyncRequest(BaseModel):
    """Visits queued on a phone while offline."""

    visits: list[dict[str, Any]] = Field(max_length=SYNC_MAX)


def _visit_json(visit: Any, lang: Lang) -> dict[str, Any]:
    return {
        "id": visit.id,
        "client_id": visit.client_id,
        "family_id": visit.family_id,
        "person_id": visit.person_id,
        "visited_on": visit.visited_on.isoformat(),
        "outcome": visit.outcome,
        "note": visit.note,
    }


@router.post("/sync")
async def sync(request: Request, user: PageUser, db: DbDep, lang: LangDep) -> Response:
    """Store the queued visits, each once (client_id): per item `created`, `duplicate`,
    `conflict` (with the stored visit, so the phone shows both) or `error` (with the reason;
    the phone keeps the item). 403 for roles without personal data."""
    if not policy(user.role).personal_data:
        raise Forbidden("your role sees aggregate figures only", code="aggregates_only")
    try:
        body = SyncRequest.model_validate(await request.json())
    except (ValidationError, ValueError) as exc:
        raise InvalidInput(f"sync: {str(exc)[:300]}") from None
    results: list[dict[str, Any]] = []
    for item in body.visits:
        cid = str(item.get("client_id", ""))[:36]
        try:
            data = visits.VisitCreate.model_validate(item)
            with db.begin_nested():
                result = _store_visit(request, db, user, data, offline=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            results.append(
                {
                    "client_id": cid,
                    "status": "error",
                    "error": f"{where}: {first['msg']}",
                }
            )
            continue
        except TumbuhError as exc:
            results.append({"client_id": cid, "status": "error", "error": str(exc)})
            continue
        out: dict[str, Any] = {"client_id": cid, "status": result.status}
        out["stored"] = _visit_json(result.visit, lang)
        results.append(out)
    return JSONResponse({"results": results})


# ------------------------------------------------------------- installable web app


@router.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served from the root so that its scope is the whole app."""
    return FileResponse(
        STATIC_DIR / "js" / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/manifest.webmanifest")
def manifest(lang: LangDep) -> Response:
    return FileResponse(
        STATIC_DIR / "manifest.webmanifest",
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )
