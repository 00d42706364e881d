"""Interventions (catalogue; an administrator edits it; recording one intervention for a
person or a family) and coordination-meeting actions (list, add, update status)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import User
from tumbuh.accounts.roles import Role, policy
from tumbuh.accounts.scope import require_record, require_region
from tumbuh.errors import Forbidden, InvalidInput, NotFound
from tumbuh.interventions import read as interventions_read
from tumbuh.interventions import service as interventions
from tumbuh.interventions.schemas import (
    ActionCreate,
    ActionStatus,
    ActionUpdate,
    InterventionCreate,
    KindUpdate,
    RecordStatus,
)
from tumbuh.reports.periods import COVERAGE_SOURCES, resolve_year
from tumbuh.web import cache
from tumbuh.web.deps import DbDep, LangDep, PageUser, RecordId, client_ip
from tumbuh.web.export import xlsx_response
from tumbuh.web.templating import render

router = APIRouter()


def _invalid(exc: ValidationError) -> InvalidInput:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return InvalidInput(f"{where}: {first.get('msg')}")


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


@router.get("/interventions")
def catalogue_page(
    request: Request,
    user: PageUser,
    db: DbDep,
    lang: LangDep,
    format: str | None = None,
) -> Response:
    kinds = interventions.list_kinds(db)
    if format == "xlsx":
        return xlsx_response(
            "tumbuh_katalog_intervensi",
            "katalog",
            ["kode", "nama", "jenis", "sasaran", "sektor", "indikator", "target_pct",
             "tahun_target", "aktif"],
            [(k.code, k.name_id, k.kind, k.target_group, k.sector, k.indicator,
              k.target_pct, k.target_year, k.active) for k in kinds],
        )  # fmt: skip
    return render(
        request,
        "interventions/catalogue.html",
        {
            "kinds": kinds,
            "can_edit": policy(user.role).manage_users,
            "can_record": policy(user.role).personal_data,
            "statuses": [s.value for s in RecordStatus],
            "saved": request.query_params.get("saved") == "1",
            "today": dt.date.today(),
        },
        lang=lang,
    )


@router.post("/interventions/kinds/{code}")
def edit_kind(
    request: Request,
    code: str,
    user: PageUser,
    db: DbDep,
    name_id: Annotated[str, Form()],
    name_en: Annotated[str, Form()],
    sector: Annotated[str, Form()],
    target_pct: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
) -> Response:
    """An administrator changes a catalogue row (names, sector, target, active)."""
    if not policy(user.role).manage_users:
        raise Forbidden("only an administrator edits the catalogue", code="admin_only")
    try:
        data = KindUpdate(
            name_id=name_id.strip(),
            name_en=name_en.strip(),
            sector=sector.strip(),
            target_pct=float(target_pct.replace(",", "."))
            if target_pct.strip()
            else None,
            clear_target=not target_pct.strip(),
            active=active == "on",
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    except ValueError:
        raise InvalidInput(f"target_pct: {target_pct!r} is not a number") from None
    interventions.update_kind(db, code, data)
    cache.clear_cache()
    accounts.record(
        db, actor=user, action="update", object_type="intervention_kind", object_id=code,
        region_code=user.region_code, ip=client_ip(request),
    )  # fmt: skip
    return RedirectResponse("/interventions", status_code=303)


@router.post("/interventions/records")
def record_intervention(
    request: Request,
    user: PageUser,
    db: DbDep,
    kind_code: Annotated[str, Form()],
    given_on: Annotated[dt.date, Form()],
    nik: Annotated[str, Form()] = "",
    no_kk: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "given",
    unit: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
) -> Response:
    """Record one intervention for a person (NIK) or a family (No KK) inside the user's area."""
    if not policy(user.role).personal_data:
        raise Forbidden("your role sees aggregate figures only", code="aggregates_only")
    try:
        data = InterventionCreate(
            kind_code=kind_code, nik=_blank(nik), no_kk=_blank(no_kk), given_on=given_on,
            status=RecordStatus(status), unit=_blank(unit), note=_blank(note),
            quantity=_blank(quantity),
        )  # fmt: skip
    except ValidationError as exc:
        raise _invalid(exc) from None
    except ValueError:
        raise InvalidInput(
            f"status: {status!r} is not one of planned/given/verified"
        ) from None
    kind = interventions.get_kind(db, data.kind_code)
    try:
        _, _, desa = interventions.resolve_subject(
            db, kind, nik=data.nik, no_kk=data.no_kk
        )
        require_record(user, desa)
    except (NotFound, Forbidden):
        # "Not registered" and "registered outside your area" answer alike: a lookup
        # must not tell whether (or where) a NIK / No KK exists elsewhere. Audited.
        accounts.record(
            db, actor=user, action="refused", object_type="intervention_subject",
            region_code=user.region_code, ip=client_ip(request),
            detail="NIK/No KK not registered in the user's area",
        )  # fmt: skip
        db.commit()
        raise NotFound(
            "no person or family with this NIK / No KK in your area",
            code="not_in_your_area",
        ) from None
    rec = interventions.record(db, data)
    cache.clear_cache()
    accounts.record(
        db, actor=user, action="create", object_type="intervention", object_id=str(rec.id),
        region_code=desa, ip=client_ip(request),
    )  # fmt: skip
    return RedirectResponse("/interventions?saved=1", status_code=303)


