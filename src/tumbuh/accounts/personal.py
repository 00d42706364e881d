"""One gate for personal data: a child or a family is read through here, never directly.

Each read (1) checks the role may see individual people at all, before anything is read;
(2) checks the record lies inside the user's area; (3) writes an audit event, for a view
and for a refusal alike; (4) masks the NIK / No KK as the role may see them. A refusal never
names where the record is (the region of a record outside the area is not the user's to
know). Refusals are flushed with the session: the caller commits before raising them
(web/api/register.py), so that the audit survives the error response.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.orm import Session

from tumbuh.accounts.models import User
from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import in_scope, mask_nik
from tumbuh.accounts.service import record
from tumbuh.errors import Forbidden
from tumbuh.register import read as register_read
from tumbuh.register.read import ChildDetail, ChildRow, FamilyDetail


class PersonalDataRefused(Forbidden):
    """A refused read of personal data (already audited)."""


def _refuse(
    session: Session,
    *,
    user: User,
    kind: str,
    object_id: str,
    ip: str | None,
    error: PersonalDataRefused,
) -> PersonalDataRefused:
    record(
        session, actor=user, action="refused", object_type=kind, object_id=object_id,
        region_code=user.region_code, ip=ip, detail=error.code,
    )  # fmt: skip
    session.flush()
    return error


def _check_role(
    session: Session, user: User, kind: str, oid: str, ip: str | None
) -> None:
    if not policy(user.role).personal_data:
        raise _refuse(
            session, user=user, kind=kind, object_id=oid, ip=ip,
            error=PersonalDataRefused(
                "your role sees aggregate figures only", code="aggregates_only"
            ),
        )  # fmt: skip


def _check_area(
    session: Session,
    user: User,
    kind: str,
    oid: str,
    region: str | None,
    ip: str | None,
) -> None:
    # A record with no known region is visible to province-wide users only.
    inside = in_scope(user, region) if region else "." not in user.region_code
    if not inside:
        raise _refuse(
            session, user=user, kind=kind, object_id=oid, ip=ip,
            error=PersonalDataRefused(
                f"this {kind} is outside your area ({user.region_code})",
                code="outside_region",
            ),
        )  # fmt: skip


def child(
    session: Session, *, user: User, child_id: int, ip: str | None = None
) -> ChildDetail:
    """One child with measurements: scoped, audited, NIK masked for the role."""
    oid = str(child_id)
    _check_role(session, user, "child", oid, ip)
    detail = register_read.get_child(session, child_id)
    _check_area(session, user, "child", oid, detail.child.desa_code, ip)
    record(
        session, actor=user, action="view", object_type="child", object_id=oid,
        region_code=detail.child.desa_code, ip=ip,
    )  # fmt: skip
    masked = replace(detail.child, nik=mask_nik(detail.child.nik, role=user.role))
    return replace(detail, child=masked)


def family(
    session: Session, *, user: User, family_id: int, ip: str | None = None
) -> FamilyDetail:
    """One family (Kartu Keluarga) with its members: scoped, audited, NIK/No KK masked."""
    oid = str(family_id)
    _check_role(session, user, "family", oid, ip)
    detail = register_read.get_family(session, family_id)
    _check_area(session, user, "family", oid, detail.desa_code, ip)
    record(
        session, actor=user, action="view", object_type="family", object_id=oid,
        region_code=detail.desa_code, ip=ip,
    )  # fmt: skip
    return replace(
        detail,
        no_kk=mask_nik(detail.no_kk, role=user.role) or "",
        members=[
            replace(m, nik=mask_nik(m.nik, role=user.role)) for m in detail.members
        ],
    )


def children(
    session: Session,
    *,
    user: User,
    region_code: str,
    limit: int,
    offset: int,
    ip: str | None = None,
    action: str = "view",
    total: int | Callable[[], int] | None = None,
) -> tuple[list[ChildRow], int]:
    """A page of the children of a region: scoped, audited (view or export), NIK masked.
    `total`: the region's count when the caller keeps it (a function: called only once the
    user may see the region)."""
    _check_role(session, user, "children", region_code, ip)
    _check_area(session, user, "children", region_code, region_code, ip)
    if callable(total):
        total = total()
    rows, count = register_read.list_children(
        session, region_code=region_code, limit=limit, offset=offset, total=total
    )
    if rows:
        record(
            session, actor=user, action=action, object_type="children",
            region_code=region_code, ip=ip,
            detail=f"offset {offset} limit {limit}: {len(rows)} rows",
        )  # fmt: skip
    if policy(user.role).full_nik:  # nothing to mask
        return rows, count
    return [replace(r, nik=mask_nik(r.nik, role=user.role)) for r in rows], count
