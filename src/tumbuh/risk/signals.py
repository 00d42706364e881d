"""Individual risk signals over whole arrays: KEK, anaemia, catin screening, low birth weight,
and posyandu weight faltering (N/T/2T, BGM, falling length/height-for-age).

Each signal returns a frozen :class:`Signal`: ``flag`` (present on evidence), ``known`` (inputs
were there to decide) and a reason text per element in Bahasa Indonesia and English, empty
where the signal is absent. NaN in means "unknown", never "flagged". Thresholds and their
sources are in :class:`tumbuh.risk.config.SignalRules`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from tumbuh.risk.config import SignalRules

__all__ = [
    "CatinScreening",
    "Signal",
    "anaemia",
    "catin_screening",
    "kek",
    "low_birth_weight",
    "weight_faltering",
]

_DAYS_PER_MONTH = 30.4375  # WHO anthro: 365.25 / 12


@dataclass(frozen=True, slots=True)
class Signal:
    """One risk signal over n people: flags and bilingual reasons (empty when not flagged)."""

    flag: NDArray[np.bool_]
    known: NDArray[np.bool_]
    reason_id: NDArray[np.object_]
    reason_en: NDArray[np.object_]


def _arr(name: str, values: ArrayLike, n: int | None = None) -> NDArray[np.float64]:
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and arr.size != n:
        if arr.size == 1:
            return np.full(n, arr[0])
        raise ValueError(f"{name} has {arr.size} values, expected {n}")
    return arr


@dataclass(frozen=True, slots=True)
class _Num:
    """Numbers to format into a reason, only for the flagged elements."""

    values: NDArray[np.float64]
    decimals: int
    comma: bool  # Indonesian uses a decimal comma ("22,8")
    signed: bool = False  # "+100" for gains


def _fmt(num: _Num, idx: NDArray[np.intp]) -> NDArray[np.object_]:
    values = np.nan_to_num(num.values[idx])
    text = np.char.mod(f"%{'+' if num.signed else ''}.{num.decimals}f", values)
    if num.comma:
        text = np.char.replace(text, ".", ",")
    return text.astype(object)


def _num(x: float, *, comma: bool) -> str:
    text = f"{x:g}"
    return text.replace(".", ",") if comma else text


def _reason(
    flag: NDArray[np.bool_], parts: list[str | _Num | NDArray[np.object_]]
) -> NDArray[np.object_]:
    """Reason texts built only where ``flag`` is set (empty elsewhere)."""
    out: NDArray[np.object_] = np.full(flag.size, "", dtype=object)
    idx = np.flatnonzero(flag)
    if idx.size == 0:
        return out
    text: NDArray[np.object_] = np.full(idx.size, "", dtype=object)
    for part in parts:
        if isinstance(part, str):
            text = text + part
        elif isinstance(part, _Num):
            text = text + _fmt(part, idx)
        else:
            text = text + np.asarray(part, dtype=object)[idx]
    out[idx] = text
    return out


def _below(
    values: NDArray[np.float64],
    cut: float | NDArray[np.float64],
    *,
    label_id: str,
    label_en: str,
    measure_id: str,
    measure_en: str,
    unit: str,
    decimals: int,
    unit_en: str | None = None,
) -> Signal:
    known = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        flag = known & (values < cut)
    cut_arr = np.broadcast_to(np.asarray(cut, dtype=np.float64), values.shape)
    cut_id = np.array([_num(c, comma=True) for c in np.unique(cut_arr)], dtype=object)
    cut_en = np.array([_num(c, comma=False) for c in np.unique(cut_arr)], dtype=object)
    idx = np.searchsorted(np.unique(cut_arr), cut_arr)
    return Signal(
        flag=flag,
        known=known,
        reason_id=_reason(
            flag,
            [
                f"{label_id} ({measure_id} ",
                _Num(values, decimals, True),
                f" {unit} < ",
                cut_id[idx],
                f" {unit})",
            ],
        ),
        reason_en=_reason(
            flag,
            [
                f"{label_en} ({measure_en} ",
                _Num(values, decimals, False),
                f" {unit_en or unit} < ",
                cut_en[idx],
                f" {unit_en or unit})",
            ],
        ),
    )


def kek(
    lila_cm: ArrayLike, *, pregnant: bool = True, rules: SignalRules | None = None
) -> Signal:
    """Chronic energy deficiency (KEK): LiLA below 23.5 cm (Depkes/Kemenkes).

    >>> kek([22.8, 23.5]).reason_id[0]
    'Ibu hamil KEK (LiLA 22,8 cm < 23,5 cm)'
    """
    rules = rules or SignalRules()
    return _below(
        _arr("lila_cm", lila_cm),
        rules.kek_lila_under_cm,
        label_id="Ibu hamil KEK" if pregnant else "Risiko KEK",
        label_en="Pregnant woman with chronic energy deficiency"
        if pregnant
        else "At risk of chronic energy deficiency",
        measure_id="LiLA",
        measure_en="MUAC",
        unit="cm",
        decimals=1,
    )


def anaemia(
    hb_g_dl: ArrayLike, *, pregnant: ArrayLike, rules: SignalRules | None = None
) -> Signal:
    """Anaemia: Hb below 11 g/dL when pregnant, below 12 g/dL for adolescent girls and
    non-pregnant women (Kemenkes/WHO). ``pregnant`` is one bool or one per person.

    >>> anaemia([10.5, 11.5], pregnant=[True, False]).reason_en[1]
    'Anaemia, not pregnant (Hb 11.5 g/dL < 12 g/dL)'
    """
    rules = rules or SignalRules()
    hb = _arr("hb_g_dl", hb_g_dl)
    preg = np.broadcast_to(np.asarray(pregnant, dtype=bool), hb.shape)
    cut = np.where(
        preg, rules.anaemia_pregnant_hb_under, rules.anaemia_nonpregnant_hb_under
    )
    sig_p = _below(
        hb,
        cut,
        label_id="Anemia ibu hamil",
        label_en="Anaemia in pregnancy",
        measure_id="Hb",
        measure_en="Hb",
        unit="g/dL",
        decimals=1,
    )
    sig_np = _below(
        hb,
        cut,
        label_id="Anemia, tidak hamil",
        label_en="Anaemia, not pregnant",
        measure_id="Hb",
        measure_en="Hb",
        unit="g/dL",
        decimals=1,
    )
    return Signal(
        flag=sig_p.flag,
        known=sig_p.known,
        reason_id=np.where(preg, sig_p.reason_id, sig_np.reason_id),
        reason_en=np.where(preg, sig_p.reason_en, sig_np.reason_en),
    )


def low_birth_weight(
    birth_weight_g: ArrayLike, *, rules: SignalRules | None = None
) -> Signal:
    """Low birth weight (BBLR): below 2500 g (WHO; Buku KIA).

    >>> low_birth_weight([2499, 2500]).flag.tolist()
    [True, False]
    """
    rules = rules or SignalRules()
    return _below(
        _arr("birth_weight_g", birth_weight_g),
        rules.lbw_under_g,
        label_id="BBLR",
        label_en="Low birth weight",
        measure_id="berat lahir",
        measure_en="birth weight",
        unit="g",
        decimals=0,
    )


@dataclass(frozen=True, slots=True)
class CatinScreening:
    """Catin (bride-to-be) screening: one :class:`Signal` per criterion, and the union."""

    anaemia: Signal
    kek: Signal
    underweight: Signal
    too_young: Signal
    bmi: NDArray[np.float64]

    @property
    def at_risk(self) -> NDArray[np.bool_]:
        """At least one criterion flagged (Elsimil's "red" result: delay pregnancy, assist)."""
        return (
            self.anaemia.flag
            | self.kek.flag
            | self.underweight.flag
            | self.too_young.flag
        )

    def reasons(self, lang: str = "id") -> NDArray[np.object_]:
        """All flagged reasons of each person, ``; ``-separated."""
        out: NDArray[np.object_] = np.full(self.bmi.size, "", dtype=object)
        for sig in (self.anaemia, self.kek, self.underweight, self.too_young):
            part = sig.reason_id if lang == "id" else sig.reason_en
            sep = np.where((out != "") & (part != ""), "; ", "")
            out = out + sep + part
        return out


def catin_screening(
    *,
    age_years: ArrayLike,
    hb_g_dl: ArrayLike,
    lila_cm: ArrayLike,
    weight_kg: ArrayLike,
    height_cm: ArrayLike,
    rules: SignalRules | None = None,
) -> CatinScreening:
    """Screen brides-to-be: Hb, LiLA, BMI < 18.5 and age < 20 (women's thresholds).

    The exact Elsimil cut-offs for BMI and age were not found (facts §4c); see SignalRules.
    Age < 19 is below the legal marriage age (UU 16/2019): set ``catin_age_under=19`` to flag
    only that.
    """
    rules = rules or SignalRules()
    age = _arr("age_years", age_years)
    n = age.size
    weight = _arr("weight_kg", weight_kg, n)
    height_m = _arr("height_cm", height_cm, n) / 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        bmi: NDArray[np.float64] = np.where(
            height_m > 0, weight / (height_m * height_m), np.nan
        )
    # BMI is read to one decimal, as on the screening form.
    bmi = np.asarray(np.round(bmi, 1), dtype=np.float64)
    hb = _arr("hb_g_dl", hb_g_dl, n)
    lila = _arr("lila_cm", lila_cm, n)
    return CatinScreening(
        anaemia=_below(
            hb,
            rules.catin_hb_under,
            label_id="Catin anemia",
            label_en="Anaemic bride-to-be",
            measure_id="Hb",
            measure_en="Hb",
            unit="g/dL",
            decimals=1,
        ),
        kek=_below(
            lila,
            rules.catin_lila_under_cm,
            label_id="Catin risiko KEK",
            label_en="Bride-to-be at risk of chronic energy deficiency",
            measure_id="LiLA",
            measure_en="MUAC",
            unit="cm",
            decimals=1,
        ),
        underweight=_below(
            bmi,
            rules.catin_bmi_under,
            label_id="Catin kurus",
            label_en="Underweight bride-to-be",
            measure_id="IMT",
            measure_en="BMI",
            unit="kg/m²",
            decimals=1,
        ),
        too_young=_below(
            np.floor(age),
            rules.catin_age_under,
            label_id="Catin terlalu muda",
            label_en="Bride-to-be too young",
            measure_id="umur",
            measure_en="age",
            unit="tahun",
            unit_en="years",
            decimals=0,
        ),
        bmi=bmi,
    )


# --------------------------------------------------------------------- weight faltering


def _kbm(rules: SignalRules, age_months: NDArray[np.float64]) -> NDArray[np.float64]:
    table = np.asarray(rules.kbm_g, dtype=np.float64)
    idx = np.clip(np.nan_to_num(age_months, nan=0.0), 0, table.size - 1).astype(int)
    return np.where(age_months >= 1, table[idx], np.nan)


def weight_faltering(
    measurements: pd.DataFrame, *, rules: SignalRules | None = None
) -> pd.DataFrame:
    """Posyandu growth status of each weighing: N/T/2T (by KBM), BGM and falling HAZ.

    ``measurements`` is a long table, in any order, with columns ``child_id``, ``date``,
    ``weight_kg``, ``zwei``, ``zlen`` and either ``age_months`` (age at the weighing) or
    ``birth_date``. Returns the same rows in the same order with these columns added:

    - ``age_months``: completed months at the weighing (added only when birth_date is given);
    - ``gain_g``: weight gain since the previous weighing, grams (NaN for the first);
    - ``kbm_g``: minimum gain for the age (KBM, Buku KIA/KMS);
    - ``nt``: ``N`` (gain >= KBM), ``T`` (gain < KBM), ``2T`` (T now and T at the weighing the
      calendar month before), ``B`` (first weighing in the table, *baru*), ``O`` (the previous
      weighing was not in the previous calendar month: not judged, as in SKDN), or empty
      (weight, date or age missing; or age under 1 month);
    - ``bgm``: weight-for-age below -3 SD (the KMS red line);
    - ``haz_drop``: fall in zlen since the latest measurement at least 3 calendar months
      earlier (positive = fell); ``haz_falling``: that fall is at least 0.5 SD;
    - ``reason_id`` / ``reason_en``: the flagged signals in words (``; ``-separated).
    """
    rules = rules or SignalRules()
    need = {"child_id", "date", "weight_kg", "zwei", "zlen"}
    absent = sorted(need - set(measurements.columns))
    if absent:
        raise ValueError(f"measurements lacks columns: {', '.join(absent)}")
    if "age_months" not in measurements.columns and "birth_date" not in measurements:
        raise ValueError("measurements needs an age_months or a birth_date column")

    df = pd.DataFrame(
        {
            "_pos": np.arange(len(measurements)),
            "_child": measurements["child_id"].astype(str).to_numpy(),
            "_date": pd.to_datetime(measurements["date"], errors="coerce").to_numpy(),
            "_w": pd.to_numeric(measurements["weight_kg"], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            ),
            "_zwei": pd.to_numeric(measurements["zwei"], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            ),
            "_zlen": pd.to_numeric(measurements["zlen"], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            ),
        }
    )
    if "age_months" in measurements.columns:
        age = pd.to_numeric(measurements["age_months"], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    else:
        birth = pd.to_datetime(measurements["birth_date"], errors="coerce")
        days = (df["_date"] - birth.to_numpy()).dt.days.to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        age = days / _DAYS_PER_MONTH
    df["_age"] = np.floor(age)

    # Chronological order per child; undated rows last (they get no N/T).
    df = df.sort_values(["_child", "_date", "_pos"], na_position="last", kind="stable")
    dated = df["_date"].notna()
    month = (df["_date"].dt.year * 12 + df["_date"].dt.month).astype("float64")
    grp = df.loc[dated].groupby("_child", sort=False)
    prev_w = grp["_w"].shift(1).reindex(df.index)
    prev_month = grp["_date"].shift(1).reindex(df.index)
    prev_month_idx = (prev_month.dt.year * 12 + prev_month.dt.month).astype("float64")
    first = dated & prev_month.isna()

    # Weights are recorded to 0.1 kg (or 0.01): round the gain to whole grams so that a gain
    # equal to the KBM is not lost to floating point (0.4 kg -> 399.99999 g).
    gain = np.round((df["_w"] - prev_w).to_numpy(dtype=np.float64) * 1000.0, 0)
    kbm = _kbm(rules, df["_age"].to_numpy(dtype=np.float64))
    consecutive = (month - prev_month_idx == 1).to_numpy()
    judged = consecutive & ~np.isnan(gain) & ~np.isnan(kbm)
    t_now = judged & (gain < kbm)
    nt = np.where(judged, np.where(t_now, "T", "N"), "")
    nt = np.where(first.to_numpy() & ~np.isnan(df["_w"].to_numpy()), "B", nt)
    nt = np.where(dated.to_numpy() & ~first.to_numpy() & ~consecutive, "O", nt)
    df["_t"] = t_now
    prev_t = (
        df.loc[dated].groupby("_child", sort=False)["_t"].shift(1).reindex(df.index)
    )
    two_t = t_now & consecutive & prev_t.fillna(False).astype(bool).to_numpy()
    nt = np.where(two_t, "2T", nt)

    # Falling HAZ: the latest earlier measurement at least haz_min_gap_months before.
    with_z = df.loc[dated & df["_zlen"].notna(), ["_child", "_date", "_zlen", "_pos"]]
    left = with_z.assign(
        _key=with_z["_date"] - pd.DateOffset(months=rules.haz_min_gap_months)
    ).sort_values("_key", kind="stable")
    right = with_z.rename(
        columns={"_date": "_key", "_zlen": "_zlen_prev", "_pos": "_pos_prev"}
    ).sort_values("_key", kind="stable")
    right["_date_prev"] = right["_key"]
    paired = pd.merge_asof(
        left, right, on="_key", by="_child", direction="backward"
    ).set_index("_pos")
    drop = (
        (paired["_zlen_prev"] - paired["_zlen"])
        .reindex(df["_pos"])
        .to_numpy(dtype=np.float64, na_value=np.nan)
    )
    drop = np.round(drop, 6)  # z are given to 2 dp: keep exact 0.50 drops at 0.50
    with np.errstate(invalid="ignore"):
        falling = ~np.isnan(drop) & (drop >= rules.haz_drop_sd)
        bgm = df["_zwei"].to_numpy() < rules.bgm_waz_under
    prev_date = (
        paired["_date_prev"].reindex(df["_pos"]).dt.strftime("%Y-%m-%d").fillna("")
    )
    zlen_prev = paired["_zlen_prev"].reindex(df["_pos"]).to_numpy(dtype=np.float64)

    age_arr = df["_age"].to_numpy(dtype=np.float64)
    zwei = df["_zwei"].to_numpy(dtype=np.float64)
    zlen = df["_zlen"].to_numpy(dtype=np.float64)
    is_t = np.isin(nt, ["T", "2T"])
    gain_id = _Num(gain, 0, True, signed=True)
    t_id = _reason(
        is_t,
        [
            np.where(two_t, "2T: tidak naik 2 bulan berturut-turut", "T: tidak naik"),
            " (kenaikan ",
            gain_id,
            " g < KBM ",
            _Num(kbm, 0, True),
            " g, umur ",
            _Num(age_arr, 0, True),
            " bulan)",
        ],
    )
    t_en = _reason(
        is_t,
        [
            np.where(two_t, "2T: not gaining 2 months in a row", "T: not gaining"),
            " (gain ",
            gain_id,
            " g < minimum ",
            _Num(kbm, 0, False),
            " g, age ",
            _Num(age_arr, 0, False),
            " months)",
        ],
    )
    cut = rules.bgm_waz_under
    bgm_id = _reason(
        bgm,
        [
            "BGM: di bawah garis merah (BB/U ",
            _Num(zwei, 2, True),
            f" SD < {_num(cut, comma=True)} SD)",
        ],
    )
    bgm_en = _reason(
        bgm,
        [
            "Below the red line (weight-for-age ",
            _Num(zwei, 2, False),
            f" SD < {_num(cut, comma=False)} SD)",
        ],
    )
    prev_text = prev_date.to_numpy(dtype=object)
    haz_id = _reason(
        falling,
        [
            "PB/U atau TB/U turun ",
            _Num(drop, 2, True),
            " SD sejak ",
            prev_text,
            " (",
            _Num(zlen_prev, 2, True),
            " → ",
            _Num(zlen, 2, True),
            ")",
        ],
    )
    haz_en = _reason(
        falling,
        [
            "Length/height-for-age fell ",
            _Num(drop, 2, False),
            " SD since ",
            prev_text,
            " (",
            _Num(zlen_prev, 2, False),
            " → ",
            _Num(zlen, 2, False),
            ")",
        ],
    )

    def join(*parts: NDArray[np.object_]) -> NDArray[np.object_]:
        out: NDArray[np.object_] = np.full(len(df), "", dtype=object)
        for part in parts:
            sep = np.where((out != "") & (part != ""), "; ", "")
            out = out + sep + part
        return out

    result = pd.DataFrame(
        {
            "age_months": age_arr,
            "gain_g": gain,
            "kbm_g": kbm,
            "nt": nt,
            "bgm": bgm,
            "haz_drop": drop,
            "haz_falling": falling,
            "reason_id": join(t_id, bgm_id, haz_id),
            "reason_en": join(t_en, bgm_en, haz_en),
        },
        index=df["_pos"].to_numpy(),
    ).sort_index()
    if "age_months" in measurements.columns:
        result = result.drop(columns="age_months")  # keep the caller's column as given
    out = measurements.copy()
    for column in result.columns:
        out[column] = result[column].to_numpy()
    return out
