"""Reading CSV / XLSX / HTML-xls / Parquet into all-text chunks with person-visible row numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tumbuh.errors import ImportFileError
from tumbuh.tabular.readers import ROW_COLUMN, open_table


def read_all(
    path: Path, **kw: object
) -> tuple[list[str], int, dict[str, list[object]]]:
    src = open_table(path, **kw)  # type: ignore[arg-type]
    tables = list(src.chunks())
    table = pa.concat_tables(tables) if tables else None
    data = table.to_pydict() if table is not None else {}
    return src.columns, src.header_line, data


class TestCsv:
    def test_reads_a_comma_csv_as_trimmed_text_with_row_numbers(
        self, tmp_path: Path
    ) -> None:
        p = tmp_path / "a.csv"
        p.write_text("Nama , JK,Berat\nAni,P, 12.5 \nBudi,L,\n", encoding="utf-8")
        cols, header, data = read_all(p)
        assert cols == ["Nama", "JK", "Berat"]
        assert header == 1
        assert data["Nama"] == ["Ani", "Budi"]
        assert data["Berat"] == ["12.5", None]
        assert data[ROW_COLUMN] == [2, 3]

    def test_semicolon_bom_and_preamble_are_handled(self, tmp_path: Path) -> None:
        p = tmp_path / "b.csv"
        text = "Data Tanggal : 01-11-2025;;;\n\nNama;JK;Berat;Tinggi\nAni;P;12,5;80,1\nBudi;L;9;70\n"
        p.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
        src = open_table(p)
        assert src.delimiter == ";"
        assert src.columns == ["Nama", "JK", "Berat", "Tinggi"]
        assert src.header_line == 3
        data = pa.concat_tables(list(src.chunks())).to_pydict()
        assert data["Berat"] == ["12,5", "9"]
        assert data[ROW_COLUMN] == [4, 5]

    def test_nbsp_in_header_and_cells_is_trimmed(self, tmp_path: Path) -> None:
        p = tmp_path / "c.csv"
        p.write_text("JK\xa0,Berat\nL\xa0,\xa0 7\n", encoding="utf-8")
        cols, _, data = read_all(p)
        assert cols == ["JK", "Berat"]
        assert data["JK"] == ["L"]
        assert data["Berat"] == ["7"]

    def test_latin1_file_is_decoded(self, tmp_path: Path) -> None:
        p = tmp_path / "d.csv"
        p.write_bytes("Nama,Kota\nJosé,Bontang\n".encode("cp1252"))
        src = open_table(p)
        assert src.encoding == "cp1252"
        data = pa.concat_tables(list(src.chunks())).to_pydict()
        assert data["Nama"] == ["José"]

    def test_tab_separated_file(self, tmp_path: Path) -> None:
        p = tmp_path / "t.csv"
        p.write_text("a\tb\n1\t2\n3\t4\n", encoding="utf-8")
        cols, _, data = read_all(p)
        assert cols == ["a", "b"]
        assert data["b"] == ["2", "4"]

    def test_ragged_rows_blank_lines_and_quoted_newlines_keep_true_line_numbers(
        self, tmp_path: Path
    ) -> None:
        p = tmp_path / "e.csv"
        p.write_text('a,b,c\n1,2,3\n\n4,5\n"x\ny",7,8\n9,10,11\n', encoding="utf-8")
        _, _, data = read_all(p)
        assert data["a"] == ["1", "4", "x\ny", "9"]
        assert data["c"] == ["3", None, "8", "11"]
        assert data[ROW_COLUMN] == [2, 4, 5, 7]

    def test_chunks_respect_chunk_rows_and_number_rows_across_chunks(
        self, tmp_path: Path
    ) -> None:
        p = tmp_path / "f.csv"
        p.write_text(
            "x,y\n" + "".join(f"{i},{i * 2}\n" for i in range(25)), encoding="utf-8"
        )
        chunks = list(open_table(p, chunk_rows=10).chunks())
        assert [c.num_rows for c in chunks] == [10, 10, 5]
        assert chunks[2][ROW_COLUMN].to_pylist() == [22, 23, 24, 25, 26]
        assert chunks[1]["y"].to_pylist()[0] == "20"

    def test_duplicate_headers_get_unique_keys(self, tmp_path: Path) -> None:
        p = tmp_path / "g.csv"
        p.write_text("a,a,b\n1,2,3\n", encoding="utf-8")
        src = open_table(p)
        assert src.columns == ["a", "a", "b"]
        assert src.keys == ["a", "a#2", "b"]
        assert next(iter(src.chunks()))["a#2"].to_pylist() == ["2"]

    def test_raw_view_keeps_cells_untrimmed(self, tmp_path: Path) -> None:
        p = tmp_path / "h.csv"
        p.write_text("a,b\n x ,\n", encoding="utf-8")
        raw = next(iter(open_table(p).chunks(text=False)))
        assert raw["a"].to_pylist() == [" x "]
        assert raw["b"].to_pylist() == [""]


class TestErrors:
    def test_missing_file_names_the_file(self, tmp_path: Path) -> None:
        with pytest.raises(
            ImportFileError, match=r"nope\.csv: cannot read file: file not found"
        ):
            open_table(tmp_path / "nope.csv")

    def test_empty_file(self, tmp_path: Path) -> None:
        p = tmp_path / "empty.csv"
        p.write_bytes(b"")
        with pytest.raises(ImportFileError, match="empty.csv"):
            open_table(p)

    def test_damaged_xlsx(self, tmp_path: Path) -> None:
        p = tmp_path / "bad.xlsx"
        p.write_bytes(b"PK\x03\x04 not really a zip")
        with pytest.raises(ImportFileError, match=r"bad\.xlsx"):
            open_table(p)

    def test_binary_junk(self, tmp_path: Path) -> None:
        p = tmp_path / "junk.csv"
        p.write_bytes(b"\x00\x01\x02" * 100)
        with pytest.raises(ImportFileError, match="junk.csv"):
            open_table(p)


class TestXlsx:
    def test_values_read_as_a_person_sees_them(self, tmp_path: Path) -> None:
        p = tmp_path / "a.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["Laporan Posyandu Mawar"])
        ws.append([])
        ws.append(["Nama", "Tgl Lahir", "Berat", "Umur", "Kode"])
        ws.append(["Ani", dt.datetime(2023, 5, 1), 12.5, 24.0, "45322"])
        ws.append(["Budi", dt.date(2022, 1, 31), 9, 30, "0012"])
        wb.save(p)
        cols, header, data = read_all(p)
        assert cols == ["Nama", "Tgl Lahir", "Berat", "Umur", "Kode"]
        assert header == 3
        assert data["Tgl Lahir"] == ["2023-05-01", "2022-01-31"]
        assert data["Berat"] == ["12.5", "9"]
        assert data["Umur"] == ["24", "30"]
        assert data["Kode"] == ["45322", "0012"]  # text cells stay text
        assert data[ROW_COLUMN] == [4, 5]

    def test_named_sheet_and_unknown_sheet(self, tmp_path: Path) -> None:
        p = tmp_path / "s.xlsx"
        wb = openpyxl.Workbook()
        wb.create_sheet("Balita").append(["JK", "Berat"])
        wb["Balita"].append(["L", 7])
        wb.save(p)
        _, _, data = read_all(p, sheet="Balita")
        assert data["JK"] == ["L"]
        with pytest.raises(ImportFileError, match="no sheet named 'X'"):
            open_table(p, sheet="X")


class TestHtmlXls:
    def test_html_table_saved_as_xls_is_read(self, tmp_path: Path) -> None:
        p = tmp_path / "eppgbm.xls"
        p.write_text(
            "<html><body><table>"
            "<tr><td colspan='3'>Data Tanggal : 01-11-2025</td></tr>"
            "<tr><th>Nama</th><th>JK</th><th>Berat</th></tr>"
            "<tr><td>Ani&nbsp;</td><td>P</td><td>12,5</td></tr>"
            "<tr><td>Budi</td><td>L</td><td></td></tr>"
            "</table></body></html>",
            encoding="utf-8",
        )
        src = open_table(p)
        assert src.format == "html"
        assert src.columns == ["Nama", "JK", "Berat"]
        data = pa.concat_tables(list(src.chunks())).to_pydict()
        assert data["Nama"] == ["Ani", "Budi"]
        assert data["Berat"] == ["12,5", None]
        assert data[ROW_COLUMN] == [3, 4]

    def test_real_legacy_xls_without_xlrd_is_a_clear_error(
        self, tmp_path: Path
    ) -> None:
        p = tmp_path / "old.xls"
        p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
        with pytest.raises(ImportFileError, match=r"old\.xls"):
            open_table(p)


class TestParquet:
    def test_native_types_and_text_view(self, tmp_path: Path) -> None:
        p = tmp_path / "a.parquet"
        table = pa.table(
            {
                "sex": pa.array([1, 2], pa.int64()),
                "weight": pa.array([12.5, None], pa.float64()),
                "dob": pa.array(
                    [dt.date(2023, 1, 2), dt.date(2022, 3, 4)], pa.date32()
                ),
            }
        )
        pq.write_table(table, p, row_group_size=1)
        src = open_table(p)
        assert src.format == "parquet"
        native = pa.concat_tables(list(src.chunks(text=False)))
        assert native.schema.field("weight").type == pa.float64()
        text = pa.concat_tables(list(src.chunks())).to_pydict()
        assert text["sex"] == ["1", "2"]
        assert text["weight"] == ["12.5", None]
        assert text["dob"] == ["2023-01-02", "2022-03-04"]
        assert text[ROW_COLUMN] == [2, 3]


class TestCsvBlocks:
    def test_blocks_cut_outside_quotes_and_keep_every_row(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from tumbuh.tabular import readers

        monkeypatch.setattr(readers, "_BLOCK_BYTES", 64)
        p = tmp_path / "q.csv"
        body = "".join(f'{i},"alamat\n{i}","Jl. Mawar ""B{i}"""\n' for i in range(40))
        p.write_text("no,alamat,catatan\n" + body, encoding="utf-8")
        src = open_table(p)
        data = pa.concat_tables(list(src.chunks())).to_pydict()
        assert data["no"] == [str(i) for i in range(40)]
        assert data["alamat"][7] == "alamat\n7"
        assert data["catatan"][39] == 'Jl. Mawar "B39"'
        assert data[ROW_COLUMN][:3] == [2, 4, 6]

    def test_a_stray_quote_does_not_swallow_the_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from tumbuh.tabular import readers

        monkeypatch.setattr(readers, "_BLOCK_BYTES", 32)
        p = tmp_path / "stray.csv"
        stray = ' "B'
        rows = "".join(f"{i},Jl. Mawar{stray if i == 3 else ''}\n" for i in range(200))
        p.write_text("no,alamat\n" + rows, encoding="utf-8")
        data = pa.concat_tables(list(open_table(p).chunks())).to_pydict()
        assert data["no"] == [str(i) for i in range(200)]
        assert data["alamat"][3] == 'Jl. Mawar "B'
        assert data[ROW_COLUMN][-1] == 201
