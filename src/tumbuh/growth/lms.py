"""Vectorised LMS arithmetic (Cole's LMS method, WHO restricted tails).

The WHO z-score of a measurement ``y`` with Box-Cox parameters L, M, S is
``z = ((y / M) ** L - 1) / (L * S)``. For weight-based indicators, arm
circumference and skinfolds WHO restricts the tails: beyond ±3 SD the
distance is measured in units of the 2-to-3 SD distance (WHO Child Growth
Standards 2006, methods and development, ch. 7; anthro rule 9)::

    SD_k = M * (1 + L * S * k) ** (1 / L)
    z > 3:   z = 3 + (y - SD_3) / (SD_3 - SD_2)
    z < -3:  z = -3 + (y - SD_-3) / (SD_-2 - SD_-3)

The operations are ordered as in WHO's R code so that the results agree
bit for bit (up to the libm ``pow``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["value_from_z", "z_from_lms"]

F64 = NDArray[np.float64]


def _z_inplace(
    y: F64,
    L: F64,
    M: F64,
    LS: F64,
    out: F64,
    *,
    restricted: bool,
    l_is_one: bool,
    scratch: tuple[F64, NDArray[np.bool_]] | None = None,
) -> F64:
    """Write the z-score into ``out``; ``LS`` is ``L * S`` (``S`` when L is 1).

    ``scratch`` (a float and a bool array shaped like ``out``) avoids
    allocating temporaries in the kernel's chunk loop.
    """
    np.divide(y, M, out=out)
    if not l_is_one:
        # (y/M)^1 is y/M exactly, so the power is skipped when every L is 1.
        np.power(out, L, out=out)
    np.subtract(out, 1.0, out=out)
    np.divide(out, LS, out=out)
    if restricted:
        _restrict_tails(y, L, M, LS, out, scratch)
    return out


def _restrict_tails(
    y: F64,
    L: F64,
    M: F64,
    LS: F64,
    z: F64,
    scratch: tuple[F64, NDArray[np.bool_]] | None = None,
) -> None:
    # SD2/SD3 need two more powers; compute them only where |z| > 3.
    if scratch is None:
        scratch = (np.empty(z.shape), np.empty(z.shape, dtype=bool))
    az, beyond = scratch
    np.abs(z, out=az)
    np.greater(az, 3.0, out=beyond)
    if not beyond.any():
        return
    idx = np.flatnonzero(beyond)
    zi = z[idx]
    k = np.where(zi > 0, 1.0, -1.0)
    li, mi, lsi, yi = L[idx], M[idx], LS[idx], y[idx]
    inv_l = 1.0 / li
    sd3 = mi * (1.0 + lsi * (3.0 * k)) ** inv_l
    sd2 = mi * (1.0 + lsi * (2.0 * k)) ** inv_l
    # Upper: 3 + (y - SD3) / (SD3 - SD2); lower: -3 + (y - SD-3) / (SD-2 - SD-3).
    # Negating a difference is exact, so one expression serves both sides.
    z[idx] = 3.0 * k + (yi - sd3) / (k * (sd3 - sd2))


def z_exact_libm(y: float, L: float, M: float, LS: float, *, restricted: bool) -> float:
    """One z-score with the C library's ``pow`` (what R calls).

    numpy's vectorised ``power`` may differ from libm by one unit in the last
    place; that can only matter when the z-score sits on a rounding tie, so
    the kernel recomputes those few rows with this function.
    """

    def pw(base: float, exp: float) -> float:
        try:
            return math.pow(base, exp)
        except ValueError:
            return math.nan
        except OverflowError:
            return math.inf

    with np.errstate(all="ignore"):
        y64, L64, M64, LS64 = (np.float64(v) for v in (y, L, M, LS))
        z = (np.float64(pw(float(y64 / M64), float(L64))) - 1.0) / LS64
        if restricted and abs(z) > 3.0:
            k = np.float64(1.0 if z > 0 else -1.0)
            inv_l = float(np.float64(1.0) / L64)
            sd3 = M64 * np.float64(pw(float(1.0 + LS64 * (3.0 * k)), inv_l))
            sd2 = M64 * np.float64(pw(float(1.0 + LS64 * (2.0 * k)), inv_l))
            z = 3.0 * k + (y64 - sd3) / (k * (sd3 - sd2))
    return float(z)


def z_from_lms(
    y: ArrayLike,
    L: ArrayLike,
    M: ArrayLike,
    S: ArrayLike,
    *,
    restricted: bool = False,
) -> F64:
    """Return the (unrounded) z-score of ``y`` for the given L, M and S.

    Parameters
    ----------
    y
        Measurements (broadcast against L, M, S).
    L, M, S
        Box-Cox power, median and coefficient of variation.
    restricted
        Apply the WHO restricted-tail adjustment beyond ±3 SD.

    Returns
    -------
    numpy.ndarray
        z-scores, NaN where any input is NaN.

    Examples
    --------
    >>> float(z_from_lms(3.3464, 0.3487, 3.3464, 0.14602)[()])
    0.0
    >>> round(float(z_from_lms(2.0, 0.3487, 3.3464, 0.14602, restricted=True)[()]), 4)
    -3.2119
    """
    arrs = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (y, L, M, S)))
    yy, ll, mm, ss = arrs
    out = np.empty(yy.shape)
    with np.errstate(all="ignore"):
        flat = out.reshape(-1)
        lf = ll.reshape(-1)
        _z_inplace(
            yy.reshape(-1),
            lf,
            mm.reshape(-1),
            lf * ss.reshape(-1),
            flat,
            restricted=restricted,
            l_is_one=False,
        )
    return out


def value_from_z(
    z: ArrayLike,
    L: ArrayLike,
    M: ArrayLike,
    S: ArrayLike,
    *,
    restricted: bool = False,
) -> F64:
    """Return the measurement whose z-score is ``z`` (inverse of :func:`z_from_lms`).

    Inside ±3 SD (or everywhere when ``restricted`` is false) this is
    ``M * (1 + L * S * z) ** (1 / L)``; beyond ±3 SD with ``restricted`` the
    restricted-tail lines are inverted: ``SD_3 + (z - 3) * (SD_3 - SD_2)`` above
    +3 and ``SD_-3 + (z + 3) * (SD_-2 - SD_-3)`` below -3.

    Examples
    --------
    >>> float(value_from_z(0.0, 0.3487, 3.3464, 0.14602)[()])
    3.3464
    >>> float(value_from_z(2.0, 1.0, 50.0, 0.04)[()])
    54.0
    """
    arrs = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (z, L, M, S)))
    zz, ll, mm, ss = arrs
    with np.errstate(all="ignore"):
        out = np.asarray(mm * (1.0 + ll * ss * zz) ** (1.0 / ll), dtype=np.float64)
        if restricted:
            k = np.where(zz > 0, 1.0, -1.0)
            sd3 = mm * (1.0 + ll * ss * (3.0 * k)) ** (1.0 / ll)
            sd2 = mm * (1.0 + ll * ss * (2.0 * k)) ** (1.0 / ll)
            tail = sd3 + (zz - 3.0 * k) * (k * (sd3 - sd2))
            out = np.where(np.abs(zz) > 3.0, tail, out)
    return np.asarray(out, dtype=np.float64)
