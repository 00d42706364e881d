"""Region-page panels from the finished services: forecast of new cases (risk), intervention
coverage and convergence (interventions), data quality (surveillance.routine / analytics).

The services read the whole province (or a whole region's register) at once; pages reuse one
result per database for CACHE_S seconds (the same rule as the routine statuses in figures.py),
and `clear_cache()` forgets everything (after an import, and in tests).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.interventions import service as interventions
from tumbuh.interventions.coverage import ConvergenceResult, CoverageResult
from tumbuh.interventions.groups import Period, Register
from tumbuh.register import read as register_read
from tumbuh.register.master import children_of
from tumbuh.register.models import Measurement
from tumbuh.reports.periods import COVERAGE_SOURCES, resolve_year
from tumbuh.reports.service import forecast_table
from tumbuh.risk.signals import weight_faltering
from tumbuh.surveillance import routine
from tumbuh.web import cache, figures
from tumbuh.web.cache import cached, view
from tumbuh.web.figures import NO_VALUE_COLOR, band_legend
from tumbuh.web.i18n import Lang, format_number, render_all

log = logging.getLogger(__name__)
_REGISTERS = "tumbuh.insights.registers"  # Session.info: intervention registers
CHILD_LEVEL = {1: "kabkota", 2: "kecamatan", 3: "desa", 4: "desa"}
# Quality bands (analytics.quality): colour per band name, from least to most worrying
# (quality_badges picks the worst; "insufficient" = too few rows to score, grey).
QUALITY_COLORS = {
    "insufficient": "#d9d9d9",
    "excellent": "#1a9850",
    "good": "#91cf60",
    "acceptable": "#fee08b",
    "problematic": "#e34a33",  # 4.76:1 behind the badges' #111 text (was #d73027: 3.9:1)
}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict("records")
    ]


# --------------------------------------------------------------------------- forecast


@dataclass(frozen=True, slots=True)
class ForecastView:
    year: int
    rows: list[dict[str, Any]]  # forecast() columns, one per region one level down
    total: dict[str, Any] | None  # the region itself (expected, stunted, measured)


def _forecast_table(db: Session, level: str) -> pd.DataFrame | None:
    try:
        # KRS families from the engine: one count with coverage and indicators.
        return forecast_table(db, level=level, year=None, within=None)
    except NotFound:
        return None


def _forecast_level(db: Session, level: str) -> pd.DataFrame | None:
    return cached(db, ("forecast", level), lambda s: _forecast_table(s, level))


def region_forecast(db: Session, code: str) -> ForecastView | None:
    """Expected new cases next year per child region (and the region's own total)."""
    level = CHILD_LEVEL[code.count(".") + 1]
    return view(
        db, ("forecast", level), lambda s: _forecast_table(s, level),
        ("region", code), lambda table: _forecast_view(table, code),
    )  # fmt: skip


def _forecast_view(table: pd.DataFrame | None, code: str) -> ForecastView | None:
    depth = code.count(".") + 1
    if table is None or table.empty:
        return None
    if depth == 4:
        mine = table.loc[table["code"] == code]
    else:
        mine = table.loc[table["code"].str.startswith(code + ".")]
    rows = _records(mine.sort_values("code"))
    total = None
    if rows:
        total = {
            "expected_new_cases": round(sum(r["expected_new_cases"] for r in rows), 1),
            "current_stunted": sum(int(r["current_stunted"]) for r in rows),
            "current_measured": sum(int(r["current_measured"]) for r in rows),
            "families_scored": sum(int(r["families_scored"]) for r in rows),
            "krs_families": sum(int(r["krs_families"]) for r in rows),
        }
    return ForecastView(int(table["year"].iloc[0]), rows, total)


# --------------------------------------------------------------------------- coverage


def intervention_year(db: Session) -> int | None:
    """The default year of coverage panels: the latest complete year of the intervention
    records, else of the measurements (docs/periods.md), never the year of the newest row.
    Per data generation (one count over every record: seconds on a large register)."""

    def compute(s: Session) -> int | None:
        choice = resolve_year(s, None, sources=COVERAGE_SOURCES)[1]
        return None if choice is None or choice.period is None else choice.period.year

    return cached(db, ("intervention_year",), compute, heavy=False)


def default_period_label(db: Session, province: str) -> str | None:
    """`reports.service.default_label` of the province (None when no complete closed year),
    per data generation: the period of the indicators on pages and in the API."""
    from tumbuh.reports.service import default_label

    def compute(s: Session) -> str | None:
        try:
            return default_label(s, region=province)
        except InvalidInput:
            return None

    return cached(db, ("default_period", province), compute, heavy=False)


def period_of(year: int) -> Period:
    return Period.year(year, as_of=dt.date.today())


@dataclass(frozen=True, slots=True)
class CoverageRowView:
    code: str
    name_id: str
    name_en: str
    sector: str
    numerator: int
    denominator: int
    coverage_pct: float | None
    target_pct: float | None
    gap_pts: float | None
    met: bool | None


@dataclass(frozen=True, slots=True)
class CoverageView:
    year: int
    rows: list[CoverageRowView]  # one per active catalogue kind
    behind: str | None  # the sector furthest below its targets (mean gap), if any
    best: list[dict[str, Any]]  # child regions with the highest mean coverage (up to 3)


@dataclass(frozen=True, slots=True)
class _ProvinceCoverage:
    result: CoverageResult  # province totals (names, sectors, targets)
    by_desa: pd.DataFrame  # coverage_by_area at desa level: area_code, code, num, den


def _register(db: Session, province: str, year: int) -> Register:
    """The province's intervention register for `year`, loaded once per session and data
    generation (a refresh computes coverage and convergence from the same one)."""
    memo: dict[tuple[object, ...], Register] = db.info.setdefault(_REGISTERS, {})
    key = (province, year, cache.generation(db))
    if key not in memo:
        memo.clear()
        memo[key] = interventions.register_for(
            db, region=province, period=period_of(year)
        )
    return memo[key]


def _province_coverage(
    db: Session, province: str, year: int, decile: int
) -> _ProvinceCoverage | None:
    """One pass over the province's register: totals and numerators/denominators per desa
    and kind; every region's coverage is a sum over its desa."""

    return cached(
        db,
        ("coverage", province, year, decile),
        lambda s: _compute_coverage(s, province, year, decile),
    )


def _compute_coverage(
    db: Session, province: str, year: int, decile: int
) -> _ProvinceCoverage | None:
    try:
        period = period_of(year)
        reg = _register(db, province, year)
        result = interventions.coverage_report(
            db, region=province, period=period, register=reg,
            welfare_max_decile=decile,
        )  # fmt: skip
        area = interventions.coverage_by_area_report(
            db, region=province, period=period, level="desa", register=reg,
            welfare_max_decile=decile,
        )  # fmt: skip
    except (NotFound, InvalidInput):
        return None
    return _ProvinceCoverage(result, area)


def region_coverage(
    db: Session, code: str, *, year: int | None, welfare_max_decile: int
) -> CoverageView | None:
    """Coverage of each catalogue kind in the region and the best child regions (JKN PBI,
    PKH and food aid over the families of welfare decile <= `welfare_max_decile`)."""
    year = year or intervention_year(db)
    if year is None:
        return None
    province, decile = code[:2], welfare_max_decile
    return view(
        db, ("coverage", province, year, decile),
        lambda s: _compute_coverage(s, province, year, decile),
        ("region", code), lambda prov: _coverage_view(prov, code, year),
    )  # fmt: skip


def _coverage_view(
    prov: _ProvinceCoverage | None, code: str, year: int
) -> CoverageView | None:
    if prov is None:
        return None
    area = prov.by_desa
    depth = code.count(".") + 1
    if depth > 1:
        area = area.loc[
            (area["area_code"] == code) | area["area_code"].str.startswith(code + ".")
        ]
    sums = area.groupby("code")[["numerator", "denominator"]].sum()
    totals: dict[str, tuple[int, int]] = {
        str(c): (int(n), int(d))
        for c, n, d in zip(
            sums.index, sums["numerator"], sums["denominator"], strict=True
        )
    }
    rows: list[CoverageRowView] = []
    gaps: dict[str, list[float]] = {}
    for r in prov.result.rows:
        if depth == 1:
            num, den = r.numerator, r.denominator
        else:
            num, den = totals.get(r.code, (0, 0))
        pct = round(100.0 * num / den, 2) if den else None
        gap = (
            round(r.target_pct - pct, 2)
            if pct is not None and r.target_pct is not None
            else None
        )
        if gap is not None:
            gaps.setdefault(r.sector, []).append(gap)
        rows.append(
            CoverageRowView(
                r.code,
                r.name_id,
                r.name_en,
                r.sector,
                num,
                den,
                pct,
                r.target_pct,
                gap,
                None if gap is None else gap <= 0,
            )  # fmt: skip
        )
    means = {s: sum(g) / len(g) for s, g in gaps.items()}
    behind_sector = max(means, key=lambda k: means[k]) if means else None
    behind = behind_sector if behind_sector and means[behind_sector] > 0 else None
    best: list[dict[str, Any]] = []
    if depth < 4 and len(area):
        parts = depth + 1
        child = area.loc[area["area_code"] != ""].assign(
            child=lambda f: f["area_code"].map(
                lambda c: ".".join(str(c).split(".")[:parts])
            )
        )
        per = child.groupby(["child", "code"])[["numerator", "denominator"]].sum()
        per = per.loc[per["denominator"] > 0]
        if len(per):
            pct_s = (
                (100.0 * per["numerator"] / per["denominator"]).groupby("child").mean()
            )
            best = [
                {"code": str(c), "mean_coverage_pct": round(float(v), 1)}
                for c, v in pct_s.sort_values(ascending=False).head(3).items()
            ]
    return CoverageView(year, rows, behind, best)


def _compute_convergence(
    db: Session, province: str, year: int, decile: int
) -> ConvergenceResult | None:
    try:
        return interventions.convergence_report(
            db,
            region=province,
            period=period_of(year),
            register=_register(db, province, year),
            welfare_max_decile=decile,
        )
    except (NotFound, InvalidInput):
        return None


def _province_convergence(
    db: Session, province: str, year: int, decile: int
) -> ConvergenceResult | None:
    return cached(
        db,
        ("convergence", province, year, decile),
        lambda s: _compute_convergence(s, province, year, decile),
    )


def desa_convergence(
    db: Session, code: str, *, year: int | None, welfare_max_decile: int
) -> ConvergenceResult | None:
    """Full-package shares and the gap list of the families at risk of one desa: a slice of
    the province's result (one pass for the whole province, then every desa is a filter)."""
    year = year or intervention_year(db)
    if year is None:
        return None
    province, decile = code[:2], welfare_max_decile
    return view(
        db, ("convergence", province, year, decile),
        lambda s: _compute_convergence(s, province, year, decile),
        ("desa", code), lambda prov: _desa_slice(prov, code),
    )  # fmt: skip


def desa_gaps(
    db: Session, code: str, *, welfare_max_decile: int, lang: str = "id"
) -> tuple[ConvergenceResult | None, list[dict[str, Any]]]:
    """(the desa's convergence, one row per family at risk with missing items: family_id,
    no_kk (unmasked: read it through the personal-data gate), head_name, missing items named
    in `lang` and sectors, as text), derived once per value of the province's convergence."""
    year = intervention_year(db)
    if year is None:
        return None, []
    province, decile = code[:2], welfare_max_decile
    return view(
        db, ("convergence", province, year, decile),
        lambda s: _compute_convergence(s, province, year, decile),
        ("gaps", code, lang), lambda prov: _gap_list(_desa_slice(prov, code), lang),
    )  # fmt: skip


def _gap_list(
    gaps: ConvergenceResult | None, lang: str
) -> tuple[ConvergenceResult | None, list[dict[str, Any]]]:
    if gaps is None:
        return None, []
    items: dict[int, list[str]] = {}
    sectors: dict[int, set[str]] = {}
    for rec in gaps.missing.to_dict("records"):
        fid = int(rec["family_id"])
        who = f" ({rec['person_name']})" if rec.get("person_name") else ""
        name = rec["name_en"] if lang == "en" and rec.get("name_en") else rec["name_id"]
        items.setdefault(fid, []).append(f"{name}{who}")
        sectors.setdefault(fid, set()).add(str(rec["sector"]))
    rows = []
    for fam in gaps.families.to_dict("records"):
        fid = int(fam["family_id"])
        if fid not in items:
            continue
        rows.append(
            {
                "family_id": fid,
                "no_kk": fam.get("no_kk"),
                "head_name": fam.get("head_name"),
                "missing": "; ".join(items[fid]),
                "sectors": ", ".join(sorted(sectors[fid])),
            }
        )
    return gaps, rows


def _desa_slice(prov: ConvergenceResult | None, code: str) -> ConvergenceResult | None:
    if prov is None:
        return None
    fams = prov.families.loc[prov.families["desa_code"] == code]
    ids = set(fams["family_id"].tolist())
    return dataclasses.replace(
        prov,
        region=code,
        required=prov.required.loc[prov.required["family_id"].isin(ids)],
        missing=prov.missing.loc[prov.missing["desa_code"] == code],
        by_desa=prov.by_desa.loc[prov.by_desa["desa_code"] == code],
        families=fams,
    )


# --------------------------------------------------------------------------- quality


def _quality_report(db: Session, level: str) -> list[dict[str, Any]]:
    try:
        return routine.quality_report(db, level=level)
    except (NotFound, InvalidInput):
        return []
    except (IndexError, ValueError):
        # A fault in the quality service must not take the region pages down with it:
        # logged, and the pages show "no quality figures".
        log.exception("quality_report(level=%s) failed", level)
        return []


def quality_items(db: Session, level: str) -> list[dict[str, Any]]:
    """Quality score, band and reasons per desa or posyandu and year (whole province)."""
    return cached(db, ("quality", level), lambda s: _quality_report(s, level))


def quality_under(
    db: Session, code: str, *, level: str, period: str = "all"
) -> list[dict[str, Any]]:
    """Quality rows of `level` lying in region `code` for `period` ('all' or a year)."""
    return view(
        db, ("quality", level), lambda s: _quality_report(s, level),
        ("under", code, period), lambda items: _items_under(items, code, level, period),
    )  # fmt: skip


def _items_under(
    items: list[dict[str, Any]], code: str, level: str, period: str
) -> list[dict[str, Any]]:
    out = []
    for item in items:
        if item.get("period") != period:
            continue
        where = item.get("code") if level == "desa" else item.get("parent_code")
        where = str(where or "")
        if where == code or where.startswith(code + "."):
            out.append(item)
    return out


def quality_badges(db: Session, code: str) -> dict[str, dict[str, Any]]:
    """Per child region of `code`: the worst desa band and the mean score of its desa."""
    return view(
        db, ("quality", "desa"), lambda s: _quality_report(s, "desa"),
        ("badges", code), lambda items: _badges(items, code),
    )  # fmt: skip


def _badges(items: list[dict[str, Any]], code: str) -> dict[str, dict[str, Any]]:
    depth = code.count(".") + 1
    parts = min(depth + 1, 4)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in _items_under(items, code, "desa", "all"):
        key = ".".join(str(item["code"]).split(".")[:parts])
        grouped.setdefault(key, []).append(item)
    out: dict[str, dict[str, Any]] = {}
    order = list(QUALITY_COLORS)
    for key, group in grouped.items():
        scores = [float(i["score"]) for i in group if i.get("score") is not None]
        bands = [str(i.get("band")) for i in group if i.get("band") in QUALITY_COLORS]
        worst = max(bands, key=order.index) if bands else None
        mean = round(sum(scores) / len(scores), 1) if scores else None
        out[key] = {
            "score": mean,
            "band": worst,
            "color": QUALITY_COLORS.get(worst or "", NO_VALUE_COLOR),
            "desa": len(group),
        }
    return out


# --------------------------------------------------------------------------- counts


@dataclass(frozen=True, slots=True)
class RegionHeadline:
    """The register figures at the head of a region page, from the indicator engine:
    ``children_measured`` is ``measured`` and ``stunting_pct`` ``stunting_routine`` of
    `period` (what `tumbuh indicators --region CODE --period P` shows)."""

    period: str | None  # None: no complete period to default to
    children_measured: int
    stunting_pct: float | None


def region_headline(
    db: Session, code: str, *, period: str | None, welfare_max_decile: int
) -> RegionHeadline:
    """`code`'s ``measured`` and ``stunting_routine`` for `period` (default: the period
    chosen by completeness); one engine computation per province, period and data
    generation, shared with GET /api/v1/regions/{code}/indicators."""
    province = code.split(".")[0]
    label = period or default_period_label(db, province)
    if label is None:
        return RegionHeadline(None, 0, None)
    return view(
        db, *province_indicators(province, label, welfare_max_decile),
        ("headline", code), lambda table: _headline(db, table, code, label),
    )  # fmt: skip


def province_indicators(
    province: str, period: str, welfare_max_decile: int
) -> tuple[tuple[object, ...], Callable[[Session], Any]]:
    """The cache key and computation of the indicator engine over a whole province (pages'
    headlines and GET /api/v1/regions/{code}/indicators share it)."""
    from tumbuh.reports import engine

    return (
        "indicators",
        province,
        period,
        welfare_max_decile,
    ), lambda s: engine.compute(
        s, period=period, region=province, welfare_max_decile=welfare_max_decile
    )


def _headline(db: Session, table: Any, code: str, label: str) -> RegionHeadline:
    from tumbuh.reports.service import region_indicators

    items = region_indicators(db, region=code, period=label, computed=table).items

    def value(indicator: str) -> float | None:
        got = items.loc[items["indicator"] == indicator, "value"].dropna()
        return None if got.empty else float(got.iloc[0])

    measured = value("measured")
    stunting = value("stunting_routine")
    return RegionHeadline(
        table.period,
        0 if measured is None else int(measured),
        None if stunting is None else round(stunting, 1),
    )


def child_total(db: Session, code: str) -> int:
    """Children in the region's register (the pager's total), per data generation."""
    return cached(
        db,
        ("child_total", code),
        lambda s: register_read.count_children(s, region_code=code),
        heavy=False,
    )


# --------------------------------------------------------------------------- maps


def child_map(
    code: str, values: dict[str, float | None], *, lang: Lang, province: str
) -> dict[str, object] | None:
    """Choropleth payload one level down (kab/kota → kecamatan, kecamatan → desa)."""
    depth = code.count(".") + 1
    if depth not in (2, 3):
        return None
    level = CHILD_LEVEL[depth]
    bands = band_legend(lang)
    return {
        "values": values,
        "bands": [{"upper": b["upper"], "color": b["color"]} for b in bands],
        "no_value_color": NO_VALUE_COLOR,
        "geojson_url": f"/geo/{province}/{level}.geojson?within={code}",
        "within": code,
        "labels": {
            "no_value": "tidak ada angka" if lang == "id" else "no figure",
            "attribution": "Batas wilayah: data/geo (Kemendagri 2025)",
        },
    }


# --------------------------------------------------------------------------- warm-up


def warm(
    db: Session, *, province: str | None = None, welfare_max_decile: int
) -> dict[str, float]:
    """Compute the province-wide results the region pages reuse (forecast per level,
    coverage, quality per desa and posyandu, routine statuses) and return the seconds each
    took. The app runs this in a background thread at start-up (outside tests), so the first
    visitor does not wait for a whole-province computation."""
    code = province
    if code is None:
        first = db.scalar(
            select(Measurement.desa_code)
            .where(Measurement.desa_code.is_not(None))
            .limit(1)
        )
        code = str(first)[:2] if first else None
    steps: list[tuple[str, Callable[[], object]]] = [
        (f"forecast {level}", lambda level=level: _forecast_level(db, level))  # type: ignore[misc]
        for level in ("kabkota", "kecamatan", "desa")
    ]
    steps += [
        ("intervention year", lambda: intervention_year(db)),
        ("quality desa", lambda: quality_items(db, "desa")),
        ("quality posyandu", lambda: quality_items(db, "posyandu")),
        ("routine kecamatan", lambda: figures.routine_report(db, "kecamatan")),
        ("routine desa", lambda: figures.routine_report(db, "desa")),
    ]
    if code is not None:
        for kab in children_of(code):
            steps.append(
                (f"children {kab.code}", lambda c=kab.code: child_total(db, c))  # type: ignore[misc]
            )
        steps.append(("period", lambda: default_period_label(db, code)))
        steps.append(("indicators", lambda: _indicators(db, code, welfare_max_decile)))
    year = intervention_year(db)
    if code is not None and year is not None:
        decile = welfare_max_decile
        steps.append(("coverage", lambda: _province_coverage(db, code, year, decile)))
        steps.append(
            ("convergence", lambda: _province_convergence(db, code, year, decile))
        )
    out: dict[str, float] = {}
    for label, step in steps:
        cache.checkpoint()  # in the server's worker: a page waiting for a panel goes first
        started = time.perf_counter()
        step()
        out[label] = round(time.perf_counter() - started, 2)
    return out


def _indicators(db: Session, province: str, welfare_max_decile: int) -> object:
    """The indicator engine over the province for its default period (region headlines)."""
    label = default_period_label(db, province)
    if label is None:
        return None
    key, compute = province_indicators(province, label, welfare_max_decile)
    return cached(db, key, compute)


def refresh(
    db: Session, *, province: str | None = None, welfare_max_decile: int
) -> dict[str, float]:
    """Store every whole-province panel for the current data generation (computed, or read
    back when already stored) and commit: run by `tumbuh db refresh`, at the end of
    `tumbuh demo`, and by the server in the background when it served stale panels."""
    with cache.persisting(db):
        took = warm(db, province=province, welfare_max_decile=welfare_max_decile)
    db.commit()
    return took


# --------------------------------------------------------------------------- growth signals


RECENT_DAYS = 92


@dataclass(frozen=True, slots=True)
class GrowthAlert:
    child_id: int
    name: str
    on: dt.date
    signal: str  # "2T", "BGM", "haz_falling" or "new_stunting"
    detail: str


def desa_alerts(db: Session, code: str, *, lang: Lang) -> list[GrowthAlert]:
    """Children of a desa to follow up, at their latest weighing: weight faltering (2T, BGM,
    falling length-for-age: `tumbuh.risk.signals.weight_faltering`) and new stunting (latest
    valid length-for-age z < -2 after a previous one >= -2)."""

    def compute(db: Session) -> list[GrowthAlert]:
        frame = register_read.desa_growth(db, desa_code=code)
        if frame.empty:
            return []
        frame["date"] = pd.to_datetime(frame["date"])
        frame["birth_date"] = pd.to_datetime(frame["birth_date"])
        for col in ("weight_kg", "zwei", "zlen"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        judged = weight_faltering(frame.drop(columns=["flen"]))
        judged["flen"] = frame["flen"].to_numpy()
        latest = judged.sort_values(["child_id", "date"]).groupby("child_id").tail(1)
        # Only children weighed in the desa's last three months of data (still followed).
        recent = judged["date"].max() - pd.Timedelta(days=RECENT_DAYS)
        latest = latest.loc[latest["date"] >= recent]
        out: list[GrowthAlert] = []
        for r in latest.to_dict("records"):
            flagged = r["nt"] == "2T" or bool(r["bgm"]) or bool(r["haz_falling"])
            if flagged:
                signal = (
                    "2T" if r["nt"] == "2T" else "BGM" if r["bgm"] else "haz_falling"
                )
                out.append(
                    GrowthAlert(
                        int(r["child_id"]),
                        str(r["name"]),
                        r["date"].date(),
                        signal,
                        render_all(r["reasons"], lang),
                    )  # fmt: skip
                )
        valid = judged.loc[
            judged["zlen"].notna() & ~judged["flen"].fillna(False).astype(bool)
        ]
        last2 = valid.sort_values(["child_id", "date"]).groupby("child_id").tail(2)
        last2 = last2.loc[last2["child_id"].isin(latest["child_id"])]
        for cid, g in last2.groupby("child_id"):
            if len(g) == 2 and g["zlen"].iloc[1] < -2 <= g["zlen"].iloc[0]:
                out.append(
                    GrowthAlert(
                        int(str(cid)),
                        str(g["name"].iloc[1]),
                        g["date"].iloc[1].date(),
                        "new_stunting",
                        f"{format_number(g['zlen'].iloc[0], 2, lang)} → "
                        f"{format_number(g['zlen'].iloc[1], 2, lang)}",
                    )  # fmt: skip
                )
        return sorted(out, key=lambda a: (a.on, a.child_id), reverse=True)

    # Named children: kept in memory only, never stored.
    return cached(db, ("alerts", code, lang), compute, persist=False, heavy=False)
