"""One engine: every indicator of the catalogue at every level, for one period, in bulk.

The register's tables are read once (:func:`tumbuh.reports.repository.load`); the nutrition
figures come from :mod:`tumbuh.analytics.routine` (Polars/DuckDB, set-based), families at risk
from :mod:`tumbuh.risk.krs` over whole columns, and the programme coverages from vectorised
eligibility rules below. Nothing loops over regions or rows in Python.

Periods are labels ``2025`` (year), ``2025-Q3`` (quarter) or ``2025-07`` (month). The caller
passes one: :mod:`tumbuh.reports.service` defaults to the period chosen by completeness
(:mod:`tumbuh.reports.periods`); :func:`default_period` (the latest ended calendar year with
measurements) serves direct calls such as the benchmark.

Denominators count those eligible **at any time in the period**: a pregnancy spanning two
years counts in both; a child who is wasted at one measurement of the period and recovers by
the next stays in the wasted-children denominator.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from tumbuh.analytics import routine
from tumbuh.errors import InvalidInput
from tumbuh.interventions.groups import WELFARE_ELIGIBLE_MAX_DECILE, welfare_eligible
from tumbuh.register.regions import master_codes
from tumbuh.reports import repository
from tumbuh.reports.catalogue import CATALOGUE, by_code, target_for
from tumbuh.risk.config import (
    BKKBN_IMPROPER_LATRINE,
    KrsRules,
    Latrine,
    SignalRules,
    WaterSource,
)
from tumbuh.risk.krs import factor_names, krs_at

__all__ = [
    "ITEM_COLUMNS",
    "LEVELS",
    "WELFARE_ELIGIBLE_MAX_DECILE",
    "compute",
    "default_period",
    "period_bounds",
    "select",
    "suppress_small",
]

LEVELS: tuple[str, ...] = routine.LEVELS  # province, kabkota, kecamatan, desa, posyandu
_REGION_LEVELS = ("province", "kabkota", "kecamatan", "desa")
_DAYS_PER_MONTH = 30.4375  # WHO anthro: 365.25 / 12
_DAYS_PER_YEAR = 365.25
_GESTATION_DAYS = 280  # Naegele's rule, as register/models.py Pregnancy.due_date
# Perpres 72/2021 Lampiran: pregnant women consuming at least 90 iron-folic-acid tablets
# during pregnancy (facts.md; the WHO ANC recommendation's daily tablet over the pregnancy).
TTD_PREGNANCY_TABLETS = 90
# Welfare deciles eligible for JKN PBI, PKH and food aid: the interventions domain's rule
# (WELFARE_ELIGIBLE_MAX_DECILE, welfare_eligible), shared with the gap list. A setting.

ITEM_COLUMNS: tuple[str, ...] = (
    "indicator",
    "region_code",
    "region_name",
    "level",
    "period",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "target",
    "source",
    "suppressed",
)

_NUTRITION = ("stunting", "severe_stunting", "wasting", "underweight", "overweight")
_WEIGHING_MONTHS = (2, 8)  # Februari, Agustus: e-PPGBM's bulan penimbangan


def period_bounds(period: str) -> tuple[str, dt.date, dt.date]:
    """The normalised label and the first and last day of a period label."""
    try:
        _, label = routine.parse_period(period)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    s, e = routine.period_months([label])
    start = dt.date(int(s[0]) // 12, int(s[0]) % 12 + 1, 1)
    ny, nm = divmod(int(e[0]) + 1, 12)
    end = dt.date(ny, nm + 1, 1) - dt.timedelta(days=1)
    return label, start, end


def default_period(measurements: pd.DataFrame, *, today: dt.date | None = None) -> str:
    """The latest calendar year that has ended and has measurements (a year of the newest
    row that is still running, or in the future, does not count)."""
    today = today or dt.date.today()
    dates = pd.to_datetime(measurements["measured_on"]).dropna()
    years = sorted({int(y) for y in dates.dt.year.unique() if int(y) < today.year})
    if not years:
        raise InvalidInput(
            "no measurements in a completed calendar year: pass a period (e.g. 2025)"
        )
    return str(years[-1])


# ------------------------------------------------------------------------------ helpers


def _prefix_frame(frame: pl.DataFrame, sums: list[str]) -> pl.DataFrame:
    """Sum `sums` by each administrative level from a frame with ``desa_code``."""
    by_desa = frame.group_by("desa_code").agg([pl.col(c).sum() for c in sums])
    parts = []
    for lv in _REGION_LEVELS:
        key = pl.col("desa_code").str.slice(0, routine.PREFIX[lv]).alias("code")
        parts.append(
            by_desa.group_by(key)
            .agg([pl.col(c).sum() for c in sums])
            .with_columns(pl.lit(lv).alias("level"))
        )
    return pl.concat(parts, how="vertical") if parts else by_desa


def _items(
    frame: pl.DataFrame,
    indicator: str,
    *,
    num: str,
    den: str | None,
    label: str,
) -> pl.DataFrame:
    """Rows (indicator, level, code, period, numerator, denominator)."""
    return frame.select(
        pl.lit(indicator).alias("indicator"),
        pl.col("level").cast(pl.String),
        pl.col("code").cast(pl.String),
        pl.lit(label).alias("period"),
        pl.col(num).cast(pl.Int64).alias("numerator"),
        (pl.col(den).cast(pl.Int64) if den else pl.lit(None, dtype=pl.Int64)).alias(
            "denominator"
        ),
    )


def _counts(
    units: pd.DataFrame, indicator: str, label: str, *, reached: str = "reached"
) -> pl.DataFrame:
    """Coverage rows from a unit frame (``desa_code``, bool `reached`) at every level."""
    u = units.loc[units["desa_code"].notna(), ["desa_code", reached]]
    frame = pl.DataFrame(
        {
            "desa_code": u["desa_code"].astype(str).to_numpy(),
            "num": u[reached].to_numpy(dtype=bool).astype(np.int64),
            "den": np.ones(len(u), dtype=np.int64),
        },
        schema={"desa_code": pl.String, "num": pl.Int64, "den": pl.Int64},
    )
    return _items(
        _prefix_frame(frame, ["num", "den"]),
        indicator,
        num="num",
        den="den",
        label=label,
    )


def _count_items(
    frame: pd.DataFrame, columns: Mapping[str, str], label: str
) -> list[pl.DataFrame]:
    """Count indicators (numerator = value, no denominator) from 0/1 columns per unit."""
    f = frame.loc[frame["desa_code"].notna()]
    data = {"desa_code": f["desa_code"].astype(str).to_numpy()}
    for col in columns.values():
        data[col] = f[col].to_numpy(dtype=bool).astype(np.int64)
    pf = pl.DataFrame(
        data,
        schema={"desa_code": pl.String, **dict.fromkeys(columns.values(), pl.Int64)},
    )
    rolled = _prefix_frame(pf, list(columns.values()))
    return [
        _items(rolled, ind, num=col, den=None, label=label)
        for ind, col in columns.items()
    ]


# ---------------------------------------------------------------------- the computations


def _nutrition(m: pd.DataFrame, label: str) -> list[pl.DataFrame]:
    out: list[pl.DataFrame] = []
    if m.empty:
        return out
    prev = routine.prevalence(m, period=label, indicators=_NUTRITION)
    for ind in _NUTRITION:
        rows = prev.filter(pl.col("indicator") == ind)
        out.append(_items(rows, f"{ind}_routine", num="cases", den="n", label=label))
    stunt = prev.filter(pl.col("indicator") == "stunting")
    out.append(_items(stunt, "measured", num="measured", den=None, label=label))
    months = pd.to_datetime(m["measured_on"]).dt.month
    w = m.loc[months.isin(_WEIGHING_MONTHS).to_numpy()]
    if not w.empty:
        wprev = routine.prevalence(w, period=label, indicators=_NUTRITION)
        for ind in _NUTRITION:
            rows = wprev.filter(pl.col("indicator") == ind)
            out.append(
                _items(rows, f"{ind}_weighing_month", num="cases", den="n", label=label)
            )
        wm = wprev.filter(pl.col("indicator") == "stunting").select(
            "level", "code", pl.col("measured").alias("measured_w")
        )
        out.append(
            _items(wm, "_measured_weighing", num="measured_w", den=None, label=label)
        )
    inc = routine.new_cases(m, period=label)
    out.append(_items(inc, "new_cases", num="new_cases", den="at_risk", label=label))
    return out


def _registered(
    t: repository.RegisterTables, label: str, start: dt.date, end: dt.date
) -> pl.DataFrame:
    p = t.persons
    birth = pd.to_datetime(p["birth_date"])
    lo = pd.Timestamp(start) - pd.DateOffset(months=61)
    keep = (birth > lo) & (birth <= pd.Timestamp(end)) & p["desa_code"].notna()
    kids = p.loc[keep.to_numpy(), ["person_id", "birth_date", "desa_code"]]
    m = t.measurements
    upto = m.loc[
        m["posyandu_id"].notna().to_numpy()
        & (pd.to_datetime(m["measured_on"]) <= pd.Timestamp(end)).to_numpy(),
        ["child_id", "measured_on", "posyandu_id"],
    ]
    # Home posyandu: that of the latest measurement up to the period's end (ties: highest id).
    home = (
        upto.sort_values(["child_id", "measured_on", "posyandu_id"])
        .drop_duplicates("child_id", keep="last")
        .set_index("child_id")["posyandu_id"]
    )
    children = pd.DataFrame(
        {
            "birth_date": kids["birth_date"].to_numpy(),
            "desa_code": kids["desa_code"].astype(str).to_numpy(),
            "posyandu_id": kids["person_id"].map(home).astype("Int64").to_numpy(),
        }
    )
    reg = routine.registered_counts(children, periods=[label])
    return _items(reg, "registered", num="registered", den=None, label=label)


def _krs(
    t: repository.RegisterTables, label: str, end: dt.date, rules: KrsRules
) -> tuple[list[pl.DataFrame], pd.DataFrame]:
    """KRS counts, share and factor counts; also the per-family frame (family_id,
    desa_code, target, krs) for the programme indicators."""
    fams = t.families
    if fams.empty:
        empty = pd.DataFrame(
            {"family_id": [], "desa_code": [], "target": [], "krs": []}
        ).astype({"target": bool, "krs": bool})
        return [], empty
    members = t.persons.loc[t.persons["family_id"].notna()].copy()
    members["family_id"] = members["family_id"].astype("int64")
    fam_in = fams.assign(family_id=fams["family_id"].astype("int64"))
    res = krs_at(members, fam_in, end, rules)
    names = factor_names(rules)
    frame = pd.DataFrame(
        {
            "family_id": fam_in["family_id"].to_numpy(),
            "desa_code": fams["desa_code"].to_numpy(dtype=object),
            "target": res.target_family,
            "krs": res.krs,
        }
    )
    cols = {"target_families": "target", "krs_families": "krs"}
    for f in names:
        frame[f"f_{f}"] = res.factors[f] & res.target_family
        cols[f"krs_factor_{f}"] = f"f_{f}"
    out = _count_items(frame, cols, label)
    share = frame.loc[frame["target"]].assign(reached=lambda d: d["krs"])
    out.append(_counts(share, "krs_share", label))
    return out, frame


def _ages(p: pd.DataFrame, start: dt.date, end: dt.date) -> tuple[pd.Series, pd.Series]:
    birth = pd.to_datetime(p["birth_date"])
    a0 = (pd.Timestamp(start) - birth).dt.days.astype("float64")
    a1 = (pd.Timestamp(end) - birth).dt.days.astype("float64")
    return a0, a1


def _in_age(a0: pd.Series, a1: pd.Series, lo_days: float, hi_days: float) -> pd.Series:
    """Aged [lo, hi) days on some day of the period: old enough by its end, not too old
    at its start (NaN birth dates are never eligible)."""
    return (a1 >= lo_days) & (a0 < hi_days)


def _pregnancy_spans(t: repository.RegisterTables) -> pd.DataFrame:
    """The register's pregnancies with ``lmp`` and ``due`` as timestamps (a missing due
    date is the last menstrual period + 280 days)."""
    g = t.pregnancies
    lmp = pd.to_datetime(g["lmp_date"])
    due = pd.to_datetime(g["due_date"]).fillna(lmp + pd.Timedelta(days=_GESTATION_DAYS))
    return g.assign(lmp=lmp, due=due)


def _open_pregnancies(
    spans: pd.DataFrame, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Pregnancies under way on some day of [start, end]."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    return spans.loc[((spans["lmp"] <= e) & (spans["due"] >= s)).to_numpy()]


def _ttd_90(
    t: repository.RegisterTables, start: dt.date, end: dt.date, label: str
) -> pl.DataFrame:
    """``ttd_hamil_90``: of the women pregnant on some day of the period, those whose
    iron-folic-acid records dated within that pregnancy (last menstrual period to due date,
    in or before the period) add up to at least TTD_PREGNANCY_TABLETS tablets. A record
    without a quantity adds nothing: an unknown count is not 90."""
    open_ = _open_pregnancies(_pregnancy_spans(t), start, end)
    iv = t.interventions
    kind = by_code("ttd_hamil_90").kind_code
    ttd = iv.loc[
        (iv["kind_code"] == kind).to_numpy(), ["person_id", "given_on", "quantity"]
    ]
    ttd = ttd.dropna(subset=["person_id"]).assign(
        on=pd.to_datetime(ttd["given_on"]),
        tablets=ttd["quantity"].astype("float64").fillna(0.0),
    )
    per = open_[["person_id", "lmp", "due"]].reset_index(names="pregnancy")
    within = per.merge(ttd, on="person_id", how="inner")
    within = within.loc[
        ((within["on"] >= within["lmp"]) & (within["on"] <= within["due"])).to_numpy()
    ]
    tablets = within.groupby("pregnancy")["tablets"].sum()
    enough = set(tablets.index[tablets >= TTD_PREGNANCY_TABLETS])
    # One unit per woman (a woman with two pregnancies in the period: reached if either is).
    reached = set(per.loc[per["pregnancy"].isin(enough).to_numpy(), "person_id"])
    p = t.persons
    units = p.loc[p["person_id"].isin(per["person_id"]), ["person_id", "desa_code"]]
    units = units.assign(reached=units["person_id"].isin(reached).to_numpy())
    return _counts(units, "ttd_hamil_90", label)


def _person_groups(
    t: repository.RegisterTables, start: dt.date, end: dt.date
) -> dict[str, pd.Series]:
    """Boolean masks over ``t.persons``: eligible at any time in the period."""
    p = t.persons
    a0, a1 = _ages(p, start, end)
    mo = _DAYS_PER_MONTH
    female = p["sex"].astype(str).str.upper().isin(["F", "P"])
    groups: dict[str, pd.Series] = {
        "adolescent_girl": female
        & _in_age(a0, a1, 12 * _DAYS_PER_YEAR, 19 * _DAYS_PER_YEAR),
        "infant_0_5": _in_age(a0, a1, 0, 6 * mo),
        "child_6_23": _in_age(a0, a1, 6 * mo, 24 * mo),
        "child_0_23": _in_age(a0, a1, 0, 24 * mo),
    }
    g = _pregnancy_spans(t)
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    open_ = _open_pregnancies(g, start, end)
    ids = p["person_id"]
    groups["pregnant"] = ids.isin(open_["person_id"])
    groups["postpartum"] = ids.isin(
        g.loc[((g["due"] >= s) & (g["due"] <= e)).to_numpy(), "person_id"]
    )
    sc = t.pregnancy_screenings
    sc = sc.assign(on=pd.to_datetime(sc["screened_on"]))
    sc = sc.loc[
        ((sc["on"] >= s) & (sc["on"] <= e)).to_numpy()
        & (sc["muac_cm"] < SignalRules().kek_lila_under_cm).to_numpy()
    ]
    kek = sc.merge(open_[["person_id", "lmp", "due"]], on="person_id", how="inner")
    kek = kek.loc[((kek["on"] >= kek["lmp"]) & (kek["on"] <= kek["due"])).to_numpy()]
    groups["pregnant_kek"] = ids.isin(kek["person_id"])
    m = t.measurements
    md = pd.to_datetime(m["measured_on"])
    ok = (
        ((md >= s) & (md <= e)).to_numpy()
        & (m["age_days"].astype("float64") >= 0).to_numpy()
        & (m["age_days"].astype("float64") < routine.UNDER_FIVE_DAYS).to_numpy()
        & ~m["fwfl"].fillna(False).to_numpy(dtype=bool)
    )
    z = m["zwfl"].to_numpy(dtype=np.float64)
    groups["wasted_child"] = ids.isin(m.loc[ok & (z < -2.0), "child_id"])
    groups["severely_wasted_child"] = ids.isin(m.loc[ok & (z < -3.0), "child_id"])
    return groups


# Programme indicator -> (unit kind, eligibility group).
_PERSON_KINDS: dict[str, str] = {
    "ttd_remaja": "adolescent_girl",
    "pmt_bumil_kek": "pregnant_kek",
    "asi_eksklusif": "infant_0_5",
    "mpasi": "child_6_23",
    "imunisasi": "child_0_23",
    "pmt_balita_wasting": "wasted_child",
    "tata_laksana_gizi_buruk": "severely_wasted_child",
    "anc": "pregnant",
    "kb_pascapersalinan": "postpartum",
}
_FAMILY_KINDS: dict[str, str] = {
    "pendampingan_krs": "krs",
    "jkn_pbi": "welfare",
    "pkh": "welfare",
    "bansos_pangan": "welfare",
}


def _programme(
    t: repository.RegisterTables,
    label: str,
    start: dt.date,
    end: dt.date,
    krs: pd.DataFrame,
    *,
    welfare_max_decile: int,
) -> list[pl.DataFrame]:
    out: list[pl.DataFrame] = []
    iv = t.interventions
    on = pd.to_datetime(iv["given_on"])
    iv = iv.loc[((on >= pd.Timestamp(start)) & (on <= pd.Timestamp(end))).to_numpy()]
    p = t.persons
    groups = _person_groups(t, start, end)
    for code, group in _PERSON_KINDS.items():
        got = iv.loc[iv["kind_code"] == by_code(code).kind_code, "person_id"].dropna()
        mask = groups[group].fillna(False).to_numpy(dtype=bool)
        units = p.loc[mask, ["person_id", "desa_code"]]
        units = units.assign(reached=units["person_id"].isin(got).to_numpy())
        out.append(_counts(units, code, label))
    fams = t.families
    eligible = welfare_eligible(fams["welfare_decile"], welfare_max_decile)
    family_sets = {
        "krs": set(krs.loc[krs["krs"], "family_id"].astype("int64")),
        "welfare": set(fams.loc[eligible, "family_id"].astype("int64")),
    }
    fid = fams["family_id"].astype("int64")
    for code, group in _FAMILY_KINDS.items():
        got_f = set(
            iv.loc[iv["kind_code"] == by_code(code).kind_code, "family_id"]
            .dropna()
            .astype("int64")
        )
        units = fams.loc[
            fid.isin(family_sets[group]).to_numpy(), ["family_id", "desa_code"]
        ]
        units = units.assign(
            reached=units["family_id"].astype("int64").isin(got_f).to_numpy()
        )
        out.append(_counts(units, code, label))
    out.append(_ttd_90(t, start, end, label))
    water = fams["water_source"]
    known_w = water.isin([str(w) for w in WaterSource]).to_numpy()
    improved = water.isin([str(w) for w in KrsRules().improved_water]).to_numpy()
    out.append(
        _counts(
            fams.loc[known_w, ["desa_code"]].assign(reached=improved[known_w]),
            "air_minum_layak",
            label,
        )
    )
    lat = fams["latrine"]
    known_l = lat.isin([str(x) for x in Latrine]).to_numpy()
    proper = ~lat.isin([str(x) for x in BKKBN_IMPROPER_LATRINE]).to_numpy()
    out.append(
        _counts(
            fams.loc[known_l, ["desa_code"]].assign(reached=proper[known_l]),
            "sanitasi_layak",
            label,
        )
    )
    return out


def _published(t: repository.RegisterTables, label: str) -> list[pl.DataFrame]:
    """Survey and published routine stunting figures of the period's year (year periods)."""
    if len(label) != 4 or t.published.empty:
        return []
    f = t.published
    f = f.loc[
        (f["year"].astype("float64") == int(label)).to_numpy()
        & (f["indicator"] == "stunting").to_numpy()
        & (f["confidence"] == "primary").to_numpy()
    ]
    out = []
    for kind, code in (
        ("survey", "stunting_survey"),
        ("routine", "stunting_published_routine"),
    ):
        g = f.loc[f["kind"] == kind]
        if g.empty:
            continue
        agg = g.groupby("region_code").agg(
            value=("value_pct", "mean"),
            ci_low=("ci_low", "mean"),
            ci_high=("ci_high", "mean"),
            rows=("value_pct", "size"),
        )
        agg = agg.reset_index()
        level = agg["region_code"].map(
            lambda c: "province" if len(c) == 2 else "kabkota" if len(c) == 5 else None
        )
        agg = agg.loc[level.notna()].assign(level=level[level.notna()])
        # Several primary figures of one year quote the same survey: no CI for their mean.
        one = agg["rows"] == 1
        out.append(
            pl.DataFrame(
                {
                    "indicator": [code] * len(agg),
                    "level": agg["level"].astype(str).tolist(),
                    "code": agg["region_code"].astype(str).tolist(),
                    "period": [label] * len(agg),
                    "numerator": [None] * len(agg),
                    "denominator": [None] * len(agg),
                    "value": agg["value"].astype(float).tolist(),
                    "ci_low": agg["ci_low"].where(one).astype(float).tolist(),
                    "ci_high": agg["ci_high"].where(one).astype(float).tolist(),
                },
                schema={
                    "indicator": pl.String,
                    "level": pl.String,
                    "code": pl.String,
                    "period": pl.String,
                    "numerator": pl.Int64,
                    "denominator": pl.Int64,
                    "value": pl.Float64,
                    "ci_low": pl.Float64,
                    "ci_high": pl.Float64,
                },
            )
        )
    return out


