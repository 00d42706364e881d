"""Accounts: create users, log in with throttling, scope checks on user management, audit log.

Services flush and never commit; the request or CLI command owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tumbuh.accounts import repository
from tumbuh.accounts.models import AuditEvent, AuthSession, LoginAttempt, User
from tumbuh.accounts.roles import Role, policy
from tumbuh.accounts.schemas import UserCreate
from tumbuh.accounts.scope import check_role_region, parse_region_code, require_region
from tumbuh.accounts.security import hash_password, needs_rehash, verify_password
from tumbuh.errors import Conflict, Forbidden, InvalidInput, NotFound, TumbuhError

# Throttling (OWASP Authentication Cheat Sheet: limit failed attempts per account and per
# source, with growing delays rather than a fixed lock-out):
# - per account, from any address: after MAX_FAILURES failures since the last success, each
#   further attempt waits BACKOFF_BASE doubled per extra failure, at most BACKOFF_MAX;
# - per address, for any usernames: MAX_FAILURES_PER_ADDRESS failures in FAILURE_WINDOW
#   (random usernames are throttled too).
# Throttled attempts are not counted, so a wait ends however often someone knocks.
MAX_FAILURES = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ADDRESS = 20
# Login attempts older than this are deleted (they no longer throttle anything).
ATTEMPT_RETENTION = timedelta(days=1)


class TooManyAttempts(TumbuhError):
    code = "too_many_attempts"
    status = 429


class InvalidCredentials(TumbuhError):
    code = "invalid_credentials"
    status = 401


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """The user on success, else the error to show. Attempts are recorded either way,
    so the caller commits before raising `error`."""

    user: User | None
    error: TumbuhError | None


def create_user(
    session: Session, *, username: str, password: str, role: str, region_code: str
) -> User:
    """Create an active user; InvalidInput for bad fields, Conflict for a taken username."""
    try:
        data = UserCreate(
            username=username, password=password, role=role, region_code=region_code
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{field}: {first['msg']}", code="invalid_user") from exc
    code = parse_region_code(data.region_code)
    check_role_region(data.role, code)
    if repository.get_user_by_username(session, data.username) is not None:
        raise Conflict(f"username {data.username!r} is taken", code="username_taken")
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role.value,
        region_code=code,
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"username {data.username!r} is taken", code="username_taken"
        ) from exc
    return user


def _aware(at: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def backoff(failures: int) -> timedelta:
    """The wait after `failures` failed logins of one account (none below MAX_FAILURES)."""
    if failures < MAX_FAILURES:
        return timedelta(0)
    doublings = min(failures - MAX_FAILURES, 12)
    wait: timedelta = BACKOFF_BASE * (1 << doublings)
    return min(wait, BACKOFF_MAX)


def _throttled(
    session: Session, *, username: str, ip: str, now: datetime
) -> TooManyAttempts | None:
    since = now - ATTEMPT_RETENTION
    last_ok = _aware(repository.last_account_success(session, username=username))
    if last_ok is not None:
        since = max(since, last_ok)
    failures, latest = repository.account_failures(
        session, username=username, since=since
    )
    latest = _aware(latest)
    wait = backoff(failures)
    if latest is not None and wait and now < latest + wait:
        left = int((latest + wait - now).total_seconds()) + 1
        return TooManyAttempts(
            f"too many failed logins for this account; try again in {left} seconds"
        )
    from_address = repository.address_failures(
        session, ip=ip, since=now - FAILURE_WINDOW
    )
    if from_address >= MAX_FAILURES_PER_ADDRESS:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        return TooManyAttempts(
            f"too many failed logins from this address; try again in {minutes} minutes"
        )
    return None


def login(
    session: Session,
    *,
    username: str,
    password: str,
    ip: str,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a password, throttled per account (with backoff) and per address."""
    now = now or datetime.now(UTC)
    username = username.strip()[:64]
    ip = ip[:64]
    repository.prune_attempts(session, before=now - ATTEMPT_RETENTION)
    refused = _throttled(session, username=username, ip=ip, now=now)
    if refused is not None:
        return LoginOutcome(None, refused)
    user = repository.get_user_by_username(session, username)
    # Verify against a throwaway hash for unknown users too, so that response time
    # does not reveal which usernames exist.
    stored = user.password_hash if user is not None else _dummy_hash()
    ok = verify_password(stored, password) and user is not None and user.active
    session.add(LoginAttempt(username=username, ip=ip, at=now, success=ok))
    if not ok or user is None:
        session.flush()
        return LoginOutcome(None, InvalidCredentials("wrong username or password"))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    record(
        session,
        actor=user,
        action="login",
        object_type="user",
        object_id=str(user.id),
        ip=ip,
    )
    session.flush()
    return LoginOutcome(user, None)


# ---------------------------------------------------------------------------------------
# Server-side sessions: every page session and API token names one; logout revokes it,
# deactivation and a password change revoke all of the user's.


def _hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(
    session: Session,
    *,
    user: User,
    kind: str,
    max_age_s: int,
    now: datetime | None = None,
) -> str:
    """A new session for `user` ("page" or "token"); returns its id (stored hashed)."""
    now = now or datetime.now(UTC)
    repository.prune_sessions(session, before=now)
    session_id = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            id_hash=_hash_id(session_id),
            user_id=user.id,
            kind=kind,
            created_at=now,
            expires_at=now + timedelta(seconds=max_age_s),
        )
    )
    session.flush()
    return session_id


