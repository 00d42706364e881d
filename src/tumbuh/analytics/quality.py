"""Data quality of routine anthropometry per desa or posyandu and period: a SMART-style score.

The WHO-UNICEF 2019 diagnostics and the SMART plausibility check (docs/facts.md §8) were made
for one-off surveys of 600-900 children. Posyandu data are small, continuous and have their
own failure modes, so the criteria are adapted (every adaptation is listed in
docs/quality.md):

* tests whose statistic drifts with n are corrected for sampling noise: the digit preference
  score subtracts its null expectation (``chi2 - df``), skewness and kurtosis count only the
  part beyond 1.96 standard errors;
* each statistical criterion needs a minimum count; a posyandu-period below it borrows the
  value pooled over all periods of the same posyandu (``pooled`` lists which);
* the total penalty is shrunk towards the mean penalty of the group's parent (desa for a
  posyandu, kecamatan for a desa) in the same period, with weight ``n / (n + N0)``; the
  parent's mean itself leans on the period's overall mean with the same pseudo-count;
* routine-specific criteria are added: missing values, duplicates, grams typed as kilograms
  and other impossible values, Cara Ukur against age, and excess mass just above the HAZ -2
  cut-off (lengths rounded up so that a child escapes the "pendek" label).

Input is the long measurement frame of `tumbuh.analytics.routine` plus ``weight_kg``,
``lenhei_cm``, ``sex`` (``M``/``F``), ``measure`` (``l``/``h``), optionally ``muac_cm`` (LiLA,
its terminal digit joins the digit-preference test); rows with a blank date are kept (they
count as missing dates in the all-period row).
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from math import erfc, sqrt
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.stats import chi2, norm

from tumbuh.analytics.routine import _KEY, UNDER_FIVE_DAYS, arrow_table, parse_period
from tumbuh.i18n import LANGUAGES, Message, neutral, translate

FloatArray = npt.NDArray[np.float64]

#: Pseudo-count of the shrinkage of a group's penalty towards its parent's mean penalty.
SHRINK_N0 = 30.0
#: Width (z) of the window below -2 compared with [-2.00, -1.90) (facts.md §8). Lengths
#: rounded up past the cut-off come from the whole band [-2.5, -2.0), so a 0.5-wide window
#: sees the deficit as well as the excess; the variance is clustered by child (repeated rows
#: of one child are not independent), which is what made wide windows raise false alarms
#: before (docs/quality.md, "Measured").
CUT_BELOW = 0.5
#: Smallest number of rows a group needs to be scored at all; below it the band is
#: ``insufficient``. Chosen from the power of the row-rate criteria on synthetic data
#: (docs/quality.md): with fewer rows an injected problem affecting 4-5 % of the rows has
#: a fair chance of touching none of them. Overridable with ``min_rows=``.
MIN_ROWS = 20
#: Criteria are judged by the SIZE of the departure (issue 14), as SMART's plausibility
#: check does for digit preference and SD: a p-value only gates them (a departure must also
#: be beyond chance, so a tiny posyandu is not fined for noise), it never sets the points,
#: because with thousands of rows every trivial bias is "significant".
GATE_P = 0.01
#: Expected age ratio 6-29 : 30-59 months (SMART; facts.md §8).
AGE_RATIO = 0.85
#: Minimum usable values for each statistical criterion before pooling over periods.
MIN_N = {"dps": 20, "dist": 50, "ratio": 30, "cutoff": 10}

BANDS = (  # SMART overall score: 0-9, 10-14, 15-24, >= 25 penalty points
    (9.5, "excellent", "Excellent", "Sangat baik"),
    (14.5, "good", "Good", "Baik"),
    (24.5, "acceptable", "Acceptable", "Cukup"),
    (float("inf"), "problematic", "Problematic", "Bermasalah"),
)
#: Band of a group with fewer than ``min_rows`` rows: no score, no rank.
INSUFFICIENT = (
    "insufficient",
    "Insufficient data",
    "Terlalu sedikit data untuk dinilai",
)


@dataclass(frozen=True)
class Criterion:
    """One scored criterion: the value's column, its band edges and the penalty points.

    ``edges`` are upper limits of the Excellent, Good, Acceptable classes for
    ``direction="high"`` (bigger is worse) and lower limits for ``"low"`` (smaller is worse,
    p-values). The reason is the catalogue entry ``quality.reason.<key>``, its value
    ``{v}`` given with ``decimals`` places and its counts by name (``{n_flagged}`` ...).
    """

    key: str
    edges: tuple[float, float, float]
    points: tuple[int, int, int, int]
    direction: str
    decimals: int


CRITERIA: tuple[Criterion, ...] = (
    Criterion("pct_flagged", (2.5, 5.0, 7.5), (0, 5, 10, 20), "high", 1),
    Criterion("sex_ratio_dev", (5.0, 7.5, 10.0), (0, 2, 4, 10), "high", 0),
    Criterion("age_ratio_dev", (0.2, 0.4, 0.6), (0, 1, 2, 4), "high", 0),
    Criterion("dps_weight", (7.0, 12.0, 20.0), (0, 2, 4, 10), "high", 0),
    Criterion("dps_height", (7.0, 12.0, 20.0), (0, 2, 4, 10), "high", 0),
    Criterion("pct_whole_cm", (30.0, 60.0, 90.0), (0, 1, 2, 3), "high", 0),
    Criterion("dps_muac", (7.0, 12.0, 20.0), (0, 2, 4, 10), "high", 0),
    Criterion("sd_whz_dev", (0.10, 0.15, 0.20), (0, 5, 10, 20), "high", 2),
    Criterion("sd_haz_dev", (0.30, 0.40, 0.50), (0, 2, 5, 10), "high", 2),
    Criterion("skew_whz_excess", (0.2, 0.4, 0.6), (0, 1, 3, 5), "high", 2),
    Criterion("kurt_whz_excess", (0.2, 0.4, 0.6), (0, 1, 3, 5), "high", 2),
    Criterion("cutoff_excess", (1.25, 1.5, 2.0), (0, 5, 10, 20), "high", 0),
    Criterion("pct_missing", (1.0, 5.0, 10.0), (0, 2, 5, 10), "high", 1),
    Criterion("pct_duplicates", (0.0, 1.0, 3.0), (0, 2, 5, 10), "high", 1),
    Criterion("pct_implausible", (0.0, 1.0, 3.0), (0, 2, 5, 10), "high", 1),
    Criterion("pct_measure_age", (5.0, 10.0, 20.0), (0, 2, 5, 10), "high", 1),
)

# Which minimum count (and pooled fallback) applies to which criterion.
_STAT = {
    "sex_ratio_dev": "ratio",
    "age_ratio_dev": "ratio",
    "dps_weight": "dps",
    "dps_height": "dps",
    "pct_whole_cm": "dps",
    "sd_whz_dev": "dist",
    "sd_haz_dev": "dist",
    "skew_whz_excess": "dist",
    "kurt_whz_excess": "dist",
    "cutoff_excess": "cutoff",
}
# Criteria that count only where their departure is also beyond chance (p < GATE_P): the
# p-value of each, computed in _derive under the key given here.
_GATED = {
    "sex_ratio_dev": "sex_ratio_p",
    "age_ratio_dev": "age_ratio_p",
    "dps_weight": "digit_p_weight",
    "dps_height": "digit_p_height",
    "dps_muac": "digit_p_muac",
    "cutoff_excess": "cutoff_excess_p",
}
# Effect-size criteria whose points are shrunk towards the parent (see _score).
_SHRUNK = ("sd_whz_dev", "sd_haz_dev", "skew_whz_excess", "kurt_whz_excess")
_COUNT_OF = {
    "ratio": "n_children",
    "dps": "n_digits",
    "dist": "n_whz",
    "cutoff": "n_cut",
}


def dps(counts: Any) -> FloatArray:
    """Digit preference score ``100 sqrt(chi2 / (n df))`` of terminal-digit counts (WHO MONICA).

    ``counts`` has shape (..., 10); NaN where n == 0.
    """
    c = np.asarray(counts, dtype=np.float64)
    n = c.sum(axis=-1)
    safe = np.where(n > 0, n, 1.0)
    chi2 = (c**2).sum(axis=-1) / (safe / 10.0) - safe
    return np.asarray(np.where(n > 0, 100.0 * np.sqrt(chi2 / (safe * 9.0)), np.nan))


def dps_excess(sum_sq: Any, n: Any, digits: int = 10) -> FloatArray:
    """DPS with the chi-square's null expectation (df = digits - 1) removed: 0 for honest
    small samples.

    Under uniform digits ``E[chi2] = 9``, so the plain DPS of a fair posyandu with 50
    weighings is about ``100 / sqrt(50) = 14`` ("acceptable") by chance alone. ``digits=9``
    scores the tenths 1-9 only (lengths, once whole centimetres are set apart).
    """
    s = np.asarray(sum_sq, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    df = digits - 1.0
    safe = np.where(m > 0, m, 1.0)
    chi2 = s / (safe / digits) - safe
    return np.asarray(
        np.where(
            m > 0, 100.0 * np.sqrt(np.maximum(chi2 - df, 0.0) / (safe * df)), np.nan
        )
    )


def _digit_chi2(sum_sq: FloatArray, n: FloatArray, digits: int = 10) -> FloatArray:
    """Chi-square (df digits - 1) of terminal-digit counts from their sum of squares."""
    safe = np.where(n > 0, n, 1.0)
    return np.asarray(np.where(n > 0, sum_sq / (safe / digits) - safe, np.nan))


def _chi2_p(stat: FloatArray) -> FloatArray:
    """Upper tail of chi-square with 1 df."""
    return np.array(
        [erfc(sqrt(max(s, 0.0) / 2.0)) if np.isfinite(s) else np.nan for s in stat]
    )


def _proportion_p(x: FloatArray, n: FloatArray, p0: float | FloatArray) -> FloatArray:
    """Two-sided p of a proportion test (normal approximation), NaN where n == 0."""
    p0a = np.broadcast_to(np.asarray(p0, dtype=np.float64), x.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = (x - n * p0a) ** 2 / (n * p0a * (1 - p0a))
    return np.where(n > 0, _chi2_p(np.where(n > 0, stat, np.nan)), np.nan)


# A count in a reason: a whole number not part of a decimal, a range ("6-29"), a code, a
# penalty "(-2)" or a percentage.
_COUNT = re.compile(r"(?<![\w.,\-])(\d+)(?![\w.,\-]|\s*%)")


def suppress_small_counts(text: str, threshold: int) -> str:
    """A reason with every count from 1 to ``threshold - 1`` shown as ``<threshold``.

    For outputs seen by roles without personal data (UU PDP 27/2022: small cells
    suppressed in every aggregate a viewer sees, data quality included).
    """

    def hide(match: re.Match[str]) -> str:
        value = int(match.group(1))
        return f"<{threshold}" if 0 < value < threshold else match.group(1)

    return _COUNT.sub(hide, text)


@functools.cache
def _fields(key: str) -> frozenset[str]:
    """The parameters the texts of ``quality.reason.<key>`` name, in either language."""
    names: set[str] = set()
    for lang in LANGUAGES:
        text = translate(f"quality.reason.{key}", lang)
        names |= {f for _, f, _, _ in string.Formatter().parse(text) if f}
    return frozenset(names)


def _penalty(c: Criterion, v: FloatArray) -> npt.NDArray[np.int64]:
    e1, e2, e3 = c.edges
    p0, p1, p2, p3 = c.points
    if c.direction == "high":
        pts = np.where(v <= e1, p0, np.where(v <= e2, p1, np.where(v <= e3, p2, p3)))
    else:
        pts = np.where(v > e1, p0, np.where(v > e2, p1, np.where(v > e3, p2, p3)))
    return np.where(np.isnan(v), 0, pts).astype(np.int64)


def _digit_sql(name: str, col: str, extra: str, sq: str, n: str) -> str:
    """Two CTEs for the terminal-digit test of one measurement: ``name`` counts the digits
    (tenths) per group and period; ``name``s sums their squares per group and period, plus
    one all-period row per group (digits pooled over the periods first)."""
    return f"""{name} AS (
        SELECT g, pk, CAST(round({col} * 10) AS BIGINT) % 10 AS digit, count(*) AS c
        FROM r WHERE {col} IS NOT NULL AND {col} > 0 AND {extra} GROUP BY ALL
    ),
    {name}s AS (
        SELECT g, pk, sum(c * c) AS {sq}, sum(c) AS {n},
            coalesce(sum(c * c) FILTER (WHERE digit <> 0), 0) AS {sq}_nz,
            coalesce(sum(c) FILTER (WHERE digit <> 0), 0) AS {n}_nz
        FROM {name}
        WHERE pk IS NOT NULL GROUP BY g, pk
        UNION ALL
        SELECT g, CAST(NULL AS BIGINT) AS pk, sum(c * c) AS {sq}, sum(c) AS {n},
            coalesce(sum(c * c) FILTER (WHERE digit <> 0), 0) AS {sq}_nz,
            coalesce(sum(c) FILTER (WHERE digit <> 0), 0) AS {n}_nz
        FROM (SELECT g, digit, sum(c) AS c FROM {name} GROUP BY g, digit) GROUP BY g
    )"""


def _metrics_sql(group: str, freq: str, has_muac: bool = False) -> tuple[str, str]:
    key = _KEY[freq]
    prep = f"""
    CREATE TEMP TABLE r AS
    SELECT {group} AS g, desa_code, d, child_id, sex, measure, age_days,
           CAST(weight_kg AS DOUBLE) AS w, CAST(lenhei_cm AS DOUBLE) AS l,
           {"CAST(muac_cm AS DOUBLE)" if has_muac else "CAST(NULL AS DOUBLE)"} AS muac,
           CAST(zlen AS DOUBLE) AS zlen, CAST(zwfl AS DOUBLE) AS zwfl,
           CAST(zwei AS DOUBLE) AS zwei,
           coalesce(CAST(flen AS BOOLEAN), false) AS flen,
           coalesce(CAST(fwfl AS BOOLEAN), false) AS fwfl,
           coalesce(CAST(fwei AS BOOLEAN), false) AS fwei,
           CASE WHEN d IS NULL THEN NULL
                ELSE {key.replace("mk", "(year(d) * 12 + month(d) - 1)")} END AS pk
    FROM (
        SELECT *, CAST(measured_on AS DATE) AS d,
               CAST(CAST(posyandu_id AS BIGINT) AS VARCHAR) AS posyandu
        FROM raw
    )
    WHERE {group} IS NOT NULL
      AND (age_days IS NULL OR (age_days >= 0 AND age_days < {UNDER_FIVE_DAYS}))
    """
    query = f"""
    WITH
    {_digit_sql("wd", "w", "w < 100", "w_sq", "n_weight")},
    {_digit_sql("ld", "l", "true", "l_sq", "n_height")},
    {_digit_sql("ad", "muac", "true", "a_sq", "n_muac")},
    cp AS (
        -- The child's latest row: max of a struct led by the date, so that two rows of
        -- the same day (duplicates) give the same pick on every run (arg_max over d
        -- alone picked either, and SD/mean and the cut-off test moved between runs).
        SELECT g, pk, child_id, unnest(max(
            struct_pack(d, sex, age_days, zlen, flen, zwfl, fwfl)))
        FROM r WHERE d IS NOT NULL GROUP BY g, pk, child_id
    ),
    ca AS (
        SELECT g, CAST(NULL AS BIGINT) AS pk, child_id, unnest(max(
            struct_pack(d, sex, age_days, zlen, flen, zwfl, fwfl)))
        FROM cp GROUP BY g, child_id
    ),
    cc AS (
        SELECT g, pk, grouping(pk) AS gp, child_id,
            count(*) FILTER (WHERE zlen >= -2.005) AS a, count(*) AS t
        FROM r WHERE NOT flen AND zlen >= {-2.005 - CUT_BELOW:.3f} AND zlen < -1.905
        GROUP BY GROUPING SETS ((g, pk, child_id), (g, child_id))
    ),
    ccs AS (
        SELECT g, pk, sum(a * a) AS cut_aa, sum(a * t) AS cut_at, sum(t * t) AS cut_tt
        FROM cc WHERE gp = 1 OR pk IS NOT NULL GROUP BY g, pk
    ),
    ci AS (
        SELECT g, pk, hash(child_id, d) AS h1, count(*) AS c
        FROM r WHERE d IS NOT NULL GROUP BY g, pk, h1, hash(child_id, d, w, l)
    ),
    dups AS (
        SELECT g, pk, sum(c1 - 1) AS n_duplicates, sum(i1) AS n_identical
        FROM (SELECT g, pk, h1, sum(c) AS c1, sum(c - 1) AS i1 FROM ci GROUP BY g, pk, h1)
        GROUP BY GROUPING SETS ((g, pk), (g))
    ),
    cs AS (
        SELECT g, pk,
            count(*) AS n_children,
            count(age_days) AS n_birth_known,
            count(*) FILTER (WHERE dayofmonth(d - CAST(age_days AS INTEGER)) IN (1, 15))
                AS n_birth_1_15,
            count(*) FILTER (WHERE sex = 'M') AS n_boys,
            count(*) FILTER (WHERE sex = 'F') AS n_girls,
            count(*) FILTER (WHERE age_days BETWEEN 183 AND 912) AS n_6_29,
            count(*) FILTER (WHERE age_days BETWEEN 913 AND {UNDER_FIVE_DAYS - 1})
                AS n_30_59,
            count(zlen) FILTER (WHERE NOT flen) AS n_haz,
            avg(zlen) FILTER (WHERE NOT flen) AS mean_haz,
            stddev_samp(zlen) FILTER (WHERE NOT flen) AS sd_haz,
            skewness(zlen) FILTER (WHERE NOT flen) AS skew_haz,
            kurtosis(zlen) FILTER (WHERE NOT flen) AS kurt_haz,
            count(zwfl) FILTER (WHERE NOT fwfl) AS n_whz,
            stddev_samp(zwfl) FILTER (WHERE NOT fwfl) AS sd_whz,
            skewness(zwfl) FILTER (WHERE NOT fwfl) AS skew_whz,
            kurtosis(zwfl) FILTER (WHERE NOT fwfl) AS kurt_whz
        FROM (SELECT * FROM cp UNION ALL BY NAME SELECT * FROM ca)
        GROUP BY g, pk
    ),
    base AS (
        SELECT g, pk, grouping(pk) AS pooled_row,
            count(*) AS n_rows,
            sum(CAST(w IS NULL OR l IS NULL OR d IS NULL OR sex IS NULL AS INTEGER))
                AS n_missing,
            sum(CAST(w IS NULL AS INTEGER)) AS n_missing_weight,
            sum(CAST(l IS NULL AS INTEGER)) AS n_missing_length,
            sum(CAST(d IS NULL AS INTEGER)) AS n_missing_date,
            sum(CAST(sex IS NULL AS INTEGER)) AS n_missing_sex,
            sum(CAST(w >= 100 OR w < 0.5 OR l < 38 OR l > 130 AS INTEGER))
                AS n_implausible,
            sum(CAST(w >= 100 AS INTEGER)) AS n_grams_as_kg,
            sum(CAST(zlen IS NOT NULL OR zwei IS NOT NULL OR zwfl IS NOT NULL AS INTEGER))
                AS n_scored,
            sum(CAST((zlen IS NOT NULL AND flen) OR (zwei IS NOT NULL AND fwei)
                     OR (zwfl IS NOT NULL AND fwfl) AS INTEGER)) AS n_flagged,
            sum(CAST(measure IN ('l', 'h') AND age_days IS NOT NULL AS INTEGER))
                AS n_measure,
            sum(CAST((measure = 'h' AND age_days < 731) OR (measure = 'l'
                     AND age_days >= 731) AS INTEGER)) AS n_measure_age,
            count(*) FILTER (WHERE NOT flen AND zlen >= -2.005 AND zlen < -1.905)
                AS n_above_cut,
            count(*) FILTER (WHERE NOT flen AND zlen >= -2.105 AND zlen < -2.005)
                AS n_below_cut,
            count(*) FILTER (
                WHERE NOT flen AND zlen >= {-2.005 - CUT_BELOW:.3f} AND zlen < -2.005)
                AS n_below_wide
        FROM r
        GROUP BY GROUPING SETS ((g, pk), (g))
    )
    SELECT base.*, cs.* EXCLUDE (g, pk), wds.w_sq, wds.n_weight, lds.l_sq,
           lds.n_height, lds.l_sq_nz, lds.n_height_nz, dups.n_duplicates, dups.n_identical,
           ccs.cut_aa, ccs.cut_at, ccs.cut_tt, ads.a_sq, ads.n_muac
    FROM base
    LEFT JOIN cs ON base.g = cs.g AND base.pk IS NOT DISTINCT FROM cs.pk
    LEFT JOIN dups ON base.g = dups.g AND base.pk IS NOT DISTINCT FROM dups.pk
    LEFT JOIN wds ON base.g = wds.g AND base.pk IS NOT DISTINCT FROM wds.pk
    LEFT JOIN lds ON base.g = lds.g AND base.pk IS NOT DISTINCT FROM lds.pk
    LEFT JOIN ccs ON base.g = ccs.g AND base.pk IS NOT DISTINCT FROM ccs.pk
    LEFT JOIN ads ON base.g = ads.g AND base.pk IS NOT DISTINCT FROM ads.pk
    WHERE base.pooled_row = 1 OR base.pk IS NOT NULL
    """
    return prep, query


def _col(df: pl.DataFrame, name: str) -> FloatArray:
    return np.asarray(
        df[name].cast(pl.Float64).fill_null(np.nan).to_numpy(), dtype=np.float64
    )


def _sd_dev(sd: FloatArray, n: FloatArray, pooled: npt.NDArray[np.bool_]) -> FloatArray:
    """Distance of each SD from the typical SD of all groups (median, same row kind).

    Routine populations are not the WHO reference: a province's SD of WHZ may be 1.2 with
    honest measurement. The SMART band (0.9-1.1 is excellent) is therefore applied to the
    SD's distance from the median SD of the groups with enough children, not from 1.
    """
    out = np.full(sd.shape, np.nan)
    for kind in (True, False):
        sel = (pooled == kind) & np.isfinite(sd) & (n >= MIN_N["dist"])
        if sel.any():
            ref = float(np.median(sd[sel]))
            rows = pooled == kind
            out[rows] = np.abs(sd[rows] - ref)
    return out


def _derive(df: pl.DataFrame) -> dict[str, FloatArray]:
    """Criterion values from the raw counts and moments (one element per row of df)."""
    pooled = df["period"].to_numpy() == "all"
    rows = _col(df, "n_rows")
    scored = _col(df, "n_scored")
    boys, girls = _col(df, "n_boys"), _col(df, "n_girls")
    a, b = _col(df, "n_6_29"), _col(df, "n_30_59")
    n_haz = _col(df, "n_haz")
    n_whz = _col(df, "n_whz")
    n_height = _col(df, "n_height")
    above, below = _col(df, "n_above_cut"), _col(df, "n_below_cut")
    mean_haz = _col(df, "mean_haz")
    sd_haz = _col(df, "sd_haz")
    with np.errstate(invalid="ignore", divide="ignore"):
        out: dict[str, FloatArray] = {
            "pct_flagged": np.where(
                scored > 0, 100 * _col(df, "n_flagged") / scored, np.nan
            ),
            "sex_ratio_p": _proportion_p(boys, boys + girls, 0.5),
            "sex_ratio_dev": np.where(
                boys + girls > 0, 100 * np.abs(boys / (boys + girls) - 0.5), np.nan
            ),
            "age_ratio_p": _proportion_p(a, a + b, AGE_RATIO / (1 + AGE_RATIO)),
            "age_ratio": np.where(b > 0, a / b, np.nan),
            "age_ratio_dev": np.where(b > 0, np.abs(a / b / AGE_RATIO - 1), np.nan),
            "dps_weight": dps_excess(_col(df, "w_sq"), _col(df, "n_weight")),
            "dps_height_all": dps_excess(_col(df, "l_sq"), _col(df, "n_height")),
            "dps_height": dps_excess(
                _col(df, "l_sq_nz"), _col(df, "n_height_nz"), digits=9
            ),
            "pct_whole_cm": np.where(
                n_height > 0,
                100 * (n_height - _col(df, "n_height_nz")) / n_height,
                np.nan,
            ),
            "dps_muac": np.where(
                _col(df, "n_muac") >= MIN_N["dps"],
                dps_excess(_col(df, "a_sq"), _col(df, "n_muac")),
                np.nan,
            ),
            **_digit_p(df),
            "sd_whz_dev": _sd_dev(_col(df, "sd_whz"), n_whz, pooled),
            "sd_haz_dev": _sd_dev(sd_haz, n_haz, pooled),
            "skew_whz_excess": np.maximum(
                np.abs(_col(df, "skew_whz")) - 1.96 * np.sqrt(6.0 / n_whz), 0.0
            ),
            "kurt_whz_excess": np.maximum(
                np.abs(_col(df, "kurt_whz")) - 1.96 * np.sqrt(24.0 / n_whz), 0.0
            ),
            "pct_missing": np.where(
                rows > 0, 100 * _col(df, "n_missing") / rows, np.nan
            ),
            "pct_duplicates": np.where(
                rows > 0, 100 * _col(df, "n_duplicates") / rows, np.nan
            ),
            "pct_implausible": np.where(
                rows > 0, 100 * _col(df, "n_implausible") / rows, np.nan
            ),
            "pct_measure_age": np.where(
                _col(df, "n_measure") > 0,
                100 * _col(df, "n_measure_age") / _col(df, "n_measure"),
                np.nan,
            ),
        }
        # Excess mass just above -2: the share of [-2.00, -1.90) among [-2.10, -1.90)
        # against what a normal with the group's own HAZ mean and SD gives (one-sided).
        mu = np.where(np.isfinite(mean_haz), mean_haz, -1.0)
        sd = np.where(np.isfinite(sd_haz) & (sd_haz > 0.3), sd_haz, 1.0)
        hi = norm.cdf((-1.905 - mu) / sd) - norm.cdf((-2.005 - mu) / sd)
        lo = norm.cdf((-2.005 - mu) / sd) - norm.cdf((-2.005 - CUT_BELOW - mu) / sd)
        p0 = hi / (hi + lo)
        tot = above + _col(df, "n_below_wide")
        # Null variance of sum(a_i - p0 t_i) over children: rows independent give
        # p0 (1 - p0) sum(t_i), each child's rows all on one side give p0 (1 - p0)
        # sum(t_i^2); children drift across the cut-off slowly, so the truth lies between
        # and the geometric mean of the two is used (measured: docs/quality.md).
        var = p0 * (1 - p0) * np.sqrt(tot * np.nan_to_num(_col(df, "cut_tt")))
        z = (above - tot * p0) / np.sqrt(np.where(var > 0, var, np.nan))
        out["cutoff_excess_p"] = np.where(tot > 0, norm.sf(z), np.nan)
        # The size: the share just above the cut-off over the share a normal curve gives.
        out["cutoff_excess"] = np.where(
            (tot > 0) & (p0 > 0), (above / np.where(tot > 0, tot, 1.0)) / p0, np.nan
        )
        out["cutoff_ratio"] = np.where(below > 0, above / below, np.nan)
        # Invented birth dates cluster on the 1st and the 15th (24 of 365.25 days a year);
        # ages are computed from two dates, so this is where age heaping shows. Reported only.
        known = _col(df, "n_birth_known")
        out["birthday_heaping"] = np.where(
            known > 0, (_col(df, "n_birth_1_15") / known) / (24 / 365.25), np.nan
        )
    counts = {
        "n_children": boys + girls,
        "n_digits": np.fmax(_col(df, "n_weight"), _col(df, "n_height")),
        "n_whz": n_whz,
        "n_cut": tot,
    }
    out.update({f"_count_{k}": v for k, v in counts.items()})
    out["_n_haz"] = n_haz
    return out


def _digit_p(df: pl.DataFrame) -> dict[str, FloatArray]:
    """p of each measurement's terminal digits being uniform (chi-square): the gate of its
    digit-preference score. Lengths are tested on the tenths 1-9 (whole centimetres apart);
    MUAC only with at least ``MIN_N["dps"]`` values (it is recorded for few children)."""
    chi_w = _digit_chi2(_col(df, "w_sq"), _col(df, "n_weight"))
    chi_l = _digit_chi2(_col(df, "l_sq_nz"), _col(df, "n_height_nz"), digits=9)
    n_a = _col(df, "n_muac")
    chi_a = np.where(n_a >= MIN_N["dps"], _digit_chi2(_col(df, "a_sq"), n_a), np.nan)
    return {
        "digit_p_weight": np.asarray(chi2.sf(chi_w, 9.0)),
        "digit_p_height": np.asarray(chi2.sf(chi_l, 8.0)),
        "digit_p_muac": np.asarray(chi2.sf(chi_a, 9.0)),
    }


def quality(
    measurements: Any,
    *,
    level: str = "posyandu",
    freq: str = "year",
    period: str | None = None,
    parents: Any = None,
    min_rows: int = MIN_ROWS,
) -> list[dict[str, Any]]:
    """Quality score per group (desa or posyandu) and period, plus one all-period row each.

    A row with fewer than ``min_rows`` measurements gets band ``insufficient`` with
    ``score`` and ``penalty`` null (the points of what was found are still listed); the
    all-period row pools every period of the group, so it is scored when the periods
    together have enough rows.

    ``level``: ``posyandu``, ``desa``, or a roll-up ``kecamatan`` / ``kabkota`` (every row of
    the region pooled and scored as one group). ``parents`` maps a group code to its
    parent's code (desa for posyandu, kecamatan for desa, kab/kota for kecamatan, province
    for kab/kota); default: the code's prefix, for posyandu its most frequent desa. Returns a list of dicts (JSON-ready), sorted by code and period.
    """
    if level not in LEVELS:
        raise ValueError(
            f"quality level must be one of {', '.join(LEVELS)} (got {level!r})"
        )
    if period is not None:
        freq = parse_period(period)[0]
    if freq not in _KEY:
        raise ValueError(
            f"unknown period kind {freq!r} (expected year, quarter or month)"
        )
    group = _GROUP_SQL[level]
    con = duckdb.connect()
    try:
        con.register("raw", arrow_table(measurements))
        cols = {
            str(d[0]).lower()
            for d in con.execute("SELECT * FROM raw LIMIT 0").description
        }
        need = {
            "child_id",
            "measured_on",
            "age_days",
            "desa_code",
            "weight_kg",
            "lenhei_cm",
            "sex",
            "measure",
            "zlen",
            "zwei",
            "zwfl",
            "flen",
            "fwei",
            "fwfl",
        }
        if level == "posyandu":
            need.add("posyandu_id")
        absent = sorted(need - cols)
        if absent:
            raise ValueError(f"measurements lack columns: {', '.join(absent)}")
        prep, query = _metrics_sql(group, freq, has_muac="muac_cm" in cols)
        con.execute(prep)
        df = con.sql(query).pl()
        if parents is None:
            if level in _PARENT_PREFIX:
                cut = _PARENT_PREFIX[level]
                parent_map = {c: c[:cut] for c in df["g"].unique().to_list()}
            else:
                home = con.sql(
                    "SELECT g, max(struct_pack(c, desa_code)).desa_code AS p FROM "
                    "(SELECT g, desa_code, count(*) AS c FROM r GROUP BY ALL) GROUP BY g"
                ).fetchall()
                parent_map = {str(g): str(p) for g, p in home}
        else:
            parent_map = {str(k): str(v) for k, v in dict(parents).items()}
    finally:
        con.close()
    label = np.array(
        [
            "all" if pk is None else _period_label(freq, int(pk))
            for pk in df["pk"].to_list()
        ],
        dtype=object,
    )
    df = df.with_columns(pl.Series("period", label, dtype=pl.String))
    if period is not None:
        df = df.filter(pl.col("period").is_in([parse_period(period)[1], "all"]))
    return _score(df, parent_map, level, min_rows)


#: Levels scored, and how each one's group is read from a measurement row: kab/kota and
#: kecamatan are roll-ups (all rows of the region pooled, then scored like a desa).
LEVELS = ("kabkota", "kecamatan", "desa", "posyandu")
_GROUP_SQL = {
    "kabkota": "substr(desa_code, 1, 5)",
    "kecamatan": "substr(desa_code, 1, 8)",
    "desa": "desa_code",
    "posyandu": "posyandu",
}
#: Parent of a group by its code's prefix (posyandu: its most frequent desa in the data).
_PARENT_PREFIX = {"kabkota": 2, "kecamatan": 5, "desa": 8}


def _period_label(freq: str, pk: int) -> str:
    if freq == "year":
        return f"{pk:04d}"
    if freq == "quarter":
        return f"{pk // 4:04d}-Q{pk % 4 + 1}"
    return f"{pk // 12:04d}-{pk % 12 + 1:02d}"


def _score(
    df: pl.DataFrame, parent_map: dict[str, str], level: str, min_rows: int
) -> list[dict[str, Any]]:
    vals = _derive(df)
    codes = np.array([str(g) for g in df["g"].to_list()], dtype=object)
    periods = df["period"].to_numpy()
    pooled_row = periods == "all"
    # Small period cells borrow the group's all-period value of each statistical criterion.
    pooled_idx = {c: i for i, c in enumerate(codes) if pooled_row[i]}
    src = np.array([pooled_idx.get(c, -1) for c in codes], dtype=np.int64)
    borrowed: list[list[str]] = [[] for _ in codes]
    for key, kind in _STAT.items():
        count = vals[f"_count_{_COUNT_OF[kind]}"]
        small = (count < MIN_N[kind]) | np.isnan(count)
        take = small & ~pooled_row & (src >= 0)
        v = vals[key].copy()
        v[take] = vals[key][src[take]]
        still = small & (pooled_row | (src < 0))
        still |= take & (
            (vals[f"_count_{_COUNT_OF[kind]}"][np.maximum(src, 0)]) < MIN_N[kind]
        )
        v[still] = np.nan  # too few even pooled: criterion not scored
        vals[key] = v
        if key in _GATED:  # the gate travels with the value it gates
            gate = vals[_GATED[key]].copy()
            gate[take] = vals[_GATED[key]][src[take]]
            vals[_GATED[key]] = gate
        for i in np.nonzero(take & ~still)[0].tolist():
            borrowed[i].append(key)
    points = {c.key: _penalty(c, vals[c.key]) for c in CRITERIA}
    for key, p_key in _GATED.items():
        chance = ~(vals[p_key] < GATE_P)  # NaN p (not tested) gates too
        points[key] = np.where(chance, 0, points[key])
    total = np.sum([points[c.key] for c in CRITERIA], axis=0).astype(np.float64)
    noisy = np.sum([points[k] for k in _SHRUNK], axis=0).astype(np.float64)
    n = _col(df, "n_rows")
    # Shrink the effect-size criteria (SD, skewness, kurtosis: noisy in small groups) towards
    # the parent's mean in the same period (EB-style, weight n/(n+N0)). Row facts
    # (duplicates, impossible values, ...) and tests that already weigh n (p-values) are
    # taken as they are: a sibling's errors say nothing about this group's rows.
    parent = np.array([parent_map.get(c, "") for c in codes], dtype=object)
    keys = np.array(
        [f"{p}|{q}" for p, q in zip(parent, periods, strict=True)], dtype=object
    )
    uniq, inv = np.unique(keys, return_inverse=True)
    sums = np.bincount(inv, weights=noisy * n, minlength=len(uniq))
    wts = np.bincount(inv, weights=n, minlength=len(uniq))
    # The parent's mean itself leans on the period's overall mean (pseudo-count N0 rows),
    # so a desa with a single tiny posyandu does not shrink towards itself.
    pk_uniq, pk_inv = np.unique(periods.astype(str), return_inverse=True)
    p_sums = np.bincount(pk_inv, weights=noisy * n, minlength=len(pk_uniq))
    p_wts = np.bincount(pk_inv, weights=n, minlength=len(pk_uniq))
    overall = np.where(p_wts > 0, p_sums / np.maximum(p_wts, 1), 0.0)[pk_inv]
    parent_mean = (sums[inv] + SHRINK_N0 * overall) / (wts[inv] + SHRINK_N0)
    w = n / (n + SHRINK_N0)
    shrunk = total - noisy + w * noisy + (1 - w) * parent_mean
    insufficient = ~(n >= min_rows)
    moments = {
        name: _col(df, name)
        for name in (
            "sd_haz",
            "skew_haz",
            "kurt_haz",
            "sd_whz",
            "skew_whz",
            "kurt_whz",
            "mean_haz",
        )
    }
    count_names = (
        "n_rows",
        "n_children",
        "n_missing",
        "n_boys",
        "n_girls",
        "n_6_29",
        "n_30_59",
        "n_missing_weight",
        "n_missing_length",
        "n_missing_date",
        "n_missing_sex",
        "n_duplicates",
        "n_identical",
        "n_implausible",
        "n_grams_as_kg",
        "n_flagged",
        "n_measure_age",
        "n_above_cut",
        "n_below_cut",
    )
    count_lists = {
        k: np.nan_to_num(_col(df, k)).astype(np.int64).tolist() for k in count_names
    }

    def rounded(a: FloatArray) -> list[float | None]:
        return [None if x != x else x for x in np.round(a, 4).tolist()]

    value_lists = {c.key: rounded(vals[c.key]) for c in CRITERIA}
    value_lists.update(
        {
            k: rounded(vals[k])
            for k in (
                "dps_height_all",
                "age_ratio",
                "cutoff_ratio",
                "birthday_heaping",
                *_GATED.values(),
            )
        }
    )
    value_lists.update({k: rounded(col) for k, col in moments.items()})
    point_lists = {c.key: points[c.key].tolist() for c in CRITERIA}
    band_idx = np.searchsorted([b[0] for b in BANDS], shrunk, side="right").tolist()
    penalty = np.round(shrunk, 1).tolist()
    score = np.round(np.maximum(0.0, 100.0 - shrunk), 1).tolist()
    total_list = total.astype(np.int64).tolist()
    out: list[dict[str, Any]] = []
    order = np.lexsort((periods.astype(str), codes.astype(str)))
    for i in order.tolist():
        band = BANDS[min(band_idx[i], len(BANDS) - 1)]
        reasons: list[Message] = []
        if insufficient[i]:
            band = (0.0, *INSUFFICIENT)
            reasons.append(
                Message.of(
                    "quality.reason.insufficient",
                    rows=str(count_lists["n_rows"][i]),
                    least=str(min_rows),
                )
            )
        for c in CRITERIA:
            pts = point_lists[c.key][i]
            if pts > 0:
                # Counts behind a borrowed value are those of the all-period row.
                at = int(src[i]) if c.key in borrowed[i] else i
                words = {
                    k: str(count_lists[k][at])
                    for k in _fields(c.key)
                    if k in count_lists
                }
                words["v"] = neutral(float(vals[c.key][i]), c.decimals)
                reason = Message.of(f"quality.reason.{c.key}", **words)
                reasons.append(
                    Message.of("quality.reason.cost", reason=(reason,), points=str(pts))
                )
        item: dict[str, Any] = {
            "level": level,
            "code": str(codes[i]),
            "parent_code": parent[i] or None,
            "period": str(periods[i]),
        }
        item.update({k: col[i] for k, col in count_lists.items()})
        item.update(
            {
                "penalty_raw": total_list[i],
                "penalty": None if insufficient[i] else penalty[i],
                "score": None if insufficient[i] else score[i],
                "band": band[1],
                "band_en": band[2],
                "band_id": band[3],
                "pooled": borrowed[i],
                "criteria": {k: col[i] for k, col in value_lists.items()},
                "points": {k: col[i] for k, col in point_lists.items()},
                # Both languages from one catalogue entry each (the JSON's contract).
                "reasons_en": [m.render("en") for m in reasons],
                "reasons_id": [m.render("id") for m in reasons],
            }
        )
        out.append(item)
    return out


def roc_auc(scores: Sequence[float], positive: Sequence[bool]) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count one half): P(score_pos > score_neg)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(positive, dtype=bool)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("need both positive and negative cases")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


__all__ = [
    "BANDS",
    "CRITERIA",
    "INSUFFICIENT",
    "LEVELS",
    "MIN_N",
    "MIN_ROWS",
    "GATE_P",
    "SHRINK_N0",
    "Criterion",
    "dps",
    "dps_excess",
    "quality",
    "roc_auc",
    "suppress_small_counts",
]