# ------------------------------------------------------------------ programme aggregates

_DEPTH_LEVEL = {1: "province", 2: "kabkota", 3: "kecamatan", 4: "desa"}
_AGG_SCHEMA = pl.Schema(
    {"agg": pl.String(), "code": pl.String(), "num": pl.Int64(), "den": pl.Int64()}
)


@cache
def _master_children() -> pl.DataFrame:
    """``parent, children``: how many regions the bundled Kemendagri master lists directly
    under each province, kab/kota and kecamatan."""
    codes = pl.Series("code", sorted(master_codes()), dtype=pl.String)
    frame = pl.DataFrame({"code": codes}).filter(pl.col("code").str.contains(r"\."))
    return (
        frame.with_columns(pl.col("code").str.replace(r"\.[0-9]+$", "").alias("parent"))
        .group_by("parent")
        .agg(pl.len().alias("children"))
    )


def _depth(col: str) -> pl.Expr:
    return pl.col(col).str.count_matches(r"\.") + 1


def roll_up(rows: pl.DataFrame) -> pl.DataFrame:
    """Programme aggregates (``agg, code, num, den``) at the level imported and above.

    A region has a value when one is imported for it (an office's own figure wins);
    otherwise when **every** region directly below it in the Kemendagri master has one,
    the sum of theirs. A partial sum is never shown, and nothing is spread below the
    level imported. Returns ``agg, level, code, num, den`` (``num`` null for counts).
    """
    rows = rows.with_columns(_depth("code").alias("depth"))
    children = _master_children()
    current = rows.filter(pl.col("depth") == 4).drop("depth")
    out = [current.with_columns(pl.lit("desa").alias("level"))]
    for depth in (3, 2, 1):
        direct = rows.filter(pl.col("depth") == depth).drop("depth")
        width = routine.PREFIX[_DEPTH_LEVEL[depth]]
        summed = (
            current.with_columns(pl.col("code").str.slice(0, width).alias("parent"))
            .group_by("agg", "parent")
            .agg(
                pl.col("num").sum().alias("num"),
                pl.col("num").null_count().alias("_nulls"),
                pl.col("den").sum().alias("den"),
                pl.len().alias("_have"),
            )
            .join(children, on="parent", how="inner")
            .filter(pl.col("_have") == pl.col("children"))
            .select(
                "agg",
                pl.col("parent").alias("code"),
                pl.when(pl.col("_nulls") == 0).then(pl.col("num")).alias("num"),
                "den",
            )
            .join(direct.select("agg", "code"), on=["agg", "code"], how="anti")
        )
        current = pl.concat([direct, summed.cast(_AGG_SCHEMA)], how="vertical").select(
            *_AGG_SCHEMA
        )
        out.append(current.with_columns(pl.lit(_DEPTH_LEVEL[depth]).alias("level")))
    return pl.concat(out, how="vertical").select("agg", "level", "code", "num", "den")


