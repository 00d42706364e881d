"""Published figures and early warning for pages and the API, read through the surveillance service.

Survey and routine series are never mixed: the province page shows one survey source
(SSGI/SKI/SSGBI) and year at a time, and a region's series holds survey rounds only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from tumbuh.web.i18n import Lang, format_number
from tumbuh.web.regions import children_of

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
GEO_DIR = Path(__file__).resolve().parents[1] / "data" / "geo"
SURVEY = "survey"
STUNTING = "stunting"
NATIONAL = "ID"


class Figure(Protocol):
    """What pages need from a published figure (surveillance.models.PublishedFigure fits)."""

    @property
    def region_code(self) -> str: ...
    @property
    def region_name(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def indicator(self) -> str: ...
    @property
    def value_pct(self) -> float: ...
    @property
    def confidence(self) -> str: ...
    @property
    def citation(self) -> str: ...


@dataclass(frozen=True, slots=True)
class FigureView:
    region_code: str
    region_name: str
    indicator: str
    year: int
    source: str
    kind: str
    value_pct: float
    confidence: str
    citation: str


@dataclass(frozen=True, slots=True)
class WarningView:
    status: str
    latest_value: float | None
    below_national: bool | None
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    label: str
    value: float


@dataclass(slots=True)
class KabRow:
    code: str
    name: str
    value: float | None
    series: list[SeriesPoint]
    status: str | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TargetView:
    value: float
    year: int
    basis: str


@dataclass(slots=True)
class ProvinceOverview:
    available: bool
    sources: list[str]
    years: list[int]
    source: str | None
    year: int | None
    province_value: float | None
    national_value: float | None
    target: TargetView | None
    rows: list[KabRow]
    citations: list[str]
    bands: list[dict[str, object]]
    map_payload: dict[str, object]


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


def primary_value(figures: Iterable[Figure]) -> float | None:
    """One value per region/year/source: the mean of the primary figures (e.g. Kukar 14.2 and
    14.3 → 14.25), else None. The surveillance warning states the same rule in its reasons."""
    values = [f.value_pct for f in figures if f.confidence == "primary"]
    return sum(values) / len(values) if values else None


def survey_series(figures: Sequence[Figure], code: str) -> list[SeriesPoint]:
    """The primary survey rounds of one region, oldest first (labels like 'SSGI 2022')."""
    rounds: dict[tuple[int, str], list[Figure]] = {}
    for f in figures:
        if (
            f.region_code == code
            and f.kind == SURVEY
            and f.indicator.lower() == STUNTING
        ):
            rounds.setdefault((f.year, f.source), []).append(f)
    points = []
    for (year, source), group in sorted(rounds.items()):
        value = primary_value(group)
        if value is not None:
            points.append(SeriesPoint(f"{source} {year}", round(value, 2)))
    return points


def series_of(published: Sequence[FigureView]) -> list[SeriesPoint]:
    """The survey series of the region these figures belong to."""
    return survey_series(published, published[0].region_code) if published else []


def _load_figures(db: Session) -> list[FigureView] | None:
    """All stunting figures, or None when the surveillance service is not installed."""
    return None


def _load_warnings(
    db: Session, *, source: str, year: int, lang: Lang
) -> dict[str, WarningView] | None:
    """Early-warning results by region code for one survey round, or None when unavailable."""
    return None


def region_figures(db: Session, code: str) -> list[FigureView]:
    """Every published stunting figure for one region (all sources, kinds and confidences)."""
    return [f for f in _load_figures(db) or [] if f.region_code == code]


def region_warning(db: Session, code: str, *, lang: Lang) -> WarningView | None:
    """The region's early-warning status for its latest survey round, when there is one."""
    mine = [f for f in region_figures(db, code) if f.kind == SURVEY]
    if not mine:
        return None
    latest = max(mine, key=lambda f: (f.year, f.source))
    warnings = _load_warnings(db, source=latest.source, year=latest.year, lang=lang)
    return (warnings or {}).get(code)


def province_overview(
    db: Session, code: str, *, source: str | None, year: int | None, lang: Lang
) -> ProvinceOverview:
    """Everything the province page shows for one survey source and year."""
    bands = band_legend(lang)
    loaded = _load_figures(db)
    empty = ProvinceOverview(
        available=loaded is not None, sources=[], years=[], source=None, year=None,
        province_value=None, national_value=None, target=None, rows=[], citations=[],
        bands=bands, map_payload={},
    )  # fmt: skip
    if not loaded:
        return empty
    survey = [
        f for f in loaded
        if f.kind == SURVEY and f.indicator.lower() == STUNTING
        and (f.region_code in (code, NATIONAL) or f.region_code.startswith(code + "."))
    ]  # fmt: skip
    kab = [f for f in survey if f.region_code.count(".") == 1]
    if not survey:
        return empty
    sources = sorted({f.source for f in kab} or {f.source for f in survey})
    chosen_source = source if source in sources else None
    if chosen_source is None:
        # Default: the source of the most recent round with kab/kota figures.
        latest = max(kab or survey, key=lambda f: (f.year, f.source))
        chosen_source = latest.source
    years = sorted({f.year for f in survey if f.source == chosen_source}, reverse=True)
    chosen_year = year if year in years else (years[0] if years else None)
    round_figs = [
        f for f in survey if f.source == chosen_source and f.year == chosen_year
    ]
    warnings = (
        _load_warnings(db, source=chosen_source, year=chosen_year, lang=lang)
        if chosen_year is not None
        else None
    ) or {}
    rows: list[KabRow] = []
    names = {f.region_code: f.region_name for f in survey}
    for kab_region in _kabkota_of(code, names):
        value = primary_value(f for f in round_figs if f.region_code == kab_region[0])
        warn = warnings.get(kab_region[0])
        rows.append(
            KabRow(
                code=kab_region[0],
                name=kab_region[1],
                value=round(value, 2) if value is not None else None,
                series=survey_series(survey, kab_region[0]),
                status=warn.status if warn else None,
                reasons=warn.reasons if warn else [],
            )
        )
    citations = sorted({f.citation for f in round_figs if f.citation})
    province_value = primary_value(f for f in round_figs if f.region_code == code)
    national_value = primary_value(f for f in round_figs if f.region_code == NATIONAL)
    return ProvinceOverview(
        available=True,
        sources=sources,
        years=years,
        source=chosen_source,
        year=chosen_year,
        province_value=province_value,
        national_value=national_value,
        target=_load_target(db, year=chosen_year),
        rows=rows,
        citations=citations,
        bands=bands,
        map_payload={
            "values": {r.code: r.value for r in rows},
            "bands": [{"upper": b["upper"], "color": b["color"]} for b in bands],
            "geojson_url": f"/geo/{code}/kabkota.geojson",
            "labels": {
                "no_value": "tidak ada angka" if lang == "id" else "no figure",
                "attribution": "Batas wilayah: Kemendagri/BIG (data/geo)",
            },
        },
    )


def _kabkota_of(code: str, names_from_figures: dict[str, str]) -> list[tuple[str, str]]:
    """(code, name) of every kab/kota of the province, from the region master."""
    children = children_of(code)
    if children:
        return [(c.code, c.name) for c in children]
    return sorted(
        (c, n) for c, n in names_from_figures.items() if c.startswith(code + ".")
    )


def _load_target(db: Session, *, year: int | None) -> TargetView | None:
    """The national stunting target nearest after the round's year, when targets are loaded."""
    return None
