"""Small-area rates for routine series: empirical-Bayes shrinkage and a trend status per region.

A desa with eight children weighed can swing from 0 % to 38 % stunted by chance alone. Raw
rates per desa/posyandu therefore make poor alarms. Here each region's rate is shrunk towards
the pooled rate of its parent region (kecamatan for desa, puskesmas/desa for posyandu), by a
beta-binomial model whose prior is fitted by the method of moments within each parent and period:

* pooled rate ``m = sum(x) / sum(n)`` over the k regions of the parent;
* between-region variance of the true rates (Kleinman 1973, moment estimator)
  ``tau2 = max(0, (sum n_i (p_i - m)^2 - (k - 1) m (1 - m)) / (N - sum n_i^2 / N))``;
* prior ``Beta(m M, (1 - m) M)`` with prior strength ``M = m (1 - m) / tau2 - 1``, capped at
  ``N`` (the prior never weighs more than all the parent's children together);
* posterior ``Beta(m M + x_i, (1 - m) M + n_i - x_i)``: its mean is the shrunken rate; its SD,
  plus the sampling variance of ``m`` weighted by the shrinkage factor ``M / (M + n_i)``, is
  the uncertainty.

Parents with fewer than ``min_regions`` regions in a period borrow the pooled prior of all
regions in that period instead. The trend compares each region's last two periods: the
probability that the true rate rose is ``Phi((mu2 - mu1) / sqrt(sd1^2 + sd2^2))`` (normal
approximation to the difference of two independent beta posteriors).

References
----------
Kleinman JC (1973). Proportions with extraneous variance: single and independent samples.
JASA 68:46-54. Morris CN (1983). Parametric empirical Bayes inference: theory and
applications. JASA 78:47-55. Clayton D, Kaldor J (1987). Empirical Bayes estimates of age-standardized
relative risks for use in disease mapping. Biometrics 43:671-681.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import erf, sqrt
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[Any]

#: Default posterior probability of a rise (or fall) needed to call a region rising (falling).
PROB_THRESHOLD = 0.95


@dataclass(frozen=True)
class ShrunkRates:
    """Shrunken rates, one element per input row (region x period)."""

    region_ids: ObjArray
    period: ObjArray
    parent_ids: ObjArray
    numerator: FloatArray
    denominator: FloatArray
    raw_rate: FloatArray  # x / n (NaN when n == 0)
    rate: FloatArray  # posterior mean
    sd: FloatArray  # posterior SD
    prior_mean: (
        FloatArray  # pooled rate of the parent (or of all regions) in that period
    )
    prior_strength: FloatArray  # M, in "children"


@dataclass(frozen=True)
class TrendResult:
    """One element per region: its last two periods, shrunken, and a status."""

    region_ids: ObjArray
    parent_ids: ObjArray
    latest_period: ObjArray
    previous_period: ObjArray  # None where the region has one period only
    latest_n: FloatArray
    previous_n: FloatArray
    latest_raw: FloatArray
    previous_raw: FloatArray
    latest_rate: FloatArray
    latest_sd: FloatArray
    previous_rate: FloatArray
    previous_sd: FloatArray
    prob_rose: FloatArray  # NaN where there is no previous period
    status: ObjArray  # "rising" | "falling" | "stalled" | "on_track" | "no_data"


def _as_object(values: Any, name: str, size: int | None = None) -> ObjArray:
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if size is not None and arr.shape[0] != size:
        raise ValueError(f"{name} has {arr.shape[0]} elements, expected {size}")
    return arr


def _prior(x: FloatArray, n: FloatArray) -> tuple[float, float]:
    """Method-of-moments beta prior (mean, strength) for regions with counts x of n."""
    keep = n > 0
    x, n = x[keep], n[keep]
    total = float(n.sum())
    if total <= 0:
        return float("nan"), 0.0
    k = x.shape[0]
    # A pooled rate of exactly 0 or 1 gives a degenerate prior; move it half a case inwards.
    m = float(np.clip(x.sum() / total, 0.5 / (total + 1), 1 - 0.5 / (total + 1)))
    p = x / n
    between = float(np.sum(n * (p - m) ** 2)) - (k - 1) * m * (1 - m)
    denom = total - float(np.sum(n**2)) / total
    tau2 = max(0.0, between / denom) if denom > 0 else 0.0
    strength = total if tau2 <= 0 else min(total, m * (1 - m) / tau2 - 1)
    return m, max(strength, 0.0)


def shrink_rates(
    *,
    region_ids: Any,
    numerator: Any,
    denominator: Any,
    parent_ids: Any,
    period: Any = None,
    min_regions: int = 3,
) -> ShrunkRates:
    """Empirical-Bayes (beta-binomial) shrinkage of rates towards the parent's pooled rate.

    Parameters
    ----------
    region_ids, parent_ids : array-like
        One element per row; rows are (region, period) cells.
    numerator, denominator : array-like of float
        Cases (e.g. children stunted) and children measured; ``denominator == 0`` gives NaN.
    period : array-like, optional
        Period label per row; the prior is fitted separately for every (parent, period).
    min_regions : int
        Parents with fewer regions than this in a period use the prior of all regions.
    """
    x = np.asarray(numerator, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("numerator must be one-dimensional")
    size = x.shape[0]
    n = np.asarray(denominator, dtype=np.float64)
    if n.shape != (size,):
        raise ValueError(f"denominator has shape {n.shape}, expected ({size},)")
    if np.any(x < 0) or np.any(n < 0) or np.any(x > n):
        raise ValueError("need 0 <= numerator <= denominator")
    regions = _as_object(region_ids, "region_ids", size)
    parents = _as_object(parent_ids, "parent_ids", size)
    periods = _as_object(
        period if period is not None else [None] * size, "period", size
    )

    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(n > 0, x / np.where(n > 0, n, 1.0), np.nan)
    prior_mean = np.full(size, np.nan)
    prior_strength = np.zeros(size)
    pooled_n = np.zeros(size)
    period_keys = np.array([repr(p) for p in periods], dtype=object)
    parent_keys = np.array([repr(p) for p in parents], dtype=object)
    for pk in np.unique(period_keys):
        in_period = period_keys == pk
        fallback = _prior(x[in_period], n[in_period])
        for parent in np.unique(parent_keys[in_period]):
            rows = in_period & (parent_keys == parent)
            k = int(np.sum(n[rows] > 0))
            if k >= min_regions:
                m, strength = _prior(x[rows], n[rows])
                pooled_n[rows] = n[rows].sum()
            else:
                m, strength = fallback
                pooled_n[rows] = n[in_period].sum()
            prior_mean[rows] = m
            prior_strength[rows] = strength

    alpha = prior_mean * prior_strength + x
    beta = (1 - prior_mean) * prior_strength + (n - x)
    total = alpha + beta
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(total > 0, alpha / total, np.nan)
        # The prior mean is itself estimated from the parent's children: add its sampling
        # variance, weighted by the shrinkage factor, so that naive EB does not understate
        # the uncertainty (Morris 1983) and a whole kecamatan's chance drift does not flag
        # every desa in it.
        weight = np.where(total > 0, prior_strength / total, 0.0)
        var_mean = prior_mean * (1 - prior_mean) / np.maximum(pooled_n, 1.0)
        sd = np.where(
            total > 0,
            np.sqrt(rate * (1 - rate) / (total + 1) + weight**2 * var_mean),
            np.nan,
        )
    empty = n <= 0
    rate[empty] = np.nan
    sd[empty] = np.nan
    return ShrunkRates(
        region_ids=regions,
        period=periods,
        parent_ids=parents,
        numerator=x,
        denominator=n,
        raw_rate=raw,
        rate=rate,
        sd=sd,
        prior_mean=prior_mean,
        prior_strength=prior_strength,
    )


def _phi(z: float) -> float:
    return 0.5 * (1.0 + erf(z / sqrt(2.0)))


def trend_status(
    *,
    region_ids: Any,
    period: Any,
    numerator: Any,
    denominator: Any,
    parent_ids: Any,
    prob_threshold: float = PROB_THRESHOLD,
    target: float | None = None,
    min_regions: int = 3,
) -> TrendResult:
    """Shrink every (region, period) rate, then classify each region by its last two periods.

    ``rising``: P(true rate rose) >= prob_threshold. ``falling``: P(true rate fell) >=
    prob_threshold. ``on_track``: not rising and the shrunken latest rate is at or below
    ``target`` (a proportion, 0-1). ``stalled``: anything else with two periods.
    ``no_data``: fewer than two periods with children measured. Periods must sort in time order.
    """
    shrunk = shrink_rates(
        region_ids=region_ids,
        numerator=numerator,
        denominator=denominator,
        parent_ids=parent_ids,
        period=period,
        min_regions=min_regions,
    )
    has_data = shrunk.denominator > 0
    region_keys = np.array([repr(r) for r in shrunk.region_ids], dtype=object)
    order: dict[str, int] = {}
    for i, key in enumerate(region_keys):
        order.setdefault(key, i)
    keys = list(order)
    size = len(keys)
    out_regions = np.empty(size, dtype=object)
    out_parents = np.empty(size, dtype=object)
    latest_period = np.full(size, None, dtype=object)
    previous_period = np.full(size, None, dtype=object)
    fields = {
        name: np.full(size, np.nan)
        for name in (
            "latest_n",
            "previous_n",
            "latest_raw",
            "previous_raw",
            "latest_rate",
            "latest_sd",
            "previous_rate",
            "previous_sd",
            "prob_rose",
        )
    }
    status = np.full(size, "no_data", dtype=object)
    for j, key in enumerate(keys):
        rows = np.flatnonzero((region_keys == key) & has_data)
        first = order[key]
        out_regions[j] = shrunk.region_ids[first]
        out_parents[j] = shrunk.parent_ids[first]
        if rows.size == 0:
            continue
        rows = rows[np.argsort(shrunk.period[rows], kind="stable")]
        last = rows[-1]
        latest_period[j] = shrunk.period[last]
        fields["latest_n"][j] = shrunk.denominator[last]
        fields["latest_raw"][j] = shrunk.raw_rate[last]
        fields["latest_rate"][j] = shrunk.rate[last]
        fields["latest_sd"][j] = shrunk.sd[last]
        if rows.size < 2:
            continue
        prev = rows[-2]
        previous_period[j] = shrunk.period[prev]
        fields["previous_n"][j] = shrunk.denominator[prev]
        fields["previous_raw"][j] = shrunk.raw_rate[prev]
        fields["previous_rate"][j] = shrunk.rate[prev]
        fields["previous_sd"][j] = shrunk.sd[prev]
        diff = float(shrunk.rate[last] - shrunk.rate[prev])
        spread = sqrt(float(shrunk.sd[last] ** 2 + shrunk.sd[prev] ** 2))
        p_rose = _phi(diff / spread) if spread > 0 else float(diff > 0)
        fields["prob_rose"][j] = p_rose
        if p_rose >= prob_threshold:
            status[j] = "rising"
        elif target is not None and shrunk.rate[last] <= target:
            status[j] = "on_track"
        elif 1 - p_rose >= prob_threshold:
            status[j] = "falling"
        else:
            status[j] = "stalled"
    return TrendResult(
        region_ids=out_regions,
        parent_ids=out_parents,
        latest_period=latest_period,
        previous_period=previous_period,
        status=status,
        **fields,
    )
