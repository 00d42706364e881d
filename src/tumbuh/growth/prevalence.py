"""Survey prevalence of malnutrition, computed the way WHO's ``anthro_prevalence`` does.

The kernel takes z-scores and flags (as returned by :func:`tumbuh.growth.zscores`),
sex, age, oedema, an optional survey design (sampling weights, clusters, strata) and
optional extra groupings, and returns one row per group with the WHO columns
(``HAZ_pop``, ``HA_2_r``, ``HA_2_ll`` ... ``HA_2_WH2_ul``).

Three estimators, chosen as ``anthro_prevalence`` chooses them:

``simple``
    No cluster, no strata, no weights (or all weights 1): closed formulas with
    ``N`` = every row kept, ``n`` = the group's non-missing values.
``hybrid``
    Weights only: prevalences by survey domain estimation with every child its own
    PSU in one stratum; mean z-scores by closed weighted formulas.
``survey``
    Cluster and/or strata: Taylor linearisation for a stratified cluster design
    (clusters nested in strata, lonely PSUs "adjust"), domain estimation for groups.

Everything is vectorised, with no loop over children: for each grouping the rows are
sorted once by (group, PSU) and every sum is one ``np.add.reduceat`` over a
(variables x children) matrix. Because the prevalence variables are 0/1, their
linearised PSU totals follow from per-PSU sums of ``w`` and ``w y``.

References
----------
WHO (2019). Recommendations for data collection, analysis and reporting on
anthropometric indicators in children under 5 years old. Geneva: WHO, ch. 4.
T. Lumley (2004). Analysis of complex survey samples. J. Stat. Softw. 9(8).
The rules matched here are written down in ``tests/data/reference`` (README of the
reference outputs, section "Rules: anthro_prevalence").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
from scipy import special

from tumbuh.growth.cleaning import OEDEMA_CODES, as_codes, as_float
from tumbuh.growth.zscores import DAYS_PER_MONTH, zscores

__all__ = [
    "AGE_GROUP_LABELS",
    "PREVALENCE_COLUMNS",
    "WEALTH_QUINTILE_LABELS",
    "Grouping",
    "Method",
    "anthro_prevalence",
    "PrevalenceResult",
    "ZScoreColumns",
    "prevalence",
    "wealth_quintile",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Method = Literal["simple", "hybrid", "survey"]

#: Rows whose rounded age exceeds 1826 days (5 years) are left out of prevalences
#: (WHO Anthro Survey Analyser, "Data quality and exclusion rules").
MAX_AGE_DAYS = 1826
#: Oedema cases count as z = -3.1 in the weight-based prevalences: always below -3, -2
#: and -1, never above +1 (WHO 2019 recommendations, §4.3: oedema = severe acute
#: malnutrition regardless of the weight-based z-score).
OEDEMA_Z = -3.1

#: Age groups on the unrounded age in months, [lower, upper) (WHO 2019, table 4.1).
AGE_GROUP_BREAKS = (0.0, 6.0, 12.0, 24.0, 36.0, 48.0, 60.0)
AGE_GROUP_LABELS = (
    "00-05 mo",
    "06-11 mo",
    "12-23 mo",
    "24-35 mo",
    "36-47 mo",
    "48-59 mo",
)
SEX_LABELS = ("Female", "Male")  # sex code 2, sex code 1: anthro's factor order
WEALTH_QUINTILE_LABELS = ("Q1: Poorest", "Q2", "Q3", "Q4", "Q5: Richest")

# (output prefix, z-score attribute, flag attribute, oedema counts as -3.1)
_INDICATORS = (
    ("HA", "zlen", "flen", False),
    ("WA", "zwei", "fwei", True),
    ("BMI", "zbmi", "fbmi", True),
    ("WH", "zwfl", "fwfl", True),
)
# (column suffix, cut-off, True = "below"); cut-offs are strict (z < -2, z > +2).
_CUTOFFS = (
    ("_3", -3.0, True),
    ("_2", -2.0, True),
    ("_1", -1.0, True),
    ("1", 1.0, False),
    ("2", 2.0, False),
    ("3", 3.0, False),
)
_ESTIMATE = ("_r", "_se", "_ll", "_ul")


def _build_columns() -> tuple[str, ...]:
    cols: list[str] = []
    for prefix, *_ in _INDICATORS:
        cols += [f"{prefix}Z_pop", f"{prefix}Z_unwpop"]
        for suffix, *_ in _CUTOFFS:
            cols += [f"{prefix}{suffix}{e}" for e in _ESTIMATE]
        cols += [f"{prefix}{e}" for e in _ESTIMATE] + [f"{prefix}_stdev"]
    cols += ["HA_2_WH_2_pop", "HA_2_WH_2_unwpop"]
    cols += [f"HA_2_WH_2{e}" for e in _ESTIMATE]
    cols += [f"HA_2_WH2{e}" for e in _ESTIMATE]
    return tuple(cols)


#: The output columns after ``Group``, in anthro's order (134 columns).
PREVALENCE_COLUMNS = _build_columns()
_COL_INDEX = {c: i for i, c in enumerate(PREVALENCE_COLUMNS)}


class ZScoreColumns(Protocol):
    """Anything with the eight z-score/flag arrays, e.g. :class:`tumbuh.growth.ZScores`."""

    @property
    def zlen(self) -> npt.ArrayLike: ...
    @property
    def flen(self) -> npt.ArrayLike: ...
    @property
    def zwei(self) -> npt.ArrayLike: ...
    @property
    def fwei(self) -> npt.ArrayLike: ...
    @property
    def zbmi(self) -> npt.ArrayLike: ...
    @property
    def fbmi(self) -> npt.ArrayLike: ...
    @property
    def zwfl(self) -> npt.ArrayLike: ...
    @property
    def fwfl(self) -> npt.ArrayLike: ...


@dataclass(frozen=True)
class Grouping:
    """An extra disaggregation: rows ``"<label>: <value>"`` for each value.

    Parameters
    ----------
    label
        Text before the colon, e.g. ``"Area"`` or ``"Geographical region"``.
    values
        One value per input row. Missing values (``None``, NaN, empty text) put the
        row in no group of this grouping (it still counts in ``All``).
    levels
        Optional fixed list of values (as text) and their order. Every level gets a
        row, also when no child has it (counts 0, estimates missing), as anthro does
        for its factors; values outside ``levels`` are treated as missing.
    names
        Optional display names for ``levels`` (same length), e.g. ``"Q1: Poorest"``
        for level ``"1"``.
    """

    label: str
    values: npt.ArrayLike
    levels: Sequence[str] | None = None
    names: Sequence[str] | None = None


def wealth_quintile(values: npt.ArrayLike, label: str = "Wealth quintile") -> Grouping:
    """Grouping for wealth quintiles ``1..5`` (or ``Q1..Q5``) with anthro's labels."""
    text = _as_text(values)
    text = np.where(np.char.startswith(text, "Q"), np.char.lstrip(text, "Q"), text)
    return Grouping(
        label, text, levels=("1", "2", "3", "4", "5"), names=WEALTH_QUINTILE_LABELS
    )


