"""Stored risk scores: one row per family and prediction year, written by `tumbuh risk score`.

The web layer and the visit lists read these rows (no model is loaded at request time).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from tumbuh.db.base import Base


class RiskScore(Base):
    """Calibrated probability that a family has a new stunting case during ``year``."""

    __tablename__ = "risk_scores"
    __table_args__ = (UniqueConstraint("family_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger, index=True)
    desa_code: Mapped[str | None] = mapped_column(String(13), index=True)
    risk: Mapped[float] = mapped_column(Float)
    krs: Mapped[bool] = mapped_column()
    krs_factors: Mapped[str] = mapped_column(String(120), default="")
    reason_keys: Mapped[str] = mapped_column(String(200), default="")
    # Reasons and signals as messages (catalogue keys + parameters, JSON by
    # tumbuh.i18n.dumps) in *_id, *_en empty; rows scored before hold sentences in both.
    # Read them with `tumbuh.risk.read.said` (either form, in the reader's language).
    reasons_id: Mapped[str] = mapped_column(Text, default="")
    reasons_en: Mapped[str] = mapped_column(Text, default="")
    # Actionable signals whatever their weight in the model (KEK, anaemia, 2T, BBLR, ...).
    signal_keys: Mapped[str] = mapped_column(String(120), default="")
    signals_id: Mapped[str] = mapped_column(Text, default="")
    signals_en: Mapped[str] = mapped_column(Text, default="")
    model_trained_at: Mapped[str] = mapped_column(String(32))
    scored_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
