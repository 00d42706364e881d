"""Request dependencies: settings, the database session (the request owns the transaction),
the language, and the current user for pages (session cookie) and for the API (bearer token)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import User
from tumbuh.accounts.personal import PersonalDataRefused
from tumbuh.accounts.security import read_token
from tumbuh.config import Settings
from tumbuh.db.session import one_writer
from tumbuh.errors import Unauthorized
from tumbuh.web.i18n import Lang, pick_language

SESSION_USER = "uid"
SESSION_ISSUED = "iat"
SESSION_ID = "sid"  # the server-side session (accounts.AuthSession), revocable

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class LoginRequired(Unauthorized):
    """No (valid) session on a page: the HTML renderer redirects to the login page."""

    code = "unauthorized"


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def signing_secret(request: Request) -> str:
    """The secret that signs cookies and tokens (configured or the instance's own)."""
    secret: str = request.app.state.secret_key
    return secret


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: commit when the route succeeds, roll back when it raises.

    Used as `DB` (scope "function"): the commit happens before the response is sent, so the
    page a redirect leads to sees what the POST wrote (a new login's session included)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
        _commit(session)
    except PersonalDataRefused:
        _commit(session)  # the audited refusal (accounts.personal) outlives the 403
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:  # e.g. an audit record
        with one_writer(session):
            session.commit()
    else:
        session.commit()


# One Depends object for every route: the session ends (commit or rollback) before the
# response is sent, not after (FastAPI's default "request" scope).
DB = Depends(get_db, scope="function")


def get_lang(request: Request) -> Lang:
    settings = get_settings(request)
    return pick_language(
        request.query_params.get("lang"), request.cookies.get("lang"), settings.language
    )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def page_user(request: Request, db: Annotated[Session, DB]) -> User:
    """The logged-in user of a page; LoginRequired when the session is missing, expired or stale."""
    settings = get_settings(request)
    uid = request.session.get(SESSION_USER)
    issued = request.session.get(SESSION_ISSUED)
    sid = request.session.get(SESSION_ID)
    if (
        not isinstance(uid, int)
        or not isinstance(issued, int | float)
        or not isinstance(sid, str)
    ):
        raise LoginRequired("please log in")
    # The cookie itself expires after max_age of inactivity (SessionMiddleware);
    # this also bounds a session's total life, however active it stays.
    if time.time() - issued > settings.session_max_age_s:
        request.session.clear()
        raise LoginRequired("session expired", code="session_expired")
    user = accounts.session_user(db, user_id=uid, session_id=sid)
    if user is None:  # logged out, revoked, deactivated or a changed password
        request.session.clear()
        raise LoginRequired("please log in")
    request.state.session_id = sid
    return _remember(request, db, user)


def api_user(
    request: Request,
    db: Annotated[Session, DB],
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    """The user named by the bearer token; Unauthorized (401) without a valid token."""
    if not token:
        raise Unauthorized("missing bearer token", code="unauthorized")
    settings = get_settings(request)
    uid, sid = read_token(
        signing_secret(request), token, max_age_s=settings.session_max_age_s
    )
    user = accounts.session_user(db, user_id=uid, session_id=sid)
    if user is None:
        raise Unauthorized("revoked token or inactive user", code="unauthorized")
    request.state.session_id = sid
    return _remember(request, db, user)


def _remember(request: Request, db: Session, user: User) -> User:
    """Detach the user, so that it stays readable (error pages, audit) after a rollback."""
    db.expunge(user)
    request.state.user = user
    return user


# Ids and paging are bounded before they reach the database: PostgreSQL's INTEGER (the
# type of every id) stops at 2**31 - 1 and SQLite's at 2**63 - 1; beyond, a driver error
# would answer 500. Out of range is invalid input (422).
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
RecordId = Annotated[
    int, PathParam(ge=1, le=MAX_ID, description="Record id (1 to 2^31 - 1)")
]
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1")]
YearQuery = Annotated[
    int | None, Query(ge=1900, le=2100, description="Calendar year (default: latest)")
]

# A Kemendagri region code, declared in the schema (so clients and schemathesis know it).
REGION_CODE_PATTERN = r"^\s*\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?\s*$"
RegionCodePath = Annotated[
    str,
    PathParam(pattern=REGION_CODE_PATTERN, description="Kemendagri code, e.g. 64.71"),
]
RegionCodeQuery = Annotated[
    str,
    Query(pattern=REGION_CODE_PATTERN, description="Kemendagri code, e.g. 64.71.01"),
]


# Dependencies that only read the request are async: they run on the event loop, where a
# plain function would cost a round trip through the thread pool on every request.
async def _settings(request: Request) -> Settings:
    return get_settings(request)


async def _engine(request: Request) -> Engine:
    return get_engine(request)


async def _lang(request: Request) -> Lang:
    return get_lang(request)


SettingsDep = Annotated[Settings, Depends(_settings)]
DbDep = Annotated[Session, DB]
EngineDep = Annotated[Engine, Depends(_engine)]
LangDep = Annotated[Lang, Depends(_lang)]
PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]
