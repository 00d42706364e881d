"""The desa's visit list rows for the village pages (the list itself is reused per data
generation, like the desa page's; the visits made are applied on every request)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tumbuh.errors import NotFound
from tumbuh.interventions.visits import child_contacts, family_contacts
from tumbuh.register import read as register_read
from tumbuh.risk import visits as risk_visits
from tumbuh.web.cache import cached

__all__ = ["child_contacts", "family_contacts", "visit_rows"]


def _visit_list(db: Session, code: str) -> risk_visits.VisitList | None:
    try:
        return risk_visits.visit_list(db, desa_code=code)
    except NotFound:
        return None


def visit_rows(
    db: Session, code: str
) -> tuple[risk_visits.VisitList | None, list[dict[str, Any]]]:
    """(the desa's visit list, its rows with ``family_id``), unmasked: mask before showing."""
    # Named families: in memory only, never stored.
    vl = cached(
        db, ("visit_list", code), lambda s: _visit_list(s, code), persist=False,
        heavy=False,
    )  # fmt: skip
    if vl is None:
        return None, []
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in vl.rows.to_dict("records")
    ]
    ids = register_read.family_ids_by_kk(
        db, desa_code=code, no_kks=[str(r["no_kk"]) for r in rows]
    )
    for r in rows:
        r["family_id"] = ids.get(str(r["no_kk"]))
    return vl, rows
