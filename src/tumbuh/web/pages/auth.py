"""Log in, log out, and the home redirect to the user's own region."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tumbuh.accounts import service as accounts
from tumbuh.web.deps import (
    SESSION_ISSUED,
    SESSION_USER,
    DbDep,
    LangDep,
    PageUser,
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
    request.session.clear()
    request.session[SESSION_USER] = outcome.user.id
    request.session[SESSION_ISSUED] = int(time.time())
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