# ------------------------------------------------------------------ meeting actions


def _may_edit_actions(user: User) -> None:
    if Role(user.role) == Role.viewer:
        raise Forbidden("viewers cannot change meeting actions", code="forbidden")


@router.get("/actions")
def actions_page(
    request: Request,
    user: PageUser,
    db: DbDep,
    lang: LangDep,
    region: str | None = None,
    format: str | None = None,
) -> Response:
    scope = require_region(user, region or user.region_code)
    rows = interventions.list_actions(
        db, region=scope, year=resolve_year(db, None, sources=COVERAGE_SOURCES)[0]
    )
    if format == "xlsx":
        return xlsx_response(
            f"tumbuh_tindak_lanjut_{scope}",
            "tindak lanjut",
            ["id", "tanggal_rapat", "tindakan", "penanggung_jawab", "wilayah", "batas_waktu",
             "status", "terlambat", "indikator", "awal_pct", "kini_pct", "perubahan_poin"],
            [(a.id, a.meeting_on, a.title, a.owner, a.region_code, a.due_on, a.status,
              a.overdue, a.indicator_code, a.baseline_pct, a.current_pct, a.movement_pts)
             for a in rows],
        )  # fmt: skip
    return render(
        request,
        "interventions/actions.html",
        {
            "actions": rows,
            "scope": scope,
            "kinds": interventions.list_kinds(db, active_only=True),
            "statuses": [s.value for s in ActionStatus],
            "can_edit": Role(user.role) != Role.viewer,
            "today": dt.date.today(),
        },
        lang=lang,
    )


@router.post("/actions")
def add_action(
    request: Request,
    user: PageUser,
    db: DbDep,
    meeting_on: Annotated[dt.date, Form()],
    title: Annotated[str, Form()],
    owner: Annotated[str, Form()],
    region_code: Annotated[str, Form()],
    due_on: Annotated[dt.date, Form()],
    indicator_code: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    _may_edit_actions(user)
    code = require_region(user, region_code)
    try:
        data = ActionCreate(
            meeting_on=meeting_on, title=title.strip(), owner=owner.strip(),
            region_code=code, due_on=due_on, indicator_code=_blank(indicator_code),
            note=_blank(note),
        )  # fmt: skip
    except ValidationError as exc:
        raise _invalid(exc) from None
    action = interventions.create_action(
        db, data, year=resolve_year(db, None, sources=COVERAGE_SOURCES)[0]
    )
    accounts.record(
        db, actor=user, action="create", object_type="meeting_action",
        object_id=str(action.id), region_code=code, ip=client_ip(request),
    )  # fmt: skip
    return RedirectResponse(f"/actions?region={code}", status_code=303)


@router.post("/actions/{action_id}")
def update_action(
    request: Request,
    action_id: RecordId,
    user: PageUser,
    db: DbDep,
    status: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    _may_edit_actions(user)
    region = interventions_read.action_region(db, action_id)
    if region is None:
        raise NotFound(f"no meeting action {action_id}")
    require_region(user, region)
    try:
        data = ActionUpdate(status=ActionStatus(status), note=_blank(note))
    except ValueError:
        raise InvalidInput(
            f"status: {status!r} is not one of open/in_progress/done/dropped"
        ) from None
    interventions.update_action(db, action_id, data)
    accounts.record(
        db, actor=user, action="update", object_type="meeting_action",
        object_id=str(action_id), region_code=region,
        ip=client_ip(request),
    )  # fmt: skip
    return RedirectResponse(f"/actions?region={user.region_code}", status_code=303)
