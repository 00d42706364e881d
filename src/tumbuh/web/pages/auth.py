"""Log in, log out, and the home redirect to the user's own region."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import User
from tumbuh.errors import TumbuhError
from tumbuh.web.deps import (
    SESSION_ID,
    SESSION_ISSUED,
    SESSION_USER,
    DbDep,
    LangDep,
    PageUser,
    SettingsDep,
    client_ip,
)
from tumbuh.web.i18n import translate
from tumbuh.web.pages.village import is_village_home
from tumbuh.web.templating import render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/")
def home(user: PageUser) -> Response:
    if is_village_home(user):  # a village team opens on today's work
        return RedirectResponse("/today", status_code=303)
    return RedirectResponse(f"/regions/{user.region_code}", status_code=303)


@router.get("/login")
def login_form(
    request: Request, lang: LangDep, next: str | None = None, expired: int = 0
) -> Response:
    notice = translate("login.expired", lang) if expired else None
    return render(
        request,
        "auth/login.html",
        {"next": _safe_next(next), "notice": notice, "error": None, "username": ""},
        lang=lang,
    )


@router.post("/login")
def login_submit(
    request: Request,
    db: DbDep,
    lang: LangDep,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    outcome = accounts.login(
        db, username=username, password=password, ip=client_ip(request)
    )
    db.commit()  # keep the attempt (throttling) whatever happens next
    if outcome.user is None:
        assert outcome.error is not None
        return render(
            request,
            "auth/login.html",
            {
                "next": _safe_next(next),
                "notice": None,
                "error": translate(f"error.{outcome.error.code}", lang),
                "username": username,
            },
            lang=lang,
            status_code=outcome.error.status,
        )
    _start(request, db, outcome.user, settings.session_max_age_s)
    return RedirectResponse(_safe_next(next), status_code=303)


def _start(request: Request, db: DbDep, user: User, max_age_s: int) -> None:
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session[SESSION_ISSUED] = int(time.time())
    request.session[SESSION_ID] = accounts.start_session(
        db, user=user, kind="page", max_age_s=max_age_s
    )


@router.post("/logout")
def logout(request: Request, db: DbDep) -> Response:
    """End the session on the server too: a copy of the cookie stops working."""
    sid = request.session.get(SESSION_ID)
    if isinstance(sid, str):
        accounts.end_session(db, session_id=sid)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account/password")
def password_form(request: Request, user: PageUser, lang: LangDep) -> Response:
    return render(
        request, "auth/password.html", {"error": None, "done": False}, lang=lang
    )


@router.post("/account/password")
def password_submit(
    request: Request,
    user: PageUser,
    db: DbDep,
    lang: LangDep,
    settings: SettingsDep,
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    confirm: Annotated[str, Form()],
) -> Response:
    """Change one's own password: every session and token of the user ends, then this
    browser gets a fresh session."""
    error: str | None = None
    status = 200
    if new != confirm:
        error, status = translate("password.mismatch", lang), 422
    else:
        try:
            accounts.change_password(
                db, user=user, current=current, new=new, ip=client_ip(request)
            )
        except TumbuhError as exc:
            error, status = translate(f"error.{exc.code}", lang), exc.status
    if error is None:
        _start(request, db, user, settings.session_max_age_s)
    return render(
        request,
        "auth/password.html",
        {"error": error, "done": error is None},
        lang=lang,
        status_code=status,
    )
