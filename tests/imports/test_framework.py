"""The import framework: declared columns, one header vocabulary, the shared run loop."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tumbuh.errors import ImportFileError
from tumbuh.imports.base import ChunkImport
from tumbuh.imports.context import Chunk, FileImport, row_keys
from tumbuh.register.models import QuarantinedRow
from tumbuh.register.regions import RegionResolver
from tumbuh.tabular.columns import Cells, Column, Columns, header_key
from tumbuh.tabular.issues import ImportReport, RowIssue
from tumbuh.tabular.readers import TableSource, open_table


class TestColumns:
    COLUMNS = Columns(
        Column("birth", ("Tgl Lahir", "Tanggal Lahir"), required=True),
        Column("kab", ("Kab/Kota", "Kabupaten")),
        Column("weight", ("Berat", "BB"), required=True),
    )

    def test_one_vocabulary_for_headers(self) -> None:
        assert header_key("\ufeff TGL_LAHIR\u00a0") == "tgl lahir"
        assert header_key("Kab / Kota") == header_key("kab-kota") == "kab kota"
        assert header_key("BB (kg):") == "bb kg"

    def test_match_takes_the_first_alias_found_and_keeps_the_written_header(
        self,
    ) -> None:
        found = self.COLUMNS.match(["Tanggal Lahir", "TGL. LAHIR", "kab / kota", "x"])
        assert found == {"birth": "TGL. LAHIR", "kab": "kab / kota"}

    def test_missing_required_columns_in_declared_order(self) -> None:
        assert [c.shown for c in self.COLUMNS.missing(["kab"])] == [
            "Tgl Lahir",
            "Berat",
        ]
        assert self.COLUMNS.required == ("birth", "weight")

    def test_field_of_a_header(self) -> None:
        assert self.COLUMNS.field_of("BB") == "weight"
        assert self.COLUMNS.field_of("Tinggi") is None

    def test_one_header_for_two_fields_is_refused_when_declared(self) -> None:
        with pytest.raises(ValueError, match="Kab_Kota"):
            Columns(Column("a", ("Kab/Kota",)), Column("b", ("Kab_Kota",)))


class Visits(ChunkImport):
    """A small format written the way docs/register.md says to add one."""

    KIND = "test-visits"
    COLUMNS = Columns(
        Column("nik", ("NIK",)),
        Column(
            "visited_on",
            ("Tanggal Kunjungan", "Tgl Kunjungan"),
            required=True,
            cells=Cells.date,
            row_required=True,
        ),
        Column("weight", ("Berat", "BB"), cells=Cells.number),
    )

    def __init__(self, ctx: FileImport, source: TableSource) -> None:
        super().__init__(ctx, source)
        self.weights: list[float] = []
        self.thresholds: list[tuple[int, int, int]] = []

    def chunk(self, chunk: Chunk) -> None:
        self.thresholds.append(gc.get_threshold())
        per_row: dict[int, list[RowIssue]] = {}
        self.dates(chunk, "visited_on", per_row)
        weights = self.numbers(chunk, "weight", per_row)
        nik = chunk.text("nik")
        dates = chunk.text("visited_on")
        for i in range(len(chunk)):
            if chunk.bad[i]:
                keys = row_keys((nik[i],), dates[i], None)
                self.ctx.reject(chunk, i, per_row.get(i, []), keys)
                self.ctx.report.rejected += 1
            else:
                self.weights.append(float(weights[i]))
                self.ctx.report.inserted += 1


def _run(session: Session, path: Path) -> tuple[Visits, ImportReport]:
    report = ImportReport(kind=Visits.KIND)
    ctx = FileImport(
        session=session,
        kind=Visits.KIND,
        file=path.name,
        report=report,
        regions=RegionResolver(),
    )
    fmt = Visits(ctx, open_table(path, chunk_rows=2))
    fmt.run()
    session.flush()
    return fmt, report


def test_a_new_format_gets_reading_issues_quarantine_and_the_loop(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "NIK;Tgl. Kunjungan;BB\n1;05/01/2025;9,5\n2;31/02/2025;10\n3;2025-03-01;x\n",
        encoding="utf-8",
    )
    before = gc.get_threshold()
    fmt, report = _run(session, path)
    assert (report.read, report.inserted, report.rejected) == (3, 2, 1)
    assert fmt.weights[0] == 9.5
    assert np.isnan(fmt.weights[1])  # "x" is an issue, not a row's rejection
    assert [(i.row, i.column, i.code) for i in report.issues] == [
        (3, "Tgl. Kunjungan", "invalid_date"),
        (4, "BB", "invalid_number"),
    ]
    held = session.scalars(
        select(QuarantinedRow.row).where(QuarantinedRow.kind == Visits.KIND)
    ).all()
    assert held == [3]
    # Fewer collections while importing (2 chunks), everything restored afterwards.
    assert len(fmt.thresholds) == 2
    assert all(t[0] > before[0] for t in fmt.thresholds)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_file_without_a_required_column_is_refused(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "nodate.csv"
    path.write_text("NIK,BB\n1,9\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="nodate.csv: .*Tanggal Kunjungan"):
        _run(session, path)
    assert session.scalar(select(func.count()).select_from(QuarantinedRow)) == 0
