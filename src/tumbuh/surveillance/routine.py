"""Routine surveillance over the register: prevalence, coverage, new cases, data quality.

Reads the register's measurements, persons, regions and facilities with plain SQL (this
domain may not import `tumbuh.register`) and hands frames to `tumbuh.analytics.routine` and
`tumbuh.analytics.quality`. Functions take the session first and return JSON-ready lists of
dicts; they never commit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import polars as pl
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from tumbuh.analytics import quality as quality_mod
from tumbuh.analytics import routine
from tumbuh.errors import InvalidInput
from tumbuh.surveillance import repository

_MEASUREMENT_SQL = """
SELECT m.person_id AS child_id, m.measured_on, m.age_days, m.desa_code,
       m.posyandu_id, m.weight_kg, m.lenhei_cm, m.measure, m.muac_cm,
       m.zlen, m.zwei, m.zwfl,
       m.flen, m.fwei, m.fwfl, p.sex, p.birth_date
FROM measurements m JOIN persons p ON p.id = m.person_id
WHERE m.age_days IS NOT NULL AND m.age_days < :max_age
"""

_NEEDED_TABLES = ("measurements", "persons", "regions", "facilities")


def _check_register(session: Session) -> None:
    have = set(inspect(session.connection()).get_table_names())
    missing = [t for t in _NEEDED_TABLES if t not in have]
    if missing:
        raise InvalidInput(
            "routine surveillance needs the register's tables, but the database lacks: "
            f"{', '.join(missing)} (run tumbuh db upgrade and import an e-PPGBM export)"
        )


def measurement_select() -> str:
    """The SELECT `load_measurements` runs over all dates, its parameter written in: for a
    caller that reads it in bulk its own way and hands the rows to `quality_reports`."""
    return _MEASUREMENT_SQL.replace(":max_age", str(routine.UNDER_FIVE_DAYS)).strip()


def load_measurements(
    session: Session,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> pd.DataFrame:
    """Under-five measurements with the child's sex and birth date (one row each)."""
    _check_register(session)
    sql = _MEASUREMENT_SQL
    params: dict[str, Any] = {"max_age": routine.UNDER_FIVE_DAYS}
    if date_from is not None:
        sql += " AND m.measured_on >= :date_from"
        params["date_from"] = date_from
    if date_to is not None:
        sql += " AND m.measured_on <= :date_to"
        params["date_to"] = date_to
    frame = pd.read_sql(text(sql), session.connection(), params=params)
    if frame.empty:
        raise InvalidInput(
            "no measurements of under-fives in the register"
            + (f" from {date_from}" if date_from else "")
            + (f" to {date_to}" if date_to else "")
            + ": import an e-PPGBM export first (tumbuh import eppgbm)"
        )
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["measured_on"] = pd.to_datetime(frame["measured_on"])
    for col in ("flen", "fwei", "fwfl"):
        frame[col] = frame[col].astype("boolean")
    frame["posyandu_id"] = frame["posyandu_id"].astype("Int64")
    return frame


def _period_range(period: str | None) -> tuple[dt.date | None, dt.date | None]:
    """Dates to read for a period; incidence needs earlier measurements, so only the end."""
    if period is None:
        return None, None
    try:
        _, label = routine.parse_period(period)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    _, end = routine.period_months([label])
    e = int(end[0])
    year, month = divmod(e + 1, 12)
    return None, dt.date(year, month + 1, 1) - dt.timedelta(days=1)


#: The persons `load_children` reads (``child_id, birth_date, desa_code``).
CHILDREN_SQL = (
    "SELECT id AS child_id, birth_date, desa_code FROM persons "
    "WHERE birth_date IS NOT NULL AND desa_code IS NOT NULL"
)


