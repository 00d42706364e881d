"""Accounts: create users, log in with throttling, scope checks on user management, audit log.

Services flush and never commit; the request or CLI command owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tumbuh.accounts import repository
from tumbuh.accounts.models import AuditEvent, LoginAttempt, User
from tumbuh.accounts.roles import Role, policy
from tumbuh.accounts.schemas import UserCreate
from tumbuh.accounts.scope import check_role_region, parse_region_code, require_region
from tumbuh.accounts.security import hash_password, needs_rehash, verify_password
from tumbuh.errors import Conflict, Forbidden, InvalidInput, NotFound, TumbuhError

# Throttling: at most this many failed logins per username+ip inside the window
# (OWASP Authentication Cheat Sheet: limit failed attempts per account and source).
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


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


def login(
    session: Session,
    *,
    username: str,
    password: str,
    ip: str,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a password with throttling (MAX_FAILURES per username+ip per FAILURE_WINDOW)."""
    now = now or datetime.now(UTC)
    username = username.strip()
    since = now - FAILURE_WINDOW
    last_ok = repository.last_success_at(session, username=username, ip=ip)
    if last_ok is not None:
        last_ok = last_ok if last_ok.tzinfo else last_ok.replace(tzinfo=UTC)
        since = max(since, last_ok)
    failures = repository.count_recent_failures(
        session, username=username, ip=ip, since=since
    )
    if failures >= MAX_FAILURES:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        return LoginOutcome(
            None,
            TooManyAttempts(f"too many failed logins; try again in {minutes} minutes"),
        )
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
    "FAILURE_WINDOW",
    "MAX_FAILURES",
    "InvalidCredentials",
    "LoginOutcome",
    "Role",
    "TooManyAttempts",
    "create_user",
    "all_users",
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