def _aggregate_rows(t: repository.RegisterTables, label: str) -> pl.DataFrame:
    a = t.programme
    a = a.loc[(a["year"].astype("float64") == int(label)).to_numpy()]
    frame = pd.DataFrame(
        {
            "agg": a["code"].astype(str).to_numpy(dtype=object),
            "code": a["region_code"].astype(str).to_numpy(dtype=object),
            "num": a["numerator"].astype("Int64").to_numpy(),
            "den": a["denominator"].astype("Int64").to_numpy(),
        }
    ).astype({"num": "Int64", "den": "Int64"})
    return roll_up(pl.from_pandas(frame, schema_overrides=_AGG_SCHEMA))


def _brides_screened(
    t: repository.RegisterTables, start: dt.date, end: dt.date
) -> pl.DataFrame:
    """``level, code, brides`` at every administrative level: women with a catin
    screening dated in the period, each once, where her latest such screening was."""
    c = t.catin_screenings
    on = pd.to_datetime(c["screened_on"])
    keep = (
        ((on >= pd.Timestamp(start)) & (on <= pd.Timestamp(end))).to_numpy()
        & c["sex"].astype(str).str.upper().isin(["F", "P"]).to_numpy()
        & c["desa_code"].notna().to_numpy()
    )
    brides = (
        c.loc[keep]
        .assign(on=on[keep])
        .sort_values(["person_id", "on", "desa_code"])
        .drop_duplicates("person_id", keep="last")
    )
    frame = pl.DataFrame(
        {
            "desa_code": brides["desa_code"].astype(str).tolist(),
            "brides": [1] * len(brides),
        },
        schema={"desa_code": pl.String, "brides": pl.Int64},
    )
    return _prefix_frame(frame, ["brides"])