def load_children(
    session: Session, measurements: pd.DataFrame, persons: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Registered children: persons with a birth date and a desa; home posyandu = latest.
    ``persons``: the rows of `CHILDREN_SQL` if the caller read them already."""
    rows = (
        pd.read_sql(text(CHILDREN_SQL), session.connection())
        if persons is None
        else persons.copy()
    )
    home = (
        measurements.dropna(subset=["posyandu_id"])
        .sort_values("measured_on")
        .drop_duplicates("child_id", keep="last")
        .set_index("child_id")["posyandu_id"]
    )
    rows["posyandu_id"] = rows["child_id"].map(home).astype("Int64")
    return rows


def _names(session: Session, level: str, codes: Sequence[str]) -> dict[str, str]:
    if level == "posyandu":
        ids = [int(c) for c in codes if c.isdigit()]
        return {str(k): v for k, v in repository.facility_names(session, ids).items()}
    return repository.region_names(session, list(codes))


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return _clean(value.item())
    return value


def _rows(frame: pl.DataFrame, names: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for row in frame.iter_rows(named=True):
        item = {k: _clean(v) for k, v in row.items()}
        item["name"] = names.get(str(row["code"]), str(row["code"]))
        for col in ("prevalence", "incidence", "ci_low", "ci_high", "coverage"):
            if item.get(col) is not None:
                item[col] = round(float(item[col]) * 100, 2)
        out.append(item)
    return out


def routine_prevalence(
    session: Session,
    *,
    level: str = "kabkota",
    period: str | None = None,
    freq: str = "year",
    indicators: Sequence[str] = ("stunting",),
    public: bool = False,
    small_cell_threshold: int = 5,
) -> list[dict[str, Any]]:
    """Prevalence (%) with 95 % Wilson CI, children measured, registered and coverage (%).

    ``public`` suppresses cells with fewer than ``small_cell_threshold`` children measured
    for the indicator (value, CI and cases null, ``suppressed: true``), and the next-smallest
    sibling of a lone suppressed cell (``suppression: "secondary"``, see
    `tumbuh.analytics.routine.suppress`).
    """
    _validate(level=level, freq=freq, indicators=indicators)
    _, date_to = _period_range(period)
    frame = load_measurements(session, date_to=date_to)
    try:
        prev = routine.prevalence(
            frame, levels=(level,), freqs=(freq,), indicators=indicators, period=period
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    children = load_children(session, frame)
    reg = routine.registered_counts(
        children, periods=prev["period"].unique().to_list(), levels=(level,)
    )
    prev = routine.sort_regions(routine.add_coverage(prev, reg))
    if public:
        prev = routine.suppress(
            prev, threshold=small_cell_threshold, parents=_posyandu_desa(frame, level)
        )
    return _rows(prev, _names(session, level, prev["code"].unique().to_list()))


def routine_new_cases(
    session: Session,
    *,
    level: str = "kabkota",
    period: str | None = None,
    freq: str = "year",
    public: bool = False,
    small_cell_threshold: int = 5,
) -> list[dict[str, Any]]:
    """New stunting cases among children at risk (see `tumbuh.analytics.routine.new_cases`)."""
    _validate(level=level, freq=freq, indicators=())
    _, date_to = _period_range(period)
    frame = load_measurements(session, date_to=date_to)
    out = routine.sort_regions(
        routine.new_cases(frame, freq=freq, levels=(level,), period=period)
    )
    if public:
        out = routine.suppress(
            out,
            threshold=small_cell_threshold,
            column="at_risk",
            parents=_posyandu_desa(frame, level),
        )
    return _rows(out, _names(session, level, out["code"].unique().to_list()))


def _posyandu_desa(frame: pd.DataFrame, level: str) -> dict[str, str] | None:
    """Posyandu id -> its desa (most frequent desa of its rows): the parent for suppression."""
    if level != "posyandu":
        return None
    pairs = (
        pl.from_pandas(frame[["posyandu_id", "desa_code"]])
        .filter(pl.col("posyandu_id").is_not_null() & pl.col("desa_code").is_not_null())
        .group_by("posyandu_id")
        .agg(pl.col("desa_code").cast(pl.String).mode().sort().first())
    )
    return {
        str(int(p)): str(d)
        for p, d in zip(pairs["posyandu_id"], pairs["desa_code"], strict=True)
    }


def _validate(*, level: str, freq: str, indicators: Sequence[str]) -> None:
    if level not in routine.LEVELS:
        raise InvalidInput(
            f"unknown level {level!r} (expected {', '.join(routine.LEVELS)})"
        )
    if freq not in routine.FREQS:
        raise InvalidInput(
            f"unknown period kind {freq!r} (expected {', '.join(routine.FREQS)})"
        )
    for i in indicators:
        if i not in routine.INDICATORS:
            raise InvalidInput(
                f"unknown indicator {i!r} (expected {', '.join(routine.INDICATORS)})"
            )


def quality_report(
    session: Session, *, level: str = "posyandu", period: str | None = None
) -> list[dict[str, Any]]:
    """Data-quality score per region (kab/kota, kecamatan, desa) or posyandu and period
    (plus an all-period row each)."""
    return quality_reports(session, levels=(level,), period=period)[level]


def quality_reports(
    session: Session,
    *,
    levels: Sequence[str],
    period: str | None = None,
    only_period: bool = False,
    measurements: pd.DataFrame | None = None,
    persons: pd.DataFrame | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """`quality_report` for several levels, the register read once for all of them.

    ``only_period``: return only the rows of ``period`` itself, not the all-period rows
    (which are still computed: a small period cell borrows its group's all-period value,
    so every period is read and the scores equal those of the full report).
    ``measurements`` / ``persons``: the rows of `measurement_select()` / `CHILDREN_SQL`
    when the caller has read them already (a bulk reader of its own), in their order.
    """
    for level in levels:
        if level not in quality_mod.LEVELS:
            raise InvalidInput(
                f"quality level must be one of {', '.join(quality_mod.LEVELS)} "
                f"(got {level!r})"
            )
    freq, label = "year", None
    if period is not None:
        try:
            freq, label = routine.parse_period(period)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
    if measurements is None:
        frame = load_measurements(session)
    elif measurements.empty:
        raise InvalidInput(
            "no measurements of under-fives in the register: import an e-PPGBM export "
            "first (tumbuh import eppgbm)"
        )
    else:
        frame = _typed(measurements.copy())
    children: pd.DataFrame | None = None
    out: dict[str, list[dict[str, Any]]] = {}
    for level in levels:
        items = quality_mod.quality(frame, level=level, freq=freq, period=period)
        if only_period:
            items = [i for i in items if i["period"] == label]
        # Coverage (reported, not scored): children measured / registered under-fives.
        periods = sorted({i["period"] for i in items} - {"all"})
        if children is None:
            children = load_children(session, frame, persons)
        reg = routine.registered_counts(children, periods=periods, levels=(level,))
        registered = {
            (str(c), str(p)): int(r)
            for c, p, r in zip(
                reg["code"], reg["period"], reg["registered"], strict=True
            )
        }
        for item in items:
            r = registered.get((item["code"], item["period"]))
            item["registered"] = r
            item["coverage"] = round(100 * item["n_children"] / r, 1) if r else None
        names = _names(session, level, [i["code"] for i in items])
        parents = {i["parent_code"] for i in items if i["parent_code"]}
        parent_names = repository.region_names(session, list(parents))
        for item in items:
            item["name"] = names.get(item["code"], item["code"])
            item["parent_name"] = parent_names.get(item["parent_code"] or "", None)
        out[level] = items
    return out


#: How the adjusted routine estimate treats unmeasured children (stated in every output).
ADJUSTMENT_NOTE = (
    "Adjusted estimate: measurements from posyandu whose data quality is 'Problematic' "
    "are left out, and registered children not measured in the year are assumed to have "
    "the stunting prevalence of the measured children in the lowest attendance quintile "
    "(fewest weighings in the year) of the same kab/kota. Children who skip the posyandu "
    "are assumed to resemble those who come least, not the average attender."
)


def routine_vs_survey(session: Session, *, year: int) -> list[dict[str, Any]]:
    """Per kab/kota: routine stunting % with coverage, the survey % of the year, adjusted %."""
    frame = load_measurements(
        session, date_from=dt.date(year, 1, 1), date_to=dt.date(year, 12, 31)
    )
    label = f"{year:04d}"
    prev = routine.prevalence(
        frame, levels=("kabkota",), freqs=("year",), indicators=("stunting",)
    ).filter(pl.col("period") == label)
    children = load_children(session, frame)
    reg = routine.registered_counts(children, periods=[label], levels=("kabkota",))
    prev = routine.add_coverage(prev, reg)
    q = quality_mod.quality(frame, level="posyandu", freq="year", period=label)
    bad = {i["code"] for i in q if i["period"] == label and i["band"] == "problematic"}
    adjusted = _adjusted(frame, bad_posyandu=bad, registered=reg)
    survey = _survey_figures(session, year)
    names = _names(session, "kabkota", prev["code"].to_list())
    out = []
    for row in routine.sort_regions(prev).iter_rows(named=True):
        code = str(row["code"])
        adj = adjusted.get(code, {})
        fig = survey.get(code)
        out.append(
            {
                "code": code,
                "name": names.get(code, code),
                "year": year,
                "routine_pct": _pct(row["prevalence"]),
                "routine_ci": [_pct(row["ci_low"]), _pct(row["ci_high"])],
                "measured": int(row["measured"]),
                "registered": _clean(row["registered"]),
                "coverage_pct": _pct(row["coverage"]),
                "survey_pct": fig[0] if fig else None,
                "survey_source": fig[1] if fig else None,
                "adjusted_pct": _pct(adj.get("adjusted")),
                "low_attendance_pct": _pct(adj.get("p_low")),
                "posyandu_left_out": adj.get("left_out", 0),
                "quality_exclusion": adj.get("quality_exclusion"),
                "adjustment": ADJUSTMENT_NOTE,
            }
        )
    return out


def _pct(value: Any) -> float | None:
    v = _clean(value)
    return None if v is None else round(float(v) * 100, 2)


def _adjusted(
    frame: pd.DataFrame, *, bad_posyandu: set[str], registered: pl.DataFrame
) -> dict[str, dict[str, Any]]:
    """Coverage- and quality-adjusted stunting prevalence per kab/kota (see ADJUSTMENT_NOTE).

    Children of a left-out posyandu count as not measured. Where leaving out the
    'Problematic' posyandu would leave a kab/kota with no child, all are kept (and
    ``quality_exclusion`` says so).
    """
    f = frame[frame["desa_code"].notna()].sort_values("measured_on")
    pos = f["posyandu_id"].astype("string").fillna("")
    bad = pos.isin(bad_posyandu).to_numpy()
    kab_of_row = f["desa_code"].str[:5].to_numpy()
    reg = {
        str(c): int(r)
        for c, r in zip(registered["code"], registered["registered"], strict=True)
    }
    out: dict[str, dict[str, Any]] = {}
    for kab in sorted(set(kab_of_row.tolist())):
        in_kab = kab_of_row == kab
        kept = in_kab & ~bad
        applied = bool(kept.any())
        rows = f[kept if applied else in_kab]
        visits = rows.groupby("child_id")["measured_on"].nunique()
        last = rows.drop_duplicates("child_id", keep="last").set_index("child_id")
        ok = last["zlen"].notna() & ~last["flen"].fillna(False).astype(bool)
        last = last[ok]
        n = len(last)
        if n == 0:
            continue
        stunted = (last["zlen"] < -2).to_numpy(dtype=np.float64)
        p_low = _lowest_quintile_rate(
            visits.reindex(last.index).to_numpy(dtype=np.float64), stunted
        )
        missing = max(reg.get(kab, 0) - n, 0)
        out[kab] = {
            "adjusted": (float(stunted.sum()) + missing * p_low) / (n + missing),
            "p_low": p_low,
            "left_out": int(pos[in_kab & bad].nunique()) if applied else 0,
            "quality_exclusion": "applied"
            if applied
            else "skipped: every posyandu of the kab/kota is Problematic",
        }
    return out


def _lowest_quintile_rate(
    visits: npt.NDArray[np.float64], stunted: npt.NDArray[np.float64]
) -> float:
    """Stunted share among the fifth of children with the fewest weighings.

    Children tied at the quintile's edge count with the fractional weight that makes the
    group exactly one fifth, so the result does not depend on the order of ties.
    """
    k = len(visits) / 5.0
    order = np.sort(visits)
    edge = order[max(int(np.ceil(k)) - 1, 0)]
    below = visits < edge
    tied = visits == edge
    weight = np.where(below, 1.0, 0.0)
    if tied.any():
        weight[tied] = (k - below.sum()) / tied.sum()
    return float(np.sum(weight * stunted) / np.sum(weight))


def latest_survey_year(session: Session) -> int | None:
    """The latest year with a primary survey stunting figure and measurements in the
    register (`tumbuh routine-vs-survey` without --year); None when there is none."""
    last = session.execute(text("SELECT MAX(measured_on) FROM measurements")).scalar()
    if last is None:
        return None
    last_year = int(str(last)[:4])  # a date, or its ISO text on SQLite
    years = [f.year for f in _primary_survey_figures(session) if f.year <= last_year]
    return max(years, default=None)


def _primary_survey_figures(session: Session) -> list[Any]:
    """The published primary survey stunting figures (none without the table)."""
    have = set(inspect(session.connection()).get_table_names())
    if "published_figures" not in have:
        return []
    return list(
        repository.list_figures(
            session, kind="survey", indicator="stunting", confidences=["primary"]
        )
    )


def _survey_figures(session: Session, year: int) -> dict[str, tuple[float, str]]:
    """Published survey stunting % per region for the year (mean of primary figures)."""
    figs = _primary_survey_figures(session)
    by: dict[str, list[tuple[float, str]]] = {}
    for f in figs:
        if f.year == year:
            by.setdefault(f.region_code, []).append((f.value_pct, f.source))
    return {
        code: (
            round(sum(v for v, _ in vals) / len(vals), 2),
            "/".join(dict.fromkeys(s for _, s in vals)),
        )
        for code, vals in by.items()
    }


def faltering_input(
    session: Session, *, posyandu_id: int, period: str | None = None
) -> pd.DataFrame:
    """Long table for `tumbuh.risk.signals.weight_faltering`: one posyandu's weighings.

    Columns child_id, name, export_nt (the export's own N/T/2T/O/B, None when it gave none),
    date, weight_kg, zwei, zlen, birth_date, posyandu_id; up to the
    end of ``period`` (all earlier weighings are kept: N/T needs the previous month).
    """
    _, date_to = _period_range(period)
    frame = load_measurements(session, date_to=date_to)
    children = frame.loc[frame["posyandu_id"] == posyandu_id, "child_id"].unique()
    if len(children) == 0:
        raise InvalidInput(f"no measurements of under-fives at posyandu {posyandu_id}")
    sub = frame[frame["child_id"].isin(children)]
    names = _person_names(session, [int(c) for c in children])
    flags = _export_flags(session, [int(c) for c in children])
    export_nt = [
        flags.get((int(c), pd.Timestamp(d).date()))
        for c, d in zip(sub["child_id"], sub["measured_on"], strict=True)
    ]
    return pd.DataFrame(
        {
            "child_id": sub["child_id"].to_numpy(),
            "name": sub["child_id"].map(names).to_numpy(),
            "export_nt": np.array(export_nt, dtype=object),
            "date": sub["measured_on"].to_numpy(),
            "weight_kg": sub["weight_kg"].to_numpy(dtype=np.float64, na_value=np.nan),
            "zwei": sub["zwei"].to_numpy(dtype=np.float64, na_value=np.nan),
            "zlen": sub["zlen"].to_numpy(dtype=np.float64, na_value=np.nan),
            "birth_date": pd.to_datetime(sub["birth_date"]).to_numpy(),
            "posyandu_id": sub["posyandu_id"].to_numpy(),
        }
    )


def _export_flags(
    session: Session, ids: list[int]
) -> dict[tuple[int, dt.date], str | None]:
    """The export's own `Naik Berat Badan` (N/T/2T/O/B) per (child, date), as imported."""
    from tumbuh.tabular.parse import parse_growth_flag

    keys: list[tuple[int, dt.date]] = []
    raw: list[str | None] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join(f":i{j}" for j in range(len(chunk)))
        rows = session.execute(
            text(
                "SELECT person_id, measured_on, src_weight_gain FROM measurements "
                f"WHERE src_weight_gain IS NOT NULL AND person_id IN ({marks})"
            ),
            {f"i{j}": v for j, v in enumerate(chunk)},
        )
        for pid, day, value in rows:
            keys.append((int(pid), pd.Timestamp(day).date()))
            raw.append(str(value))
    codes = parse_growth_flag(raw).values.tolist() if raw else []
    return dict(zip(keys, codes, strict=True))


def _person_names(session: Session, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join(f":i{j}" for j in range(len(chunk)))
        rows = session.execute(
            text(f"SELECT id, name FROM persons WHERE id IN ({marks})"),
            {f"i{j}": v for j, v in enumerate(chunk)},
        )
        out.update({int(i): str(n) for i, n in rows})
    return out


__all__ = [
    "ADJUSTMENT_NOTE",
    "CHILDREN_SQL",
    "faltering_input",
    "load_children",
    "load_measurements",
    "measurement_select",
    "quality_report",
    "quality_reports",
    "routine_new_cases",
    "routine_prevalence",
    "routine_vs_survey",
]
