"""Published figures and early warning for pages and the API, read through the surveillance
service (`tumbuh.surveillance.service.early_warning`).

Survey (SSGBI/SSGI/SKI) and routine (e-PPGBM) series are never mixed: the page shows one
kind at a time, and every series and status here belongs to one kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput
from tumbuh.register.master import children_of
from tumbuh.reports.warning import early_warning
from tumbuh.surveillance.models import FigureKind
from tumbuh.surveillance.service import WarningReport
from tumbuh.surveillance.warning import RegionWarning
from tumbuh.web.cache import cached, clear_cache, view
from tumbuh.web.i18n import Lang, format_number

GEO_DIR = Path(__file__).resolve().parents[1] / "data" / "geo"
KINDS: tuple[str, ...] = (FigureKind.survey.value, FigureKind.routine.value)
# Surveys publish down to kab/kota; the province page colours its kab/kota.
LEVEL_BY_DEPTH = {1: "province", 2: "kabkota"}

# WHO/UNICEF prevalence thresholds for stunting (de Onis M et al., "Prevalence thresholds
# for wasting, overweight and stunting in children under 5 years", Public Health Nutr
# 2019;22(1):175-179): very low <2.5, low 2.5-<10, medium 10-<20, high 20-<30, very high >=30 %.
# Colours: ColorBrewer YlOrRd, 5 classes.
BANDS: tuple[tuple[float, str, str, str], ...] = (
    (2.5, "#ffffb2", "sangat rendah", "very low"),
    (10.0, "#fecc5c", "rendah", "low"),
    (20.0, "#fd8d3c", "sedang", "medium"),
    (30.0, "#f03b20", "tinggi", "high"),
    (101.0, "#bd0026", "sangat tinggi", "very high"),
)
NO_VALUE_COLOR = "#d9d9d9"


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    label: str  # e.g. "SSGI 2022"
    year: int
    value: float


@dataclass(frozen=True, slots=True)
class WarningView:
    """One region's status for one kind of series, judged at `year`."""

    kind: str
    year: int
    status: str
    latest_value: float | None
    latest_source: str | None
    below_national: bool | None
    national_value: float | None
    province_value: float | None
    target: float | None
    target_year: int | None
    projected_target_year: int | None
    arr: float | None
    reasons: list[str]
    series: list[SeriesPoint]


@dataclass(slots=True)
class KabRow:
    code: str
    name: str
    value: float | None
    series: list[SeriesPoint]
    status: str | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ProvinceOverview:
    kinds: list[str]
    kind: str
    years: list[int]  # years with kab/kota figures of this kind, newest first
    year: int | None
    province: WarningView | None
    national_value: float | None
    rows: list[KabRow]
    bands: list[dict[str, object]]
    map_payload: dict[str, object]

    @property
    def has_figures(self) -> bool:
        return self.year is not None


def band_legend(lang: Lang) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    lower = 0.0
    for upper, color, label_id, label_en in BANDS:
        name = label_id if lang == "id" else label_en
        if upper > 100:
            text = f"≥ {format_number(lower, 1, lang)} %"
        else:
            text = f"{format_number(lower, 1, lang)}–<{format_number(upper, 1, lang)} %"
        out.append({"upper": upper, "color": color, "label": f"{name} ({text})"})
        lower = upper
    return out


def _report(
    db: Session, *, kind: str, level: str, year: int | None
) -> WarningReport | None:
    """The service's report, or None when no figures of that kind/level are stored."""
    try:
        # Province and kab/kota pages show the published figures (routine too); below,
        # the register's routine series judge the period chosen by completeness
        # (docs/periods.md).
        return early_warning(
            db, kind=FigureKind(kind), level=level, year=year, register=False
        ).report
    except InvalidInput:
        return None


def _point(value: dict[str, object], source: str | None) -> SeriesPoint:
    """A previous value: {year, source, value_pct} (published) or {period, value_pct}
    (routine series from the register, period like '2024' or '2024Q3')."""
    when = str(value.get("year", value.get("period", "")))
    label = f"{value.get('source') or source or 'e-PPGBM'} {when}"
    return SeriesPoint(label, int(when[:4]), float(str(value["value_pct"])))


def _view(item: RegionWarning, lang: Lang) -> WarningView:
    history = [_point(p, item.latest_source) for p in reversed(item.previous_values)]
    if item.latest_value is not None:
        history.append(
            SeriesPoint(
                f"{item.latest_source} {item.year}", item.year, item.latest_value
            )
        )
    return WarningView(
        kind=item.kind,
        year=item.year,
        status=str(item.status),
        latest_value=item.latest_value,
        latest_source=item.latest_source,
        below_national=item.below_national,
        national_value=item.national_value,
        province_value=item.province_value,
        target=item.target,
        target_year=item.target_year,
        projected_target_year=item.projected_target_year,
        arr=item.arr,
        reasons=item.reasons(lang),
        series=history,
    )


def region_warnings(db: Session, code: str, *, lang: Lang) -> dict[str, WarningView]:
    """The latest status of a province or kab/kota, per kind of series that has figures
    (per data generation: published figures and targets are part of it)."""
    level = LEVEL_BY_DEPTH.get(code.count(".") + 1)
    if level is None:
        return {}

    def compute(s: Session) -> dict[str, WarningView]:
        out = {}
        for kind in KINDS:
            report = _report(s, kind=kind, level=level, year=None)
            item = _find(report, code)
            if item is not None:
                out[kind] = _view(item, lang)
        return out

    return cached(db, ("warnings", code, lang), compute, persist=False, heavy=False)


