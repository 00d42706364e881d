"""Region-page panels from the finished services: forecast of new cases (risk), intervention
coverage and convergence (interventions), data quality (surveillance.routine / analytics).

The services read the whole province (or a whole region's register) at once; pages reuse one
result per database for CACHE_S seconds (the same rule as the routine statuses in figures.py),
and `clear_cache()` forgets everything (after an import, and in tests).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.interventions import service as interventions
from tumbuh.interventions.coverage import ConvergenceResult, CoverageResult
from tumbuh.interventions.groups import Period
from tumbuh.interventions.models import Intervention
from tumbuh.risk.forecast import forecast
from tumbuh.surveillance import routine
from tumbuh.web.figures import NO_VALUE_COLOR, band_legend
from tumbuh.web.i18n import Lang

CACHE_S = 300.0
T = TypeVar("T")
_cache: dict[tuple[object, ...], tuple[float, object]] = {}
_lock = threading.Lock()
CHILD_LEVEL = {1: "kabkota", 2: "kecamatan", 3: "desa", 4: "desa"}
# Quality bands (analytics.quality): colour per band name.
QUALITY_COLORS = {
    "excellent": "#1a9850",
    "good": "#91cf60",
    "acceptable": "#fee08b",
    "problematic": "#d73027",
}


def _db_key(db: Session) -> str:
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.url.render_as_string(hide_password=True)


def cached(db: Session, key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """compute() once per database and key for CACHE_S seconds (errors are not cached)."""
    full = (_db_key(db), *key)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(full)
        if hit is not None and now - hit[0] < CACHE_S:
            return hit[1]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _cache[full] = (now, value)
    return value


def clear_cache() -> None:
    with _lock:
        _cache.clear()


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


def _forecast_level(db: Session, level: str) -> pd.DataFrame | None:
    def compute() -> pd.DataFrame | None:
        try:
            return forecast(db, level=level)
        except NotFound:
            return None

    return cached(db, ("forecast", level), compute)


def region_forecast(db: Session, code: str) -> ForecastView | None:
    """Expected new cases next year per child region (and the region's own total)."""
    depth = code.count(".") + 1
    table = _forecast_level(db, CHILD_LEVEL[depth])
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
    """The latest year with recorded interventions (the default year of coverage panels)."""
    last = db.scalar(select(func.max(Intervention.given_on)))
    if last is None:
        return None
    return last.year if isinstance(last, dt.date) else int(str(last)[:4])


def period_of(year: int) -> Period:
    return Period.year(year, as_of=dt.date.today())


@dataclass(frozen=True, slots=True)
class CoverageView:
    year: int
    result: CoverageResult
    by_area: list[dict[str, Any]]  # one row per child region and kind
    areas: list[dict[str, Any]]  # per child region: mean coverage over kinds (for best)
    best: list[dict[str, Any]]  # best performers (highest mean coverage), up to 3


def region_coverage(db: Session, code: str, *, year: int | None) -> CoverageView | None:
    """Coverage of each catalogue kind in the region, per child region, and the best areas."""
    year = year or intervention_year(db)
    if year is None:
        return None
    depth = code.count(".") + 1

    def compute() -> CoverageView | None:
        try:
            period = period_of(year)
            reg = interventions.register_for(db, region=code, period=period)
            result = interventions.coverage_report(
                db, region=code, period=period, register=reg
            )
            area = interventions.coverage_by_area_report(
                db, region=code, period=period, level=CHILD_LEVEL[depth], register=reg
            )
        except (NotFound, InvalidInput):
            return None
        rows = _records(area)
        areas: list[dict[str, Any]] = []
        if len(area):
            pct = area.loc[area["area_code"] != ""].dropna(subset=["coverage_pct"])
            if len(pct):
                g = pct.groupby("area_code")["coverage_pct"].mean().round(1)
                areas = [
                    {"code": str(c), "mean_coverage_pct": float(v)}
                    for c, v in g.items()
                ]
        best = sorted(areas, key=lambda a: (-a["mean_coverage_pct"], a["code"]))[:3]
        return CoverageView(year, result, rows, areas, best)

    return cached(db, ("coverage", code, year), compute)


def desa_convergence(
    db: Session, code: str, *, year: int | None
) -> ConvergenceResult | None:
    """Full-package shares and the gap list of the families at risk of one desa."""
    year = year or intervention_year(db)
    if year is None:
        return None

    def compute() -> ConvergenceResult | None:
        try:
            return interventions.convergence_report(
                db, region=code, period=period_of(year)
            )
        except (NotFound, InvalidInput):
            return None

    return cached(db, ("convergence", code, year), compute)


# --------------------------------------------------------------------------- quality


def quality_items(db: Session, level: str) -> list[dict[str, Any]]:
    """Quality score, band and reasons per desa or posyandu and year (whole province)."""

    def compute() -> list[dict[str, Any]]:
        try:
            return routine.quality_report(db, level=level)
        except (NotFound, InvalidInput):
            return []

    return cached(db, ("quality", level), compute)


def quality_under(
    db: Session, code: str, *, level: str, period: str = "all"
) -> list[dict[str, Any]]:
    """Quality rows of `level` lying in region `code` for `period` ('all' or a year)."""
    out = []
    for item in quality_items(db, level):
        if item.get("period") != period:
            continue
        where = item.get("code") if level == "desa" else item.get("parent_code")
        where = str(where or "")
        if where == code or where.startswith(code + "."):
            out.append(item)
    return out


def quality_badges(db: Session, code: str) -> dict[str, dict[str, Any]]:
    """Per child region of `code`: the worst desa band and the mean score of its desa."""
    depth = code.count(".") + 1
    parts = min(depth + 1, 4)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in quality_under(db, code, level="desa"):
        key = ".".join(str(item["code"]).split(".")[:parts])
        grouped.setdefault(key, []).append(item)
    out: dict[str, dict[str, Any]] = {}
    order = list(QUALITY_COLORS)
    for key, items in grouped.items():
        scores = [float(i["score"]) for i in items if i.get("score") is not None]
        bands = [str(i.get("band")) for i in items if i.get("band") in QUALITY_COLORS]
        worst = max(bands, key=order.index) if bands else None
        mean = round(sum(scores) / len(scores), 1) if scores else None
        out[key] = {
            "score": mean,
            "band": worst,
            "color": QUALITY_COLORS.get(worst or "", NO_VALUE_COLOR),
            "desa": len(items),
        }
    return out


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
