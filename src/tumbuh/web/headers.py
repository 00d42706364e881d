"""Response headers of every answer: security headers, the CSRF and language cookies, and
the server time (W3C Server-Timing).

A plain ASGI middleware (not Starlette's BaseHTTPMiddleware, which runs the app in a task of
its own and streams the body through a memory channel: measurable on every request under
load): it only rewrites the `http.response.start` message.
"""

from __future__ import annotations

import time

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tumbuh.web.csrf import COOKIE as CSRF_COOKIE
from tumbuh.web.i18n import LANGUAGES

LANG_COOKIE_MAX_AGE_S = 365 * 24 * 3600

# No CDN and no inline scripts: page data travels in <script type="application/json">.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)

# Behind HTTPS (directly or as told by a trusted proxy): browsers use HTTPS only, 1 year.
HSTS = "max-age=31536000; includeSubDomains"


def _cookie_headers(secure: bool, key: str, value: str, **options: object) -> list[str]:
    """The Set-Cookie header(s) Starlette writes for one cookie."""
    response = Response()
    response.set_cookie(key, value, secure=secure, **options)  # type: ignore[arg-type]
    return [v.decode("latin-1") for k, v in response.raw_headers if k == b"set-cookie"]


class HeadersMiddleware:
    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, object] = scope.setdefault("state", {})
        conn = HTTPConnection(scope)
        path: str = scope["path"]

        async def send_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(message, conn, state, path, started)
            await send(message)

        await self.app(scope, receive, send_headers)

    def _add(
        self,
        message: Message,
        conn: HTTPConnection,
        state: dict[str, object],
        path: str,
        started: float,
    ) -> None:
        headers = MutableHeaders(scope=message)
        # Server-side time, read by bench/web.py and browser dev tools.
        elapsed_ms = (time.perf_counter() - started) * 1000
        headers["Server-Timing"] = f"app;dur={elapsed_ms:.1f}"
        token = state.get("csrf_token")
        if isinstance(token, str) and conn.cookies.get(CSRF_COOKIE) != token:
            for value in _cookie_headers(
                self.secure, CSRF_COOKIE, token, httponly=True, samesite="strict"
            ):
                headers.append("set-cookie", value)
        lang = conn.query_params.get("lang")
        if lang in LANGUAGES and conn.cookies.get("lang") != lang:
            for value in _cookie_headers(
                self.secure, "lang", lang, max_age=LANG_COOKIE_MAX_AGE_S, samesite="lax"
            ):
                headers.append("set-cookie", value)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if not path.startswith("/static/"):
            # Pages and API answers carry personal data or depend on the user: never
            # kept by a browser or a shared cache.
            headers.setdefault("Cache-Control", "no-store")
        if conn.url.scheme == "https":
            headers.setdefault("Strict-Transport-Security", HSTS)
        if not path.startswith("/api/docs"):
            headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
