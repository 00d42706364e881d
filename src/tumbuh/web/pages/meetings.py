"""The meeting page (meetings of a region, actions with indicator names, no codes to type)
and the "Unduh bahan rapat" download: the same pack files as `tumbuh report rakor`."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tumbuh.accounts import service as accounts
from tumbuh.accounts.roles import Role, policy
from tumbuh.accounts.scope import require_region
from tumbuh.errors import Forbidden, InvalidInput, NotFound
from tumbuh.interventions import service as interventions
from tumbuh.register.master import children_of, get_region
from tumbuh.reports.catalogue import CATALOGUE
from tumbuh.reports.rakor import meetings
from tumbuh.web.deps import DbDep, LangDep, PageUser, RecordId, SettingsDep, client_ip
from tumbuh.web.export import XLSX_MEDIA_TYPE
from tumbuh.web.templating import render

router = APIRouter()

MEDIA = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": XLSX_MEDIA_TYPE,
}
# Offices that answer for actions (Perpres 72/2021 TPPS members; the catalogue's sectors).
OFFICES = ("Bappeda", "Dinkes", "DPPKB", "Dinsos", "PUPR/Perkim", "DPMD", "Disdik",
           "Kemenag", "BPJS", "Diskominfo")  # fmt: skip


@router.get("/regions/{code}/rakor.{ext}")
def rakor_download(
    request: Request,
    code: str,
    ext: str,
    user: PageUser,
    db: DbDep,
    lang: LangDep,
    settings: SettingsDep,
    period: Annotated[str | None, Query(max_length=7)] = None,
    audience: Annotated[str, Query(pattern="^(public|restricted)$")] = "public",
) -> Response:
    """One file of the meeting pack (public unless a role with personal data asks for the
    restricted one, which is audited)."""
    from tumbuh.reports.rakor.build import build_pack
    from tumbuh.reports.rakor.render import write_pdf, write_pptx, write_xlsx

    if ext not in MEDIA:
        raise NotFound(f"no meeting pack as .{ext}")
    clean = require_region(user, code)
    if audience == "restricted":
        if not policy(user.role).personal_data:
            raise Forbidden(
                "your role may not see the restricted annex", code="forbidden"
            )
        accounts.record(
            db, actor=user, action="export", object_type="rakor_annex",
            region_code=clean, ip=client_ip(request), detail=f"rakor {ext}",
        )  # fmt: skip
    pack = build_pack(
        db,
        region=clean,
        period=period or None,
        lang=lang,
        audience=audience,
        threshold=settings.small_cell_threshold,
        welfare_max_decile=settings.welfare_eligible_max_decile,
        parallel=True,
    )
    writer = {"pdf": write_pdf, "pptx": write_pptx, "xlsx": write_xlsx}[ext]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{pack.stem}.{ext}"
        writer(pack, path)
        body = path.read_bytes()
    return Response(
        body,
        media_type=MEDIA[ext],
        headers={"Content-Disposition": f'attachment; filename="{pack.stem}.{ext}"'},
    )


def _may_edit(user: object) -> None:
    if Role(getattr(user, "role", "viewer")) == Role.viewer:
        raise Forbidden("viewers cannot record meetings", code="forbidden")


def _regions_for(scope: str) -> list[tuple[str, str]]:
    """The region picker: the scope itself, then its regions one and two levels down."""
    top = get_region(scope)
    out = [(top.code, top.name)]
    for child in children_of(scope):
        out.append((child.code, child.name))
        if top.level == 1:
            continue
        out += [(g.code, f"· {g.name}") for g in children_of(child.code)]
    return out


@router.get("/meetings")
def meetings_page(
    request: Request,
    user: PageUser,
    db: DbDep,
    lang: LangDep,
    region: str | None = None,
) -> Response:
    scope = require_region(user, region or user.region_code)
    listed = interventions.list_meetings(db, region=scope)
    actions: dict[int, list[object]] = {}
    for action, meeting in interventions.meeting_actions_in(db, region=scope[:2]):
        actions.setdefault(meeting.id, []).append(action)
    indicators = [c for c in CATALOGUE if not c.not_computed]
    return render(
        request,
        "meetings/meetings.html",
        {
            "scope": scope,
            "meetings": listed,
            "actions": actions,
            "regions": _regions_for(scope),
            "indicators": indicators,
            "names": {
                c.code: (c.name_en if lang == "en" else c.name_id) for c in indicators
            },
            "offices": OFFICES,
            "can_edit": Role(user.role) != Role.viewer,
            "today": dt.date.today(),
        },
        lang=lang,
    )


@router.post("/meetings")
def create_meeting(
    request: Request,
    user: PageUser,
    db: DbDep,
    region_code: Annotated[str, Form()],
    held_on: Annotated[dt.date, Form()],
    title: Annotated[str, Form()],
) -> Response:
    _may_edit(user)
    code = require_region(user, region_code)
    if not title.strip():
        raise InvalidInput("title: a meeting needs a title")
    meeting = meetings.create_meeting(
        db, region=code, held_on=held_on, title=title.strip()
    )
    accounts.record(
        db, actor=user, action="create", object_type="meeting",
        object_id=str(meeting.id), region_code=code, ip=client_ip(request),
    )  # fmt: skip
    return RedirectResponse(f"/meetings?region={code}", status_code=303)


@router.post("/meetings/{meeting_id}/actions")
def add_action(
    request: Request,
    meeting_id: RecordId,
    user: PageUser,
    db: DbDep,
    title: Annotated[str, Form()],
    owner: Annotated[str, Form()],
    region_code: Annotated[str, Form()],
    due_on: Annotated[dt.date, Form()],
    indicator: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
) -> Response:
    _may_edit(user)
    meeting = interventions.get_meeting(db, meeting_id)
    require_region(user, meeting.region_code)
    code = require_region(user, region_code)
    try:
        goal = float(target.replace(",", ".")) if target.strip() else None
    except ValueError:
        raise InvalidInput(f"target: {target!r} is not a number") from None
    action = meetings.add_action(
        db, meeting_id=meeting_id, title=title.strip(), owner=owner.strip(),
        region=code, due_on=due_on, indicator=indicator or None, target=goal,
    )  # fmt: skip
    accounts.record(
        db, actor=user, action="create", object_type="meeting_action",
        object_id=str(action.id), region_code=code, ip=client_ip(request),
    )  # fmt: skip
    return RedirectResponse(f"/meetings?region={meeting.region_code}", status_code=303)