def _aggregates(
    t: repository.RegisterTables, label: str, start: dt.date, end: dt.date
) -> list[pl.DataFrame]:
    """Indicators from programme aggregates (year periods only: they are yearly)."""
    if len(label) != 4 or t.programme.empty:
        return []
    rolled = _aggregate_rows(t, label)
    out = []
    for ind in CATALOGUE:
        if ind.aggregate is None:
            continue
        mine = rolled.filter(pl.col("agg") == ind.aggregate)
        if mine.is_empty():
            continue
        if ind.aggregate == ind.code:
            out.append(_items(mine, ind.code, num="num", den="den", label=label))
            continue
        # catin_skrining: brides screened (register) over KUA marriages (aggregate).
        brides = _brides_screened(t, start, end)
        joined = mine.join(brides, on=["level", "code"], how="left").with_columns(
            pl.col("brides").fill_null(0)
        )
        out.append(_items(joined, ind.code, num="brides", den="den", label=label))
    return out


# --------------------------------------------------------------------------- assembling


def _finish(
    frames: list[pl.DataFrame],
    t: repository.RegisterTables,
    label: str,
) -> pd.DataFrame:
    counted = [f for f in frames if "value" not in f.columns]
    published = [f for f in frames if "value" in f.columns]
    base = pl.concat(counted, how="vertical") if counted else pl.DataFrame()
    # measured_coverage(_any) = measured (weighing months / any) over registered.
    reg = base.filter(pl.col("indicator") == "registered").select(
        "level", "code", pl.col("numerator").alias("registered")
    )
    cover = []
    for src, code in (
        ("_measured_weighing", "measured_coverage"),
        ("measured", "measured_coverage_any"),
    ):
        got = base.filter(pl.col("indicator") == src).select(
            "level", "code", "numerator"
        )
        j = got.join(reg, on=["level", "code"], how="full", coalesce=True).filter(
            pl.col("registered").is_not_null()
        )
        cover.append(
            j.select(
                pl.lit(code).alias("indicator"),
                "level",
                "code",
                pl.lit(label).alias("period"),
                pl.col("numerator").fill_null(0).cast(pl.Int64),
                pl.col("registered").cast(pl.Int64).alias("denominator"),
            )
        )
    base = pl.concat([base, *cover], how="vertical").filter(
        pl.col("indicator") != "_measured_weighing"
    )
    num = base["numerator"].to_numpy().astype(np.float64)
    den = base["denominator"].fill_null(0).to_numpy().astype(np.float64)
    is_pct = base["denominator"].is_not_null().to_numpy()
    ok = is_pct & (den > 0)
    # A numerator above its denominator (catin screened over KUA marriages: screened in
    # the period, married later or elsewhere) has a value over 100 % and no interval.
    fits = ok & (num <= den)
    low, high = routine.wilson_interval(
        np.where(fits, num, 0.0), np.where(fits, den, 0.0)
    )
    value = np.where(ok, 100.0 * num / np.maximum(den, 1.0), np.nan)
    value = np.where(is_pct, value, num)
    base = base.with_columns(
        pl.Series("value", value),
        pl.Series("ci_low", np.where(fits, 100.0 * low, np.nan)),
        pl.Series("ci_high", np.where(fits, 100.0 * high, np.nan)),
    ).with_columns(pl.col("value", "ci_low", "ci_high").fill_nan(None))
    allf = pl.concat([base, *published], how="vertical") if published else base
    df: pd.DataFrame = allf.to_pandas()
    for c in ("value", "ci_low", "ci_high"):
        df[c] = df[c].astype("float64").round(2)
    df["numerator"] = df["numerator"].astype("Int64")
    df["denominator"] = df["denominator"].astype("Int64")
    df = df.rename(columns={"code": "region_code"})
    names = repository.region_names(t)
    pos_names = repository.posyandu_names(t)
    pos_desa = repository.posyandu_desa(t)
    is_pos = (df["level"] == "posyandu").to_numpy()
    codes = df["region_code"].astype(str).tolist()
    df["region_name"] = [
        (pos_names if p else names).get(c, "")
        for c, p in zip(codes, is_pos, strict=True)
    ]
    # Targets: the region's own, else the nearest enclosing one, else national. Only
    # kab/kota, province and national targets exist, so (indicator, kab/kota) is the key.
    place = [
        pos_desa.get(c, "") if p else c for c, p in zip(codes, is_pos, strict=True)
    ]
    year = int(label[:4])
    # One lookup per (indicator, kab/kota prefix) pair, then a join.
    keys = pd.DataFrame({"indicator": df["indicator"], "_k": [p[:5] for p in place]})
    pairs = keys.drop_duplicates()
    values = []
    for ind, k in zip(pairs["indicator"], pairs["_k"], strict=True):
        tg = target_for(by_code(ind), k, year) if k else None
        values.append(np.nan if tg is None else tg.value)
    found = pairs.assign(target=np.array(values, dtype=np.float64))
    df["target"] = keys.merge(found, on=["indicator", "_k"], how="left")[
        "target"
    ].to_numpy(dtype=np.float64)
    sources = {c.code: str(c.source) for c in CATALOGUE}
    df["source"] = df["indicator"].map(sources)
    df["suppressed"] = False
    order = {c.code: i for i, c in enumerate(CATALOGUE)}
    lv = {v: i for i, v in enumerate(LEVELS)}
    df = df.assign(_l=df["level"].map(lv), _i=df["indicator"].map(order)).sort_values(
        ["_l", "region_code", "_i"], kind="stable"
    )
    return df.drop(columns=["_l", "_i"]).reset_index(drop=True)[list(ITEM_COLUMNS)]


