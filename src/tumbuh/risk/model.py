"""Prediction of new stunting cases: family-year features, training, calibration, evaluation
and per-family explanations in words.

Unit of prediction: a *family-year*. At the reference date ``Y-01-01`` a family is in the
unit when it has a known pregnancy or a child under 24 months who is not stunted (never
measured with a non-flagged ``zlen < -2`` before the reference date). Its label is 1 when a
child of the family who was not stunted before ``Y-01-01`` is measured stunted (non-flagged
``zlen < -2``, under 60 months) during year ``Y``.

Every feature is taken from data dated before ``Y-01-01`` (the family's own attributes -
water, latrine, welfare decile - are slowly varying and are used whenever they were
surveyed; see docs/risk-model.md). The model is a logistic regression on standardised
features per segment of the unit (so each family's explanation is coefficient x
standardised value), calibrated by centred isotonic regression on out-of-year scores and
shifted by the trend of the register's routine stunting prevalence (docs/risk-model.md §3).

The input is a :class:`RegisterFrames` (plain pandas tables with the register's column
names); :mod:`tumbuh.risk.service` fills it from the database, tests fill it from files.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from tumbuh.errors import InvalidInput
from tumbuh.i18n import Message, neutral
from tumbuh.risk.config import KrsRules
from tumbuh.risk.krs import classify_krs_frame, family_inputs
from tumbuh.risk.signals import weight_faltering

__all__ = [
    "FEATURES",
    "SEGMENTS",
    "Evaluation",
    "LogisticPart",
    "RegisterFrames",
    "TrainedModel",
    "build_family_years",
    "evaluate",
    "explain",
    "labelled_years",
    "routine_trend",
    "score",
    "segment_of",
    "train",
]

F64 = NDArray[np.float64]
_DAYS_PER_MONTH = 30.4375
KRS_FACTORS = ("water", "latrine", "too_young", "too_old", "too_close", "too_many")
# Minimum history: a label year needs measurements in the year before it (features) and in
# the year itself (labels); below these counts the model would only learn noise.
MIN_POSITIVES = 30
MIN_FAMILY_YEARS = 200
# Shrinkage of the desa routine prevalence toward the overall one (pseudo-children).
_DESA_PRIOR_N = 20.0
MODEL_VERSION = 3
# Every feature and "stunted before" look back this far from the reference date, the same for
# every year: with a longer look-back the first label year (which has only one year of history)
# would be a different population from the later ones, and the calibration would not carry over.
HISTORY_DAYS = 365


@dataclass
class RegisterFrames:
    """The register as pandas tables (column names as in ``tumbuh.register.models``).

    - ``families``: ``family_id, desa_code, water_source, latrine, wife_pregnant,
      wife_modern_contraception, welfare_decile, surveyed_on``
    - ``persons``: ``person_id, family_id, family_role, sex, birth_date, birth_weight_kg``
    - ``measurements``: ``person_id, measured_on, weight_kg, zlen, zwei, flen, fwei``
    - ``screenings``: ``person_id, kind, screened_on, muac_cm, hb_g_dl, due_date``
      (``due_date`` of the pregnancy, blank when unknown)
    """

    families: pd.DataFrame
    persons: pd.DataFrame
    measurements: pd.DataFrame
    screenings: pd.DataFrame


@dataclass(frozen=True)
class Feature:
    name: str
    label_en: str


FEATURES: tuple[Feature, ...] = (
    Feature("haz_last", "lowest last HAZ of a not-stunted child under 5"),
    Feature("haz_near_cut", "how far that HAZ is below -1 (0 when above)"),
    Feature("haz_near_cut2", "how far that HAZ is below -1.5 (0 when above)"),
    Feature(
        "haz_window", "(HAZ + 2) x share of the next 12 months in the 3-24 month window"
    ),
    Feature("haz_slope", "steepest HAZ change per year (last vs >= 3 months before)"),
    Feature("haz_unknown", "a young child never measured"),
    Feature("waz_last", "lowest last WAZ"),
    Feature("window_ahead", "months of the next 12 inside the 3-24 month window"),
    Feature(
        "faltering", "weight not rising (T/2T) or below the red line at last weighing"
    ),
    Feature("lbw", "a child with birth weight < 2.5 kg"),
    Feature("pregnant", "a known pregnancy at the reference date"),
    Feature("kek", "mother's last pregnancy screening LiLA < 23.5 cm"),
    Feature("anaemia", "mother's last pregnancy screening Hb < 11 g/dL"),
    Feature("water", "KRS: unimproved drinking water"),
    Feature("latrine", "KRS: no proper latrine"),
    Feature("too_young", "KRS: wife under 20"),
    Feature("too_old", "KRS: wife over 35"),
    Feature("too_close", "KRS: birth interval under 24 months"),
    Feature("too_many", "KRS: more than 3 children"),
    Feature("poor", "welfare decile 1-2"),
    Feature("desa_prev", "desa routine stunting prevalence, 12 months before (shrunk)"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)


# --- features -----------------------------------------------------------------------------


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame[column].fillna(False).astype(bool)


@dataclass
class _Prepared:
    families: pd.DataFrame
    children: pd.DataFrame  # person_id, family_id, birth, birth_weight_kg
    members: pd.DataFrame  # for krs.family_inputs
    meas: (
        pd.DataFrame
    )  # person_id, family_id, date, zlen (valid or NaN), zwei, weight_kg, birth
    screens: pd.DataFrame  # family_id, date, muac, hb, due
    years: list[int]


def _prepare(frames: RegisterFrames) -> _Prepared:
    fam = frames.families.copy()
    fam["family_id"] = fam["family_id"].astype("int64")
    persons = frames.persons.loc[frames.persons["family_id"].notna()].copy()
    persons["family_id"] = persons["family_id"].astype("int64")
    persons["birth"] = _dates(persons["birth_date"])
    role = persons["family_role"].astype(str).str.strip().str.lower()
    children = persons.loc[(role == "anak") & persons["birth"].notna()]
    children = children[["person_id", "family_id", "birth"]].assign(
        birth_weight_kg=_num(children, "birth_weight_kg")
    )
    members = persons[["family_id", "family_role", "birth_date"]].assign(
        sex=persons["sex"] if "sex" in persons.columns else None
    )
    m = frames.measurements
    meas = pd.DataFrame(
        {
            "person_id": m["person_id"].to_numpy(),
            "date": _dates(m["measured_on"]).to_numpy(),
            "zlen": _num(m, "zlen").where(~_flag(m, "flen")).to_numpy(),
            "zwei": _num(m, "zwei").where(~_flag(m, "fwei")).to_numpy(),
            "weight_kg": _num(m, "weight_kg").to_numpy(),
        }
    )
    meas = meas.merge(children[["person_id", "family_id", "birth"]], on="person_id")
    meas = meas.loc[meas["date"].notna()].sort_values(["person_id", "date"])
    meas = meas.reset_index(drop=True)
    s = frames.screenings
    s = s.loc[s["kind"].astype(str).str.lower() == "hamil"]
    mothers = persons[["person_id", "family_id"]]
    screens = pd.DataFrame(
        {
            "person_id": s["person_id"].to_numpy(),
            "date": _dates(s["screened_on"]).to_numpy(),
            "muac": _num(s, "muac_cm").to_numpy(),
            "hb": _num(s, "hb_g_dl").to_numpy(),
            "due": _dates(s["due_date"])
            if "due_date" in s.columns
            else pd.Series(pd.NaT, index=s.index),
        }
    ).merge(mothers, on="person_id")
    screens = screens.loc[screens["date"].notna()].sort_values("date")
    years = sorted({int(y) for y in meas["date"].dt.year.unique()})
    return _Prepared(fam, children, members, meas, screens, years)


def _child_state(p: _Prepared, ref: pd.Timestamp) -> pd.DataFrame:
    """Per child born before ``ref``: age, stunted before, last HAZ/WAZ, HAZ slope."""
    kids = p.children.loc[p.children["birth"] < ref].copy()
    kids["age_m"] = (ref - kids["birth"]).dt.days / _DAYS_PER_MONTH
    before = p.meas.loc[
        (p.meas["date"] < ref)
        & (p.meas["date"] >= ref - pd.Timedelta(days=HISTORY_DAYS))
    ]
    valid = before.loc[before["zlen"].notna()]
    stunted = valid.loc[valid["zlen"] < -2.0, "person_id"].unique()
    kids["stunted_before"] = kids["person_id"].isin(stunted)
    recent = valid
    last = recent.groupby("person_id").tail(1).set_index("person_id")
    kids["haz_last"] = kids["person_id"].map(last["zlen"])
    kids["last_date"] = kids["person_id"].map(last["date"])
    # Slope: last HAZ against the latest one at least 90 days earlier (within a year).
    earlier = recent.merge(
        last[["date", "zlen"]].rename(columns={"date": "d1", "zlen": "z1"}),
        left_on="person_id",
        right_index=True,
    )
    gap = (earlier["d1"] - earlier["date"]).dt.days
    earlier = earlier.loc[(gap >= 90) & (gap <= 365)]
    prev = earlier.groupby("person_id").tail(1)
    years = (prev["d1"] - prev["date"]).dt.days / 365.25
    slope = pd.Series(
        ((prev["z1"] - prev["zlen"]) / years).to_numpy(), index=prev["person_id"]
    )
    kids["haz_slope"] = kids["person_id"].map(slope)
    wz = before.loc[before["zwei"].notna()]
    kids["waz_last"] = kids["person_id"].map(
        wz.groupby("person_id").tail(1).set_index("person_id")["zwei"]
    )
    # Weighing status (T/2T/BGM) at the last weighing of the 2 months before ref.
    window = before.loc[
        (before["date"] >= ref - pd.Timedelta(days=122)) & before["weight_kg"].notna()
    ]
    if len(window):
        nt = weight_faltering(
            pd.DataFrame(
                {
                    "child_id": window["person_id"].to_numpy(),
                    "date": window["date"].to_numpy(),
                    "weight_kg": window["weight_kg"].to_numpy(),
                    "zwei": window["zwei"].to_numpy(),
                    "zlen": window["zlen"].to_numpy(),
                    "birth_date": window["birth"].to_numpy(),
                }
            )
        )
        nt = nt.assign(person_id=window["person_id"].to_numpy())
        nt = nt.loc[nt["date"] >= ref - pd.Timedelta(days=61)]
        lastw = nt.groupby("person_id").tail(1).set_index("person_id")
        falter = lastw["nt"].isin(["T", "2T"]) | lastw["bgm"].fillna(False).astype(bool)
        kids["faltering"] = kids["person_id"].map(falter).fillna(False).astype(bool)
        kids["faltering_2t"] = kids["person_id"].map(lastw["nt"] == "2T").fillna(False)
        bgm = lastw["bgm"].fillna(False).astype(bool)
        kids["bgm"] = kids["person_id"].map(bgm).fillna(False).astype(bool)
    else:
        kids["faltering"] = False
        kids["faltering_2t"] = False
        kids["bgm"] = False
    return kids


def _desa_prevalence(p: _Prepared, ref: pd.Timestamp) -> pd.Series:
    """Routine stunting prevalence per desa over the 12 months before ``ref``, shrunk."""
    m = p.meas.loc[
        (p.meas["date"] < ref)
        & (p.meas["date"] >= ref - pd.Timedelta(days=HISTORY_DAYS))
        & p.meas["zlen"].notna()
        & ((p.meas["date"] - p.meas["birth"]).dt.days < 1826)
    ]
    last = m.groupby("person_id").tail(1)
    desa = last["family_id"].map(p.families.set_index("family_id")["desa_code"])
    stunted = (last["zlen"] < -2.0).astype(float)
    overall = float(stunted.mean()) if len(stunted) else 0.0
    g = stunted.groupby(desa)
    rate = (g.sum() + _DESA_PRIOR_N * overall) / (g.size() + _DESA_PRIOR_N)
    rate.attrs["overall"] = overall
    return rate


def build_family_years(
    frames: RegisterFrames | _Prepared,
    year: int,
    *,
    rules: KrsRules | None = None,
    with_labels: bool = True,
) -> pd.DataFrame:
    """One row per family in the unit at ``year``-01-01: features, display values, KRS and
    (when ``with_labels``) ``label`` and ``measured_in_year``.
    """
    p = frames if isinstance(frames, _Prepared) else _prepare(frames)
    ref = pd.Timestamp(year=year, month=1, day=1)
    end = pd.Timestamp(year=year + 1, month=1, day=1)
    kids = _child_state(p, ref)
    ok = kids.loc[~kids["stunted_before"] & (kids["age_m"] < 60)]
    young = ok.loc[ok["age_m"] < 24]

    sc = p.screens.loc[p.screens["date"] < ref]
    due = sc["due"].fillna(sc["date"] + pd.Timedelta(days=180))
    preg_fams = set(sc.loc[due >= ref, "family_id"])
    # The family survey's "Hamil" flag is not used: it exists only for the years after the
    # survey, so the unit (and the calibration) would differ between years.
    fam = p.families
    ids = sorted(set(young["family_id"]) | (preg_fams & set(fam["family_id"])))
    out = pd.DataFrame({"family_id": np.asarray(ids, dtype=np.int64)})
    out["year"] = year
    famx = fam.set_index("family_id")
    out["desa_code"] = out["family_id"].map(famx["desa_code"])
    g = ok.groupby("family_id")
    gy = young.groupby("family_id")
    fid = out["family_id"]
    out["haz_last"] = fid.map(g["haz_last"].min())
    out["haz_slope"] = fid.map(g["haz_slope"].min())
    out["waz_last"] = fid.map(g["waz_last"].min())
    out["haz_unknown"] = fid.map(
        young.assign(u=young["haz_last"].isna()).groupby("family_id")["u"].any()
    ).fillna(False)
    out["young_measured"] = fid.map(
        young.assign(k=young["haz_last"].notna()).groupby("family_id")["k"].any()
    ).fillna(False)
    ahead = ((young["age_m"] + 12).clip(upper=24) - young["age_m"].clip(lower=3)).clip(
        0, 12
    )
    out["window_ahead"] = fid.map(ahead.groupby(young["family_id"]).max()).fillna(0.0)
    out["young_age_m"] = fid.map(gy["age_m"].min())
    out["faltering"] = fid.map(g["faltering"].any()).fillna(False)
    out["faltering_2t"] = fid.map(g["faltering_2t"].any()).fillna(False)
    out["bgm"] = fid.map(g["bgm"].any()).fillna(False)
    bw = p.children.loc[p.children["birth"] < ref].groupby("family_id")[
        "birth_weight_kg"
    ]
    out["birth_weight_min"] = fid.map(bw.min())
    out["lbw"] = out["birth_weight_min"] < 2.5
    out["pregnant"] = fid.isin(preg_fams)
    recent_sc = sc.loc[sc["date"] >= ref - pd.Timedelta(days=HISTORY_DAYS)]
    last_sc = recent_sc.groupby("family_id").tail(1).set_index("family_id")
    out["muac"] = fid.map(last_sc["muac"])
    out["hb"] = fid.map(last_sc["hb"])
    out["kek"] = out["muac"] < 23.5
    out["anaemia"] = out["hb"] < 11.0

    # KRS at the reference date (ages at ref, children born before ref, pregnancy as known).
    fam_rows = fam.loc[fam["family_id"].isin(ids)].drop(
        columns=["surveyed_on", "wife_pregnant"], errors="ignore"
    )
    members = p.members.loc[_dates(p.members["birth_date"]) < ref]
    inputs = family_inputs(members, fam_rows, as_of=ref)
    inputs["pregnant"] = inputs["family_id"].isin(preg_fams).astype(float)
    result = classify_krs_frame(inputs, rules)
    kin = inputs.set_index("family_id")
    for name in KRS_FACTORS:
        out[name] = fid.map(pd.Series(result.factors[name], index=kin.index)).fillna(
            False
        )
    out["krs"] = fid.map(pd.Series(result.krs, index=kin.index)).fillna(False)
    out["n_krs_factors"] = out[list(KRS_FACTORS)].sum(axis=1).astype(int)
    out["wife_age"] = fid.map(kin["wife_age"])
    out["children_count"] = fid.map(kin["children_count"])
    out["min_interval_m"] = fid.map(kin["min_birth_interval_months"])
    out["welfare_decile"] = fid.map(kin["welfare_decile"])
    out["poor"] = out["welfare_decile"] <= 2
    prev = _desa_prevalence(p, ref)
    out["desa_prev"] = (
        out["desa_code"].map(prev).astype("float64").fillna(prev.attrs["overall"])
    )
    out["haz_near_cut"] = (-1.0 - out["haz_last"]).clip(lower=0.0)
    out["haz_near_cut2"] = (-1.5 - out["haz_last"]).clip(lower=0.0)
    out["haz_window"] = (out["haz_last"] + 2.0) * out["window_ahead"] / 12.0

    if with_labels:
        now = p.meas.loc[
            (p.meas["date"] >= ref) & (p.meas["date"] < end) & p.meas["zlen"].notna()
        ]
        now = now.loc[(now["date"] - now["birth"]).dt.days < 1826]
        was = set(kids.loc[kids["stunted_before"], "person_id"])
        new = now.loc[(now["zlen"] < -2.0) & ~now["person_id"].isin(was)]
        out["label"] = fid.isin(set(new["family_id"])).astype(int)
        out["measured_in_year"] = fid.isin(set(now["family_id"]))
    return out


def labelled_years(frames: RegisterFrames | _Prepared) -> list[int]:
    """Years that can carry labels: measured, with measurements in the year before too."""
    p = frames if isinstance(frames, _Prepared) else _prepare(frames)
    return [y for y in p.years if y - 1 in p.years]


# --- model --------------------------------------------------------------------------------


def _matrix(table: pd.DataFrame, fill: dict[str, float]) -> F64:
    cols = []
    for name in FEATURE_NAMES:
        col = pd.to_numeric(table[name], errors="coerce").astype("float64")
        cols.append(col.fillna(fill.get(name, 0.0)).to_numpy())
    return np.column_stack(cols)


# Segments of the unit. A family is in the unit either through a young child whose length
# is known (most families: the risk is that child's) or through a pregnancy or a baby never
# measured (the risk is the coming or unmeasured child's, and the HAZ features describe an
# older sibling or are imputed). One logistic model for both ranked the second kind by the
# wrong child, and its calibration, fitted on the mix, was off by 2-4 points in the middle
# and upper deciles (docs/risk-model.md §3). Each segment gets its own model and
# calibration when the training years hold enough of it; otherwise the pooled model
# scores it.
SEGMENTS = ("child", "other")
# The trend of the routine prevalence: years with fewer measured children are not used,
# and a yearly change beyond this (logit scale, ~5 points a year near 20 %) is clipped.
MIN_TREND_CHILDREN = 100
MAX_TREND_PER_YEAR = 0.3


def segment_of(table: pd.DataFrame) -> NDArray[np.str_]:
    """``child`` when the family has a not-stunted child under 24 months with a known
    length-for-age, else ``other`` (pregnancy only, or young children never measured)."""
    if "young_measured" not in table.columns:
        return np.full(len(table), "", dtype=np.str_)
    known = table["young_measured"].fillna(False).to_numpy(dtype=bool)
    out: NDArray[np.str_] = np.where(known, SEGMENTS[0], SEGMENTS[1])
    return out


def _logit(p: F64) -> F64:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    out: F64 = np.log(q / (1.0 - q))
    return out


@dataclass
class LogisticPart:
    """One logistic model on standardised features with its isotonic calibration."""

    fill: dict[str, float]
    mean: F64
    scale: F64
    coef: F64
    intercept: float
    calibrator: IsotonicRegression

    def z(self, table: pd.DataFrame) -> F64:
        out: F64 = (_matrix(table, self.fill) - self.mean) / self.scale
        return out

    def raw(self, table: pd.DataFrame) -> F64:
        out: F64 = 1.0 / (1.0 + np.exp(-(self.z(table) @ self.coef + self.intercept)))
        return out

    def calibrated(self, table: pd.DataFrame) -> F64:
        out: F64 = np.asarray(
            self.calibrator.predict(self.raw(table)), dtype=np.float64
        )
        return out


@dataclass
class TrainedModel:
    """A fitted model of new cases and where it came from.

    The first six fields are the pooled model (all segments together); ``segments`` holds
    the model of each segment that had enough training data, which scores that segment's
    families instead. With a ``trend_per_year`` (logit scale), each segment's rate of new
    cases in a year is forecast as ``expit(trend_reference_logits[segment] + (year -
    trend_reference_year) x trend_per_year)`` (the segment's rate in the training years
    moved by the routine prevalence's trend), and the calibrated risks of the segment's
    families that year are moved by the one logit shift that makes their mean that rate
    (:meth:`year_shifts`).
    """

    fill: dict[str, float]
    mean: F64
    scale: F64
    coef: F64
    intercept: float
    calibrator: IsotonicRegression
    fit_years: list[int]
    calibration_years: list[int]
    calibration_method: str
    trained_at: str
    rules: KrsRules = field(default_factory=KrsRules)
    version: int = MODEL_VERSION
    info: dict[str, Any] = field(default_factory=dict)
    segments: dict[str, LogisticPart] = field(default_factory=dict)
    trend_per_year: float = 0.0
    trend_reference_year: float = 0.0
    # logit of the training years' rate of new cases per segment (SEGMENTS), and of all
    trend_reference_logits: dict[str, float] = field(default_factory=dict)
    trend_reference_logit: float = 0.0

    @property
    def pooled(self) -> LogisticPart:
        return LogisticPart(
            self.fill, self.mean, self.scale, self.coef, self.intercept, self.calibrator
        )

    def _parts(
        self, table: pd.DataFrame
    ) -> list[tuple[LogisticPart, NDArray[np.bool_]]]:
        seg = segment_of(table)
        rest = np.ones(len(table), dtype=bool)
        parts = []
        for key, part in self.segments.items():
            mask = seg == key
            parts.append((part, mask))
            rest &= ~mask
        parts.append((self.pooled, rest))
        return parts

    def raw(self, table: pd.DataFrame) -> F64:
        """Uncalibrated logistic probability (each family by its segment's model)."""
        out: F64 = np.zeros(len(table))
        for part, mask in self._parts(table):
            if mask.any():
                out[mask] = part.raw(table.loc[mask])
        return out

    def _calibrated(self, table: pd.DataFrame) -> F64:
        out: F64 = np.zeros(len(table))
        for part, mask in self._parts(table):
            if mask.any():
                out[mask] = part.calibrated(table.loc[mask])
        return out

    def forecast_rate(self, year: int, segment: str | None = None) -> float:
        """The rate of new cases of ``segment`` (all families: None) in ``year`` that the
        trend forecasts (the training rate when there is no trend)."""
        base = self.trend_reference_logits.get(
            segment or "", self.trend_reference_logit
        )
        x = base + (year - self.trend_reference_year) * self.trend_per_year
        return float(1.0 / (1.0 + math.exp(-x)))

    def year_shifts(self, table: pd.DataFrame) -> dict[tuple[int, str], float]:
        """Per year and segment of ``table`` (each year's whole unit): the logit shift of
        the calibrated risks that makes their mean :meth:`forecast_rate`; none without a
        trend.

        The trend forecasts rates, not each family's odds: the features (the desa's
        prevalence and the children's HAZ of the year before) already move with the
        province, and moving every family's odds by the whole trend as well counted that
        part of the decline twice. Per segment, because the segments' rates differ and
        their mix changes from year to year (docs/risk-model.md section 3)."""
        if not self.trend_per_year or "year" not in table.columns:
            return {}
        cal = self._calibrated(table)
        years = table["year"].to_numpy()
        segs = segment_of(table)
        out: dict[tuple[int, str], float] = {}
        for year in np.unique(years):
            for seg in np.unique(segs):
                p = cal[(years == year) & (segs == seg)]
                inside = p[(p > 0.0) & (p < 1.0)]
                out[(int(year), str(seg))] = _level_shift(
                    _logit(inside),
                    self.forecast_rate(int(year), str(seg)),
                    p.size - inside.size,
                    float(p[p >= 1.0].size),
                )
        return out

    def predict(
        self,
        table: pd.DataFrame,
        *,
        shifts: dict[tuple[int, str], float] | None = None,
    ) -> F64:
        """Calibrated probability of a new stunting case in the year.

        With a trend, ``table`` is taken as each year's whole unit (as
        :func:`build_family_years` gives it) and the shifts are computed from it
        (:meth:`year_shifts`); to score a part of a unit, pass the ``shifts`` computed on
        the whole."""
        out = self._calibrated(table)
        if shifts is None:
            shifts = self.year_shifts(table)
        if shifts and len(table):
            keys = zip(table["year"].to_numpy(), segment_of(table), strict=True)
            shift = np.array(
                [shifts.get((int(y), str(g)), 0.0) for y, g in keys], dtype=np.float64
            )
            inside = (out > 0.0) & (out < 1.0)
            moved: F64 = 1.0 / (1.0 + np.exp(-(_logit(out) + shift)))
            out = np.where(inside, moved, out)
        return out

    def contributions(self, table: pd.DataFrame) -> F64:
        """coefficient x standardised value, per family and feature (logit scale)."""
        out: F64 = np.zeros((len(table), len(FEATURE_NAMES)))
        for part, mask in self._parts(table):
            if mask.any():
                out[mask] = part.z(table.loc[mask]) * part.coef
        return out


def _rate_logit(label: pd.Series) -> float:
    return float(_logit(np.array([label.mean()], dtype=np.float64))[0])


def _level_shift(logits: F64, rate: float, fixed: int, ones: float) -> float:
    """The shift ``d`` with mean(expit(logits + d)) over all ``logits.size + fixed`` risks
    equal to ``rate``, where ``fixed`` risks stay at 0 or 1 (``ones`` of them at 1).
    Bisection on the logit scale, clipped to +-5."""
    n = logits.size + fixed
    if logits.size == 0 or n == 0:
        return 0.0
    lo, hi = -5.0, 5.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        mean = (float((1.0 / (1.0 + np.exp(-(logits + mid)))).sum()) + ones) / n
        if mean > rate:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def _fit_logistic(table: pd.DataFrame) -> tuple[dict[str, float], F64, F64, F64, float]:
    fill = {
        name: float(pd.to_numeric(table[name], errors="coerce").median())
        for name in FEATURE_NAMES
    }
    fill = {k: (0.0 if math.isnan(v) else v) for k, v in fill.items()}
    x = _matrix(table, fill)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit((x - mean) / scale, table["label"].to_numpy())
    return fill, mean, scale, np.asarray(lr.coef_[0]), float(lr.intercept_[0])


def _enough(table: pd.DataFrame) -> bool:
    pos = int(table["label"].sum()) if len(table) else 0
    return len(table) >= MIN_FAMILY_YEARS and pos >= MIN_POSITIVES


def _check_history(table: pd.DataFrame, years: Sequence[int], what: str) -> None:
    if not _enough(table):
        n = len(table)
        pos = int(table["label"].sum()) if n else 0
        raise InvalidInput(
            f"history too short to {what}: years {list(years) or 'none'} give {n} "
            f"family-years with {pos} new cases (need at least {MIN_FAMILY_YEARS} "
            f"family-years and {MIN_POSITIVES} new cases)"
        )


def _fit_calibrated(
    table: pd.DataFrame, years: Sequence[int]
) -> tuple[LogisticPart, str] | None:
    """Logistic model on ``table`` with isotonic calibration on out-of-fold scores: each
    labelled year scored by a model fitted on the other years (leave one year out), or 5
    interleaved folds of a single year. None when a fold lacks cases or non-cases."""
    table = table.reset_index(drop=True)
    label = table["label"].to_numpy()
    if len(years) >= 2:
        folds = table["year"].to_numpy()
        keys = list(years)
        method = "isotonic on leave-one-year-out scores"
    else:
        folds = np.arange(len(table)) % 5
        keys = list(range(5))
        method = "isotonic on 5 interleaved folds of the one labelled year"
    raws = np.empty(len(table))
    for k in keys:
        held = folds == k
        if np.unique(label[~held]).size < 2:
            return None
        if not held.any():
            continue
        fold = LogisticPart(*_fit_logistic(table.loc[~held]), IsotonicRegression())
        raws[held] = fold.raw(table.loc[held])
    return LogisticPart(*_fit_logistic(table), _centred_isotonic(raws, label)), method


def _centred_isotonic(raw: F64, label: NDArray[np.int_]) -> IsotonicRegression:
    """Isotonic regression of ``label`` on ``raw``, then linear between the centres of its
    blocks (centred isotonic regression, Oron & Flournoy 2017, Stat Biopharm Res 9:258).

    Plain isotonic regression is a staircase: every family in a block gets the block's
    rate, and a block that was high by chance in the calibration years moves a whole band
    of families (measured: a band of ~1,100 families at 12-16 % predicted, 9 % observed
    the next year). Joining the block centres (mean score, block rate) by straight lines
    keeps the map monotone and fitted to the same blocks without the steps."""
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    fitted = iso.fit_transform(raw, label)
    order = np.argsort(raw, kind="stable")
    x, y = raw[order], np.asarray(fitted, dtype=np.float64)[order]
    start = np.r_[True, np.diff(y) != 0]
    block = np.cumsum(start) - 1
    size = np.bincount(block)
    cx = np.bincount(block, weights=x) / size
    cy = np.bincount(block, weights=y) / size
    centred = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    centred.fit(cx, cy, sample_weight=size)
    return centred


def routine_trend(
    frames: RegisterFrames | _Prepared, *, until_year: int
) -> tuple[float, dict[int, float]]:
    """Yearly change of the register's routine stunting prevalence, logit scale.

    Per calendar year up to ``until_year``: the share of children under 5 whose last valid
    length-for-age of the year is below -2 (years with fewer than
    ``MIN_TREND_CHILDREN`` children are left out); the least-squares slope of its logit on
    the year, clipped to +-``MAX_TREND_PER_YEAR``. Returns the slope and the prevalences.
    """
    p = frames if isinstance(frames, _Prepared) else _prepare(frames)
    m = p.meas.loc[
        p.meas["zlen"].notna()
        & ((p.meas["date"] - p.meas["birth"]).dt.days < 1826)
        & (p.meas["date"].dt.year <= until_year)
    ]
    last = m.assign(y=m["date"].dt.year).groupby(["y", "person_id"]).tail(1)
    g = (last["zlen"] < -2.0).groupby(last["y"])
    n, prev = g.size(), g.mean()
    keep = (n >= MIN_TREND_CHILDREN) & (prev > 0.0) & (prev < 1.0)
    prev = prev.loc[keep]
    rates = {int(y): round(float(v), 4) for y, v in prev.items()}
    if len(prev) < 2:
        return 0.0, rates
    x = prev.index.to_numpy(dtype=np.float64)
    slope = float(np.polyfit(x, _logit(prev.to_numpy(dtype=np.float64)), 1)[0])
    return max(-MAX_TREND_PER_YEAR, min(MAX_TREND_PER_YEAR, slope)), rates


def train(
    frames: RegisterFrames | _Prepared,
    *,
    until_year: int | None = None,
    rules: KrsRules | None = None,
    trend: bool = True,
) -> TrainedModel:
    """Fit on labelled years up to ``until_year`` (default: all).

    A pooled logistic model on every labelled year, and one per segment (:data:`SEGMENTS`)
    that has at least ``MIN_FAMILY_YEARS`` family-years and ``MIN_POSITIVES`` new cases.
    Each is calibrated by isotonic regression on out-of-year scores (each year scored by a
    model fitted on the other years), so the calibration sees how the scores carry over
    from one year to another; with a single labelled year, 5 interleaved folds of that
    year (said in ``calibration_method``). With ``trend``, the calibrated risks then follow
    the register's routine stunting prevalence: the yearly change of its logit
    (:func:`routine_trend`, measurement years up to the last training year) times the
    years between the predicted year and the mean training year. Raises InvalidInput when
    history is too short.
    """
    rules = rules or KrsRules()
    p = frames if isinstance(frames, _Prepared) else _prepare(frames)
    years = [y for y in labelled_years(p) if until_year is None or y <= until_year]
    if not years:
        raise InvalidInput(
            "history too short to train: need measurements in at least 2 consecutive "
            f"years (found years {p.years or 'none'})"
        )
    tables = {y: build_family_years(p, y, rules=rules) for y in years}
    everything = pd.concat(tables.values(), ignore_index=True)
    _check_history(everything, years, "train")
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    fitted = _fit_calibrated(everything, years)
    if fitted is None:
        raise InvalidInput(
            f"history too short to train: years {years} need new cases and families "
            "without one in every year"
        )
    pooled, method = fitted
    segs = segment_of(everything)
    parts: dict[str, LogisticPart] = {}
    for key in SEGMENTS:
        rows = everything.loc[segs == key]
        if _enough(rows):
            part = _fit_calibrated(rows, years)
            if part is not None:
                parts[key] = part[0]
    slope, rates = routine_trend(p, until_year=max(years)) if trend else (0.0, {})
    model = TrainedModel(
        pooled.fill,
        pooled.mean,
        pooled.scale,
        pooled.coef,
        pooled.intercept,
        pooled.calibrator,
        years,
        years,
        method + (f", per segment ({', '.join(parts)})" if parts else ""),
        now,
        rules,
        segments=parts,
        trend_per_year=slope,
        trend_reference_year=float(everything["year"].mean()),
        trend_reference_logit=_rate_logit(everything["label"]),
        trend_reference_logits={
            key: _rate_logit(everything.loc[segs == key, "label"])
            for key in SEGMENTS
            if (segs == key).any()
        },
    )
    model.info = {
        "family_years": len(everything),
        "new_cases": int(everything["label"].sum()),
        "segments": {
            key: {
                "family_years": int((segs == key).sum()),
                "new_cases": int(everything.loc[segs == key, "label"].sum()),
                "own_model": key in parts,
            }
            for key in SEGMENTS
        },
        "trend_per_year": round(slope, 4),
        "routine_prevalence": rates,
        "coefficients": {
            n: round(float(c), 4)
            for n, c in zip(FEATURE_NAMES, model.coef, strict=True)
        },
    }
    return model


# --- evaluation ---------------------------------------------------------------------------


def _capture(score: F64, label: NDArray[np.int_], share: float) -> float:
    k = max(1, int(math.ceil(share * score.size)))
    top = np.argsort(-score, kind="stable")[:k]
    total = int(label.sum())
    return float(label[top].sum() / total) if total else float("nan")


def krs_baseline_score(table: pd.DataFrame, *, seed: int = 0) -> F64:
    """The KRS rule alone: number of KRS factors, ties broken at random (seeded)."""
    rng = np.random.default_rng(seed)
    n = table["n_krs_factors"].to_numpy(dtype=np.float64)
    out: F64 = n + rng.random(n.size) * 0.5
    return out


def calibration_table(
    pred: F64, label: NDArray[np.int_], bins: int = 10
) -> list[dict[str, float]]:
    """Predicted and observed rates per risk decile (equal-count bins by predicted risk)."""
    order = np.argsort(pred, kind="stable")
    rows = []
    for i, idx in enumerate(np.array_split(order, bins)):
        if idx.size == 0:
            continue
        rows.append(
            {
                "decile": i + 1,
                "families": int(idx.size),
                "predicted": round(float(pred[idx].mean()), 4),
                "observed": round(float(label[idx].mean()), 4),
                "gap": round(float(pred[idx].mean() - label[idx].mean()), 4),
            }
        )
    return rows


@dataclass
class Evaluation:
    """Model against the KRS rule alone on one held-out year."""

    year: int
    model: TrainedModel
    table: pd.DataFrame
    metrics: dict[str, Any]


def evaluate(
    frames: RegisterFrames | _Prepared,
    *,
    year: int | None = None,
    rules: KrsRules | None = None,
    seed: int = 0,
    trend: bool = True,
) -> Evaluation:
    """Train on labelled years before ``year`` (default: the last labelled year) and compare
    the model with the KRS rule alone on ``year``: AUC, average precision, capture of the
    year's new cases by the top 10 % / 20 % of families, calibration per decile."""
    p = frames if isinstance(frames, _Prepared) else _prepare(frames)
    years = labelled_years(p)
    if year is None:
        if len(years) < 2:
            raise InvalidInput(
                "history too short to evaluate: need 2 labelled years (measurements in "
                f"3 consecutive years); found measurement years {p.years or 'none'}"
            )
        year = years[-1]
    if year not in years:
        raise InvalidInput(f"no labels for {year}: labelled years are {years}")
    model = train(p, until_year=year - 1, rules=rules, trend=trend)
    table = build_family_years(p, year, rules=model.rules)
    if table.empty or table["label"].nunique() < 2:
        raise InvalidInput(f"{year}: need both families with and without new cases")
    label = table["label"].to_numpy()
    pred = model.predict(table)
    base = krs_baseline_score(table, seed=seed)
    table = table.assign(risk=pred, baseline=base)
    cal = calibration_table(pred, label)
    gap = max(abs(r["gap"]) for r in cal)
    metrics: dict[str, Any] = {
        "year": year,
        "trained_on": model.fit_years,
        "calibrated_on": model.calibration_years,
        "calibration_method": model.calibration_method,
        "trend_per_year": model.info["trend_per_year"],
        "forecast_rate": {
            key: round(model.forecast_rate(year, key), 4) for key in SEGMENTS
        }
        if model.trend_per_year
        else None,
        "year_shift": {
            seg: round(v, 4) for (_, seg), v in model.year_shifts(table).items()
        },
        "routine_prevalence": model.info["routine_prevalence"],
        "families": int(label.size),
        "new_cases": int(label.sum()),
        "observed_rate": round(float(label.mean()), 4),
        "predicted_rate": round(float(pred.mean()), 4),
        "auc": round(float(roc_auc_score(label, pred)), 4),
        "baseline_auc": round(float(roc_auc_score(label, base)), 4),
        "average_precision": round(float(average_precision_score(label, pred)), 4),
        "baseline_average_precision": round(
            float(average_precision_score(label, base)), 4
        ),
        "capture_top10": round(_capture(pred, label, 0.10), 4),
        "capture_top20": round(_capture(pred, label, 0.20), 4),
        "baseline_capture_top10": round(_capture(base, label, 0.10), 4),
        "baseline_capture_top20": round(_capture(base, label, 0.20), 4),
        "krs_share": round(float(table["krs"].mean()), 4),
        "krs_capture": round(
            float(label[table["krs"].to_numpy(dtype=bool)].sum() / max(1, label.sum())),
            4,
        ),
        "calibration": cal,
        "calibration_max_gap": round(gap, 4),
        "segments": model.info["segments"],
    }
    return Evaluation(year, model, table, metrics)


# --- scoring and explanations -------------------------------------------------------------


def _n(x: object, decimals: int = 1) -> str:
    return neutral(float(x), decimals)  # type: ignore[arg-type]


# Each explanation group: features it sums, and a function (row) -> the reason, a catalogue
# key with its parameters (risk.reason.*), said in the reader's language when shown.
_Words = Callable[[pd.Series], Message]
_M = Message.of


def _haz_words(r: pd.Series) -> Message:
    if pd.isna(r["haz_last"]):
        return _M("risk.reason.haz_unmeasured")
    return _M("risk.reason.haz_near", z=_n(r["haz_last"], 2))


def _slope_words(r: pd.Series) -> Message:
    s = float(r["haz_slope"]) if pd.notna(r["haz_slope"]) else 0.0
    return _M("risk.reason.haz_slope", slope=neutral(-s, 2))


def _window_words(r: pd.Series) -> Message:
    a = r["young_age_m"]
    if pd.isna(a):
        return _M("risk.reason.window_due")
    key = "risk.reason.window_ahead" if a < 3 else "risk.reason.window_in"
    return _M(key, age=str(int(a)))


def _faltering_words(r: pd.Series) -> Message:
    if bool(r["faltering_2t"]):
        return _M("risk.reason.faltering_2t")
    return _M("risk.reason.faltering")


def _krs_words(key: str) -> _Words:
    def words(r: pd.Series) -> Message:
        if key in ("water", "latrine"):
            return _M(f"risk.reason.{key}")
        if key in ("too_young", "too_old"):
            return _M(f"risk.reason.{key}", age=str(int(r["wife_age"])))
        if key == "too_close":
            return _M("risk.reason.too_close", months=str(int(r["min_interval_m"])))
        return _M("risk.reason.too_many", n=str(int(r["children_count"])))

    return words


_GROUPS: tuple[tuple[str, tuple[str, ...], _Words], ...] = (
    (
        "haz",
        ("haz_last", "haz_near_cut", "haz_near_cut2", "haz_window", "haz_unknown"),
        _haz_words,
    ),
    ("haz_slope", ("haz_slope",), _slope_words),
    ("window", ("window_ahead",), _window_words),
    ("faltering", ("faltering",), _faltering_words),
    ("waz", ("waz_last",), lambda r: _M("risk.reason.waz", z=_n(r["waz_last"], 2))),
    (
        "lbw",
        ("lbw",),
        lambda r: _M("risk.reason.lbw", kg=_n(r["birth_weight_min"], 2)),
    ),
    ("kek", ("kek",), lambda r: _M("risk.reason.kek", muac=_n(r["muac"]))),
    ("anaemia", ("anaemia",), lambda r: _M("risk.reason.anaemia", hb=_n(r["hb"]))),
    ("pregnant", ("pregnant",), lambda r: _M("risk.reason.pregnant")),
    *((k, (k,), _krs_words(k)) for k in KRS_FACTORS),
    (
        "poor",
        ("poor",),
        lambda r: _M("risk.reason.poor", decile=str(int(r["welfare_decile"]))),
    ),
    (
        "desa_prev",
        ("desa_prev",),
        lambda r: _M("risk.reason.desa_prev", pct=_n(100 * float(r["desa_prev"]))),
    ),
)
# Binary factors explain a family only when present (their contribution is then positive).
_NEEDS_TRUE = {"faltering", "lbw", "kek", "anaemia", "pregnant", "poor", *KRS_FACTORS}


def explain(
    model: TrainedModel, table: pd.DataFrame, *, top: int = 3, min_logit: float = 0.05
) -> pd.DataFrame:
    """The factors that raise each family's risk, strongest first, as messages.

    Per family, contributions (coefficient x standardised value, logit scale) are summed per
    group of features; the groups with a positive sum above ``min_logit`` (binary factors
    only when present) are listed. Returns ``reason_keys`` (``;``-separated) and ``reasons``
    (a list of :class:`~tumbuh.i18n.Message`, to say with ``tumbuh.i18n.render_all``),
    aligned with ``table``.
    """
    contrib = model.contributions(table)
    index = {n: i for i, n in enumerate(FEATURE_NAMES)}
    sums = np.column_stack(
        [contrib[:, [index[f] for f in feats]].sum(axis=1) for _, feats, _ in _GROUPS]
    )
    keys_out: list[str] = []
    reasons_out: list[list[Message]] = []
    rows = table.reset_index(drop=True)
    for i in range(len(rows)):
        r = rows.iloc[i]
        order = np.argsort(-sums[i], kind="stable")
        keys: list[str] = []
        reasons: list[Message] = []
        for j in order:
            if sums[i, j] <= min_logit or len(keys) >= top:
                break
            key, _, words = _GROUPS[j]
            if key in _NEEDS_TRUE and not bool(r[key]):
                continue
            if key == "haz_slope" and not (
                pd.notna(r["haz_slope"]) and r["haz_slope"] < 0
            ):
                continue
            if key == "waz" and not (pd.notna(r["waz_last"]) and r["waz_last"] < -1.0):
                continue
            keys.append(key)
            reasons.append(words(r))
        keys_out.append(";".join(keys))
        reasons_out.append(reasons)
    return pd.DataFrame(
        {"reason_keys": keys_out, "reasons": reasons_out}, index=table.index
    )


def signals(table: pd.DataFrame) -> pd.DataFrame:
    """Actionable signals of each family, whatever their weight in the model: KEK or anaemia
    in the current pregnancy, weight not rising 2 months in a row (2T), below the red line,
    low birth weight, a child under 2 never measured. Returns ``signal_keys`` and
    ``signals`` (lists of :class:`~tumbuh.i18n.Message`) aligned with ``table``."""
    keys_out: list[str] = []
    signals_out: list[list[Message]] = []
    for _, r in table.iterrows():
        found: list[tuple[str, Message]] = []
        if bool(r["pregnant"]) and bool(r["kek"]):
            found.append(("kek", _M("risk.signal.kek", muac=_n(r["muac"]))))
        if bool(r["pregnant"]) and bool(r["anaemia"]):
            found.append(("anaemia", _M("risk.signal.anaemia", hb=_n(r["hb"]))))
        if bool(r["faltering_2t"]):
            found.append(("faltering", _M("risk.reason.faltering_2t")))
        if bool(r["bgm"]):
            found.append(("bgm", _M("risk.signal.bgm")))
        if bool(r["lbw"]):
            found.append(
                ("lbw", _M("risk.reason.lbw", kg=_n(r["birth_weight_min"], 2)))
            )
        if bool(r["haz_unknown"]):
            found.append(("unmeasured", _M("risk.signal.unmeasured")))
        keys_out.append(";".join(k for k, _ in found))
        signals_out.append([m for _, m in found])
    return pd.DataFrame(
        {"signal_keys": keys_out, "signals": signals_out}, index=table.index
    )


def score(
    model: TrainedModel,
    frames: RegisterFrames | _Prepared,
    *,
    year: int | None = None,
    top_reasons: int = 3,
) -> pd.DataFrame:
    """Risk of a new case during ``year`` (default: the year after the last measurement)
    for every family in the unit at ``year``-01-01, with reasons; sorted by risk."""
    p = frames if isinstance(frames, _Prepared) else _prepare(frames)
    if year is None:
        if not p.years:
            raise InvalidInput("no measurements in the register: nothing to score")
        year = p.years[-1] + 1
    table = build_family_years(p, year, rules=model.rules, with_labels=False)
    table["risk"] = model.predict(table)
    table = pd.concat(
        [table, explain(model, table, top=top_reasons), signals(table)], axis=1
    )
    return table.sort_values("risk", ascending=False, kind="stable").reset_index(
        drop=True
    )
