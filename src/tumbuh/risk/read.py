"""Read-only views of stored risk scores for pages (moved from `register.read`: the register
does not import its sibling domains)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tumbuh.i18n import loads, render_all
from tumbuh.risk.models import RiskScore


@dataclass(frozen=True, slots=True)
class FamilyRisk:
    year: int
    risk: float
    krs: bool
    krs_factors: list[str]
    reasons: str
    signals: str


def family_risk(session: Session, family_id: int, *, lang: str) -> FamilyRisk | None:
    """The family's latest stored risk score (risk.models.RiskScore, written by `tumbuh risk
    score`): probability, KRS status and factors, reasons and signals in `lang`."""
    row = session.scalars(
        select(RiskScore)
        .where(RiskScore.family_id == family_id)
        .order_by(RiskScore.year.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return FamilyRisk(
        year=row.year,
        risk=row.risk,
        krs=row.krs,
        krs_factors=[f for f in row.krs_factors.split(";") if f],
        reasons=said(row.reasons_id, row.reasons_en, lang),
        signals=said(row.signals_id, row.signals_en, lang),
    )


def said(stored_id: str, stored_en: str, lang: str) -> str:
    """A stored reasons/signals column pair in ``lang``: messages (JSON in the first column,
    `tumbuh.i18n.dumps`) rendered; a sentence pair from before that, picked as it is."""
    messages = loads(stored_id)
    if messages is None:
        return stored_en if lang == "en" and stored_en else stored_id
    return render_all(messages, lang)