@dataclass(frozen=True)
class PrevalenceResult:
    """Prevalence table: one row per group, the columns of :data:`PREVALENCE_COLUMNS`.

    Attributes
    ----------
    groups
        Group labels (``All``, ``Age group: 00-05 mo``, ..., ``<label>: <value>``).
    values
        Array of shape ``(len(groups), len(PREVALENCE_COLUMNS))``; NaN = missing.
        Prevalences, their standard errors and CI bounds are in percent.
    method
        ``"simple"``, ``"hybrid"`` or ``"survey"`` (see the module docstring).
    n_input, n_used
        Rows given and rows kept after the age and design exclusions.
    degrees_of_freedom
        Degrees of freedom of the t quantile used for the confidence intervals.
    notes
        Human-readable notes about excluded rows and replaced weights, in the
        order anthro warns about them.
    """

    groups: tuple[str, ...]
    values: FloatArray
    method: Method
    n_input: int
    n_used: int
    degrees_of_freedom: float
    notes: tuple[str, ...] = field(default=())
    columns: tuple[str, ...] = PREVALENCE_COLUMNS

    def column(self, name: str) -> FloatArray:
        """All groups' values of one WHO column, e.g. ``result.column("HA_2_r")``."""
        try:
            return self.values[:, _COL_INDEX[name]]
        except KeyError:
            raise ValueError(f"unknown prevalence column {name!r}") from None

    def row(self, group: str) -> dict[str, float]:
        """One group's values by column name, e.g. ``result.row("Sex: Female")``."""
        try:
            i = self.groups.index(group)
        except ValueError:
            raise ValueError(f"no group {group!r} in the result") from None
        return dict(zip(self.columns, self.values[i].tolist(), strict=True))

    def records(self) -> list[dict[str, str | float]]:
        """Rows as dicts with ``Group`` first, ready for a DataFrame or CSV writer."""
        out: list[dict[str, str | float]] = []
        for g, vals in zip(self.groups, self.values.tolist(), strict=True):
            rec: dict[str, str | float] = {"Group": g}
            rec.update(zip(self.columns, vals, strict=True))
            out.append(rec)
        return out


# ----------------------------------------------------------------------------------
# input helpers


def _as_float(name: str, x: npt.ArrayLike | None, n: int) -> FloatArray:
    if x is None:
        return np.full(n, np.nan)
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name} has {arr.size} values, expected {n}")
    return arr


def _object_to_text(v: object) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = str(v).strip()
    return "" if text in ("nan", "NaN", "<NA>", "NaT") else text


def _as_text(values: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """Group values as text; missing values become the empty string."""
    arr = np.asarray(values)
    if arr.dtype.kind in "US":
        return np.char.strip(arr.astype(np.str_))
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64).astype(np.str_)
    if arr.dtype.kind == "f":
        out = np.where(
            np.isfinite(arr) & (arr == np.round(arr)),
            np.nan_to_num(arr).astype(np.int64).astype(np.str_),
            arr.astype(np.str_),
        )
        return np.where(np.isnan(arr), "", out)
    # objects (e.g. text with None/NaN from pandas): convert each distinct value once
    items = arr.astype(object).ravel().tolist()
    try:
        text = {v: _object_to_text(v) for v in dict.fromkeys(items)}
        out_list = [text[v] for v in items]
    except TypeError:  # unhashable cells
        out_list = [_object_to_text(v) for v in items]
    return np.asarray(out_list, dtype=np.str_).reshape(arr.shape)


def _round_half_up(x: FloatArray) -> FloatArray:
    # anthro rounds ages to whole days with fraction >= 0.5 going up.
    fl = np.floor(x)
    return fl + ((x - fl) >= 0.5)


# ----------------------------------------------------------------------------------
# per-group sums over rows sorted by (group, PSU)


@dataclass(frozen=True)
class _Groups:
    labels: tuple[str, ...]
    codes: IntArray  # group index per row, -1 = in no group
    size: int


