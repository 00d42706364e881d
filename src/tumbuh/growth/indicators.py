"""Indicator codes and the per-indicator specification table.

Per-indicator behaviour is a table, not code (STYLE.md §5): every indicator is
described by an :class:`IndicatorSpec` and one kernel path serves them all.
Codes follow WHO anthro (``len``, ``wei``, ``wfl``, ...) and anthroplus
(``hfa``, ``wfa``, ``bfa``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Literal

__all__ = ["INDICATORS", "Indicator", "IndicatorSpec", "Sex"]


class Sex(IntEnum):
    """Sex codes as WHO anthro uses them (1 = male, 2 = female)."""

    male = 1
    female = 2


class Indicator(StrEnum):
    """Growth indicators; values are the WHO anthro/anthroplus codes."""

    length_for_age = "len"
    weight_for_age = "wei"
    weight_for_length = "wfl"
    #: The weight-for-height table (anthro reports it in the same ``zwfl``
    #: column as weight-for-length; the member exists to draw its curves).
    weight_for_height = "wfh"
    bmi_for_age = "bmi"
    head_circumference_for_age = "hc"
    arm_circumference_for_age = "ac"
    triceps_skinfold_for_age = "ts"
    subscapular_skinfold_for_age = "ss"
    height_for_age_2007 = "hfa"
    weight_for_age_2007 = "wfa"
    bmi_for_age_2007 = "bfa"


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """How one indicator is computed.

    Attributes
    ----------
    table
        Packaged table file (relative to ``tumbuh/growth/data``).
    x
        What the table is indexed by: ``"age_days"`` (whole days, WHO 2006),
        ``"length_cm"`` (0.1 cm steps, interpolated) or ``"age_months"``
        (whole months, interpolated; WHO 2007).
    valid_range
        Inclusive range of ``x`` in which a z-score is computed.
    restricted_tails
        Whether the WHO restricted-tail adjustment beyond ±3 SD applies
        (WHO 2006 technical report, ch. 7 "computation of centiles and
        z-scores"; anthro rule 9).
    flag_bounds
        A rounded z-score below the first or above the second bound is
        flagged as implausible (WHO anthro flag rules).
    z_column, flag_column
        The anthro/anthroplus output column names.
    """

    table: str
    x: Literal["age_days", "length_cm", "age_months"]
    valid_range: tuple[float, float]
    restricted_tails: bool
    flag_bounds: tuple[float, float]
    z_column: str
    flag_column: str


INDICATORS: dict[Indicator, IndicatorSpec] = {
    # WHO Child Growth Standards 2006 (anthro). Age tables run over 0-1826
    # days (arm circumference and skinfolds from 91 days, WHO 2007 report on
    # MUAC/skinfolds); flag limits are the WHO anthro limits: |z| > 6 for
    # length, z < -6 or z > 5 for weight, |z| > 5 for the others.
    Indicator.length_for_age: IndicatorSpec(
        "who2006/lenanthro.csv", "age_days", (0, 1826), False, (-6, 6), "zlen", "flen"
    ),
    Indicator.weight_for_age: IndicatorSpec(
        "who2006/weianthro.csv", "age_days", (0, 1826), True, (-6, 5), "zwei", "fwei"
    ),
    Indicator.weight_for_length: IndicatorSpec(
        "who2006/wflanthro.csv", "length_cm", (45, 110), True, (-5, 5), "zwfl", "fwfl"
    ),
    Indicator.weight_for_height: IndicatorSpec(
        "who2006/wfhanthro.csv", "length_cm", (65, 120), True, (-5, 5), "zwfl", "fwfl"
    ),
    Indicator.bmi_for_age: IndicatorSpec(
        "who2006/bmianthro.csv", "age_days", (0, 1826), True, (-5, 5), "zbmi", "fbmi"
    ),
    Indicator.head_circumference_for_age: IndicatorSpec(
        "who2006/hcanthro.csv", "age_days", (0, 1826), False, (-5, 5), "zhc", "fhc"
    ),
    Indicator.arm_circumference_for_age: IndicatorSpec(
        "who2006/acanthro.csv", "age_days", (91, 1826), True, (-5, 5), "zac", "fac"
    ),
    Indicator.triceps_skinfold_for_age: IndicatorSpec(
        "who2006/tsanthro.csv", "age_days", (91, 1826), True, (-5, 5), "zts", "fts"
    ),
    Indicator.subscapular_skinfold_for_age: IndicatorSpec(
        "who2006/ssanthro.csv", "age_days", (91, 1826), True, (-5, 5), "zss", "fss"
    ),
    # WHO Reference 2007 (anthroplus): height and BMI 60-228 months, weight
    # 60-120 months; flags |z| > 6 height, z < -6 or > 5 weight, |z| > 5 BMI.
    Indicator.height_for_age_2007: IndicatorSpec(
        "who2007/hfawho2007.csv",
        "age_months",
        (60, 228),
        False,
        (-6, 6),
        "zhfa",
        "fhfa",
    ),
    Indicator.weight_for_age_2007: IndicatorSpec(
        "who2007/wfawho2007.csv", "age_months", (60, 120), True, (-6, 5), "zwfa", "fwfa"
    ),
    Indicator.bmi_for_age_2007: IndicatorSpec(
        "who2007/bfawho2007.csv", "age_months", (60, 228), True, (-5, 5), "zbfa", "fbfa"
    ),
}
