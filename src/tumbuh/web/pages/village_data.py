"""The desa's visit list for the desa and village pages, read through the personal-data gate
(`accounts.personal.desa_list`: scoped, audited, No KK masked). The list itself is reused
per data generation; the visits made are applied on every request."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from tumbuh.accounts import personal
from tumbuh.accounts.models import User
from tumbuh.errors import NotFound
from tumbuh.interventions.visits import child_contacts, family_contacts
from tumbuh.register import read as register_read
from tumbuh.risk import visits as risk_visits
from tumbuh.web import insights
from tumbuh.web.cache import cached
from tumbuh.web.i18n import Lang
from tumbuh.web.insights import GrowthAlert

__all__ = [
    "child_contacts",
    "family_contacts",
    "growth_alerts",
    "rows_of",
    "visit_list",
]


def _visit_list(db: Session, code: str, lang: str) -> risk_visits.VisitList | None:
    try:
        return risk_visits.visit_list(db, desa_code=code, lang=lang)
    except NotFound:
        return None


def _listed(db: Session, code: str, lang: str) -> risk_visits.VisitList | None:
    """The desa's visit list with each row's ``family_id`` (None when its No KK is not in
    the register), looked up before the gate masks the No KK."""
    vl = _visit_list(db, code, lang)
    if vl is None:
        return None
    kks = [str(k) for k in vl.rows["no_kk"]]
    ids = register_read.family_ids_by_kk(db, desa_code=code, no_kks=kks)
    rows = vl.rows.copy()
    rows["family_id"] = pd.Series(
        [ids.get(k) for k in kks], index=rows.index, dtype=object
    )
    return replace(vl, rows=rows)


def _with_family_ids(db: Session, code: str, lang: str) -> risk_visits.VisitList | None:
    """`_listed`, once per data generation (named families: in memory only, never stored)."""
    return cached(
        db, ("visit_list", code, lang), lambda s: _listed(s, code, lang),
        persist=False, heavy=False,
    )  # fmt: skip


def visit_list(
    db: Session,
    user: User,
    code: str,
    *,
    ip: str | None,
    action: str = "view",
    lang: str = "id",
) -> risk_visits.VisitList | None:
    """The desa's visit list as `user` may see it (PersonalDataRefused otherwise), its
    reasons and next actions in `lang`."""
    return personal.desa_list(
        db, user=user, kind="visit_list", desa_code=code, ip=ip, action=action,
        load=lambda: _with_family_ids(db, code, lang), size=lambda vl: len(vl.rows),
    )  # fmt: skip


def rows_of(
    vl: risk_visits.VisitList, limit: int | None = None
) -> list[dict[str, Any]]:
    """The list's rows as dicts (string keys), the first `limit` of them."""
    frame = vl.rows if limit is None else vl.rows.head(limit)
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def growth_alerts(
    db: Session, user: User, code: str, *, ip: str | None, lang: Lang
) -> list[GrowthAlert]:
    """The desa's children to follow up (2T, BGM, new stunting) as `user` may see them."""
    alerts = personal.desa_list(
        db, user=user, kind="growth_alerts", desa_code=code, ip=ip,
        load=lambda: insights.desa_alerts(db, code, lang=lang),
    )  # fmt: skip
    return alerts or []
