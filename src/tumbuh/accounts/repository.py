"""Every accounts query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from tumbuh.accounts.models import AuditEvent, InstanceSecret, LoginAttempt, User


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