def krs_families(
    tables: repository.RegisterTables, *, period: str, rules: KrsRules | None = None
) -> pd.DataFrame:
    """``level, region_code, krs_families`` at every administrative level: the same count
    as :func:`compute`'s ``krs_families`` items, from persons and families only."""
    label, _, end = period_bounds(period)
    frames, _ = _krs(tables, label, end, rules or KrsRules())
    rows = [
        f for f in frames if not f.is_empty() and f["indicator"][0] == "krs_families"
    ]
    if not rows:
        return pd.DataFrame({"level": [], "region_code": [], "krs_families": []})
    out: pd.DataFrame = (
        rows[0]
        .select(
            "level",
            pl.col("code").alias("region_code"),
            pl.col("numerator").alias("krs_families"),
        )
        .to_pandas()
    )
    return out


def measured_counts(tables: repository.RegisterTables, *, period: str) -> pd.DataFrame:
    """``level, region_code, measured, stunted, stunting_n, stunting_pct`` at every level:
    :func:`compute`'s ``measured`` and ``stunting_routine`` items, from measurements only."""
    label, _, _ = period_bounds(period)
    cols = ["level", "region_code", "measured", "stunted", "stunting_n", "stunting_pct"]
    frames = {
        f["indicator"][0]: f
        for f in _nutrition(tables.measurements, label)
        if not f.is_empty()
    }
    if "measured" not in frames:
        return pd.DataFrame({c: [] for c in cols})
    measured = frames["measured"].select(
        "level",
        pl.col("code").alias("region_code"),
        pl.col("numerator").alias("measured"),
    )
    stunting = frames.get("stunting_routine")
    if stunting is not None:
        measured = measured.join(
            stunting.select(
                "level",
                pl.col("code").alias("region_code"),
                pl.col("numerator").alias("stunted"),
                pl.col("denominator").alias("stunting_n"),
            ),
            on=["level", "region_code"],
            how="left",
        )
    else:
        measured = measured.with_columns(
            pl.lit(None, dtype=pl.Int64).alias("stunted"),
            pl.lit(None, dtype=pl.Int64).alias("stunting_n"),
        )
    out: pd.DataFrame = measured.to_pandas()
    n = out["stunting_n"].astype("float64")
    out["stunting_pct"] = (100.0 * out["stunted"].astype("float64") / n).where(n > 0)
    return out[cols]


