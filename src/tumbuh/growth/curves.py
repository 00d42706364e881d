"""L, M, S at arbitrary ages/lengths and measurements at given z-scores.

Used to draw growth curves (e.g. the -3 ... +3 SD lines of a chart). The
lookup follows the scoring rules: WHO 2006 age tables by whole day (age
rounded half up), weight-for-length/height interpolated between 0.1 cm
steps, WHO 2007 tables interpolated between whole months.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tumbuh.growth.cleaning import BAD, SEX_CODES, as_codes, as_float
from tumbuh.growth.indicators import INDICATORS, Indicator
from tumbuh.growth.lms import value_from_z, z_from_lms
from tumbuh.growth.tables import length_tables, lms_table

__all__ = ["lms_at", "lms_value_from_z", "lms_z_from_value"]

F64 = NDArray[np.float64]


def lms_at(
    indicator: Indicator | str, sex: object, x: ArrayLike
) -> tuple[F64, F64, F64]:
    """Return L, M, S of ``indicator`` for ``sex`` at ``x`` (NaN outside the table).

    ``x`` is the age in days for the WHO 2006 age indicators (rounded half up
    to a whole day), the length/height in cm for ``wfl``/``wfh``, and the age
    in months for the WHO 2007 indicators (``hfa``, ``wfa``, ``bfa``).

    Examples
    --------
    >>> [float(v[0]) for v in lms_at("wei", 1, [0])]
    [0.3487, 3.3464, 0.14602]
    """
    ind = Indicator(indicator)
    spec = INDICATORS[ind]
    sx = as_codes(sex, "sex", SEX_CODES)
    if (sx == BAD).any():
        raise ValueError(f"sex: accepted values are {SEX_CODES.accepted}")
    xx = as_float(x, "x")
    sx, xx = np.broadcast_arrays(sx, xx)
    lo_x, hi_x = spec.valid_range
    with np.errstate(all="ignore"):
        valid = (xx >= lo_x) & (xx <= hi_x) & (sx > 0)
        if spec.x == "age_days":
            tab = lms_table(ind)
            day = np.floor(xx + 0.5)
            idx = np.where(valid, (sx - 1.0) * tab.stride + day, tab.sentinel).astype(
                np.intp
            )
            return tab.L[idx], tab.M[idx], tab.S[idx]
        if spec.x == "length_cm":
            lt = length_tables()
            block = (
                (1 if ind is Indicator.weight_for_height else 0) * 2
                + sx.astype(np.intp)
                - 1
            )
            off = lt.offset.take(np.clip(block, 0, 3)).astype(np.float64)
            x10 = xx * 10.0
            ilo = np.where(valid, off + np.trunc(x10), lt.sentinel).astype(np.intp)
            iup = np.where(valid, off + np.trunc(x10 + 1.0), lt.sentinel).astype(
                np.intp
            )
            frac = np.maximum((xx - np.trunc(x10) / 10.0) / 0.1, 0.0)
            Lt, Mt, St = lt.L, lt.M, lt.S
        else:
            tab = lms_table(ind)
            base = (sx - 1.0) * tab.stride - tab.first
            ilo = np.where(valid, base + np.trunc(xx), tab.sentinel).astype(np.intp)
            iup = np.where(valid, base + np.trunc(xx + 1.0), tab.sentinel).astype(
                np.intp
            )
            frac = np.maximum(xx - np.trunc(xx), 0.0)
            Lt, Mt, St = tab.L, tab.M, tab.S
        res = tuple(
            np.asarray(t[ilo] + frac * (t[iup] - t[ilo]), dtype=np.float64)
            for t in (Lt, Mt, St)
        )
    return res[0], res[1], res[2]


def lms_value_from_z(
    indicator: Indicator | str, sex: object, x: ArrayLike, z: ArrayLike
) -> F64:
    """Return the measurement at z-score ``z`` (growth-curve lines).

    Restricted tails apply beyond ±3 SD for the indicators that use them, so
    the curve at ``z`` is exactly the measurement that scores ``z``.

    Parameters
    ----------
    indicator
        An :class:`Indicator` or its code (``"len"``, ``"wfl"``, ``"hfa"``...).
    sex
        1/2 or the text codes of :func:`tumbuh.growth.zscores`.
    x
        Age in days (WHO 2006 age indicators), length/height in cm
        (``wfl``/``wfh``) or age in months (WHO 2007); NaN outside the table.
    z
        z-scores (broadcast against ``x``).

    Examples
    --------
    >>> days = [0, 365, 730]
    >>> [round(float(v), 1) for v in lms_value_from_z("len", 1, days, -2)]
    [46.1, 71.0, 81.7]
    """
    ind = Indicator(indicator)
    L, M, S = lms_at(ind, sex, x)
    return value_from_z(z, L, M, S, restricted=INDICATORS[ind].restricted_tails)


def lms_z_from_value(
    indicator: Indicator | str, sex: object, x: ArrayLike, y: ArrayLike
) -> F64:
    """Return the unrounded z-score of measurement ``y`` (inverse of the above)."""
    ind = Indicator(indicator)
    L, M, S = lms_at(ind, sex, x)
    return z_from_lms(y, L, M, S, restricted=INDICATORS[ind].restricted_tails)
