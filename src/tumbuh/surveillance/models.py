"""Published aggregate figures (SSGI, SKI, e-PPGBM, ...), programme targets and programme
aggregates (KUA marriages, ODF desa, ...).

The tables stand alone: region codes are plain strings (`ID` for Indonesia, `64` for a province,
`64.71` for a kab/kota) so that surveillance does not depend on the register's region table.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, Integer, String, Text, UniqueConstraint
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


class AggregateCode(StrEnum):
    """What a programme aggregate counts (``programme_aggregates.code``).

    ``kua_marriages`` is a count only (in ``denominator``): marriages registered at KUA,
    the denominator of the catin-screening indicator. The others carry a numerator and a
    denominator and give the catalogue indicator of the same code.
    """

    kua_marriages = "kua_marriages"
    kehamilan_tidak_diinginkan = "kehamilan_tidak_diinginkan"
    pemahaman_stunting = "pemahaman_stunting"
    desa_odf = "desa_odf"


#: Aggregate codes whose rows carry no numerator (a count in ``denominator``).
COUNT_ONLY: frozenset[str] = frozenset({AggregateCode.kua_marriages.value})


class ProgrammeAggregate(Base):
    """One programme figure of a region and year as published by an office (KUA, BKKBN,
    Dinkes STBM, a survey): counts, not percentages, so that regions can be summed.

    ``region_code`` is a Kemendagri code of any level (64, 64.71, 64.71.01, 64.71.01.1001);
    one row per (code, region_code, year); re-importing updates it in place.
    """

    __tablename__ = "programme_aggregates"
    __table_args__ = (
        UniqueConstraint("code", "region_code", "year"),
        CheckConstraint("denominator >= 0", name="denominator_non_negative"),
        CheckConstraint(
            "numerator IS NULL OR (numerator >= 0 AND numerator <= denominator)",
            name="numerator_within_denominator",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))  # AggregateCode value
    region_code: Mapped[str] = mapped_column(String(32), index=True)
    year: Mapped[int] = mapped_column(Integer)
    numerator: Mapped[int | None] = mapped_column(Integer, default=None)
    denominator: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text, default="")
