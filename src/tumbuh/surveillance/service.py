"""Importing published figures and targets; loading them for trends and early warning.

Imports are idempotent: each row has a natural key (hashed into ``natural_key``); a row whose
key exists is ``unchanged`` when every other field matches and ``updated`` otherwise. Bad rows
become ``RowIssue``s and are skipped; good rows are kept. Services flush, never commit: the
caller (CLI command, request) owns the transaction, one per file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from tumbuh.analytics import smallarea
from tumbuh.errors import ImportFileError, InvalidInput
from tumbuh.i18n import neutral, translate
from tumbuh.surveillance import repository, trends
from tumbuh.surveillance.models import (
    Confidence,
    FigureKind,
    PublishedFigure,
    Target,
    TargetScope,
)
from tumbuh.surveillance.trends import SurveyAssumptions
from tumbuh.surveillance.warning import (
    RegionSeries,
    RegionWarning,
    Round,
    Status,
    TargetRef,
    assess_region,
    word,
)
from tumbuh.tabular.cells import read_row_cells
from tumbuh.tabular.columns import Cells, Column, Columns, header_key
from tumbuh.tabular.issues import ImportReport, RowIssue, Severity
from tumbuh.tabular.parse import parse_number_text
from tumbuh.tabular.readers import ROW_COLUMN, open_table

_DATA = Path(__file__).resolve().parent.parent / "data" / "published"
PACKAGED_FIGURES = _DATA / "published_stunting_kaltim.csv"
PACKAGED_TARGETS = _DATA / "targets.csv"

FIGURE_COLUMNS = (
    "region_code",
    "region_name",
    "year",
    "source",
    "kind",
    "indicator",
    "value_pct",
    "ci_low",
    "ci_high",
    "n",
    "confidence",
    "citation",
    "note",
)
FIGURE_REQUIRED = ("region_code", "region_name", "year", "source", "kind", "value_pct")
TARGET_COLUMNS = (
    "scope",
    "region_code",
    "indicator",
    "target_value",
    "unit",
    "target_year",
    "basis",
    "source_title",
    "source_url",
    "note",
)
TARGET_REQUIRED = ("scope", "region_code", "indicator", "target_value", "target_year")

# Accepted header spellings per column (compared with tabular.columns.header_key): the
# column's own name, then its Indonesian names.
_INDONESIAN: dict[str, tuple[str, ...]] = {
    "region_code": ("kode_wilayah", "kode"),
    "region_name": ("nama_wilayah", "wilayah"),
    "year": ("tahun",),
    "source": ("sumber",),
    "kind": ("jenis",),
    "indicator": ("indikator",),
    "value_pct": ("value", "prevalence_pct", "prevalensi", "persen"),
    "confidence": ("keyakinan",),
    "citation": ("kutipan",),
    "note": ("catatan",),
    "target_value": ("target",),
    "target_year": ("tahun_target",),
}
_HEADERS = Columns(
    *(
        Column(name, (name, *_INDONESIAN.get(name, ())))
        for name in dict.fromkeys(FIGURE_COLUMNS + TARGET_COLUMNS)
    )
)
_KIND_WORDS = {
    "survey": FigureKind.survey,
    "survei": FigureKind.survey,
    "routine": FigureKind.routine,
    "rutin": FigureKind.routine,
}
_SCOPE_WORDS = {
    "national": TargetScope.national,
    "nasional": TargetScope.national,
    "province": TargetScope.province,
    "provinsi": TargetScope.province,
    "kabkota": TargetScope.kabkota,
    "kab/kota": TargetScope.kabkota,
    "kabupaten/kota": TargetScope.kabkota,
}
# `ID` (Indonesia) or a Kemendagri code: 64, 64.71, 64.71.01, 64.71.01.1001.
REGION_CODE = re.compile(r"^(ID|\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?)$")
_RANGE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*[-–]\s*(\d+(?:[.,]\d+)?)\s*$")
_YEARS = re.compile(r"^\s*(\d{4})(?:\.0+)?\s*(?:[-–]\s*(\d{4}))?\s*$")
MIN_YEAR, MAX_YEAR = 1990, 2100


class Layout(StrEnum):
    auto = "auto"
    figures = "figures"
    targets = "targets"
    programme = "programme"  # tumbuh.surveillance.programme reads these files


def _canon(name: str) -> str:
    return _HEADERS.field_of(name) or header_key(name).replace(" ", "_")


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


# The number columns of a figures file, read as declared (tabular.cells) chunk by chunk.
_PERCENT: dict[str, Any] = {"cells": Cells.number, "percent": True, "bounds": (0, 100)}
_NUMBERS: dict[str, Column] = {
    "value_pct": Column("value_pct", ("value_pct",), **_PERCENT),
    "ci_low": Column("ci_low", ("ci_low",), **_PERCENT),
    "ci_high": Column("ci_high", ("ci_high",), **_PERCENT),
    "n": Column("n", ("n",), cells=Cells.number, whole=True),
}


@dataclass
class _Row:
    """One data row with the helpers that turn a bad cell into a RowIssue."""

    file: str
    row: int
    cells: Mapping[str, str]
    issues: list[RowIssue]
    # Declared number columns, read for the whole chunk: (value, first problem code).
    numbers: Mapping[str, tuple[Any, str | None]] = field(default_factory=dict)

    def text(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    def problem(
        self,
        where: str | None,
        issue: str,
        key: str,
        /,
        *,
        severity: Severity = Severity.error,
        **values: object,
    ) -> None:
        """A problem of this row, said by catalogue entry ``key`` (``agg.issue.*``) in both
        languages (the report's message_id/message_en)."""
        message_id = translate(key, "id", **values)
        message_en = translate(key, "en", **values)
        value = self.cells.get(where) if where else None
        self.issues.append(
            RowIssue(
                file=self.file,
                row=self.row,
                column=where,
                code=issue,
                message_id=message_id,
                message_en=message_en,
                severity=severity,
                value=value,
            )
        )

    @property
    def rejected(self) -> bool:
        return any(i.severity == Severity.error for i in self.issues)

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            self.problem(
                column,
                "missing_value",
                "agg.issue.missing_value",
                column=column,
            )
        return value

    def region_code(self) -> str:
        code = self.required("region_code")
        if code and not REGION_CODE.match(code):
            self.problem(
                "region_code",
                "invalid_region_code",
                "agg.issue.invalid_region_code",
                value=code,
            )
        return code

    def year(self, column: str = "year") -> int | None:
        raw = self.required(column)
        if not raw:
            return None
        value = parse_number_text(raw)
        if value is None or value != int(value) or not MIN_YEAR <= value <= MAX_YEAR:
            self.problem(
                column,
                "invalid_year",
                "agg.issue.invalid_year",
                value=raw,
                first=MIN_YEAR,
                last=MAX_YEAR,
            )
            return None
        return int(value)

    def percent(self, column: str, *, required: bool) -> float | None:
        raw = self.required(column) if required else self.text(column)
        if not raw:
            return None
        value, problem = self.numbers.get(column, (math.nan, "invalid_number"))
        if problem == "out_of_range":  # the declared bounds, 0-100
            self.problem(
                column,
                "out_of_range",
                "agg.issue.out_of_range",
                column=column,
                value=raw,
            )
            return None
        if problem is not None or math.isnan(value):  # `-`, `NA` too: not a figure
            self.problem(
                column,
                "invalid_number",
                "agg.issue.invalid_number",
                column=column,
                value=raw,
            )
            return None
        return float(value)

    def count(self, column: str) -> int | None:
        """A whole number of a declared count column (None: missing or not whole)."""
        value, problem = self.numbers.get(column, (math.nan, "invalid_number"))
        if problem is not None or math.isnan(value):
            return None
        return int(value)

    def choice(self, column: str, words: Mapping[str, StrEnum]) -> str | None:
        raw = self.required(column)
        if not raw:
            return None
        found = words.get(raw.lower())
        if found is None:
            allowed = ", ".join(sorted({str(v) for v in words.values()}))
            self.problem(
                column,
                f"unknown_{column}",
                "agg.issue.unknown_choice",
                column=column,
                value=raw,
                allowed=allowed,
            )
            return None
        return str(found)


_Numbers = dict[str, tuple[Any, str | None]]


def _read_rows(
    path: Path,
) -> tuple[list[str], Iterator[tuple[int, dict[str, str], _Numbers]]]:
    """Canonical header names and a stream of (row number, cells by canonical name, the
    declared number columns read: value and problem code by canonical name)."""
    src = open_table(path)
    names = [_canon(c) for c in src.columns]
    keys = src.keys
    # The same column as `cells` below (of two headers with one name, the last).
    by_name = dict(zip(names, keys, strict=True))
    declared = {f: (col, by_name[f]) for f, col in _NUMBERS.items() if f in by_name}

    def rows() -> Iterator[tuple[int, dict[str, str], _Numbers]]:
        for chunk in src.chunks():
            numbers = read_row_cells(chunk, declared)
            for i, rec in enumerate(chunk.to_pylist()):
                cells = {
                    name: (rec.get(key) or "")
                    for name, key in zip(names, keys, strict=True)
                }
                yield (
                    int(rec[ROW_COLUMN]),
                    cells,
                    {f: values[i] for f, values in numbers.items()},
                )

    return names, rows()


def _detect_layout(path: Path, names: list[str], layout: Layout) -> Layout:
    if layout == Layout.auto:
        if "value_pct" in names:
            layout = Layout.figures
        elif "target_value" in names:
            layout = Layout.targets
        else:
            raise ImportFileError(
                f"{path.name}: neither a published-figures file (needs a value_pct column), "
                "a targets file (needs target_value) nor a programme-aggregates file "
                "(needs penyebut); columns found: " + ", ".join(names)
            )
    if layout == Layout.programme:
        raise ImportFileError(
            f"{path.name}: programme aggregates are read by "
            "tumbuh.surveillance.programme.import_file"
        )
    required = FIGURE_REQUIRED if layout == Layout.figures else TARGET_REQUIRED
    missing = [c for c in required if c not in names]
    if missing:
        raise ImportFileError(
            f"{path.name}: missing column(s) {', '.join(missing)} for a {layout} file"
        )
    return layout


def import_file(
    session: Session, *, path: Path, layout: Layout = Layout.auto
) -> ImportReport:
    """Import one figures or targets file; the caller commits (one transaction per file)."""
    names, rows = _read_rows(path)
    layout = _detect_layout(path, names, layout)
    report = ImportReport(kind=f"aggregates:{layout}", files=[path.name])
    handle: Callable[[Session, _Row, dict[str, int]], str | None]
    handle = _import_figure_row if layout == Layout.figures else _import_target_row
    seen: dict[str, int] = {}
    for row_no, cells, numbers in rows:
        report.read += 1
        row = _Row(file=path.name, row=row_no, cells=cells, issues=[], numbers=numbers)
        outcome = handle(session, row, seen)
        report.issues.extend(row.issues)
        if outcome is None:
            report.rejected += 1
        elif outcome == "inserted":
            report.inserted += 1
        elif outcome == "updated":
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    return report


def _duplicate(row: _Row, seen: dict[str, int], key: str) -> bool:
    first = seen.get(key)
    if first is not None:
        row.problem(
            None,
            "duplicate_row",
            "agg.issue.duplicate_row",
            first=first,
        )
        return True
    seen[key] = row.row
    return False


def _apply(obj: Any, values: Mapping[str, Any]) -> bool:
    """Set attributes; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _import_figure_row(session: Session, row: _Row, seen: dict[str, int]) -> str | None:
    region_code = row.region_code()
    region_name = row.required("region_name")
    year = row.year()
    source = row.required("source")
    kind = row.choice("kind", _KIND_WORDS)
    indicator = (row.text("indicator") or "stunting").lower()
    value = row.percent("value_pct", required=True)
    ci_low = row.percent("ci_low", required=False)
    ci_high = row.percent("ci_high", required=False)
    n_raw = row.text("n")
    n = row.count("n") if n_raw else None
    if n_raw and (n is None or n <= 0):
        row.problem(
            "n",
            "invalid_count",
            "agg.issue.invalid_count",
            value=n_raw,
        )
    conf_raw = row.text("confidence")
    confidence = str(Confidence.unverified)
    if conf_raw:
        picked = row.choice("confidence", {c.value: c for c in Confidence})
        confidence = picked or confidence
    else:
        row.problem(
            "confidence",
            "missing_confidence",
            "agg.issue.missing_confidence",
            severity=Severity.warning,
        )
    if value is not None and (
        (ci_low is not None and ci_low > value)
        or (ci_high is not None and ci_high < value)
    ):
        row.problem(
            "ci_low" if ci_low is not None and ci_low > value else "ci_high",
            "inconsistent_ci",
            "agg.issue.inconsistent_ci",
            low=ci_low,
            high=ci_high,
            value=value,
        )
    if row.rejected or year is None or kind is None or value is None:
        return None
    citation = row.text("citation")
    key = _hash(
        region_code,
        str(year),
        source.casefold(),
        kind,
        indicator,
        f"{value:.4f}",
        citation,
    )
    if _duplicate(row, seen, key):
        return None
    fields: dict[str, Any] = {
        "region_code": region_code,
        "region_name": region_name,
        "year": year,
        "source": source,
        "kind": kind,
        "indicator": indicator,
        "value_pct": value,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "n": n,
        "confidence": confidence,
        "citation": citation,
        "note": row.text("note"),
    }
    existing = repository.get_figure_by_key(session, key)
    if existing is None:
        session.add(PublishedFigure(natural_key=key, **fields))
        return "inserted"
    return "updated" if _apply(existing, fields) else "unchanged"


def _import_target_row(session: Session, row: _Row, seen: dict[str, int]) -> str | None:
    scope = row.choice("scope", _SCOPE_WORDS)
    region_code = row.region_code()
    indicator = row.required("indicator")
    unit = row.text("unit")
    value_text = row.text("target_value")
    value: float | None = None
    if value_text:
        value = parse_number_text(value_text, percent=True)
        if value is None and not _RANGE.match(value_text):
            row.problem(
                "target_value",
                "invalid_number",
                "agg.issue.invalid_target",
                value=value_text,
            )
        elif value is not None and unit == "%" and not 0 <= value <= 100:
            row.problem(
                "target_value",
                "out_of_range",
                "agg.issue.target_out_of_range",
                value=value_text,
            )
    year_text = row.required("target_year")
    year_from = year_to = None
    if year_text:
        match = _YEARS.match(year_text)
        if match is None:
            row.problem(
                "target_year",
                "invalid_year",
                "agg.issue.invalid_target_year",
                value=year_text,
            )
        else:
            year_from = int(match.group(1))
            year_to = int(match.group(2) or match.group(1))
    if row.rejected or scope is None:
        return None
    basis = row.text("basis")
    key = _hash(scope, region_code, indicator, value_text, year_text, basis)
    if _duplicate(row, seen, key):
        return None
    fields: dict[str, Any] = {
        "scope": scope,
        "region_code": region_code,
        "indicator": indicator,
        "target_value": value,
        "target_value_text": value_text,
        "unit": unit,
        "target_year_text": year_text,
        "year_from": year_from,
        "year_to": year_to,
        "basis": basis,
        "source_title": row.text("source_title"),
        "source_url": row.text("source_url"),
        "note": row.text("note"),
    }
    existing = repository.get_target_by_key(session, key)
    if existing is None:
        session.add(Target(natural_key=key, **fields))
        return "inserted"
    return "updated" if _apply(existing, fields) else "unchanged"


def ensure_targets(session: Session) -> ImportReport | None:
    """Load the packaged targets.csv when no target is stored yet; None when already there."""
    if repository.count_targets(session) > 0:
        return None
    return import_file(session, path=PACKAGED_TARGETS, layout=Layout.targets)


def merge_reports(reports: list[ImportReport]) -> ImportReport:
    """One report for several files (counts summed, issues concatenated)."""
    kinds = sorted({r.kind for r in reports})
    total = ImportReport(kind=kinds[0] if len(kinds) == 1 else "aggregates")
    for r in reports:
        total.files.extend(r.files)
        total.read += r.read
        total.inserted += r.inserted
        total.updated += r.updated
        total.unchanged += r.unchanged
        total.rejected += r.rejected
        total.issues.extend(r.issues)
    return total


def parse_layout(value: str) -> Layout:
    try:
        return Layout(value)
    except ValueError:
        raise InvalidInput(
            f"unknown --kind '{value}' (expected auto, figures, targets or programme)"
        ) from None


# --------------------------------------------------------------------------------------
# Trends and early warning

LEVELS = ("national", "province", "kabkota", "kecamatan", "desa", "posyandu")
_LEVEL_PATTERNS = {
    "national": re.compile(r"^ID$"),
    "province": re.compile(r"^\d{2}$"),
    "kabkota": re.compile(r"^\d{2}\.\d{2}$"),
    "kecamatan": re.compile(r"^\d{2}\.\d{2}\.\d{2}$"),
    "desa": re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"),
}
_STUNTING_TARGET = re.compile(r"^prevalence of stunting", re.IGNORECASE)


def level_of(region_code: str) -> str | None:
    """``national``, ``province``, ``kabkota``, ``kecamatan`` or ``desa`` from the code form."""
    for level, pattern in _LEVEL_PATTERNS.items():
        if pattern.match(region_code):
            return level
    return None


@dataclass(frozen=True)
class WarningReport:
    kind: str
    level: str
    year: int
    confidences: tuple[str, ...]
    items: list[RegionWarning]

    def to_list(self, *, language: str = "id") -> list[dict[str, Any]]:
        return [item.to_dict(language=language) for item in self.items]


def national_stunting_targets(session: Session) -> list[TargetRef]:
    """One national stunting-prevalence target per single year, from the stored targets.

    targets.csv holds several national targets for some years (e.g. 2024: 14 % in RPJMN
    2020-2024 and in BKKBN's perjanjian kinerja, 20.1 % quoted at the SSGI 2024 release;
    2025: 18.8 % RPJMN 2025-2029 and 18 % quoted for the President). The planning documents
    win: a basis naming RPJMN, then RPJPN, then the first row in the file.
    """
    by_year: dict[int, list[Target]] = {}
    for t in repository.list_targets(session):
        if (
            t.scope == TargetScope.national
            and t.region_code == "ID"
            and _STUNTING_TARGET.match(t.indicator)
            and t.target_value is not None
            and t.year_from is not None
            and t.year_from == t.year_to
        ):
            by_year.setdefault(t.year_from, []).append(t)

    def rank(t: Target) -> int:
        basis = t.basis.upper()
        return 0 if "RPJMN" in basis else 1 if "RPJPN" in basis else 2

    refs = []
    for year, candidates in sorted(by_year.items()):
        best = min(candidates, key=rank)  # min is stable: the first of equal rank wins
        assert best.target_value is not None
        refs.append(TargetRef(year=year, value_pct=best.target_value, basis=best.basis))
    return refs


def _rounds(
    figures: list[PublishedFigure],
    used: set[str],
    *,
    level: str,
    assumptions: SurveyAssumptions,
) -> dict[int, Round]:
    """One Round per year from one region's figures (mean of the used ones)."""
    by_year: dict[int, list[PublishedFigure]] = {}
    for f in figures:
        by_year.setdefault(f.year, []).append(f)
    rounds: dict[int, Round] = {}
    for year, figs in sorted(by_year.items()):
        chosen = [f for f in figs if f.confidence in used]
        if not chosen:
            continue
        values = tuple(f.value_pct for f in chosen)
        mean = sum(values) / len(values)
        # Figures of one year quote the same survey: their SEs do not average out.
        ses = [
            trends.standard_error(
                f.value_pct,
                ci_low=f.ci_low,
                ci_high=f.ci_high,
                n=f.n,
                assumed_n=assumptions.assumed_n(level),
                design_effect=assumptions.design_effect,
            )
            for f in chosen
        ]
        sources = "/".join(dict.fromkeys(f.source for f in chosen))
        rounds[year] = Round(
            year=year,
            source=sources,
            value_pct=round(mean, 4),
            se=max(ses, key=lambda s: s.se_pct),
            values=values if len(values) > 1 else (),
            excluded=tuple(
                f.value_pct
                for f in figs
                if f.confidence not in used and f.value_pct not in values
            ),
        )
    return rounds


def early_warning(
    session: Session,
    *,
    kind: FigureKind = FigureKind.survey,
    level: str = "kabkota",
    year: int | None = None,
    include_alternatives: bool = False,
    include_unverified: bool = False,
    assumptions: SurveyAssumptions | None = None,
    window: int = 3,
    indicator: str = "stunting",
    period: str = "year",
    judge: str | None = None,
    register: bool | None = None,
    rows: RoutineRows | None = None,
) -> WarningReport:
    """Status and reasons per region of ``level``.

    Surveys: published figures (national, province, kab/kota). Routine: the register's
    measurements at every level (see `routine_warning`; ``judge`` names the period judged);
    at province and kab/kota the published routine figures instead when ``register`` is
    False, or when it is None and the register holds no measurements.
    """
    if level not in LEVELS:
        raise InvalidInput(
            f"unknown level '{level}' (expected one of {', '.join(LEVELS)})"
        )
    if level in {"kecamatan", "desa", "posyandu"}:
        if kind == FigureKind.survey:
            raise InvalidInput(
                "surveys (SSGBI/SSGI/SKI) publish figures down to kab/kota only: "
                "use --level kabkota or province, or --source routine"
            )
        return routine_warning(
            session, level=level, year=year, period=period, judge=judge, rows=rows
        )
    if (
        kind == FigureKind.routine
        and level in ROUTINE_LEVELS
        and register is not False
        and (register or has_register(session))
    ):
        return routine_warning(
            session, level=level, year=year, period=period, judge=judge, rows=rows
        )
    if window < 2:
        raise InvalidInput("--rounds must be at least 2")
    assumptions = assumptions or SurveyAssumptions()
    used = {str(Confidence.primary)}
    if include_alternatives:
        used.add(str(Confidence.alternative))
    if include_unverified:
        used.add(str(Confidence.unverified))
    figures = repository.list_figures(session, kind=str(kind), indicator=indicator)
    by_region: dict[str, list[PublishedFigure]] = {}
    for f in figures:
        by_region.setdefault(f.region_code, []).append(f)
    series: dict[str, dict[int, Round]] = {
        code: _rounds(
            figs,
            used,
            level=level_of(code) or level,
            assumptions=assumptions,
        )
        for code, figs in by_region.items()
    }
    members = sorted(
        code for code in series if level_of(code) == level and series[code]
    )
    if not members:
        raise InvalidInput(
            f"no {kind} {indicator} figures stored for level {level}: "
            "run `tumbuh import aggregates` first"
        )
    if year is None:
        year = max(y for code in members for y in series[code])
    targets = national_stunting_targets(session)
    national = series.get("ID", {}).get(year)
    items = []
    for code in members:
        rounds = series[code]
        name = max(by_region[code], key=lambda f: f.year).region_name
        items.append(
            assess_region(
                RegionSeries(code, name, tuple(rounds[y] for y in sorted(rounds))),
                year=year,
                kind=str(kind),
                level=level,
                national=national,
                province=series.get(code[:2], {}).get(year)
                if level != "province"
                else None,
                targets=targets,
                assumptions=assumptions,
                window=window,
            )
        )
    return WarningReport(
        kind=str(kind),
        level=level,
        year=year,
        confidences=tuple(sorted(used)),
        items=items,
    )


# --------------------------------------------------------------------------------------
# Routine series per kecamatan / desa / posyandu, from the register's measurements

ROUTINE_LEVELS = ("province", "kabkota", "kecamatan", "desa", "posyandu")
# Under-fives: age below 60 completed months = 60 x 30.4375 days (WHO anthro's month length).
UNDER_FIVE_DAYS = 1826
ROUTINE_LOOKBACK_YEARS = 2
#: The columns `routine_warning` reads, in order.
ROUTINE_COLUMNS = (
    "person_id",
    "measured_on",
    "desa_code",
    "posyandu_id",
    "zlen",
    "flen",
)


class RoutineRows:
    """Measurements read by `routine_warning`, kept by the (first, last) day read: shared
    between the calls of one transaction that judge the same period (several levels).

    ``read(date_from, date_to)``, if given, reads them instead of the ORM: it must run
    `routine_select`'s SQL and return its rows, in their order, as a frame of
    `ROUTINE_COLUMNS` (a caller's bulk reader).
    """

    def __init__(
        self,
        read: Callable[[dt.date | None, dt.date | None], pd.DataFrame] | None = None,
    ) -> None:
        self.read = read
        self.frames: dict[tuple[dt.date | None, dt.date | None], pd.DataFrame] = {}

    def get(
        self, session: Session, date_from: dt.date | None, date_to: dt.date | None
    ) -> pd.DataFrame:
        key = (date_from, date_to)
        if key not in self.frames:
            self.frames[key] = (
                _routine_frame(session, date_from, date_to)
                if self.read is None
                else self.read(date_from, date_to)
            )
        return self.frames[key]


def _routine_frame(
    session: Session, date_from: dt.date | None, date_to: dt.date | None
) -> pd.DataFrame:
    return pd.DataFrame(
        repository.routine_measurements(
            session,
            date_from=date_from,
            date_to=date_to,
            max_age_days=UNDER_FIVE_DAYS,
        ),
        columns=list(ROUTINE_COLUMNS),
    )


def routine_select(
    session: Session, date_from: dt.date | None, date_to: dt.date | None
) -> str:
    """The SQL `routine_warning` runs for the days given, its parameters written in."""
    return repository.routine_measurements_sql(
        session, date_from=date_from, date_to=date_to, max_age_days=UNDER_FIVE_DAYS
    )


_PERIOD_FREQ = {"year": "Y", "quarter": "Q", "month": "M"}


def has_register(session: Session) -> bool:
    """Whether the register has the measurement columns and at least one measurement."""
    if repository.missing_register_columns(session):
        return False
    return repository.latest_measurement_date(session, date_to=None) is not None


_JUDGE = {
    "year": re.compile(r"^\d{4}$"),
    "quarter": re.compile(r"^\d{4}-?Q[1-4]$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
}


def _judged(label: str, period: str) -> tuple[str, dt.date]:
    """A period label in ``period``'s frequency as pandas writes it, and its last day."""
    text = label.strip().upper()
    if not _JUDGE[period].match(text):
        raise InvalidInput(
            f"period {label!r} is not a {period} (2025, 2025-Q3, 2025-08)"
        )
    try:
        p = pd.Period(text.replace("-Q", "Q"), freq=_PERIOD_FREQ[period])
    except ValueError:
        raise InvalidInput(f"not a period: {label!r}") from None
    return str(p), p.end_time.date()


def _p(value: float, digits: int = 1) -> str:
    """A rate (0-1) as neutral percent points, for a reason."""
    return neutral(100 * float(value), digits)


def routine_warning(
    session: Session,
    *,
    level: str,
    year: int | None = None,
    period: str = "year",
    prob_threshold: float = smallarea.PROB_THRESHOLD,
    judge: str | None = None,
    rows: RoutineRows | None = None,
) -> WarningReport:
    """Shrunken stunting rates and trend status per kecamatan/desa/posyandu from measurements.

    One measurement per child per period (the last), children 0-59 months with a length/height-
    for-age z-score that is not flagged; stunted = zlen < -2. Rates are shrunk towards the
    parent region (desa → kecamatan, kecamatan → kab/kota, posyandu → desa) by
    `tumbuh.analytics.smallarea`, and the last two periods are compared.

    ``judge`` is the period judged (a label in ``period``'s frequency, e.g. 2025 or
    2025-08; the caller chooses it by completeness, `tumbuh.reports.periods`): rows after
    it are not read and a region without measurements in it gets ``no_data``. Without it,
    the latest period with data up to ``year``.

    ``rows``: kept by the caller between calls of one transaction (several levels of one
    period, e.g. the meeting pack): the measurements are read once per date range.
    """
    if level not in ROUTINE_LEVELS:
        raise InvalidInput(f"routine level must be one of {', '.join(ROUTINE_LEVELS)}")
    if period not in _PERIOD_FREQ:
        raise InvalidInput(
            f"unknown period '{period}' (expected year, quarter or month)"
        )
    missing = repository.missing_register_columns(session)
    if missing:
        raise InvalidInput(
            f"routine series per {level} need the register's measurements, but the "
            f"database lacks: {', '.join(missing)} (run the migrations / import e-PPGBM)"
        )
    date_to = dt.date(year, 12, 31) if year is not None else None
    if judge is not None:
        judge, date_to = _judged(judge, period)
    latest = repository.latest_measurement_date(session, date_to=date_to)
    # The last two periods of any region lie within the last few years; older
    # measurements need not be read.
    date_from = dt.date(latest.year - ROUTINE_LOOKBACK_YEARS, 1, 1) if latest else None
    frame = (
        _routine_frame(session, date_from, date_to)
        if rows is None
        else rows.get(session, date_from, date_to)
    )
    frame = frame[frame["zlen"].notna() & (frame["flen"].fillna(False) == False)]  # noqa: E712
    frame = frame[frame["desa_code"].notna()]
    if level == "posyandu":
        frame = frame[frame["posyandu_id"].notna()]
    if frame.empty:
        raise InvalidInput(
            "no scored measurements of under-fives in the register"
            + (f" up to {year}" if year is not None else "")
            + ": import an e-PPGBM export first (tumbuh import eppgbm)"
        )
    frame = frame.assign(
        measured_on=pd.to_datetime(frame["measured_on"]),
        desa_code=frame["desa_code"].astype(str),
    )
    frame["period"] = (
        frame["measured_on"].dt.to_period(_PERIOD_FREQ[period]).astype(str)
    )
    frame = frame.sort_values("measured_on").drop_duplicates(
        ["person_id", "period"], keep="last"
    )
    if level == "province":
        frame["region"] = frame["desa_code"].str[:2]
        frame["parent"] = "ID"
    elif level == "kabkota":
        frame["region"] = frame["desa_code"].str[:5]
        frame["parent"] = frame["desa_code"].str[:2]
    elif level == "desa":
        frame["region"] = frame["desa_code"]
        frame["parent"] = frame["desa_code"].str[:8]
    elif level == "kecamatan":
        frame["region"] = frame["desa_code"].str[:8]
        frame["parent"] = frame["desa_code"].str[:5]
    else:
        frame["region"] = frame["posyandu_id"].astype(int).astype(str)
        home = frame.groupby("region")["desa_code"].agg(lambda s: s.mode().iloc[0])
        frame["parent"] = frame["region"].map(home)
    frame["stunted"] = (frame["zlen"] < -2).astype(float)
    cells = (
        frame.groupby(["region", "parent", "period"], as_index=False)
        .agg(cases=("stunted", "sum"), n=("stunted", "size"))
        .sort_values(["region", "period"])
    )
    pooled = frame.groupby(["parent", "period"])["stunted"].mean()
    latest_period = str(cells["period"].max()) if judge is None else judge
    report_year = int(latest_period[:4])
    main_target = _pick_routine_target(session, report_year)
    result = smallarea.trend_status(
        region_ids=cells["region"].to_numpy(dtype=object),
        period=cells["period"].to_numpy(dtype=object),
        numerator=cells["cases"].to_numpy(dtype=float),
        denominator=cells["n"].to_numpy(dtype=float),
        parent_ids=cells["parent"].to_numpy(dtype=object),
        prob_threshold=prob_threshold,
        target=main_target.value_pct / 100 if main_target else None,
    )
    if level == "posyandu":
        names = {
            str(k): v
            for k, v in repository.facility_names(
                session, [int(r) for r in result.region_ids]
            ).items()
        }
    else:
        names = repository.region_names(session, [str(r) for r in result.region_ids])
    items = []
    for j, region in enumerate(result.region_ids):
        items.append(
            _routine_item(
                result,
                j,
                region=str(region),
                name=names.get(str(region), str(region)),
                level=level,
                latest_period=latest_period,
                report_year=report_year,
                pooled=pooled,
                target=main_target,
                threshold=prob_threshold,
            )
        )
    return WarningReport(
        kind=str(FigureKind.routine),
        level=level,
        year=report_year,
        confidences=(),
        items=items,
    )


def _pick_routine_target(session: Session, year: int) -> TargetRef | None:
    """The national target with the latest year within five years after ``year``."""
    ahead = [t for t in national_stunting_targets(session) if year < t.year <= year + 5]
    return max(ahead, key=lambda t: t.year) if ahead else None


def _routine_item(
    result: smallarea.TrendResult,
    j: int,
    *,
    region: str,
    name: str,
    level: str,
    latest_period: str,
    report_year: int,
    pooled: pd.Series,
    target: TargetRef | None,
    threshold: float,
) -> RegionWarning:
    parent = str(result.parent_ids[j])
    out = RegionWarning(
        region_code=region,
        region_name=name,
        level=level,
        kind=str(FigureKind.routine),
        year=report_year,
        status=Status(str(result.status[j])),
    )
    period = result.latest_period[j]
    n = result.latest_n[j]
    if period is None or not n > 0:
        out.status = Status.no_data
        out.say("routine.no_measurements")
        return out
    cases = int(round(result.latest_raw[j] * n))
    out.extra = {
        "period": period,
        "previous_period": result.previous_period[j],
        "n": int(n),
        "cases": cases,
        "raw_value": round(100 * float(result.latest_raw[j]), 2),
        "posterior_sd": round(100 * float(result.latest_sd[j]), 2),
        "prob_rose": (
            None
            if math.isnan(result.prob_rose[j])
            else round(float(result.prob_rose[j]), 3)
        ),
        "parent_code": parent,
    }
    if period != latest_period:
        out.status = Status.no_data
        out.previous_values = [
            {
                "period": period,
                "value_pct": round(100 * float(result.latest_rate[j]), 2),
            }
        ]
        out.say(
            "routine.none_in_period", period=str(latest_period),
            last_period=str(period), cases=str(cases), n=str(int(n)),
        )  # fmt: skip
        return out
    out.latest_value = round(100 * float(result.latest_rate[j]), 2)
    out.latest_source = "e-PPGBM"
    prior = float(pooled.get((parent, period), float("nan")))
    out.say(
        "routine.latest",
        period=str(period),
        cases=str(cases),
        n=str(int(n)),
        raw=_p(result.latest_raw[j]),
        parent=word(f"parent.{level}"),
        parent_code=parent,
        prior=_p(prior),
        rate=_p(result.latest_rate[j]),
        sd=_p(result.latest_sd[j]),
    )
    prev = result.previous_period[j]
    if prev is None:
        out.status = Status.no_data
        out.say("routine.one_period")
        return out
    n0 = result.previous_n[j]
    cases0 = int(round(result.previous_raw[j] * n0))
    out.previous_values = [
        {"period": prev, "value_pct": round(100 * float(result.previous_rate[j]), 2)}
    ]
    out.change_pct_points = 100 * float(result.latest_rate[j] - result.previous_rate[j])
    p_rose = float(result.prob_rose[j])
    out.rise_exceeds_uncertainty = (
        p_rose >= threshold if out.change_pct_points > 0 else None
    )
    out.say(
        "routine.previous", period=str(prev), cases=str(cases0), n=str(int(n0)),
        raw=_p(result.previous_raw[j]), rate=_p(result.previous_rate[j]),
    )  # fmt: skip
    out.say("routine.prob_rose", prob=_p(p_rose, 0), threshold=_p(threshold, 0))
    if out.status is Status.insufficient:
        out.say(
            "routine.too_few",
            few=str(int(min(n, n0))),
            least=str(smallarea.MIN_CHILDREN),
        )
    if target is not None:
        out.target = target.value_pct
        out.target_year = target.year
        out.target_basis = target.basis
        out.say(
            "routine.target", year=str(target.year),
            value=neutral(target.value_pct, 6, min_decimals=0), basis=target.basis,
        )  # fmt: skip
    out.say("routine.no_national")
    return out