@dataclass(frozen=True)
class IndicatorTable:
    """All items of one computation (every level under the region read)."""

    period: str
    items: pd.DataFrame  # ITEM_COLUMNS
    posyandu_desa: Mapping[str, str]


def compute(
    session: Any,
    *,
    period: str | None = None,
    region: str | None = None,
    krs_rules: KrsRules | None = None,
    welfare_max_decile: int = WELFARE_ELIGIBLE_MAX_DECILE,
    today: dt.date | None = None,
) -> IndicatorTable:
    """Every computable indicator of the catalogue for `period` at every level of `region`
    (None: the whole database), from one bulk read of the register."""
    tables = repository.load(session, region=region)
    return compute_from(
        tables,
        period=period,
        krs_rules=krs_rules,
        welfare_max_decile=welfare_max_decile,
        today=today,
    )


def compute_from(
    tables: repository.RegisterTables,
    *,
    period: str | None = None,
    krs_rules: KrsRules | None = None,
    welfare_max_decile: int = WELFARE_ELIGIBLE_MAX_DECILE,
    today: dt.date | None = None,
) -> IndicatorTable:
    """:func:`compute` on tables already read (the benchmark times the two apart)."""
    if period is None:
        period = default_period(tables.measurements, today=today)
    label, start, end = period_bounds(period)
    rules = krs_rules or KrsRules()
    frames: list[pl.DataFrame] = []
    frames += _nutrition(tables.measurements, label)
    frames.append(_registered(tables, label, start, end))
    krs_frames, krs = _krs(tables, label, end, rules)
    frames += krs_frames
    frames += _programme(
        tables, label, start, end, krs, welfare_max_decile=welfare_max_decile
    )
    frames += _published(tables, label)
    frames += _aggregates(tables, label, start, end)
    items = _finish(frames, tables, label)
    return IndicatorTable(
        period=label, items=items, posyandu_desa=repository.posyandu_desa(tables)
    )


