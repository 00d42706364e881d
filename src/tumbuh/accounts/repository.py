"""Every accounts query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from tumbuh.accounts.models import (
    AuditEvent,
    AuthSession,
    InstanceSecret,
    LoginAttempt,
    User,
)


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def users_in_scope(scope: str) -> Select[User]:
    return (
        select(User)
        .where(or_(User.region_code == scope, User.region_code.like(scope + ".%")))
        .order_by(User.region_code, User.username)
    )


def all_users() -> Select[User]:
    return select(User).order_by(User.region_code, User.username)


def count_recent_failures(
    session: Session, *, username: str, ip: str, since: datetime
) -> int:
    stmt = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.username == username,
        LoginAttempt.ip == ip,
        LoginAttempt.success.is_(False),
        LoginAttempt.at >= since,
    )
    return int(session.scalar(stmt) or 0)


def last_success_at(session: Session, *, username: str, ip: str) -> datetime | None:
    stmt = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username,
        LoginAttempt.ip == ip,
        LoginAttempt.success.is_(True),
    )
    return session.scalar(stmt)


def audit_in_scope(scope: str) -> Select[AuditEvent]:
    """Events about regions inside `scope`, plus events with no region when scope is a province."""
    cond = or_(
        AuditEvent.region_code == scope, AuditEvent.region_code.like(scope + ".%")
    )
    if "." not in scope:
        cond = or_(cond, AuditEvent.region_code.is_(None))
    return (
        select(AuditEvent)
        .where(cond)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


def get_instance_secret(session: Session, name: str) -> str | None:
    return session.scalar(
        select(InstanceSecret.value).where(InstanceSecret.name == name)
    )


def account_failures(
    session: Session, *, username: str, since: datetime
) -> tuple[int, datetime | None]:
    """(count, latest time) of failed logins for `username` from any address since `since`."""
    stmt = select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username,
        LoginAttempt.success.is_(False),
        LoginAttempt.at >= since,
    )
    count, latest = session.execute(stmt).one()
    return int(count or 0), latest


def last_account_success(session: Session, *, username: str) -> datetime | None:
    stmt = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(True)
    )
    return session.scalar(stmt)


def address_failures(session: Session, *, ip: str, since: datetime) -> int:
    """Failed logins from `ip` for any username since `since`."""
    stmt = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.ip == ip,
        LoginAttempt.at >= since,
        LoginAttempt.success.is_(False),
    )
    return int(session.scalar(stmt) or 0)


def prune_attempts(session: Session, *, before: datetime) -> int:
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def get_auth_session(session: Session, id_hash: str) -> AuthSession | None:
    return session.get(AuthSession, id_hash)


def revoke_sessions(session: Session, *, user_id: int, at: datetime) -> int:
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def prune_sessions(session: Session, *, before: datetime) -> int:
    result = session.execute(delete(AuthSession).where(AuthSession.expires_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
