"""WHO 2006 LMS lookups for the generator: latent z-scores ↔ measurements.

A thin adapter over `tumbuh.growth.curves` (the same tables and formulas that score the app's
data), so the synthetic province and the scoring never disagree about WHO's curves. The only
generator-specific rule: ages beyond a table are clamped to its last (or first) entry, so a
latent trajectory always yields a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tumbuh.growth import INDICATORS, Indicator
from tumbuh.growth.curves import lms_value_from_z, lms_z_from_value

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class LmsTable:
    """One WHO 2006 indicator; `x` (age in days) is clamped to its tabulated range."""

    indicator: Indicator

    def clamp(self, x: F64) -> F64:
        lo, hi = INDICATORS[self.indicator].valid_range
        return np.clip(np.asarray(x, dtype=np.float64), lo, hi)


def length_for_age() -> LmsTable:
    """Length (< 731 days) / height (>= 731 days) for age."""
    return LmsTable(Indicator.length_for_age)


def arm_circumference_for_age() -> LmsTable:
    """Mid-upper-arm circumference (LiLA) for age, from day 91."""
    return LmsTable(Indicator.arm_circumference_for_age)


def head_circumference_for_age() -> LmsTable:
    return LmsTable(Indicator.head_circumference_for_age)


def weight_for_age() -> LmsTable:
    return LmsTable(Indicator.weight_for_age)


def value_from_z(table: LmsTable, sex: I64, x: F64, z: F64) -> F64:
    """Measurement at z (WHO restricted tails beyond ±3 SD where the indicator has them)."""
    return lms_value_from_z(table.indicator, sex, table.clamp(x), z)


def z_from_value(table: LmsTable, sex: I64, x: F64, y: F64) -> F64:
    """Unrounded z of measurement y; NaN where y <= 0."""
    yy = np.where(np.asarray(y) > 0, y, np.nan)
    return lms_z_from_value(table.indicator, sex, table.clamp(x), yy)


def weight_for_lenhei_z(sex: I64, age_days: I64, lenhei_cm: F64, weight_kg: F64) -> F64:
    """WHZ/WLZ: weight-for-length under 731 days, weight-for-height from 731 days."""
    lying = age_days < 731
    wfl = lms_z_from_value(Indicator.weight_for_length, sex, lenhei_cm, weight_kg)
    wfh = lms_z_from_value(Indicator.weight_for_height, sex, lenhei_cm, weight_kg)
    return np.where(lying, wfl, wfh)