def select(
    table: IndicatorTable, *, region: str, level: str | None = None
) -> pd.DataFrame:
    """The items of `region` itself (level None) or of its areas at `level`."""
    items = table.items
    own = level_of(region)
    if level is None or level == own:
        return items.loc[
            (items["region_code"] == region) & (items["level"] == own)
        ].reset_index(drop=True)
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if LEVELS.index(level) < LEVELS.index(own):
        raise InvalidInput(f"level {level} is above the region {region} ({own})")
    at = items.loc[items["level"] == level]
    if level == "posyandu":
        desa = pd.Series(
            [table.posyandu_desa.get(c, "") for c in at["region_code"]],
            index=at.index,
            dtype=object,
        )
        inside = desa.str.startswith(region)
    else:
        inside = at["region_code"].str.startswith(region)
    return at.loc[inside.to_numpy()].reset_index(drop=True)


def level_of(code: str) -> str:
    parts = code.split(".")
    if not all(p.isdigit() for p in parts) or len(parts) > 4:
        raise InvalidInput(f"region code {code!r} is not a Kemendagri code like 64.71")
    return _REGION_LEVELS[len(parts) - 1]


def suppress_small(
    items: pd.DataFrame, *, threshold: int, posyandu_desa: Mapping[str, str]
) -> pd.DataFrame:
    """Viewer output: cells under `threshold` (children/units in the denominator, or a
    count of 1 to threshold-1) lose numerator, denominator, value and CI; a lone small cell
    among siblings takes one sibling with it (analytics.routine.suppress)."""
    if items.empty:
        return items
    is_count = items["denominator"].isna() & items["source"].isin(
        ["routine", "programme"]
    )
    published = items["source"].isin(["survey", "published_routine"])
    n = np.where(
        published,
        threshold,
        np.where(
            is_count,
            np.where(
                items["value"].fillna(0) == 0, threshold, items["value"].fillna(0)
            ),
            items["denominator"].fillna(0).astype("float64"),
        ),
    )
    frame = pl.from_pandas(
        items.assign(_n=n.astype(np.int64))
        .rename(
            columns={"region_code": "code", "value": "prevalence", "numerator": "cases"}
        )
        .drop(columns=["suppressed"])
    )
    parents = dict(posyandu_desa.items())
    out = routine.suppress(
        frame, threshold=threshold, column="_n", parents=parents
    ).to_pandas()
    out = out.rename(
        columns={"code": "region_code", "prevalence": "value", "cases": "numerator"}
    )
    out.loc[out["suppressed"], "denominator"] = pd.NA
    out["numerator"] = out["numerator"].astype("Int64")
    out["denominator"] = out["denominator"].astype("Int64")
    return out[list(ITEM_COLUMNS)]


def to_records(items: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready dicts (None for missing values), in ITEM_COLUMNS order."""
    out = []
    for row in items.itertuples(index=False):
        rec: dict[str, Any] = {}
        for k, v in zip(ITEM_COLUMNS, row, strict=True):
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                rec[k] = None
            elif isinstance(v, np.integer):
                rec[k] = int(v)
            elif isinstance(v, np.floating):
                rec[k] = float(v)
            elif isinstance(v, np.bool_):
                rec[k] = bool(v)
            else:
                rec[k] = v
        out.append(rec)
    return out
