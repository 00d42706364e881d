"""Administration: users of the admin's area and the audit log (both exportable to Excel)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tumbuh.accounts import service as accounts
from tumbuh.accounts.roles import Role
from tumbuh.errors import TumbuhError
from tumbuh.web.deps import DbDep, LangDep, PageNo, PageUser, RecordId, client_ip
from tumbuh.web.export import xlsx_response
from tumbuh.web.i18n import translate
from tumbuh.web.templating import render

router = APIRouter(prefix="/admin")
AUDIT_PAGE_SIZE = 200
XLSX_MAX_ROWS = 1_048_575  # one sheet: Excel's row limit less the header


@router.get("/users")
def users_page(
    request: Request,
    user: PageUser,
    db: DbDep,
    lang: LangDep,
    format: Annotated[str | None, Query(pattern="^(html|xlsx)$")] = None,
    created: str | None = None,
) -> Response:
    users = accounts.list_users(db, actor=user)
    if format == "xlsx":
        accounts.record(
            db, actor=user, action="export", object_type="users",
            region_code=user.region_code, ip=client_ip(request),
        )  # fmt: skip
        return xlsx_response(
            "tumbuh_users",
            "users",
            [
                "username",
                "role",
                "region_code",
                "active",
                "created_at",
                "last_login_at",
            ],
            [
                (
                    u.username,
                    u.role,
                    u.region_code,
                    u.active,
                    u.created_at,
                    u.last_login_at,
                )
                for u in users
            ],
        )
    notice = translate("users.created", lang, username=created) if created else None
    return render(
        request,
        "admin/users.html",
        {
            "users": users,
            "roles": list(Role),
            "notice": notice,
            "error": None,
            "form": {},
        },
        lang=lang,
    )


@router.post("/users")
def users_create(
    request: Request,
    user: PageUser,
    db: DbDep,
    lang: LangDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    region_code: Annotated[str, Form()],
) -> Response:
    try:
        created = accounts.create_user_as(
            db, actor=user, username=username, password=password, role=role,
            region_code=region_code, ip=client_ip(request),
        )  # fmt: skip
    except TumbuhError as exc:
        if exc.status == 403:
            raise
        db.rollback()
        return render(
            request,
            "admin/users.html",
            {
                "users": accounts.list_users(db, actor=user),
                "roles": list(Role),
                "notice": None,
                "error": f"{translate(f'error.{exc.code}', lang)} ({exc.message})",
                "form": {
                    "username": username,
                    "role": role,
                    "region_code": region_code,
                },
            },
            lang=lang,
            status_code=exc.status,
        )
    return RedirectResponse(f"/admin/users?created={created.username}", status_code=303)


@router.post("/users/{user_id}/active")
def users_set_active(
    request: Request,
    user_id: RecordId,
    user: PageUser,
    db: DbDep,
    active: Annotated[bool, Form()],
) -> Response:
    accounts.set_active(
        db, actor=user, user_id=user_id, active=active, ip=client_ip(request)
    )
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit")
def audit_page(
    request: Request,
    user: PageUser,
    db: DbDep,
    lang: LangDep,
    page: PageNo = 1,
    format: Annotated[str | None, Query(pattern="^(html|xlsx)$")] = None,
) -> Response:
    if format == "xlsx":  # the whole log in the user's scope, not one page of it
        events = accounts.list_audit(db, actor=user, limit=XLSX_MAX_ROWS, offset=0)
        accounts.record(
            db, actor=user, action="export", object_type="audit_log",
            region_code=user.region_code, ip=client_ip(request),
            detail=f"{len(events)} events",
        )  # fmt: skip
    else:
        events = accounts.list_audit(
            db, actor=user, limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE
        )
    if format == "xlsx":
        return xlsx_response(
            "tumbuh_audit",
            "audit",
            [
                "at",
                "username",
                "action",
                "object_type",
                "object_id",
                "region_code",
                "ip",
                "detail",
            ],
            [
                (
                    e.at,
                    e.username,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.region_code,
                    e.ip,
                    e.detail,
                )
                for e in events
            ],
        )
    return render(
        request,
        "admin/audit.html",
        {"events": events, "page": page, "has_next": len(events) == AUDIT_PAGE_SIZE},
        lang=lang,
    )
