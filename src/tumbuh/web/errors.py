"""One error hierarchy rendered per channel: JSON under /api, an HTML page elsewhere.

`tumbuh.errors.TumbuhError` carries code, message and status. Under /api the body is
{"error": code, "detail": message}; pages show a translated explanation with the same code.
A page that needs a login redirects to /login instead.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tumbuh.accounts import service as accounts
from tumbuh.accounts.personal import PersonalDataRefused
from tumbuh.errors import Forbidden, TumbuhError, Unauthorized
from tumbuh.i18n import error_text
from tumbuh.web.deps import client_ip, get_lang
from tumbuh.web.templating import render

API_PREFIX = "/api/"
log = logging.getLogger(__name__)
_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_input",
}


class ErrorBody(BaseModel):
    """Every API error: a stable code and a sentence for people."""

    error: str = Field(
        description="Stable machine code, e.g. unauthorized, forbidden, not_found, "
        "invalid_input, too_many_attempts"
    )
    detail: str = Field(description="What went wrong, in English")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Documented on every API operation (web/api/__init__.py); 422 replaces FastAPI's default
# validation schema, since our handler answers {error, detail} for it too.
API_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("No valid bearer token (missing, expired, revoked or forged)"),
    403: _error("The user's role or region does not allow this"),
    404: _error("No such record or region"),
    422: _error("Invalid input: the detail names the parameter and the reason"),
    429: _error("Too many failed logins: wait and try again"),
    503: _error("The database is unavailable or busy: try again shortly"),
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def render_error(request: Request, *, code: str, detail: str, status: int) -> Response:
    if _is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            {"error": code, "detail": detail}, status_code=status, headers=headers
        )
    if status == 401 and request.method in ("GET", "HEAD"):
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        suffix = "&expired=1" if code == "session_expired" else ""
        return RedirectResponse(f"/login?next={quote(target)}{suffix}", status_code=303)
    return render(
        request,
        "error.html",
        {"code": code, "detail": detail, "status": status},
        lang=get_lang(request),
        status_code=status,
    )


def _audit_refusal(request: Request, exc: Forbidden) -> None:
    """A logged-in user refused by a route: one audit event, in a session of its own (the
    request's was rolled back). The personal-data gate audits its own refusals."""
    user = getattr(request.state, "user", None)
    if user is None or isinstance(exc, PersonalDataRefused):
        return
    try:
        with request.app.state.session_factory() as db:
            accounts.record(
                db, actor=user, action="refused", object_type="route",
                object_id=f"{request.method} {request.url.path}"[:64],
                region_code=user.region_code, ip=client_ip(request), detail=exc.code,
            )  # fmt: skip
            db.commit()
    except Exception:  # the refusal itself must still be answered
        log.exception("auditing a refusal failed")


async def _tumbuh_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TumbuhError)
    status = 401 if isinstance(exc, Unauthorized) else exc.status
    if isinstance(exc, Forbidden):
        await run_in_threadpool(_audit_refusal, request, exc)
    # The API's detail is English (its contract); a page says it in the reader's language
    # when the error carries a catalogue key.
    detail = exc.message if _is_api(request) else error_text(exc, get_lang(request))
    return render_error(request, code=exc.code, detail=detail, status=status)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    errors = exc.errors()
    region_only = bool(errors) and all(
        e.get("type") == "string_pattern_mismatch"
        and tuple(e.get("loc", ()))[-1:] in (("code",), ("region",))
        for e in errors
    )
    code = "invalid_region_code" if region_only else "invalid_input"
    return render_error(request, code=code, detail="; ".join(parts), status=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    response = render_error(
        request, code=code, detail=str(exc.detail), status=exc.status_code
    )
    if exc.headers and _is_api(request):
        response.headers.update(exc.headers)
    return response


async def _database_error(request: Request, exc: Exception) -> Response:
    # An unreachable or locked database is a temporary condition (503), not a crash.
    log.warning(
        "database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc
    )
    response = render_error(
        request,
        code="database_unavailable",
        detail="the database is unavailable or busy; try again shortly",
        status=503,
    )
    response.headers["Retry-After"] = "5"
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(TumbuhError, _tumbuh_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
