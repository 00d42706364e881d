"""Rounding to decimals exactly like R's ``round(x, digits)`` (R >= 4.0.0).

R does not compute ``rint(x * 10^d) / 10^d`` (which is what ``numpy.round``
does). It forms the two neighbouring candidates ``floor(x * 10^d) / 10^d``
and ``ceil(x * 10^d) / 10^d`` and returns whichever is nearer to ``x`` in
floating point, the one with an even last digit on an exact tie; it works on
``|x|`` and restores the sign. When ``x`` already has more significant digits
than a double holds it is returned unchanged. The two methods disagree on a
few values, e.g. ``0.015`` (R gives 0.01, numpy 0.02) and ``0.025`` (R 0.03,
numpy 0.02); Python's ``round`` differs on others (``0.005``: R 0, Python 0.01).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["round_into", "round_r"]

_DBL_DIG = 15


# Fast path: rint(x * 10^d) / 10^d picks the same neighbour as R unless the
# scaled value is within rounding error of a .5 tie. With |x * 10^d| < 1e5 its
# spacing is below 2e-11, so a band of 1e-7 around .5 is far wider than any
# disagreement; rows in the band (and larger or non-finite values) are redone
# with R's algorithm.
_TIE_BAND = 1e-7
_FAST_LIMIT = 1e5


@functools.cache
def _no_rounding_threshold(digits: int) -> float:
    # R skips rounding when log10(2) * (0.5 + logb(x)) + digits > DBL_DIG;
    # return the smallest power of two for which that holds.
    e = -1100
    while math.log10(2) * (0.5 + e) + digits <= _DBL_DIG:
        e += 1
    return math.ldexp(1.0, e)


def _round_exact(x: NDArray[np.float64], digits: int) -> NDArray[np.float64]:
    """R's algorithm, element-wise (used on the few rows near a tie)."""
    pow10 = 10.0**digits
    ax = np.abs(x)
    x10 = ax * pow10
    i10 = np.floor(x10)
    xd = i10 / pow10
    xu = np.ceil(x10) / pow10
    du = xu - ax
    dd = ax - xd
    up = (du < dd) | ((du == dd) & (np.fmod(i10, 2.0) == 1.0))
    res = np.where(up, xu, xd)
    keep = ax >= _no_rounding_threshold(digits)
    res[keep] = ax[keep]
    return np.asarray(np.copysign(res, x), dtype=np.float64)


def round_r(
    x: ArrayLike, digits: int = 2, *, out: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Round to ``digits`` decimals (``digits >= 1``) as R's ``round`` does.

    Parameters
    ----------
    x
        Values; NaN and infinities are returned unchanged, -0.0 as 0.0.
    digits
        Number of decimals, at least 1.
    out
        Optional output array (may be ``x`` itself).

    Returns
    -------
    numpy.ndarray
        The rounded values.

    Examples
    --------
    >>> round_r([0.015, 0.025, -2.675, 2.5]).tolist()
    [0.01, 0.03, -2.67, 2.5]
    >>> round_r([0.125, 0.135], 2).tolist()  # exact ties go to the even digit
    [0.12, 0.14]
    """
    if digits < 1:
        raise ValueError(f"digits must be >= 1, got {digits}")
    xa = np.asarray(x, dtype=np.float64)
    if xa.ndim == 0:
        res = round_r(xa.reshape(1), digits).reshape(())
        if out is not None:
            out[...] = res
            return out
        return res
    if out is None:
        out = np.empty_like(xa)
    flat = xa.reshape(-1)
    m = flat.shape[0]
    target = out.reshape(-1) if out.flags.c_contiguous else np.empty(m)
    with np.errstate(all="ignore"):
        round_into(
            flat,
            target,
            digits,
            np.empty(m),
            np.empty(m),
            np.empty(m, dtype=bool),
            np.empty(m, dtype=bool),
        )
    if not out.flags.c_contiguous:
        out[...] = target.reshape(out.shape)
    return out


def round_into(
    x: NDArray[np.float64],
    out: NDArray[np.float64],
    digits: int,
    x10: NDArray[np.float64],
    r: NDArray[np.float64],
    near_tie: NDArray[np.bool_],
    big: NDArray[np.bool_],
) -> NDArray[np.intp] | None:
    """:func:`round_r` on 1-D arrays with caller-supplied scratch buffers.

    Returns the positions that were near a rounding tie (or large), which
    were rounded with R's exact algorithm, or None when there were none.

    The kernel calls this on every chunk; reusing the buffers avoids
    allocating (and page-faulting) temporaries each time. ``out`` may be
    ``x``. Call under ``np.errstate(all="ignore")``.
    """
    pow10 = 10.0**digits
    np.multiply(x, pow10, out=x10)
    np.rint(x10, out=r)
    np.subtract(x10, r, out=x10)
    np.abs(x10, out=x10)
    np.greater(x10, 0.5 - _TIE_BAND, out=near_tie)
    # Large and infinite values too (NaN compares false and stays NaN).
    np.abs(r, out=x10)
    np.greater_equal(x10, _FAST_LIMIT, out=big)
    np.logical_or(near_tie, big, out=near_tie)
    idx: NDArray[np.intp] | None = None
    if near_tie.any():
        idx = np.flatnonzero(near_tie)
        exact = _round_exact(x[idx], digits)
        np.divide(r, pow10, out=out)
        out[idx] = exact
    else:
        np.divide(r, pow10, out=out)
    # -0.0 (e.g. from -0.001) becomes +0.0: R prints both as 0 and text
    # output should not show "-0.0".
    np.add(out, 0.0, out=out)
    return idx