@dataclass(frozen=True)
class _Design:
    """Survey design on the kept rows: PSU per row, stratum per PSU."""

    weights: FloatArray
    psu: IntArray  # PSU index per row; PSUs numbered stratum by stratum
    psu_stratum: IntArray  # stratum index per PSU
    n_psu_in_stratum: FloatArray  # per stratum, zero-weight PSUs included
    df: float
    #: every child is its own PSU (weights only, or a single cluster): sums per
    #: (group, stratum) replace sums per (group, PSU)
    rows_are_psus: bool = False
    row_stratum: IntArray | None = None

    def segment_key(self) -> IntArray:
        """What rows are sorted by within a group: the PSU, or the stratum."""
        if self.rows_are_psus and self.row_stratum is not None:
            return self.row_stratum
        return self.psu

    def pair_stratum(self, seg: _Segments) -> IntArray:
        """Stratum of each segment of ``seg``."""
        if self.rows_are_psus:
            return seg.pair_psu
        return self.psu_stratum[seg.pair_psu]


@dataclass(frozen=True)
class _Segments:
    """The rows of one grouping sorted by (group, PSU), cut into contiguous segments.

    Sums over groups and over (group, PSU) pairs are then ``np.add.reduceat`` over
    a (K, rows) matrix: one pass per quantity, vectorised over the K columns.
    """

    size: int  # number of groups G
    order: IntArray  # rows in a group, sorted by (group, PSU)
    row_start: IntArray  # start of each non-empty group in `order`
    row_count: IntArray  # rows of each non-empty group
    pair_start: IntArray  # start of each (group, PSU) pair in `order`
    pair_group: IntArray  # group of each pair
    pair_psu: IntArray  # PSU of each pair
    group_pair_start: IntArray  # first pair of each non-empty group
    groups: IntArray  # the non-empty groups, ascending

    def rows(self, x: npt.NDArray[np.float64] | npt.NDArray[np.bool_]) -> FloatArray:
        """(K, n) per-row values → (K, m) in segment order."""
        return np.asarray(x[:, self.order], dtype=np.float64)

    def by_group(self, xs: FloatArray) -> FloatArray:
        """(K, m) sorted rows → (K, G) group sums; 0 for empty groups."""
        out = np.zeros((xs.shape[0], self.size))
        out[:, self.groups] = np.add.reduceat(xs, self.row_start, axis=1)
        return out

    def by_pair(self, xs: FloatArray) -> FloatArray:
        """(K, m) sorted rows → (K, P) sums per (group, PSU) pair."""
        return np.asarray(
            np.add.reduceat(xs, self.pair_start, axis=1), dtype=np.float64
        )

    def by_group_dot(self, xs: FloatArray, f: FloatArray) -> FloatArray:
        """(K, m) sorted rows and (m, F) row functions → (F, K, G) sums of x * f."""
        out = np.zeros((f.shape[1], xs.shape[0], self.size))
        ends = self.row_start + self.row_count
        for g, start, end in zip(
            self.groups.tolist(), self.row_start.tolist(), ends.tolist(), strict=True
        ):
            out[:, :, g] = (xs[:, start:end] @ f[start:end]).T
        return out

    def pairs_by_group(self, xp: FloatArray) -> FloatArray:
        """(K, P) pair sums → (K, G) group sums; 0 for empty groups."""
        out = np.zeros((xp.shape[0], self.size))
        out[:, self.groups] = np.add.reduceat(xp, self.group_pair_start, axis=1)
        return out

    def to_rows(self, v: FloatArray) -> FloatArray:
        """(K, G) per-group values → (K, m) on the sorted rows."""
        return np.repeat(v[:, self.groups], self.row_count, axis=1)


def _segments(g: _Groups, psu: IntArray | None) -> _Segments:
    rows = np.flatnonzero(g.codes >= 0)
    p = psu[rows] if psu is not None else np.zeros(rows.size, dtype=np.intp)
    key = g.codes[rows].astype(np.int64) * (int(p.max(initial=0)) + 1) + p
    o = np.argsort(key, kind="stable")
    order, key, p = rows[o], key[o], p[o]
    pair_start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    codes = g.codes[order]
    row_start = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    pair_group = codes[pair_start]
    return _Segments(
        size=g.size,
        order=order,
        row_start=row_start,
        row_count=np.diff(np.r_[row_start, order.size]),
        pair_start=pair_start,
        pair_group=pair_group,
        pair_psu=p[pair_start],
        group_pair_start=np.flatnonzero(np.r_[True, pair_group[1:] != pair_group[:-1]]),
        groups=codes[row_start],
    )


# ----------------------------------------------------------------------------------
# estimators; per-group outputs are (K, G) arrays


def _t_quantile(level: float, df: float) -> float:
    if not df > 0:
        return math.nan
    return float(special.stdtrit(df, 0.5 + level / 2.0))


