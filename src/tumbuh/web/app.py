"""The FastAPI application: server-rendered pages, the REST API under /api/v1, static files."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from sqlalchemy.orm import Session
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from tumbuh.accounts.secret import instance_secret
from tumbuh.config import Settings
from tumbuh.config import get_settings as load_settings
from tumbuh.db.engine import make_engine
from tumbuh.db.session import session_factory
from tumbuh.imports.jobs import JobWorker
from tumbuh.imports.service import serving
from tumbuh.web import cache, errors, insights
from tumbuh.web.api import router as api_router
from tumbuh.web.headers import HeadersMiddleware
from tumbuh.web.pages import router as pages_router
from tumbuh.web.proxy import TrustedProxyMiddleware
from tumbuh.web.static_assets import PlainStatic, VersionedStatic, static_version
from tumbuh.web.templating import templates

STATIC_DIR = Path(__file__).parent / "static"

log = logging.getLogger(__name__)


def _compile_templates() -> None:
    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)  # compiled once here, not on a first view


def _freeze() -> None:
    # The panels are hundreds of thousands of long-lived objects: moved out of the garbage
    # collector's reach, so its full collections stop pausing requests (~0.3 s at 100k).
    gc.collect()
    gc.freeze()


def _preload(app: FastAPI) -> None:
    """At start-up, before requests: the stored panels into memory (seconds; never a
    computation) and the templates compiled."""
    started = time.perf_counter()
    try:
        with app.state.session_factory() as db:
            n = cache.preload(db)
    except Exception:  # e.g. a database without the derived_results table yet
        log.exception("reading the stored panels failed")
        n = 0
    _compile_templates()
    _freeze()
    log.info("%d stored panels read in %.1f s", n, time.perf_counter() - started)


def _refresh(app: FastAPI, db: Session) -> None:
    """The stored panels: recomputed and stored when the data or the code changed, read
    back when current (insights.refresh). Run by the cache's background worker."""
    started = time.perf_counter()
    before = cache.computed_count()
    took = insights.refresh(
        db, welfare_max_decile=app.state.settings.welfare_eligible_max_decile
    )
    if cache.computed_count() != before:
        gc.unfreeze()  # the panels this refresh replaced can be collected again
        _freeze()
    log.info("panels refreshed in %.1f s: %s", time.perf_counter() - started, took)


def _start_import_worker(app: FastAPI) -> JobWorker:
    """The thread that runs the queued imports one at a time (imports.jobs)."""
    from tumbuh.imports.limits import ImportLimits
    from tumbuh.web.pages.imports import after_import

    worker = JobWorker(
        app.state.engine,
        limits=ImportLimits.from_settings(app.state.settings),
        after=after_import,
    )
    app.state.import_worker = worker
    worker.start()
    return worker


def create_app(
    settings: Settings | None = None, *, warm: bool | None = None
) -> FastAPI:
    """Build the app for `settings` (default: get_settings()); one engine per app.

    `warm` (default: outside tests) reads the stored province-wide panels into memory at
    start-up (seconds), recomputes those the data or the code have outdated in a background
    thread, and lets the pages answer with stale panels while that thread recomputes them
    (web/cache.py)."""
    settings = settings or load_settings()
    warm = settings.environment != "test" if warm is None else warm

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Imports beside this server pause between chunks for its logins (imports.service).
        with serving(engine):
            if warm:
                _preload(app)
                # Stale panels are served at once and recomputed by one background worker;
                # what it computed is moved out of the garbage collector's reach after each job.
                cache.enable_background(
                    engine, app.state.session_factory, after_job=gc.freeze
                )
                # What the data or the code outdated, recomputed once in the background.
                cache.refresh_in_background(engine, lambda db: _refresh(app, db))
            worker = _start_import_worker(app) if settings.import_worker else None
            try:
                yield
            finally:
                if worker is not None:
                    worker.stop()
                    app.state.import_worker = None
                cache.disable_background(engine)

    app = FastAPI(
        lifespan=lifespan,
        title="tumbuh",
        summary="Stunting-reduction information system: API for TPPS teams",
        version="0.1.0",
        docs_url=None,  # served below from the vendored Swagger UI (no CDN)
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    engine = make_engine(settings.database_url, settings=settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    # Configured, or this instance's own random secret (never a built-in one).
    app.state.secret_key = instance_secret(settings, engine)
    app.state.import_worker = None  # started with the app (lifespan)
    secure = settings.environment == "production"

    # Security headers, cookies and Server-Timing on every answer (innermost: it sees the
    # CSRF token a page set in request.state).
    app.add_middleware(HeadersMiddleware, secure=secure)
    # Compressed responses (HTML, JSON, CSS, JS: a phone on 1.5 Mbit/s); brotli would need
    # a package not pinned here. Level 6: within ~1 % of level 9's size on these pages, at
    # a fraction of its time on every response.
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)
    # Added last so it runs first: request.session is ready for everything above.
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.secret_key,
        session_cookie="tumbuh_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=secure,
    )
    # Added after the session middleware, so it runs before it: everything downstream
    # sees the real client address and scheme (web/proxy.py).
    app.add_middleware(TrustedProxyMiddleware, trusted=settings.trusted_proxy_networks)
    errors.install(app)
    app.include_router(api_router)
    app.include_router(pages_router)
    # url_for("static", ...) names the versioned, immutable URLs (web/static_assets.py).
    version = static_version(STATIC_DIR)
    app.mount(
        f"/static/v/{version}", VersionedStatic(directory=STATIC_DIR), name="static"
    )
    app.mount("/static", PlainStatic(directory=STATIC_DIR), name="static_plain")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> Response:
        return get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json",
            title="tumbuh API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="data:,",
        )

    return app