def session_user(
    session: Session, *, user_id: int, session_id: str, now: datetime | None = None
) -> User | None:
    """The active user of a live (not revoked, not expired) session, else None."""
    now = now or datetime.now(UTC)
    row = repository.get_auth_session(session, _hash_id(session_id))
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    expires = _aware(row.expires_at)
    if expires is None or expires <= now:
        return None
    return get_active_user(session, user_id)


def end_session(session: Session, *, session_id: str) -> None:
    """Revoke one session (logout)."""
    row = repository.get_auth_session(session, _hash_id(session_id))
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()


def end_all_sessions(session: Session, *, user_id: int) -> int:
    """Revoke every session and token of a user; how many were live."""
    return repository.revoke_sessions(session, user_id=user_id, at=datetime.now(UTC))


def change_password(
    session: Session,
    *,
    user: User,
    current: str,
    new: str,
    ip: str | None = None,
) -> None:
    """The user changes their own password (the current one is required); every session
    and token of theirs ends."""
    stored = repository.get_user(session, user.id)
    if stored is None or not verify_password(stored.password_hash, current):
        raise InvalidCredentials("the current password is wrong")
    set_password(session, user=stored, new=new, actor=stored, ip=ip)


def set_password(
    session: Session,
    *,
    user: User,
    new: str,
    actor: User | None = None,
    ip: str | None = None,
) -> None:
    """Set a new password (validated like a new user's) and end all of the user's sessions."""
    try:
        UserCreate(
            username=user.username, password=new, role=user.role, region_code="64"
        )
    except ValidationError as exc:
        bad = [e for e in exc.errors() if e["loc"] and e["loc"][0] == "password"]
        if bad:
            raise InvalidInput(
                f"password: {bad[0]['msg']}", code="invalid_password"
            ) from exc
    user.password_hash = hash_password(new)
    ended = end_all_sessions(session, user_id=user.id)
    record(
        session, actor=actor, action="change", object_type="user",
        object_id=str(user.id), region_code=user.region_code, ip=ip,
        detail=f"password changed; {ended} session(s) ended",
    )  # fmt: skip
    session.flush()


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


def get_active_user(session: Session, user_id: int) -> User | None:
    user = repository.get_user(session, user_id)
    return user if user is not None and user.active else None


def list_users(session: Session, *, actor: User) -> list[User]:
    """Users inside the actor's region (user managers only)."""
    _require_manager(actor)
    return list(session.scalars(repository.users_in_scope(actor.region_code)))


def set_active(
    session: Session, *, actor: User, user_id: int, active: bool, ip: str | None = None
) -> User:
    """Activate or deactivate a user inside the actor's region (never oneself)."""
    _require_manager(actor)
    user = repository.get_user(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    require_region(actor, user.region_code)
    if user.id == actor.id and not active:
        raise InvalidInput(
            "you cannot deactivate your own account", code="self_deactivate"
        )
    user.active = active
    if not active:
        end_all_sessions(session, user_id=user.id)
    record(
        session,
        actor=actor,
        action="change",
        object_type="user",
        object_id=str(user.id),
        region_code=user.region_code,
        ip=ip,
        detail=f"active={active}",
    )
    session.flush()
    return user


def create_user_as(
    session: Session,
    *,
    actor: User,
    username: str,
    password: str,
    role: str,
    region_code: str,
    ip: str | None = None,
) -> User:
    """create_user by a user manager, only inside their region; audited."""
    _require_manager(actor)
    require_region(actor, parse_region_code(region_code))
    user = create_user(
        session,
        username=username,
        password=password,
        role=role,
        region_code=region_code,
    )
    record(
        session,
        actor=actor,
        action="change",
        object_type="user",
        object_id=str(user.id),
        region_code=user.region_code,
        ip=ip,
        detail=f"created {user.username} as {user.role}",
    )
    return user


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: str | None = None,
    region_code: str | None = None,
    ip: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Append one audit event (views, changes and exports of personal data, logins)."""
    event = AuditEvent(
        at=datetime.now(UTC),
        user_id=actor.id if actor is not None else None,
        username=actor.username if actor is not None else "-",
        action=action,
        object_type=object_type,
        object_id=object_id,
        region_code=region_code,
        ip=ip,
        detail=detail[:500] if detail else None,
    )
    session.add(event)
    return event


def list_audit(
    session: Session, *, actor: User, limit: int = 100, offset: int = 0
) -> list[AuditEvent]:
    """Audit events in the actor's region, newest first (audit readers only)."""
    if not policy(actor.role).read_audit:
        raise Forbidden("only administrators read the audit log", code="admin_only")
    stmt = repository.audit_in_scope(actor.region_code).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def _require_manager(actor: User) -> None:
    if not policy(actor.role).manage_users:
        raise Forbidden("only administrators manage users", code="admin_only")


__all__ = [
    "ATTEMPT_RETENTION",
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "FAILURE_WINDOW",
    "MAX_FAILURES",
    "MAX_FAILURES_PER_ADDRESS",
    "InvalidCredentials",
    "LoginOutcome",
    "Role",
    "TooManyAttempts",
    "create_user",
    "all_users",
    "backoff",
    "change_password",
    "end_all_sessions",
    "end_session",
    "session_user",
    "set_password",
    "start_session",
    "create_user_as",
    "get_by_username",
    "get_active_user",
    "list_audit",
    "list_users",
    "login",
    "record",
    "set_active",
]


def get_by_username(session: Session, username: str) -> User | None:
    return repository.get_user_by_username(session, username)


def all_users(session: Session) -> list[User]:
    """Every user, ordered by region and name (for the command line)."""
    return list(session.scalars(repository.all_users()))
