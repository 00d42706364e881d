"""One gate for personal data: a child or a family is read through here, never directly.

Each read (1) checks the role may see individual people at all, before anything is read;
(2) checks the record lies inside the user's area; (3) writes an audit event, for a view
and for a refusal alike; (4) masks the NIK / No KK as the role may see them. A refusal never
names where the record is (the region of a record outside the area is not the user's to
know). Refusals are flushed with the session: the caller commits before raising them
(web/api/register.py), so that the audit survives the error response.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy.orm import Session

from tumbuh.accounts.models import User
from tumbuh.accounts.roles import policy
from tumbuh.accounts.scope import in_scope, mask_nik
from tumbuh.accounts.service import record
from tumbuh.errors import Forbidden
from tumbuh.register import read as register_read
from tumbuh.register.read import ChildDetail, ChildQuery, ChildRow, FamilyDetail
from tumbuh.register.regions import name_key

T = TypeVar("T")
# Columns and fields that hold a NIK or a No KK, masked for the role wherever they appear.
PERSONAL_NUMBERS = ("nik", "no_kk")


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


def child_query(
    user: User,
    *,
    search: str | None = None,
    under_five_on: dt.date | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> ChildQuery:
    """The list query a user may run: a search matches names, and NIKs only for a role
    that sees whole NIKs (a masked role learns nothing of the hidden digits from which
    children a search finds); `under_five_on`: children aged 0-59 months that day."""
    text = (search or "").strip()
    digits = text.replace(" ", "")
    nik = digits if digits.isdigit() and policy(user.role).full_nik else None
    born_after, born_until = (
        register_read.under_five(under_five_on) if under_five_on else (None, None)
    )
    return ChildQuery(
        name=name_key(text) or None,
        nik=nik,
        born_after=born_after,
        born_until=born_until,
        sort=sort,
        descending=descending,
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
    query: ChildQuery | None = None,
) -> tuple[list[ChildRow], int]:
    """A page of the children of a region: scoped, audited (view or export), NIK masked.

    `query` should come from `child_query` (which keeps NIK searches to the roles that
    see NIKs); a NIK fragment from a role that may not see NIKs is refused here too.
    `total`: the region's count when the caller keeps it (a function: called only once the
    user may see the region)."""
    _check_role(session, user, "children", region_code, ip)
    _check_area(session, user, "children", region_code, region_code, ip)
    if callable(total):
        total = total()
    query = query or ChildQuery()
    if query.nik and not policy(user.role).full_nik:
        raise _refuse(
            session, user=user, kind="children", object_id=region_code, ip=ip,
            error=PersonalDataRefused(
                "your role does not see NIKs, so it cannot search them",
                code="forbidden",
            ),
        )  # fmt: skip
    rows, count = register_read.list_children(
        session, region_code=region_code, limit=limit, offset=offset, total=total,
        query=query,
    )  # fmt: skip
    if rows:
        record(
            session, actor=user, action=action, object_type="children",
            region_code=region_code, ip=ip,
            detail=f"offset {offset} limit {limit}: {len(rows)} rows{_described(query)}",
        )  # fmt: skip
    if policy(user.role).full_nik:  # nothing to mask
        return rows, count
    return [replace(r, nik=mask_nik(r.nik, role=user.role)) for r in rows], count


def desa_list(
    session: Session,
    *,
    user: User,
    kind: str,
    desa_code: str,
    load: Callable[[], T | None],
    ip: str | None = None,
    action: str = "view",
    size: Callable[[T], int] | None = None,
) -> T | None:
    """A list naming a desa's families or children (the visit list, the intervention gaps,
    growth alerts): role and area checked before `load` runs, the read audited (view or
    export, with how many it named), every NIK / No KK in it masked for the role.

    `load` reads the list (None: there is none, nothing is audited); what it returns is not
    changed — a masked copy is (pandas frames, dataclasses holding frames, lists, dicts).
    `size` counts the rows for the audit (default ``len``).
    """
    _check_role(session, user, kind, desa_code, ip)
    _check_area(session, user, kind, desa_code, desa_code, ip)
    value = load()
    if value is None:
        return None
    record(
        session, actor=user, action=action, object_type=kind, region_code=desa_code,
        ip=ip, detail=f"{size(value) if size else len(value)} rows",  # type: ignore[arg-type]
    )  # fmt: skip
    if policy(user.role).full_nik:  # nothing to mask: the value as loaded
        return value
    masked: T = _masked(value, user.role)
    return masked


def _masked(value: Any, role: str) -> Any:
    """`value` with every NIK / No KK masked for `role`: a copy of what holds one, the same
    object for what holds none (`value` itself is never changed)."""
    if isinstance(value, pd.DataFrame):
        cols = [c for c in PERSONAL_NUMBERS if c in value.columns]
        if not cols:
            return value
        out = value.copy()
        for col in cols:
            out[col] = [
                mask_nik(v, role=role) if isinstance(v, str) else v for v in out[col]
            ]
        return out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            old = getattr(value, f.name)
            new = _masked_field(f.name, old, role)
            if new is not old:
                changes[f.name] = new
        return replace(value, **changes) if changes else value
    if isinstance(value, dict):
        return {k: _masked_field(str(k), v, role) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_masked(v, role) for v in value)
    return value


def _masked_field(name: str, value: Any, role: str) -> Any:
    if name in PERSONAL_NUMBERS and isinstance(value, str):
        return mask_nik(value, role=role)
    if isinstance(value, pd.DataFrame | list | tuple | dict) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    ):
        return _masked(value, role)
    return value


def _described(query: ChildQuery) -> str:
    """The query in the audit detail: which NIK or name fragment was searched is part of
    what was looked at."""
    parts = [
        f"{label} {value}"
        for label, value in (
            ("name", query.name),
            ("nik", query.nik),
            ("born after", query.born_after),
            ("sort", query.sort),
        )
        if value
    ]
    return "; " + ", ".join(parts) if parts else ""
