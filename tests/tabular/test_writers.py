"""Writing tables to CSV / XLSX / Parquet, whole and chunk by chunk."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tumbuh.errors import InvalidInput
from tumbuh.tabular import writers
from tumbuh.tabular.writers import TableSink, format_from_path, write_table


def sample() -> pa.Table:
    return pa.table(
        {
            "name": pa.array(['Ani "A"', "Budi, B", None, "x\ny"]),
            "z": pa.array([0.19, -1.0, float("nan"), 68.10000000000001]),
            "flag": pa.array([1, 0, None, 0], pa.int8()),
            "dob": pa.array([dt.date(2023, 1, 2), None, None, dt.date(2020, 2, 29)]),
        }
    )


class TestCsv:
    def test_minimal_quoting_shortest_numbers_and_empty_nan(
        self, tmp_path: Path
    ) -> None:
        p = tmp_path / "o.csv"
        write_table(sample(), p)
        text = p.read_text(encoding="utf-8")
        assert text.splitlines()[0] == "name,z,flag,dob"
        assert text.splitlines()[1] == '"Ani ""A""",0.19,1,2023-01-02'
        rows = list(csv.reader(p.open(encoding="utf-8", newline="")))
        assert rows[2] == ["Budi, B", "-1", "0", ""]
        assert rows[3] == ["", "", "", ""]
        assert rows[4] == ["x\ny", "68.10000000000001", "0", "2020-02-29"]

    def test_chunks_append_under_one_header(self, tmp_path: Path) -> None:
        p = tmp_path / "o.csv"
        with TableSink(p) as sink:
            sink.write(sample().slice(0, 2))
            sink.write(sample().slice(2))
        back = pd.read_csv(p)
        assert list(back.columns) == ["name", "z", "flag", "dob"]
        assert len(back) == 4
        assert math.isnan(back["z"][2])

    def test_infinity_is_written(self, tmp_path: Path) -> None:
        p = tmp_path / "inf.csv"
        write_table(pa.table({"cbmi": [float("inf")]}), p)
        assert p.read_text().splitlines()[1] == "inf"


class TestXlsx:
    def test_header_bold_numbers_as_numbers_text_kept(self, tmp_path: Path) -> None:
        p = tmp_path / "o.xlsx"
        t = sample().append_column(
            "nik", pa.array(["6401010101010001", "12.5", "0012", None])
        )
        write_table(t, p)
        ws = openpyxl.load_workbook(p).active
        assert ws is not None
        assert ws["A1"].value == "name"
        assert ws["A1"].font.b
        assert ws["B2"].value == 0.19
        assert ws["C2"].value == 1
        assert ws["B4"].value is None  # NaN → empty
        assert ws["E2"].value == "6401010101010001"  # 16 digits stay text
        assert ws["E3"].value == 12.5  # plain number text → number
        assert ws["E4"].value == "0012"

    def test_row_limit_is_a_clear_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 3)
        with pytest.raises(
            InvalidInput, match=r"big\.xlsx: XLSX holds at most 3 data rows"
        ):
            write_table(sample(), tmp_path / "big.xlsx")


class TestParquet:
    def test_round_trip_keeps_types_and_appends_row_groups(
        self, tmp_path: Path
    ) -> None:
        p = tmp_path / "o.parquet"
        with TableSink(p) as sink:
            sink.write(sample().slice(0, 2))
            sink.write(sample().slice(2))
        back = pq.read_table(p)
        assert back.num_rows == 4
        assert back.schema.field("flag").type == pa.int8()
        assert pq.ParquetFile(p).num_row_groups == 2

    def test_pandas_frames_are_accepted(self, tmp_path: Path) -> None:
        p = tmp_path / "pd.parquet"
        write_table(pd.DataFrame({"a": [1, 2]}), p)
        assert pq.read_table(p).column("a").to_pylist() == [1, 2]


def test_unknown_extension_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"out\.json: unknown output format"):
        format_from_path("out.json")
