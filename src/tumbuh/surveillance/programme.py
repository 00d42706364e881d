"""Importing programme aggregates: counts an office publishes per region and year.

One row per (code, region_code, year): KUA marriages (a count, the denominator of catin
screening), unwanted pregnancies, understanding of stunting, ODF desa (numerator and
denominator). The import is idempotent (an upsert by that key: a row whose counts and source
are unchanged is ``unchanged``); a bad row becomes ``RowIssue``s naming the file, row, column
as written in the header and the reason in Bahasa Indonesia and English, and is skipped; good
rows are kept. The service flushes, never commits: the caller owns one transaction per file.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tumbuh.errors import ImportFileError
from tumbuh.i18n import translate
from tumbuh.surveillance import repository
from tumbuh.surveillance.models import COUNT_ONLY, AggregateCode, ProgrammeAggregate
from tumbuh.tabular.cells import read_row_cells
from tumbuh.tabular.columns import Cells, Column, Columns, header_key
from tumbuh.tabular.issues import ImportReport, RowIssue
from tumbuh.tabular.readers import ROW_COLUMN, open_table

__all__ = [
    "COLUMNS",
    "MIN_YEAR",
    "REQUIRED",
    "import_file",
    "is_programme_header",
]

#: Canonical columns, in the order of docs/templates.md §5.
COLUMNS = ("code", "region_code", "year", "numerator", "denominator", "source")
REQUIRED = ("code", "region_code", "year", "denominator")
# Header spellings (compared with tabular.columns.header_key), Indonesian first: the first
# one is named in messages.
_HEADERS = Columns(
    Column("code", ("kode", "kode_agregat", "agregat", "code", "aggregate")),
    Column("region_code", ("kode_wilayah", "region_code", "wilayah_kode")),
    Column("year", ("tahun", "year")),
    Column("numerator", ("pembilang", "numerator")),
    Column("denominator", ("penyebut", "denominator")),
    Column("source", ("sumber", "source")),
)
#: The first year a programme figure of Perpres 72/2021 can refer to is well after this;
#: earlier years are typing errors (e.g. 202 or 1925).
MIN_YEAR = 2000
_KEMENDAGRI = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


# The counts, read as declared (tabular.cells) chunk by chunk: whole numbers, none negative.
_COUNTS: dict[str, Column] = {
    f: Column(f, (f,), cells=Cells.number, whole=True, negative=False)
    for f in ("numerator", "denominator")
}
_Numbers = dict[str, tuple[Any, str | None]]


def _canon(name: str) -> str:
    return _HEADERS.field_of(name) or header_key(name).replace(" ", "_")


def is_programme_header(columns: list[str]) -> bool:
    """Whether a header is that of a programme-aggregates file (it has a denominator
    column: ``penyebut`` or ``denominator``)."""
    return any(_HEADERS.field_of(c) == "denominator" for c in columns)


@dataclass
class _Row:
    file: str
    row: int
    cells: Mapping[str, str]
    headers: Mapping[str, str]  # canonical name -> header as written in the file
    issues: list[RowIssue] = field(default_factory=list)
    # Declared count columns, read for the whole chunk: (value, first problem code).
    numbers: Mapping[str, tuple[Any, str | None]] = field(default_factory=dict)

    def text(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    def problem(
        self, where: str | None, issue: str, key: str, /, **values: object
    ) -> None:
        """A problem of this row, said by catalogue entry ``key`` (``prog.issue.*``) in
        both languages (the report's message_id/message_en)."""
        message_id = translate(key, "id", **values)
        en = translate(key, "en", **values)
        self.issues.append(
            RowIssue(
                file=self.file,
                row=self.row,
                column=self.headers.get(where, where) if where else None,
                code=issue,
                message_id=message_id,
                message_en=en,
                value=self.cells.get(where) if where else None,
            )
        )

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            name = self.headers.get(column, column)
            self.problem(
                column, "missing_value", "agg.issue.missing_value", column=name
            )
        return value

    def count(self, column: str, *, required: bool) -> int | None:
        """A non-negative whole number (``1.234`` and ``1,234`` are thousands), read with
        the chunk as `_COUNTS` declares."""
        raw = self.required(column) if required else self.text(column)
        if not raw:
            return None
        value, problem = self.numbers.get(column, (math.nan, "invalid_number"))
        name = self.headers.get(column, column)
        if problem == "negative_value":
            self.problem(
                column,
                "negative_count",
                "prog.issue.negative_count",
                column=name,
                value=raw,
            )
            return None
        if problem is not None or math.isnan(value):  # `-`, `NA` too: not a count
            self.problem(
                column,
                "invalid_count",
                "prog.issue.invalid_count",
                column=name,
                value=raw,
            )
            return None
        return int(value)


def _read(
    path: Path,
) -> tuple[dict[str, str], Iterator[tuple[int, dict[str, str], _Numbers]]]:
    src = open_table(path)
    names = [_canon(c) for c in src.columns]
    headers: dict[str, str] = {}
    for name, raw in zip(names, src.columns, strict=True):
        headers.setdefault(name, raw.strip())
    missing = [_HEADERS[c].shown for c in REQUIRED if c not in headers]
    if missing:
        raise ImportFileError(
            f"{path.name}: missing column(s) {', '.join(missing)} for a programme "
            "aggregates file (kode, kode_wilayah, tahun, pembilang, penyebut, sumber; "
            "docs/templates.md §5)"
        )
    keys = src.keys
    # The same column as `cells` below (of two headers with one name, the first).
    by_name: dict[str, str] = {}
    for name, key in zip(names, keys, strict=True):
        by_name.setdefault(name, key)
    declared = {f: (col, by_name[f]) for f, col in _COUNTS.items() if f in by_name}

    def rows() -> Iterator[tuple[int, dict[str, str], _Numbers]]:
        for chunk in src.chunks():
            numbers = read_row_cells(chunk, declared)
            for i, rec in enumerate(chunk.to_pylist()):
                cells: dict[str, str] = {}
                for name, key in zip(names, keys, strict=True):
                    cells.setdefault(name, rec.get(key) or "")
                yield (
                    int(rec[ROW_COLUMN]),
                    cells,
                    {f: values[i] for f, values in numbers.items()},
                )

    return headers, rows()


def import_file(
    session: Session,
    *,
    path: Path,
    known_regions: Container[str],
    today: dt.date | None = None,
) -> ImportReport:
    """Import one programme-aggregates file; the caller commits (one transaction per file).

    ``known_regions``: the Kemendagri codes a row may name (the bundled master).
    """
    headers, rows = _read(path)
    last_year = (today or dt.date.today()).year
    report = ImportReport(kind="aggregates:programme", files=[path.name])
    seen: dict[tuple[str, str, int], int] = {}
    for row_no, cells, numbers in rows:
        report.read += 1
        row = _Row(
            file=path.name, row=row_no, cells=cells, headers=headers, numbers=numbers
        )
        outcome = _import_row(session, row, seen, known_regions, last_year)
        report.issues.extend(row.issues)
        if outcome is None:
            report.rejected += 1
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    session.flush()
    return report


def _code(row: _Row) -> str | None:
    raw = row.required("code")
    if not raw:
        return None
    code = raw.strip().lower()
    if code not in {c.value for c in AggregateCode}:
        allowed = ", ".join(c.value for c in AggregateCode)
        row.problem(
            "code",
            "unknown_aggregate",
            "prog.issue.unknown_aggregate",
            value=raw,
            allowed=allowed,
        )
        return None
    return code


def _region(row: _Row, known: Container[str]) -> str | None:
    code = row.required("region_code")
    if not code:
        return None
    if not _KEMENDAGRI.match(code) or code not in known:
        row.problem(
            "region_code",
            "region_not_found",
            "prog.issue.region_not_found",
            value=code,
        )
        return None
    return code


def _year(row: _Row, last_year: int) -> int | None:
    raw = row.required("year")
    if not raw:
        return None
    ok = re.fullmatch(r"\d{4}(?:[.,]0+)?", raw)
    year = int(raw[:4]) if ok else None
    if year is None or not MIN_YEAR <= year <= last_year:
        name = row.headers.get("year", "year")
        row.problem(
            "year",
            "invalid_year",
            "prog.issue.invalid_year",
            column=name,
            value=raw,
            first=MIN_YEAR,
            last=last_year,
        )
        return None
    return year


def _counts(row: _Row, code: str | None) -> tuple[int | None, int | None, bool]:
    """(numerator, denominator, ok) with the checks that relate them to the code."""
    num = row.count("numerator", required=False)
    den = row.count("denominator", required=True)
    num_name = row.headers.get("numerator", "pembilang")
    if code in COUNT_ONLY and row.text("numerator"):
        row.problem(
            "numerator",
            "unexpected_numerator",
            "prog.issue.unexpected_numerator",
            code=code,
            denominator=row.headers["denominator"],
            numerator=num_name,
        )
        return None, den, False
    if code is not None and code not in COUNT_ONLY and not row.text("numerator"):
        row.problem(
            "numerator",
            "missing_value",
            "prog.issue.missing_numerator",
            numerator=num_name,
            code=code,
        )
        return None, den, False
    if num is not None and den is not None and num > den:
        row.problem(
            "numerator",
            "numerator_exceeds_denominator",
            "prog.issue.numerator_exceeds_denominator",
            numerator=num_name,
            num=num,
            denominator=row.headers["denominator"],
            den=den,
        )
        return num, den, False
    return num, den, True


def _import_row(
    session: Session,
    row: _Row,
    seen: dict[tuple[str, str, int], int],
    known: Container[str],
    last_year: int,
) -> str | None:
    code = _code(row)
    region = _region(row, known)
    year = _year(row, last_year)
    num, den, counts_ok = _counts(row, code)
    if code == AggregateCode.desa_odf and region is not None and region.count(".") == 3:
        if den is not None and den != 1:
            row.problem(
                "denominator",
                "odf_desa_not_one",
                "prog.issue.odf_desa_not_one",
                den=den,
            )
            counts_ok = False
    # Every issue of this importer is an error: a row with any is skipped whole.
    if row.issues or not counts_ok:
        return None
    if code is None or region is None or year is None or den is None:
        return None
    key = (code, region, year)
    first = seen.get(key)
    if first is not None:
        row.problem(
            None,
            "duplicate_row",
            "prog.issue.duplicate_row",
            first=first,
        )
        return None
    seen[key] = row.row
    source = row.text("source")
    existing = repository.get_programme_aggregate(
        session, code=code, region_code=region, year=year
    )
    if existing is None:
        session.add(
            ProgrammeAggregate(
                code=code,
                region_code=region,
                year=year,
                numerator=num,
                denominator=den,
                source=source,
            )
        )
        return "inserted"
    if (existing.numerator, existing.denominator, existing.source) == (
        num,
        den,
        source,
    ):
        return "unchanged"
    existing.numerator, existing.denominator, existing.source = num, den, source
    return "updated"
