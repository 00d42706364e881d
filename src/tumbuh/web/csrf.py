"""CSRF protection for every form POST: the double-submit token.

A random token lives in a cookie (SameSite=Lax, HttpOnly) and is echoed by every form in a
hidden `csrf_token` field; unsafe requests to pages must carry both, and they must match.
A cross-site attacker can make the browser send the cookie but cannot read it to fill the field.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from tumbuh.errors import Forbidden

COOKIE = "tumbuh_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def csrf_token(request: Request) -> str:
    """The request's token: the cookie's, or a new one that the middleware will set."""
    token = getattr(request.state, "csrf_token", None)
    if isinstance(token, str):
        return token
    cookie = request.cookies.get(COOKIE)
    token = cookie if cookie and len(cookie) >= 32 else secrets.token_urlsafe(32)
    request.state.csrf_token = token
    return token


async def csrf_protect(request: Request) -> None:
    """Router dependency for pages: refuse an unsafe request whose form token does not match."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(COOKIE)
    sent = request.headers.get(HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
