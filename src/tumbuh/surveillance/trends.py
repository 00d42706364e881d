"""Trend arithmetic for published prevalence series: standard errors, ARR, projections.

Pure functions on floats (percentages 0-100), no database. The annual rate of reduction is
defined as by WHO/UNICEF:

    ARR = 1 - (p2 / p1) ** (1 / (t2 - t1))

(UNICEF, *Technical note: how to calculate average annual rate of reduction (AARR) of
underweight prevalence*, Statistics and Monitoring Section, May 2007; used for the stunting
target in WHO, *Global Nutrition Targets 2025: Stunting policy brief*, WHO/NMH/NHD/14.3, 2014).
A positive ARR means prevalence is falling; a negative ARR means it is rising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Two-sided 95 % normal quantile.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class SurveyAssumptions:
    """What to assume about a published figure that comes without a CI or n.

    SSGI/SKI publish kab/kota estimates, but the news reports that carry them quote no
    confidence interval or sample size. These defaults are *assumptions*, not sourced facts:
    an SSGI round measures several hundred under-fives per kab/kota in a two-stage cluster
    sample, for which a design effect near 2 is common. Every reason that relies on them
    says so, and the CLI lets a user change them.
    """

    n_kabkota: int = 700
    n_province: int = 7_000
    n_national: int = 300_000
    n_other: int = 300
    design_effect: float = 2.0

    def assumed_n(self, level: str) -> int:
        return {
            "kabkota": self.n_kabkota,
            "province": self.n_province,
            "national": self.n_national,
        }.get(level, self.n_other)


@dataclass(frozen=True)
class StandardError:
    se_pct: float  # in percentage points
    basis: str  # "ci" | "n" | "assumed"
    n: int | None  # the n used (published or assumed), None for a CI
    design_effect: float | None


def standard_error(
    value_pct: float,
    *,
    ci_low: float | None,
    ci_high: float | None,
    n: int | None,
    assumed_n: int,
    design_effect: float,
) -> StandardError:
    """SE of a published percentage: from its 95 % CI, else its n, else an assumed n.

    From n: ``sqrt(p (1 - p) deff / n)`` (binomial variance inflated by the design effect).
    """
    if ci_low is not None and ci_high is not None and ci_high > ci_low:
        return StandardError((ci_high - ci_low) / (2 * Z95), "ci", None, None)
    p = min(max(value_pct / 100.0, 0.0), 1.0)
    used_n, basis = (n, "n") if n else (assumed_n, "assumed")
    se = 100.0 * math.sqrt(p * (1 - p) * design_effect / used_n)
    return StandardError(se, basis, used_n, design_effect)


def annual_rate_of_reduction(
    p1: float, p2: float, t1: float, t2: float
) -> float | None:
    """ARR as a fraction per year (0.05 = 5 %/yr falling); None when undefined."""
    if t2 <= t1 or p1 <= 0 or p2 <= 0:
        return None
    return 1.0 - float((p2 / p1) ** (1.0 / (t2 - t1)))


def arr_interval(
    p1: float, se1: float, p2: float, se2: float, t1: float, t2: float
) -> tuple[float, float] | None:
    """Approximate 95 % interval of the ARR (delta method on the log scale).

    ``log(p2/p1) / (t2 - t1)`` has variance ``((se1/p1)^2 + (se2/p2)^2) / (t2 - t1)^2``.
    """
    if t2 <= t1 or p1 <= 0 or p2 <= 0:
        return None
    slope = math.log(p2 / p1) / (t2 - t1)
    se_slope = math.hypot(se1 / p1, se2 / p2) / (t2 - t1)
    low = 1.0 - math.exp(slope + Z95 * se_slope)
    high = 1.0 - math.exp(slope - Z95 * se_slope)
    return low, high


def project(value_pct: float, arr: float, years: float) -> float:
    """Prevalence after ``years`` at a constant ARR."""
    return value_pct * float((1.0 - arr) ** years)


def projected_year(
    value_pct: float, *, year: int, arr: float | None, target_pct: float
) -> int | None:
    """First whole year in which the prevalence reaches ``target_pct`` at a constant ARR.

    ``year`` when it is already at or below the target; None when the ARR is not positive.
    """
    if value_pct <= target_pct:
        return year
    if arr is None or arr <= 0 or target_pct <= 0:
        return None
    years = math.log(target_pct / value_pct) / math.log(1.0 - arr)
    return year + math.ceil(years - 1e-9)