def _logit_ci(
    r: FloatArray, half_width_logit: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Back-transformed logit CI; [r, r] when r is 0 or 1 (as anthro reports)."""
    logit = np.log(r / (1.0 - r))
    ll = special.expit(logit - half_width_logit)
    ul = special.expit(logit + half_width_logit)
    edge = (r == 0.0) | (r == 1.0)
    return np.where(edge, r, ll), np.where(edge, r, ul)


def _design_variance(
    seg: _Segments, total: FloatArray, square: FloatArray, d: _Design
) -> FloatArray:
    """Design variance of per-group totals: (K, G).

    ``total`` and ``square`` (K, P) are, per segment, the sum of the PSU totals
    ``U`` and of ``U^2``. With ``n_h`` PSUs in stratum ``h`` of the whole design (a
    domain keeps the design's PSU counts) the variance is
    ``sum_h n_h/(n_h-1) sum_j (U_hj - mean_h U)^2``; PSUs outside the group have
    ``U = 0``, so the inner sum is ``sum U^2 - (sum U)^2 / n_h``. A stratum with a
    single PSU contributes ``U^2`` (survey 4.1's ``lonely.psu = "adjust"``).
    """
    n_strata = d.n_psu_in_stratum.size
    cell = seg.pair_group.astype(np.int64) * n_strata + d.pair_stratum(seg)
    k, size = total.shape[0], seg.size * n_strata
    t3 = np.empty((k, size))
    q3 = np.empty((k, size))
    for j in range(k):
        t3[j] = np.bincount(cell, total[j], minlength=size)
        q3[j] = np.bincount(cell, square[j], minlength=size)
    t = t3.reshape(k, seg.size, n_strata)
    q = q3.reshape(k, seg.size, n_strata)
    n_h = d.n_psu_in_stratum
    centred = np.where(n_h > 1, n_h / (n_h - 1.0) * (q - t * t / n_h), q)
    return np.asarray(np.maximum(centred.sum(axis=2), 0.0), dtype=np.float64)


def _binary_moments(
    seg: _Segments,
    c: FloatArray,
    scale: FloatArray,
    sums: tuple[FloatArray, FloatArray, FloatArray | None, FloatArray | None],
    d: _Design,
) -> FloatArray:
    """Variance of the total of ``u_i = w_i (y_i - c) / scale`` over a group.

    ``sums`` are per-segment sums of ``w y``, ``w`` and, when every child is its own
    PSU, of ``w^2 y`` and ``w^2`` (then ``sum u^2`` follows without cancellation from
    ``y`` being 0 or 1: ``((1 - c)^2 A2 + c^2 (B2 - A2)) / scale^2``).
    """
    a_pair, b_pair, a2_pair, b2_pair = sums
    on = (slice(None), seg.pair_group)
    c_p, s_p = c[on], scale[on]
    total = (a_pair - c_p * b_pair) / s_p
    if a2_pair is None or b2_pair is None:
        square = total * total  # segments are PSUs
    else:
        square = ((1.0 - c_p) ** 2 * a2_pair + c_p**2 * (b2_pair - a2_pair)) / s_p**2
    total = np.where(np.isfinite(total), total, 0.0)
    square = np.where(np.isfinite(square), square, 0.0)
    return _design_variance(seg, total, square, d)


#: R's glm.fit defaults: convergence when |dev - dev_old| / (|dev| + 0.1) < 1e-8,
#: at most 25 iterations (R documentation of glm.control).
_GLM_EPSILON = 1e-8
_GLM_MAXIT = 25


def _rates(
    seg: _Segments,
    present: FloatArray,
    ones: FloatArray,
    d: _Design | None,
    n_all: int,
    t: float,
) -> dict[str, FloatArray]:
    """Estimates of 0/1 variables; ``present``/``ones`` are (K, m) sorted rows.

    Because the values are 0 or 1, every sum the estimators need is a combination
    of per-pair sums of ``w`` and ``w y``: ``sum w (y - r)`` over a PSU is
    ``A - r B``.
    """
    n_pair = seg.by_pair(present)
    n = seg.pairs_by_group(n_pair)
    if d is None:
        # simple: se = sqrt(N/(N-1)) sqrt(sum (y - p)^2) / n, logit CI with t(N-1)
        a = seg.by_group(ones)
        p = a / n
        ss = a * (1.0 - p) ** 2 + (n - a) * p**2
        scale = n_all / (n_all - 1.0) if n_all > 1 else math.nan
        se = math.sqrt(scale) * np.sqrt(ss) / n
        ll, ul = _logit_ci(p, t * np.sqrt(scale / (n * p * (1.0 - p))))
        return {"n": n, "pop": n, "r": p, "se": se, "ll": ll, "ul": ul}

    w = d.weights[seg.order]
    wy = ones * w
    wp = present * w
    a_pair = seg.by_pair(wy)
    b_pair = seg.by_pair(wp)
    sums: tuple[FloatArray, FloatArray, FloatArray | None, FloatArray | None]
    if d.rows_are_psus:
        sums = (a_pair, b_pair, seg.by_pair(wy * w), seg.by_pair(wp * w))
    else:
        sums = (a_pair, b_pair, None, None)
    a = seg.pairs_by_group(a_pair)
    b = seg.pairs_by_group(b_pair)
    r = a / b
    se = np.where(np.isnan(r), np.nan, np.sqrt(_binary_moments(seg, r, b, sums, d)))
    ll, ul = _logit_glm(seg, present, ones, w, sums, a, b, d, t)
    edge = (r == 0.0) | (r == 1.0)  # anthro reports [r, r] there
    ll = np.where(edge, r, np.where(np.isnan(r), np.nan, ll))
    ul = np.where(edge, r, np.where(np.isnan(r), np.nan, ul))
    return {"n": n, "pop": b, "r": r, "se": se, "ll": ll, "ul": ul}


def _logit_glm(
    seg: _Segments,
    present: FloatArray,
    ones: FloatArray,
    w: FloatArray,
    sums: tuple[FloatArray, FloatArray, FloatArray | None, FloatArray | None],
    a: FloatArray,
    b: FloatArray,
    d: _Design,
    t: float,
) -> tuple[FloatArray, FloatArray]:
    """Logit CI of a domain proportion as survey's ``svyciprop(method="logit")``.

    survey fits an intercept-only quasi-binomial GLM by iteratively reweighted
    least squares (weights rescaled to mean 1 over the domain, R's binomial
    starting values ``(w y + 0.5) / (w + 1)``) and takes the sandwich standard
    error of the intercept. The intercept stops within the deviance tolerance of
    ``logit(r)``, which moves the CI bounds by up to ~5e-7 percentage points, so
    the iterations are replayed here, vectorised over groups and columns.
    """
    # weights rescaled by their mean over all rows of the group (present or not)
    sum_w = np.add.reduceat(w, seg.row_start)
    scale = np.ones(seg.size)
    scale[seg.groups] = sum_w / seg.row_count
    prior = w / np.repeat(scale[seg.groups], seg.row_count)
    # iteration 0 has per-row starting values; y is 0 or 1, so each per-row term
    # is f1(w) for y = 1 and f0(w) for y = 0: sum = sum_1 (f1 - f0) + sum_present f0
    mu1 = (prior + 0.5) / (prior + 1.0)
    mu0 = 0.5 / (prior + 1.0)
    work1, work0 = prior * mu1 * (1.0 - mu1), prior * mu0 * (1.0 - mu0)
    f1 = np.column_stack(
        [
            -2.0 * prior * np.log(mu1),
            work1,
            work1 * np.log(mu1 / (1.0 - mu1)) + prior * (1.0 - mu1),
        ]
    )
    f0 = np.column_stack(
        [
            -2.0 * prior * np.log1p(-mu0),
            work0,
            work0 * np.log(mu0 / (1.0 - mu0)) - prior * mu0,
        ]
    )
    dev_old, sum_work, sum_wz = seg.by_group_dot(ones, f1 - f0) + seg.by_group_dot(
        present, f0
    )
    s1 = a / scale
    s0 = (b - a) / scale

    def deviance(mu: FloatArray) -> FloatArray:
        return np.asarray(
            -2.0 * (s1 * np.log(mu) + s0 * np.log1p(-mu)), dtype=np.float64
        )

    beta = sum_wz / sum_work
    mu = special.expit(beta)
    dev = deviance(mu)
    done = ~np.isfinite(beta) | (
        np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < _GLM_EPSILON
    )
    p = a / b
    for _ in range(_GLM_MAXIT - 1):
        if done.all():
            break
        beta = np.where(done, beta, beta + (p - mu) / (mu * (1.0 - mu)))
        mu = special.expit(beta)
        dev_old, dev = dev, deviance(mu)
        done |= ~np.isfinite(beta) | (
            np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < _GLM_EPSILON
        )
    # sandwich SE: the intercept's influence a_i (y_i - mu) / (mu (1 - mu) sum a),
    # i.e. (A - mu B) / (mu (1 - mu) B) per PSU. (Were the fit to stop after the
    # first iteration, survey would use per-row working weights; that only happens
    # when every value is 0 or every value is 1, where the interval is [r, r].)
    se_beta = np.sqrt(_binary_moments(seg, mu, mu * (1.0 - mu) * b, sums, d))
    return special.expit(beta - t * se_beta), special.expit(beta + t * se_beta)


def _means(
    seg: _Segments,
    z: FloatArray,
    d: _Design | None,
    method: Method,
    n_all: int,
    t: float,
    t_rows: float,
) -> dict[str, FloatArray]:
    """Mean z-score, its SE and CI, and the SD; ``z`` is (K, n) with NaN missing."""
    zs = seg.rows(z)
    present = ~np.isnan(zs)
    z0 = np.where(present, zs, 0.0)
    pres = present.astype(np.float64)
    w = np.ones(seg.order.size) if d is None else d.weights[seg.order]
    n = seg.by_group(pres)
    b = seg.by_group(pres * w)
    r = seg.by_group(z0 * w) / b
    dev = np.where(present, z0 - seg.to_rows(r), 0.0)
    scale = n_all / (n_all - 1.0) if n_all > 1 else math.nan
    if d is None:
        # simple: sample SD; se = sqrt(N/(N-1)) sqrt(sum (z - r)^2) / n; t(N-1)
        ss = seg.by_group(dev * dev)
        se = math.sqrt(scale) * np.sqrt(ss) / n
        return {"r": r, "se": se, "ll": r - t * se, "ul": r + t * se,
                "stdev": np.sqrt(ss / (n - 1.0))}  # fmt: skip
    wss = seg.by_group(w * dev * dev)
    if method == "hybrid":
        # anthro's weights-only mean z: closed formulas with N = all rows, t(N-1)
        se = math.sqrt(scale) * np.sqrt(seg.by_group((w * dev) ** 2)) / b
        stdev = np.sqrt(wss / b * n / (n - 1.0))
        return {"r": r, "se": se, "ll": r - t_rows * se, "ul": r + t_rows * se,
                "stdev": stdev}  # fmt: skip
    u_pair = seg.by_pair(w * dev) / b[:, seg.pair_group]
    if d.rows_are_psus:
        square = seg.by_pair((w * dev) ** 2) / b[:, seg.pair_group] ** 2
    else:
        square = u_pair * u_pair
    var = _design_variance(seg, u_pair, square, d)
    se = np.where(np.isnan(r), np.nan, np.sqrt(var))
    # survey's svyvar counts every row of the domain with non-zero weight,
    # including rows whose value is missing, in n/(n-1).
    n_nonzero = seg.by_group((w != 0).astype(np.float64)[None, :])
    stdev = np.sqrt(wss / b * n_nonzero / (n_nonzero - 1.0))
    return {"r": r, "se": se, "ll": r - t * se, "ul": r + t * se, "stdev": stdev}


# ----------------------------------------------------------------------------------
# groupings


def _fixed_grouping(
    label: str, codes: IntArray, names: Sequence[str]
) -> _Groups | None:
    if not (codes >= 0).any():
        return None  # anthro leaves out a grouping whose values are all missing
    return _Groups(tuple(f"{label}: {nm}" for nm in names), codes, len(names))


def _extra_grouping(
    grouping: Grouping, keep: npt.NDArray[np.bool_], sort: bool, n_input: int
) -> tuple[_Groups | None, str | None]:
    text = _as_text(grouping.values)
    if text.shape == ():
        text = np.full(n_input, str(text))
    if text.shape != (n_input,):
        raise ValueError(
            f"grouping {grouping.label!r} has {text.size} values, expected {n_input}"
        )
    text = text[keep]
    note = None
    if grouping.levels is not None:
        levels = np.asarray([str(v) for v in grouping.levels], dtype=np.str_)
        names = list(grouping.names) if grouping.names is not None else list(levels)
        if len(names) != levels.size:
            raise ValueError(
                f"grouping {grouping.label!r}: names and levels differ in length"
            )
        order = np.argsort(levels, kind="stable")
        pos = np.searchsorted(levels[order], text)
        pos = np.minimum(pos, levels.size - 1)
        found = levels[order][pos] == text
        codes = np.where(found, order[pos], -1).astype(np.intp)
        unknown = int(((~found) & (text != "")).sum())
        if unknown:
            note = (
                f"{unknown} rows have a {grouping.label} value outside "
                f"{', '.join(levels.tolist())}; they are counted as missing"
            )
    else:
        present = text != ""
        uniq, first, inverse = np.unique(
            text[present], return_index=True, return_inverse=True
        )
        rank = np.arange(uniq.size) if sort else np.argsort(np.argsort(first))
        names = [""] * uniq.size
        for u, rk in zip(uniq.tolist(), rank.tolist(), strict=True):
            names[rk] = u
        codes = np.full(text.size, -1, dtype=np.intp)
        codes[present] = rank[inverse]
    return _fixed_grouping(grouping.label, codes, names), note


# ----------------------------------------------------------------------------------
# the public function


def prevalence(
    scores: ZScoreColumns,
    *,
    sex: npt.ArrayLike,
    age_days: npt.ArrayLike | None = None,
    age_months: npt.ArrayLike | None = None,
    oedema: npt.ArrayLike | None = None,
    weights: npt.ArrayLike | None = None,
    cluster: npt.ArrayLike | None = None,
    strata: npt.ArrayLike | None = None,
    groupings: Sequence[Grouping] = (),
    level: float = 0.95,
) -> PrevalenceResult:
    """Prevalence estimates by group, matching WHO ``anthro_prevalence``.

    Parameters
    ----------
    scores
        Z-scores and flags per child (``zlen, flen, zwei, fwei, zbmi, fbmi, zwfl,
        fwfl``), e.g. the result of :func:`tumbuh.growth.zscores`. NaN = missing.
    sex
        1 = male, 2 = female; anything else is missing (the child counts in ``All``).
    age_days, age_months
        Unrounded age, in days or in months (give at most one). Rows whose age,
        rounded half up to whole days, exceeds 1826 are left out; rows with a
        missing age are kept (not in any age group).
    oedema
        True (or 1) for bilateral pitting oedema. Counts as z = -3.1 for the
        weight-for-age, BMI and weight-for-length/height prevalences and ``_pop``,
        and is left out of their mean and SD.
    weights
        Sampling weights (>= 0); missing weights become 0 (noted).
    cluster, strata
        Primary sampling unit and stratum per child (any labels; clusters are
        nested in strata). Rows with a missing cluster or stratum are left out.
    groupings
        Extra disaggregations, each giving rows ``"<label>: <value>"``.
    level
        Confidence level of the intervals.

    Returns
    -------
    PrevalenceResult
        One row per group (``All``, 6 age groups, 2 sexes, 12 age-sex groups,
        then the extra groupings) with the 134 WHO columns.

    Notes
    -----
    Flagged z-scores are treated as missing. Prevalence ``<I>_2`` is the share
    with z < -2, ``<I>2`` with z > +2 (strict). Without a design (``simple``):
    ``se = sqrt(N/(N-1)) * sqrt(sum (x - r)^2) / n`` with ``N`` all kept rows and
    CI ``logit(r) +- t(N-1) sqrt(N/(N-1) / (n r (1-r)))``. With weights or a
    design, ``r = sum w y / sum w`` over the group and its variance is that of the
    linearised total ``sum w (y - r) / sum w`` under the design, computed on the
    whole design (domain estimation; see :func:`_design_variance`). Prevalence
    CIs replay survey's logistic fit (:func:`_logit_glm`) with ``t(df)``, ``df`` =
    PSUs with non-zero weight minus strata; mean z-score CIs use ``r +- t(df) se``
    (weights only: anthro's closed formulas with ``t(N-1)``).

    Rows in a group are never looped over in Python; a survey of 100,000 children
    takes about a second.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> z = SimpleNamespace(zlen=[-2.5, -1.0, 0.5, -3.2], flen=[0, 0, 0, 0],
    ...     zwei=[-1.0] * 4, fwei=[0] * 4, zbmi=[0.0] * 4, fbmi=[0] * 4,
    ...     zwfl=[0.0] * 4, fwfl=[0] * 4)
    >>> res = prevalence(z, sex=[1, 2, 1, 2], age_days=[100, 400, 800, 1200])
    >>> res.row("All")["HA_2_r"]
    50.0
    >>> res.row("Sex: Male")["HAZ_unwpop"]
    2.0
    """
    zlen_raw = np.asarray(scores.zlen, dtype=np.float64)
    if zlen_raw.ndim != 1:
        raise ValueError("scores.zlen must be one-dimensional")
    n_input = zlen_raw.size
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if age_days is not None and age_months is not None:
        raise ValueError("give age_days or age_months, not both")

    oed = _as_float("oedema", oedema, n_input)
    has_oedema = oed == 1.0
    z_prev: list[FloatArray] = []
    z_mean: list[FloatArray] = []
    for _, zname, fname, oedema_counts in _INDICATORS:
        z = _as_float(f"scores.{zname}", getattr(scores, zname), n_input).copy()
        f = _as_float(f"scores.{fname}", getattr(scores, fname), n_input)
        z[f == 1.0] = np.nan
        if oedema_counts:
            z[has_oedema] = np.nan
            z_prev.append(np.where(has_oedema, OEDEMA_Z, z))
        else:
            z_prev.append(z)
        z_mean.append(z)

    if age_months is not None:
        months = _as_float("age_months", age_months, n_input)
        days = _round_half_up(months * DAYS_PER_MONTH)
    else:
        raw_days = _as_float("age_days", age_days, n_input)
        months = raw_days / DAYS_PER_MONTH
        days = _round_half_up(raw_days)
    keep = ~(days > MAX_AGE_DAYS)
    notes: list[str] = []
    n_old = int((~keep).sum())
    if n_old:
        notes.append(
            f"{n_old} rows will be excluded for the prevalence computation "
            f"due to age > {MAX_AGE_DAYS} days"
        )

    has_design = cluster is not None or strata is not None
    if has_design:
        cl_text = _as_text(cluster) if cluster is not None else np.full(n_input, "1")
        st_text = _as_text(strata) if strata is not None else np.full(n_input, "1")
        for name, arr in (("cluster", cl_text), ("strata", st_text)):
            if arr.shape != (n_input,):
                raise ValueError(f"{name} has {arr.size} values, expected {n_input}")
        missing_design = (cl_text == "") | (st_text == "")
        n_missing_design = int((missing_design & keep).sum())
        if n_missing_design:
            notes.append(
                f"{n_missing_design} rows will be excluded for the prevalence "
                "computation due to missing cluster and strata."
            )
        keep &= ~missing_design

    w_all = _as_float("weights", weights, n_input) if weights is not None else None
    if w_all is not None:
        if (w_all < 0).any():
            raise ValueError("negative sampling weights are not allowed")
        n_missing_w = int(np.isnan(w_all).sum())
        if n_missing_w:
            notes.append(
                f"{n_missing_w} rows had missing sampling weights and they will be "
                "set to 0. Doing this excludes them in the prevalence calculation."
            )
            w_all = np.where(np.isnan(w_all), 0.0, w_all)

    n_used = int(keep.sum())
    if n_used == 0:
        raise ValueError("no rows left for the prevalence computation")
    method: Method
    if has_design:
        method = "survey"
    elif w_all is not None and not (w_all[keep] == 1.0).all():
        method = "hybrid"
    else:
        method = "simple"
    w = w_all[keep] if w_all is not None else np.ones(n_used)

    # 0/1 prevalence variables: 6 cut-offs x 4 indicators + 2 combined, as
    # (K, n) matrices of "value present" and "value is 1"
    present_cols: list[npt.NDArray[np.bool_]] = []
    one_cols: list[npt.NDArray[np.bool_]] = []
    for zp in z_prev:
        zk = zp[keep]
        has = ~np.isnan(zk)
        for _, cut, below in _CUTOFFS:
            present_cols.append(has)
            one_cols.append(zk < cut if below else zk > cut)
    ha, wh = z_prev[0][keep], z_prev[3][keep]
    both = ~(np.isnan(ha) | np.isnan(wh))
    present_cols += [both, both]
    one_cols += [(ha < -2) & (wh < -2), (ha < -2) & (wh > 2)]
    rate_present = np.vstack(present_cols)
    rate_ones = np.vstack(one_cols) & rate_present
    z_summary = np.vstack([zm[keep] for zm in z_mean])

    # groupings
    months_k = months[keep]
    age_code = np.searchsorted(AGE_GROUP_BREAKS, months_k, side="right") - 1
    age_code = np.where(
        (months_k >= 0) & (months_k < AGE_GROUP_BREAKS[-1]), age_code, -1
    ).astype(np.intp)
    sex_f = _as_float("sex", sex, n_input)[keep]
    sex_code = np.select([sex_f == 2.0, sex_f == 1.0], [0, 1], -1).astype(np.intp)
    age_sex = np.where(
        (age_code >= 0) & (sex_code >= 0),
        age_code + len(AGE_GROUP_LABELS) * sex_code,
        -1,
    ).astype(np.intp)
    age_sex_names = [f"{a}.{s}" for s in SEX_LABELS for a in AGE_GROUP_LABELS]
    all_groups: list[_Groups | None] = [
        _Groups(("All",), np.zeros(n_used, dtype=np.intp), 1),
        _fixed_grouping("Age group", age_code, AGE_GROUP_LABELS),
        _fixed_grouping("Sex", sex_code, SEX_LABELS),
        _fixed_grouping("Age + sex", age_sex, age_sex_names),
    ]
    for grouping in groupings:
        grp, note = _extra_grouping(grouping, keep, method == "survey", n_input)
        all_groups.append(grp)
        if note:
            notes.append(note)
    groups = [grp for grp in all_groups if grp is not None]

    # design and degrees of freedom
    design: _Design | None = None
    if method == "simple":
        df = float(n_used - 1)
    else:
        rows_are_psus = True
        if method == "survey":
            st_codes = np.unique(st_text[keep], return_inverse=True)[1]
            cl_uniq, cl_codes = np.unique(cl_text[keep], return_inverse=True)
            if cl_uniq.size == 1:  # one cluster: every child is its own PSU
                cl_codes, n_cl = np.arange(n_used), n_used
            else:
                n_cl, rows_are_psus = cl_uniq.size, False
        else:  # hybrid: one stratum, every child its own PSU
            st_codes = np.zeros(n_used, dtype=np.intp)
            cl_codes, n_cl = np.arange(n_used), n_used
        key = st_codes.astype(np.int64) * n_cl + cl_codes
        psu_keys, psu = np.unique(key, return_inverse=True)
        psu_stratum = (psu_keys // n_cl).astype(np.intp)
        nonzero = w != 0
        df = float(np.unique(psu[nonzero]).size - np.unique(st_codes[nonzero]).size)
        design = _Design(
            weights=w,
            psu=psu.astype(np.intp),
            psu_stratum=psu_stratum,
            n_psu_in_stratum=np.bincount(psu_stratum).astype(np.float64),
            df=df,
            rows_are_psus=rows_are_psus,
            row_stratum=st_codes.astype(np.intp),
        )
    t = _t_quantile(level, df)

    t_rows = _t_quantile(level, float(n_used - 1))
    blocks: list[FloatArray] = []
    labels: list[str] = []
    # empty groups and single values give 0/0 and inf*0: NaN is the intended result
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for grp in groups:
            seg = _segments(grp, None if design is None else design.segment_key())
            rates = _rates(
                seg,
                seg.rows(rate_present),
                seg.rows(rate_ones),
                design,
                n_used,
                t,
            )
            means = _means(seg, z_summary, design, method, n_used, t, t_rows)
            blocks.append(_assemble(rates, means))
            labels.extend(grp.labels)
    return PrevalenceResult(
        groups=tuple(labels),
        values=np.vstack(blocks),
        method=method,
        n_input=n_input,
        n_used=n_used,
        degrees_of_freedom=df,
        notes=tuple(notes),
    )


def _assemble(rates: dict[str, FloatArray], means: dict[str, FloatArray]) -> FloatArray:
    """Lay the (K, G) estimates out as (G, :data:`PREVALENCE_COLUMNS`), rates in %."""
    rates = {k: v.T for k, v in rates.items()}
    means = {k: v.T for k, v in means.items()}
    n_groups = rates["r"].shape[0]
    out = np.full((n_groups, len(PREVALENCE_COLUMNS)), np.nan)
    pct = {e: rates[e[1:]] * 100.0 for e in _ESTIMATE}
    for i, (prefix, *_) in enumerate(_INDICATORS):
        first = i * len(_CUTOFFS)
        out[:, _COL_INDEX[f"{prefix}Z_pop"]] = rates["pop"][:, first]
        out[:, _COL_INDEX[f"{prefix}Z_unwpop"]] = rates["n"][:, first]
        for j, (suffix, *_) in enumerate(_CUTOFFS):
            for e in _ESTIMATE:
                out[:, _COL_INDEX[f"{prefix}{suffix}{e}"]] = pct[e][:, first + j]
        for e in _ESTIMATE:
            out[:, _COL_INDEX[f"{prefix}{e}"]] = means[e[1:]][:, i]
        out[:, _COL_INDEX[f"{prefix}_stdev"]] = means["stdev"][:, i]
    combined = 4 * len(_CUTOFFS)
    out[:, _COL_INDEX["HA_2_WH_2_pop"]] = rates["pop"][:, combined]
    out[:, _COL_INDEX["HA_2_WH_2_unwpop"]] = rates["n"][:, combined]
    for e in _ESTIMATE:
        out[:, _COL_INDEX[f"HA_2_WH_2{e}"]] = pct[e][:, combined]
        out[:, _COL_INDEX[f"HA_2_WH2{e}"]] = pct[e][:, combined + 1]
    return out


def anthro_prevalence(
    *,
    sex: object,
    age_days: object = None,
    age_months: object = None,
    weight_kg: object = None,
    lenhei_cm: object = None,
    measure: object = None,
    oedema: object = None,
    weights: npt.ArrayLike | None = None,
    cluster: npt.ArrayLike | None = None,
    strata: npt.ArrayLike | None = None,
    groupings: Sequence[Grouping] = (),
    level: float = 0.95,
) -> PrevalenceResult:
    """Z-scores with :func:`tumbuh.growth.zscores`, then :func:`prevalence`.

    The one-call equivalent of ``anthro_prevalence(sex, age, is_age_in_month,
    weight, lenhei, measure, oedema, sw, cluster, strata, ...)``. Codes are
    checked as anthro checks them: an invalid sex, measure or oedema code or a
    negative age raises ``ValueError``.

    Examples
    --------
    >>> res = anthro_prevalence(sex=[1, 2, 1], age_days=[400, 800, 1000],
    ...     weight_kg=[9.0, 10.5, 12.0], lenhei_cm=[72.0, 80.0, 88.0],
    ...     measure=["l", "h", "h"])
    >>> res.method, res.row("All")["HAZ_unwpop"]
    ('simple', 3.0)
    """
    scores = zscores(
        sex=sex,
        age_days=age_days,
        age_months=age_months,
        weight_kg=weight_kg,
        lenhei_cm=lenhei_cm,
        measure=measure,
        oedema=oedema,
    )
    n = len(scores)
    oed = np.zeros(n, dtype=bool)
    if oedema is not None:
        oed = np.broadcast_to(as_codes(oedema, "oedema", OEDEMA_CODES) == 1, (n,))
    if age_months is not None:
        ages = {"age_months": np.broadcast_to(as_float(age_months, "age_months"), (n,))}
    else:
        ages = {"age_days": np.broadcast_to(as_float(age_days, "age_days"), (n,))}
    return prevalence(
        scores,
        sex=scores.csex,
        oedema=oed,
        weights=weights,
        cluster=cluster,
        strata=strata,
        groupings=groupings,
        level=level,
        **ages,
    )
