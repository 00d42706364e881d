"""Individual risk signals over whole arrays: KEK, anaemia, catin screening, low birth weight,
and posyandu weight faltering (N/T/2T, BGM, falling length/height-for-age).

Each signal returns a frozen :class:`Signal`: ``flag`` (present on evidence), ``known`` (inputs
were there to decide) and per flagged element a reason as a catalogue key with parameters
(``tumbuh.i18n``), rendered in the reader's language. NaN in means "unknown", never "flagged". Thresholds and their
sources are in :class:`tumbuh.risk.config.SignalRules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from tumbuh.i18n import Message
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
    """One risk signal over n people: flags, and per flagged element what to say.

    ``key`` is the catalogue key of the reason (``""`` where not flagged) and ``values`` its
    parameters as language-neutral text (numbers "22.8", dates ISO), per element: a reason
    is rendered in a language by :meth:`reasons` (``tumbuh.i18n``), at display time.
    """

    flag: NDArray[np.bool_]
    known: NDArray[np.bool_]
    key: NDArray[np.object_]
    values: dict[str, NDArray[np.object_]]

    def messages(self) -> list[Message | None]:
        """The reason of each element as a :class:`~tumbuh.i18n.Message` (None: no reason)."""
        return _messages(self.key, self.values)

    def reasons(self, lang: str = "id") -> NDArray[np.object_]:
        """The reason of each element in ``lang`` (empty where not flagged)."""
        out: NDArray[np.object_] = np.full(self.key.size, "", dtype=object)
        for i, message in enumerate(self.messages()):
            if message is not None:
                out[i] = message.render(lang)
        return out


def _messages(
    key: NDArray[np.object_], values: dict[str, NDArray[np.object_]]
) -> list[Message | None]:
    out: list[Message | None] = [None] * key.size
    for i in np.flatnonzero(key != "").tolist():
        out[i] = Message.of(str(key[i]), **{k: str(v[i]) for k, v in values.items()})
    return out


def _arr(name: str, values: ArrayLike, n: int | None = None) -> NDArray[np.float64]:
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and arr.size != n:
        if arr.size == 1:
            return np.full(n, arr[0])
        raise ValueError(f"{name} has {arr.size} values, expected {n}")
    return arr


def _text(
    values: NDArray[np.float64],
    decimals: int,
    flag: NDArray[np.bool_],
    *,
    signed: bool = False,
) -> NDArray[np.object_]:
    """Neutral decimal text of ``values`` where ``flag`` is set (empty elsewhere)."""
    out: NDArray[np.object_] = np.full(values.size, "", dtype=object)
    idx = np.flatnonzero(flag)
    if idx.size:
        fmt = f"%{'+' if signed else ''}.{decimals}f"
        out[idx] = np.char.mod(fmt, np.nan_to_num(values[idx])).astype(object)
    return out


def _cut_text(cut: float | NDArray[np.float64], n: int) -> NDArray[np.object_]:
    """A threshold as neutral text, as short as it is written (23.5, 11, 2500)."""
    cuts = np.broadcast_to(np.asarray(cut, dtype=np.float64), (n,))
    unique = np.unique(cuts)
    words = np.array([f"{c:g}" for c in unique], dtype=object)
    return words[np.searchsorted(unique, cuts)]


def _below(
    values: NDArray[np.float64],
    cut: float | NDArray[np.float64],
    *,
    key: str,
    decimals: int,
) -> Signal:
    known = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        flag = known & (values < cut)
    return Signal(
        flag=flag,
        known=known,
        key=np.where(flag, key, "").astype(object),
        values={
            "value": _text(values, decimals, flag),
            "cut": np.where(flag, _cut_text(cut, values.size), "").astype(object),
        },
    )


def kek(
    lila_cm: ArrayLike, *, pregnant: bool = True, rules: SignalRules | None = None
) -> Signal:
    """Chronic energy deficiency (KEK): LiLA below 23.5 cm (Depkes/Kemenkes).

    >>> kek([22.8, 23.5]).reasons("id")[0]
    'Ibu hamil KEK (LiLA 22,8 cm < 23,5 cm)'
    """
    rules = rules or SignalRules()
    return _below(
        _arr("lila_cm", lila_cm),
        rules.kek_lila_under_cm,
        key="signal.reason.kek_pregnant" if pregnant else "signal.reason.kek_risk",
        decimals=1,
    )


def anaemia(
    hb_g_dl: ArrayLike, *, pregnant: ArrayLike, rules: SignalRules | None = None
) -> Signal:
    """Anaemia: Hb below 11 g/dL when pregnant, below 12 g/dL for adolescent girls and
    non-pregnant women (Kemenkes/WHO). ``pregnant`` is one bool or one per person.

    >>> anaemia([10.5, 11.5], pregnant=[True, False]).reasons("en")[1]
    'Anaemia, not pregnant (Hb 11.5 g/dL < 12 g/dL)'
    """
    rules = rules or SignalRules()
    hb = _arr("hb_g_dl", hb_g_dl)
    preg = np.broadcast_to(np.asarray(pregnant, dtype=bool), hb.shape)
    cut = np.where(
        preg, rules.anaemia_pregnant_hb_under, rules.anaemia_nonpregnant_hb_under
    )
    sig = _below(hb, cut, key="signal.reason.anaemia_pregnant", decimals=1)
    key = np.where(sig.flag & ~preg, "signal.reason.anaemia_not_pregnant", sig.key)
    return Signal(
        flag=sig.flag, known=sig.known, key=key.astype(object), values=sig.values
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
        key="signal.reason.lbw",
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
            part = sig.reasons(lang)
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
            key="signal.reason.catin_anaemia",
            decimals=1,
        ),
        kek=_below(
            lila,
            rules.catin_lila_under_cm,
            key="signal.reason.catin_kek",
            decimals=1,
        ),
        underweight=_below(
            bmi,
            rules.catin_bmi_under,
            key="signal.reason.catin_underweight",
            decimals=1,
        ),
        too_young=_below(
            np.floor(age),
            rules.catin_age_under,
            key="signal.reason.catin_too_young",
            decimals=0,
        ),
        bmi=bmi,
    )


# --------------------------------------------------------------------- weight faltering


def _faltering_reasons(
    n: int, *signals: tuple[NDArray[np.str_], dict[str, NDArray[Any]]]
) -> NDArray[np.object_]:
    """Per row, the tuple of messages of the signals flagged there (in signal order)."""
    out: NDArray[np.object_] = np.empty(n, dtype=object)
    lists: list[list[Message]] = [[] for _ in range(n)]
    for key, values in signals:
        keys = np.asarray(key, dtype=object)
        vals = {k: np.asarray(v, dtype=object) for k, v in values.items()}
        for i, message in enumerate(_messages(keys, vals)):
            if message is not None:
                lists[i].append(message)
    for i, found in enumerate(lists):
        out[i] = tuple(found)
    return out


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
    - ``reasons``: the flagged signals, a tuple of :class:`~tumbuh.i18n.Message` per row
      (empty when none), to render in the reader's language (``tumbuh.i18n.render_all``).
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
    reasons = _faltering_reasons(
        len(df),
        (
            np.where(is_t, np.where(two_t, "signal.reason.2T", "signal.reason.T"), ""),
            {
                "gain": _text(gain, 0, is_t, signed=True),
                "kbm": _text(kbm, 0, is_t),
                "age": _text(age_arr, 0, is_t),
            },
        ),
        (
            np.where(bgm, "signal.reason.bgm", ""),
            {
                "z": _text(zwei, 2, bgm),
                "cut": np.where(bgm, f"{rules.bgm_waz_under:g}", ""),
            },
        ),
        (
            np.where(falling, "signal.reason.haz_falling", ""),
            {
                "drop": _text(drop, 2, falling),
                "since": np.where(falling, prev_date.to_numpy(dtype=object), ""),
                "before": _text(zlen_prev, 2, falling),
                "after": _text(zlen, 2, falling),
            },
        ),
    )

    result = pd.DataFrame(
        {
            "age_months": age_arr,
            "gain_g": gain,
            "kbm_g": kbm,
            "nt": nt,
            "bgm": bgm,
            "haz_drop": drop,
            "haz_falling": falling,
            "reasons": reasons,
        },
        index=df["_pos"].to_numpy(),
    ).sort_index()
    if "age_months" in measurements.columns:
        result = result.drop(columns="age_months")  # keep the caller's column as given
    out = measurements.copy()
    for column in result.columns:
        out[column] = result[column].to_numpy()
    return out
