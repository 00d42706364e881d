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

Everything is vectorised: per-group sums come from :func:`numpy.bincount` over
``group * K + column`` indices, PSU totals from one sort per grouping.

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
from tumbuh.growth.zscores import zscores

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

#: Days per month used by WHO Anthro to convert ages (WHO Anthro manual, 2011, §3.1).
DAYS_PER_MONTH = 30.4375
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


def _is_missing_object(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v != v


def _object_to_text(v: object) -> str:
    if _is_missing_object(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


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
    to_text = np.frompyfunc(_object_to_text, 1, 1)
    return np.asarray(to_text(arr.astype(object)), dtype=np.str_)


def _round_half_up(x: FloatArray) -> FloatArray:
    # anthro rounds ages to whole days with fraction >= 0.5 going up.
    fl = np.floor(x)
    return fl + ((x - fl) >= 0.5)


# ----------------------------------------------------------------------------------
# group sums


@dataclass(frozen=True)
class _Groups:
    labels: tuple[str, ...]
    codes: IntArray  # group index per row, -1 = in no group
    size: int


def _group_sum(g: _Groups, x: FloatArray) -> FloatArray:
    """Sum of the rows of ``x`` (n, K) per group: (G, K)."""
    k = x.shape[1]
    sel = g.codes >= 0
    idx = (g.codes[sel, None] * k + np.arange(k)).ravel()
    sums = np.bincount(idx, weights=x[sel].ravel(), minlength=g.size * k)
    return np.asarray(sums, dtype=np.float64).reshape(g.size, k)


def _spread(g: _Groups, per_group: FloatArray) -> FloatArray:
    """Per-group values (G, K) back onto rows (n, K); rows in no group get 0."""
    out = np.zeros((g.codes.size, per_group.shape[1]))
    sel = g.codes >= 0
    out[sel] = per_group[g.codes[sel]]
    return out


def _div(a: FloatArray, b: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(a / b, dtype=np.float64)


# ----------------------------------------------------------------------------------
# estimators


@dataclass(frozen=True)
class _Design:
    """Survey design on the kept rows: PSU per row, stratum per PSU."""

    weights: FloatArray
    psu: IntArray  # PSU index per row; PSUs numbered stratum by stratum
    psu_stratum: IntArray  # stratum index per PSU
    n_psu_in_stratum: FloatArray  # per stratum, zero-weight PSUs included
    df: float


def _t_quantile(level: float, df: float) -> float:
    if not df > 0:
        return math.nan
    return float(special.stdtrit(df, 0.5 + level / 2.0))


def _logit_ci(
    r: FloatArray, half_width_logit: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Back-transformed logit CI; [r, r] when r is 0 or 1 (as anthro reports)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logit = np.log(r / (1.0 - r))
        ll = special.expit(logit - half_width_logit)
        ul = special.expit(logit + half_width_logit)
    edge = (r == 0.0) | (r == 1.0)
    return np.where(edge, r, ll), np.where(edge, r, ul)


def _simple(
    g: _Groups, y: FloatArray, is_rate: bool, n_all: int, t: float
) -> dict[str, FloatArray]:
    """Unweighted estimates: ``se = sqrt(N/(N-1)) * sqrt(sum (x - r)^2) / n``."""
    present = ~np.isnan(y)
    n = _group_sum(g, present.astype(np.float64))
    r = _div(_group_sum(g, np.where(present, y, 0.0)), n)
    dev = np.where(present, y - _spread(g, r), 0.0)
    ss = _group_sum(g, dev * dev)
    scale = n_all / (n_all - 1.0) if n_all > 1 else math.nan
    se = math.sqrt(scale) * _div(np.sqrt(ss), n)
    out = {"n": n, "pop": n, "r": r, "se": se}
    if is_rate:
        half = t * np.sqrt(_div(np.full_like(r, scale), n * r * (1.0 - r)))
        out["ll"], out["ul"] = _logit_ci(r, half)
    else:
        out["ll"], out["ul"] = r - t * se, r + t * se
        out["stdev"] = np.sqrt(_div(ss, n - 1.0))
    return out


def _hybrid_mean(
    g: _Groups, y: FloatArray, w: FloatArray, n_all: int, t: float
) -> dict[str, FloatArray]:
    """Weighted mean z-score without a design, as anthro's weights-only path."""
    present = ~np.isnan(y)
    wm = np.where(present, w[:, None], 0.0)
    n = _group_sum(g, present.astype(np.float64))
    sw = _group_sum(g, wm)
    r = _div(_group_sum(g, wm * np.where(present, y, 0.0)), sw)
    dev = np.where(present, y - _spread(g, r), 0.0)
    wss = _group_sum(g, wm * dev * dev)
    stdev = np.sqrt(_div(wss, sw) * _div(n, n - 1.0))
    scale = n_all / (n_all - 1.0) if n_all > 1 else math.nan
    se = math.sqrt(scale) * _div(np.sqrt(_group_sum(g, (wm * dev) ** 2)), sw)
    return {
        "n": n,
        "pop": sw,
        "r": r,
        "se": se,
        "ll": r - t * se,
        "ul": r + t * se,
        "stdev": stdev,
    }


def _psu_variance(g: _Groups, u: FloatArray, d: _Design) -> FloatArray:
    """Design variance of per-group totals of ``u`` (n, K): (G, K).

    With PSU totals ``U_hj`` and ``n_h`` PSUs in stratum ``h`` of the whole design
    (a domain keeps the design's PSU counts), the variance is
    ``sum_h n_h/(n_h-1) sum_j (U_hj - mean_h U)^2``; a stratum with a single PSU
    contributes ``U^2`` (survey 4.1's ``lonely.psu = "adjust"``).
    """
    sel = g.codes >= 0
    n_psu = d.psu_stratum.size
    key = g.codes[sel].astype(np.int64) * n_psu + d.psu[sel]
    pairs, pair_of_row = np.unique(key, return_inverse=True)
    k = u.shape[1]
    idx = (pair_of_row[:, None] * k + np.arange(k)).ravel()
    big_u = np.asarray(
        np.bincount(idx, weights=u[sel].ravel(), minlength=pairs.size * k),
        dtype=np.float64,
    ).reshape(pairs.size, k)
    # PSUs not in the domain have U = 0: sum_j (U_j - m)^2 = sum_j U_j^2 - n_h m^2
    pair_group = pairs // n_psu
    pair_stratum = d.psu_stratum[pairs % n_psu]
    n_strata = d.n_psu_in_stratum.size
    gh = _Groups(
        (), (pair_group * n_strata + pair_stratum).astype(np.intp), g.size * n_strata
    )
    total = _group_sum(gh, big_u).reshape(g.size, n_strata, k)
    square = _group_sum(gh, big_u * big_u).reshape(g.size, n_strata, k)
    n_h = d.n_psu_in_stratum[None, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        centred = np.where(
            n_h > 1, n_h / (n_h - 1.0) * (square - total * total / n_h), square
        )
    return np.asarray(np.maximum(centred.sum(axis=1), 0.0), dtype=np.float64)


#: R's glm.fit defaults: convergence when |dev - dev_old| / (|dev| + 0.1) < 1e-8,
#: at most 25 iterations (R documentation of glm.control).
_GLM_EPSILON = 1e-8
_GLM_MAXIT = 25


def _logit_glm(
    g: _Groups, y: FloatArray, w: FloatArray, d: _Design, t: float
) -> tuple[FloatArray, FloatArray]:
    """Logit CI of a domain proportion as survey's ``svyciprop(method="logit")``.

    survey fits an intercept-only quasi-binomial GLM by iteratively reweighted
    least squares (weights rescaled to mean 1 over the domain, R's binomial
    starting values ``(w y + 0.5) / (w + 1)``) and takes the sandwich standard
    error of the intercept. The intercept stops within the deviance tolerance of
    ``logit(r)``, which moves the CI bounds by up to ~5e-7 percentage points, so
    the iterations are replayed here, vectorised over groups and columns.
    """
    present = ~np.isnan(y)
    n_rows = _group_sum(g, np.ones((g.codes.size, 1)))
    scale = _div(_group_sum(g, w[:, None]), n_rows)
    a = _div(w[:, None], _spread(g, scale))
    a = np.where(present & np.isfinite(a), a, 0.0)
    y0 = np.where(present, y, 0.0)
    s1 = _group_sum(g, a * y0)
    s0 = _group_sum(g, a * (1.0 - y0))
    # iteration 0: per-row starting values
    mu0 = (a * y0 + 0.5) / (a + 1.0)
    eta0 = np.log(mu0 / (1.0 - mu0))
    var0 = mu0 * (1.0 - mu0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev_old = 2.0 * _group_sum(
            g, a * np.where(y0 == 1.0, -np.log(mu0), -np.log1p(-mu0))
        )
        w1 = a * var0
        beta = _div(_group_sum(g, w1 * (eta0 + (y0 - mu0) / var0)), _group_sum(g, w1))

        def deviance(mu: FloatArray) -> FloatArray:
            return np.asarray(
                -2.0 * (s1 * np.log(mu) + s0 * np.log1p(-mu)), dtype=np.float64
            )

        mu = special.expit(beta)
        dev = deviance(mu)
        done = np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < _GLM_EPSILON
        first = done.copy()  # converged at once: working weights from row values
        p = _div(s1, s1 + s0)
        for _ in range(_GLM_MAXIT - 1):
            if done.all():
                break
            step = (p - mu) / (mu * (1.0 - mu))
            beta = np.where(done, beta, beta + step)
            mu = special.expit(beta)
            dev_old, dev = dev, deviance(mu)
            done |= ~np.isfinite(beta) | (
                np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < _GLM_EPSILON
            )
        # sandwich: influence of the intercept, with the working weights of the
        # last iteration (per-row only if it converged in the first one)
        work = np.where(_spread(g, first.astype(np.float64)) == 1.0, w1, a)
        infl = (
            (y0 - _spread(g, mu))
            / _spread(g, mu * (1.0 - mu))
            * _div(work, _spread(g, _group_sum(g, work)))
        )
    infl = np.where(present & np.isfinite(infl), infl, 0.0)
    se_beta = np.sqrt(_psu_variance(g, infl, d))
    with np.errstate(over="ignore"):
        ll = special.expit(beta - t * se_beta)
        ul = special.expit(beta + t * se_beta)
    return ll, ul


def _survey(
    g: _Groups, y: FloatArray, d: _Design, is_rate: bool, t: float
) -> dict[str, FloatArray]:
    """Domain estimation by Taylor linearisation of the ratio ``sum w y / sum w``.

    ``u_i = w_i (y_i - r) / sum w`` inside the domain and 0 outside; its design
    variance (:func:`_psu_variance`) is the variance of ``r``.
    """
    present = ~np.isnan(y)
    w = d.weights
    wm = np.where(present, w[:, None], 0.0)
    n = _group_sum(g, present.astype(np.float64))
    sw = _group_sum(g, wm)
    r = _div(_group_sum(g, wm * np.where(present, y, 0.0)), sw)
    dev = np.where(present, y - _spread(g, r), 0.0)
    u = _div(wm * dev, _spread(g, sw))
    u[~np.isfinite(u)] = 0.0
    se = np.where(np.isnan(r), np.nan, np.sqrt(_psu_variance(g, u, d)))
    out = {"n": n, "pop": sw, "r": r, "se": se}
    if is_rate:
        ll, ul = _logit_glm(g, y, w, d, t)
        edge = (r == 0.0) | (r == 1.0)  # anthro reports [r, r] there
        out["ll"] = np.where(edge, r, np.where(np.isnan(r), np.nan, ll))
        out["ul"] = np.where(edge, r, np.where(np.isnan(r), np.nan, ul))
    else:
        out["ll"], out["ul"] = r - t * se, r + t * se
        # survey's svyvar counts every row of the domain with non-zero weight,
        # including rows whose value is missing, in n/(n-1).
        nonzero = (w != 0).astype(np.float64)[:, None]
        n_nonzero = _group_sum(g, nonzero)
        wss = _group_sum(g, wm * dev * dev)
        out["stdev"] = np.sqrt(_div(wss, sw) * _div(n_nonzero, n_nonzero - 1.0))
    return out


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
    design, see :func:`_survey`; the CI uses ``t(df)`` with ``df`` = PSUs with
    non-zero weight minus strata.

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

    # 0/1 prevalence variables (NaN = missing): 6 cut-offs x 4 indicators + 2 combined
    rate_cols: list[FloatArray] = []
    for zp in z_prev:
        zk = zp[keep]
        for _, cut, below in _CUTOFFS:
            hit = zk < cut if below else zk > cut
            rate_cols.append(np.where(np.isnan(zk), np.nan, hit.astype(np.float64)))
    ha, wh = z_prev[0][keep], z_prev[3][keep]
    both = np.isnan(ha) | np.isnan(wh)
    rate_cols.append(np.where(both, np.nan, ((ha < -2) & (wh < -2)).astype(np.float64)))
    rate_cols.append(np.where(both, np.nan, ((ha < -2) & (wh > 2)).astype(np.float64)))
    y_rate = np.column_stack(rate_cols)
    y_mean = np.column_stack([zm[keep] for zm in z_mean])

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
        if method == "survey":
            st_codes = np.unique(st_text[keep], return_inverse=True)[1]
            cl_uniq, cl_codes = np.unique(cl_text[keep], return_inverse=True)
            if cl_uniq.size == 1:  # one cluster: every child is its own PSU
                cl_codes, n_cl = np.arange(n_used), n_used
            else:
                n_cl = cl_uniq.size
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
        )
    t = _t_quantile(level, df)

    blocks: list[FloatArray] = []
    labels: list[str] = []
    # empty groups and single values give 0/0 and inf*0: NaN is the intended result
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for grp in groups:
            blocks.append(
                _estimate(grp, y_rate, y_mean, design, method, n_used, t, level)
            )
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


def _estimate(
    grp: _Groups,
    y_rate: FloatArray,
    y_mean: FloatArray,
    design: _Design | None,
    method: Method,
    n_used: int,
    t: float,
    level: float,
) -> FloatArray:
    """All columns for the groups of one grouping."""
    if design is None:
        rates = _simple(grp, y_rate, True, n_used, t)
        means = _simple(grp, y_mean, False, n_used, t)
    else:
        rates = _survey(grp, y_rate, design, True, t)
        if method == "hybrid":
            # anthro's weights-only mean z uses t(N - 1), not the design df
            t_rows = _t_quantile(level, float(n_used - 1))
            means = _hybrid_mean(grp, y_mean, design.weights, n_used, t_rows)
        else:
            means = _survey(grp, y_mean, design, False, t)
    return _assemble(rates, means)


def _assemble(rates: dict[str, FloatArray], means: dict[str, FloatArray]) -> FloatArray:
    """Lay the estimates out in :data:`PREVALENCE_COLUMNS` order (percent for rates)."""
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