def _find(report: WarningReport | None, code: str) -> RegionWarning | None:
    if report is None:
        return None
    return next((i for i in report.items if i.region_code == code), None)


def province_overview(
    db: Session, code: str, *, kind: str | None, year: int | None, lang: Lang
) -> ProvinceOverview:
    """Everything the province page shows for one kind of series and one year (per data
    generation: published figures and targets are part of it)."""
    kind = kind if kind in KINDS else FigureKind.survey.value
    return cached(
        db,
        ("province_overview", code, kind, year, lang),
        lambda s: _province_overview(s, code, kind=kind, year=year, lang=lang),
        persist=False,
        heavy=False,
    )


def _province_overview(
    db: Session, code: str, *, kind: str, year: int | None, lang: Lang
) -> ProvinceOverview:
    bands = band_legend(lang)
    latest = _report(db, kind=kind, level="kabkota", year=None)
    mine = (
        [i for i in latest.items if i.region_code.startswith(code + ".")]
        if latest
        else []
    )
    years = sorted(
        {i.year for i in mine if i.latest_value is not None}
        | {_point(p, None).year for i in mine for p in i.previous_values},
        reverse=True,
    )
    if not years:
        return ProvinceOverview(
            kinds=list(KINDS), kind=kind, years=[], year=None, province=None,
            national_value=None, rows=[], bands=bands, map_payload={},
        )  # fmt: skip
    chosen = year if year in years else years[0]
    report = latest if latest and latest.year == chosen else None
    report = report or _report(db, kind=kind, level="kabkota", year=chosen)
    by_code = {i.region_code: i for i in (report.items if report else [])}
    rows = []
    for region in children_of(code):
        item = by_code.get(region.code)
        view = _view(item, lang) if item is not None else None
        rows.append(
            KabRow(
                code=region.code,
                name=region.name,
                value=view.latest_value if view else None,
                series=view.series if view else [],
                status=view.status if view else None,
                reasons=view.reasons if view else [],
            )
        )
    province_item = _find(_report(db, kind=kind, level="province", year=chosen), code)
    national = next(
        (i.national_value for i in by_code.values() if i.national_value is not None),
        province_item.national_value if province_item else None,
    )
    return ProvinceOverview(
        kinds=list(KINDS),
        kind=kind,
        years=years,
        year=chosen,
        province=_view(province_item, lang) if province_item else None,
        national_value=national,
        rows=rows,
        bands=bands,
        map_payload={
            "values": {r.code: r.value for r in rows},
            "bands": [{"upper": b["upper"], "color": b["color"]} for b in bands],
            "no_value_color": NO_VALUE_COLOR,
            "geojson_url": f"/geo/{code}/kabkota.geojson",
            "labels": {
                "no_value": "tidak ada angka" if lang == "id" else "no figure",
                "attribution": "Batas wilayah: data/geo (Kemendagri 2025)",
            },
        },
    )


# Routine (e-PPGBM) statuses per kecamatan/desa come from the register's measurements for the
# whole province at once (small-area shrinkage pools each level within its parent), which
# takes a while on a big register; pages reuse one result per data generation (web.cache).
ROUTINE_CHILD_LEVEL = {2: "kecamatan", 3: "desa", 4: "desa"}


def _routine(db: Session, level: str) -> WarningReport | None:
    return _report(db, kind=FigureKind.routine.value, level=level, year=None)


def routine_report(db: Session, level: str) -> WarningReport | None:
    return cached(db, ("routine", level), lambda s: _routine(s, level))


def clear_routine_cache() -> None:
    """Forget cached routine statuses (after an import, or in tests)."""
    clear_cache()


def routine_rows(
    db: Session, code: str, *, lang: Lang
) -> tuple[int | None, list[KabRow]]:
    """(year, rows): routine status of the region's kecamatan (for a kab/kota), of its desa
    (for a kecamatan) or of the desa itself, from the register's measurements."""
    depth = code.count(".") + 1
    level = ROUTINE_CHILD_LEVEL.get(depth)
    if level is None:
        return None, []
    return view(
        db, ("routine", level), lambda s: _routine(s, level),
        ("rows", code, lang), lambda report: _routine_rows(report, code, lang),
    )  # fmt: skip


def _routine_rows(
    report: WarningReport | None, code: str, lang: Lang
) -> tuple[int | None, list[KabRow]]:
    depth = code.count(".") + 1
    if report is None:
        return None, []
    if depth == 4:
        items = [i for i in report.items if i.region_code == code]
    else:
        items = [i for i in report.items if i.region_code.startswith(code + ".")]
    names = {r.code: r.name for r in children_of(code)}
    rows = []
    for item in sorted(items, key=lambda i: i.region_code):
        view = _view(item, lang)
        rows.append(
            KabRow(
                code=item.region_code,
                name=names.get(item.region_code, item.region_name),
                value=view.latest_value,
                series=view.series,
                status=view.status,
                reasons=view.reasons,
            )
        )
    return report.year, rows
