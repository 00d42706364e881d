"""WHO 2006 LMS tables as dense arrays, for turning latent z-scores into measurements.

The generator needs millions of LMS inversions per second, so it keeps its own dense copy of
the packaged tables (`tumbuh/growth/data/who2006`) indexed by ``[sex - 1, age_days]`` (or by
length in mm).  The z-scores that the app reports always come from `tumbuh.growth`; the
forward functions here exist only to label the synthetic export and to score the truth.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

# WHO Child Growth Standards (2006), Methods and development, ch. 7: weight-based indicators
# use the "restricted" LMS beyond +/-3 SD (linear in the SD23 distance); length does not.
_RESTRICT_AT = 3.0


@dataclass(frozen=True)
class LmsTable:
    """L, M, S arrays of shape (2, n): row 0 boys, row 1 girls; column = x index."""

    l: F64  # noqa: E741 - WHO's own name for the Box-Cox power
    m: F64
    s: F64
    x0: float
    step: float
    restricted: bool

    @property
    def normal(self) -> bool:
        """L = 1 everywhere (length/height): the LMS curve is a plain normal."""
        return bool(np.all(self.l == 1.0))

    def index(self, x: F64) -> I64:
        idx = np.rint((x - self.x0) / self.step).astype(np.int64)
        return np.clip(idx, 0, self.m.shape[1] - 1)


def _load(name: str, x_col: str, x0: float, step: float, restricted: bool) -> LmsTable:
    path = resources.files("tumbuh.growth") / "data" / "who2006" / name
    rows: dict[int, list[tuple[float, float, float, float]]] = {1: [], 2: []}
    with path.open("r", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            rows[int(rec["sex"])].append(
                (float(rec[x_col]), float(rec["l"]), float(rec["m"]), float(rec["s"]))
            )
    arrays = [np.array(sorted(rows[sex])) for sex in (1, 2)]
    return LmsTable(
        l=np.stack([a[:, 1] for a in arrays]),
        m=np.stack([a[:, 2] for a in arrays]),
        s=np.stack([a[:, 3] for a in arrays]),
        x0=x0,
        step=step,
        restricted=restricted,
    )


@cache
def length_for_age() -> LmsTable:
    """Length (< 731 days) / height (>= 731 days) for age, by day 0..1856."""
    return _load("lenanthro.csv", "age", 0.0, 1.0, restricted=False)


@cache
def arm_circumference_for_age() -> LmsTable:
    """Mid-upper-arm circumference (LiLA) for age, by day 91..1856."""
    return _load("acanthro.csv", "age", 91.0, 1.0, restricted=True)


@cache
def head_circumference_for_age() -> LmsTable:
    """Head circumference for age, by day 0..1856."""
    return _load("hcanthro.csv", "age", 0.0, 1.0, restricted=False)


@cache
def weight_for_age() -> LmsTable:
    return _load("weianthro.csv", "age", 0.0, 1.0, restricted=True)


@cache
def weight_for_length() -> LmsTable:
    return _load("wflanthro.csv", "length", 45.0, 0.1, restricted=True)


@cache
def weight_for_height() -> LmsTable:
    return _load("wfhanthro.csv", "height", 65.0, 0.1, restricted=True)


@cache
def _normal_tables() -> frozenset[int]:
    return frozenset(id(t) for t in (length_for_age(), weight_for_age()) if t.normal)


def _is_normal(table: LmsTable) -> bool:
    return id(table) in _normal_tables()


def _box_cox_inverse(lv: F64, mv: F64, sv: F64, z: F64) -> F64:
    small = np.abs(lv) < 1e-9
    safe_l = np.where(small, 1.0, lv)
    base = np.maximum(1.0 + safe_l * sv * z, 1e-6)
    return np.where(small, mv * np.exp(sv * z), mv * base ** (1.0 / safe_l))


def value_from_z(table: LmsTable, sex: I64, x: F64, z: F64) -> F64:
    """Measurement at z (WHO restricted tails beyond +/-3 SD for weight tables)."""
    i = table.index(x)
    row = sex - 1
    lv, mv, sv = table.l[row, i], table.m[row, i], table.s[row, i]
    if _is_normal(table):
        out: F64 = mv * (1.0 + sv * z)
        return out
    if not table.restricted:
        return _box_cox_inverse(lv, mv, sv, z)
    out = _box_cox_inverse(lv, mv, sv, np.clip(z, -_RESTRICT_AT, _RESTRICT_AT))
    for sign in (1.0, -1.0):
        tail = np.nonzero(sign * z > _RESTRICT_AT)[0]
        if len(tail) == 0:
            continue
        lt, mt, st = lv[tail], mv[tail], sv[tail]
        ones = np.ones(len(tail))
        sd3 = _box_cox_inverse(lt, mt, st, 3.0 * sign * ones)
        sd2 = _box_cox_inverse(lt, mt, st, 2.0 * sign * ones)
        out[tail] = sd3 + (z[tail] - 3.0 * sign) * np.abs(sd3 - sd2)
    return out


def z_from_value(table: LmsTable, sex: I64, x: F64, y: F64) -> F64:
    """z of measurement y (restricted tails for weight tables); NaN where y <= 0."""
    i = table.index(x)
    row = sex - 1
    lv, mv, sv = table.l[row, i], table.m[row, i], table.s[row, i]
    with np.errstate(invalid="ignore", divide="ignore"):
        yy = np.where(y > 0, y, np.nan).astype(np.float64)
        small = np.abs(lv) < 1e-9
        safe_l = np.where(small, 1.0, lv)
        z = np.where(
            small, np.log(yy / mv) / sv, ((yy / mv) ** safe_l - 1.0) / (safe_l * sv)
        )
        if table.restricted:
            for sign in (1.0, -1.0):
                tail = np.nonzero(sign * z > 3.0)[0]
                if len(tail) == 0:
                    continue
                lt, mt, st = lv[tail], mv[tail], sv[tail]
                ones = np.ones(len(tail))
                sd3 = _box_cox_inverse(lt, mt, st, 3.0 * sign * ones)
                sd2 = _box_cox_inverse(lt, mt, st, 2.0 * sign * ones)
                z[tail] = 3.0 * sign + (yy[tail] - sd3) / np.abs(sd3 - sd2)
    return np.asarray(z, dtype=np.float64)


def weight_for_lenhei_z(sex: I64, age_days: I64, lenhei_cm: F64, weight_kg: F64) -> F64:
    """WHZ/WLZ: weight-for-length under 731 days, weight-for-height from 731 days."""
    lying = age_days < 731
    wfl = z_from_value(weight_for_length(), sex, lenhei_cm, weight_kg)
    wfh = z_from_value(weight_for_height(), sex, lenhei_cm, weight_kg)
    z = np.where(lying, wfl, wfh)
    lo = np.where(lying, 45.0, 65.0)
    hi = np.where(lying, 110.0, 120.0)
    return np.where((lenhei_cm >= lo) & (lenhei_cm <= hi), z, np.nan)
