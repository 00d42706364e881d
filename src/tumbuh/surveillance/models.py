"""Published aggregate figures (SSGI, SKI, e-PPGBM, ...) and programme targets.

Both tables stand alone: region codes are plain strings (`ID` for Indonesia, `64` for a province,
`64.71` for a kab/kota) so that surveillance does not depend on the register's region table.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tumbuh.db.base import Base


class FigureKind(StrEnum):
    survey = "survey"  # SSGBI, SSGI, SKI: sample surveys, weighted estimates
    routine = (
        "routine"  # e-PPGBM / posyandu weighing: (near-)census of children measured
    )


class Confidence(StrEnum):
    primary = "primary"
    alternative = (
        "alternative"  # a conflicting value from a weaker source, kept for the record
    )
    unverified = "unverified"  # source or survey unknown


class TargetScope(StrEnum):
    national = "national"
    province = "province"
    kabkota = "kabkota"


class PublishedFigure(Base):
    """One published prevalence figure, as in `data/published/published_stunting_kaltim.csv`.

    The natural key is (region_code, year, source, kind, indicator, value_pct, citation):
    two different values for the same region, year and source are two rows (the published
    record conflicts, and both versions are kept with their confidence). `natural_key` holds
    a sha256 of that key so that the unique index stays small on every backend.
    """

    __tablename__ = "published_figures"
    __table_args__ = (
        CheckConstraint("value_pct >= 0 AND value_pct <= 100", name="value_pct_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    natural_key: Mapped[str] = mapped_column(String(64), unique=True)
    region_code: Mapped[str] = mapped_column(String(32), index=True)
    region_name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # FigureKind value
    indicator: Mapped[str] = mapped_column(String(80))
    value_pct: Mapped[float] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float, default=None)
    ci_high: Mapped[float | None] = mapped_column(Float, default=None)
    n: Mapped[int | None] = mapped_column(Integer, default=None)
    confidence: Mapped[str] = mapped_column(String(16))  # Confidence value
    citation: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")


class Target(Base):
    """One programme target, as in `data/published/targets.csv`.

    `target_value_text` and `target_year_text` keep the file's text ("17-18", "2026-2028",
    blank where the value was NOT FOUND); `target_value`, `year_from` and `year_to` are the
    parsed numbers (None when the text is a range or blank).
    """

    __tablename__ = "published_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    natural_key: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))  # TargetScope value
    region_code: Mapped[str] = mapped_column(String(32), index=True)
    indicator: Mapped[str] = mapped_column(Text)
    target_value: Mapped[float | None] = mapped_column(Float, default=None)
    target_value_text: Mapped[str] = mapped_column(String(40), default="")
    unit: Mapped[str] = mapped_column(String(16), default="")
    target_year_text: Mapped[str] = mapped_column(String(20), default="")
    year_from: Mapped[int | None] = mapped_column(Integer, default=None)
    year_to: Mapped[int | None] = mapped_column(Integer, default=None)
    basis: Mapped[str] = mapped_column(Text, default="")
    source_title: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
