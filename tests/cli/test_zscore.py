"""`tumbuh zscore`: tables in, the same tables plus WHO z-scores out."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.errors import ImportFileError
from tumbuh.growth import zscores

REF = Path(__file__).resolve().parents[1] / "data" / "reference"
# WHO anthro prints z-scores with 2 decimals; any difference of a rounding step or more
# is a real disagreement, so compare with half a step.
Z_ATOL = 0.005
ANTHRO_OUT = (
    "clenhei,cmeasure,c9mo_flag,cbmi,csex,zlen,flen,zwei,fwei,zwfl,fwfl,zbmi,fbmi,"
    "zhc,fhc,zac,fac,zts,fts,zss,fss"
).split(",")
ANTHRO_IN = "sex,age,weight,lenhei,measure,oedema,headc,armc,triskin,subskin".split(",")

runner = CliRunner()


def run(*args: str | Path) -> object:
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result


def read_text_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def assert_same_values(expected: pd.Series, got: pd.Series, name: str) -> None:
    """Numbers within Z_ATOL (clenhei/cbmi 1e-9 relative), text equal, missing where missing."""
    exp = pd.to_numeric(
        expected.replace({"Inf": "inf", "-Inf": "-inf"}), errors="coerce"
    )
    obs = pd.to_numeric(got, errors="coerce")
    text_col = exp.isna().all() and (expected != "").any()
    if text_col:
        assert expected.tolist() == got.tolist(), name
        return
    e, o = exp.to_numpy(float), obs.to_numpy(float)
    missing_e, missing_o = np.isnan(e), np.isnan(o)
    where = np.flatnonzero(missing_e != missing_o)
    assert where.size == 0, f"{name}: missing differs at rows {where[:10].tolist()}"
    tol = (
        1e-9 * np.maximum(1, np.abs(np.nan_to_num(e)))
        if name in ("clenhei", "cbmi")
        else Z_ATOL
    )
    with np.errstate(invalid="ignore"):
        close = (e == o) | (np.abs(e - o) <= tol) | (missing_e & missing_o)
    where = np.flatnonzero(~close)
    assert where.size == 0, (
        f"{name}: differs at rows {where[:10].tolist()}: {e[where[:5]]} vs {o[where[:5]]}"
    )


class TestWhoReferenceCases:
    def test_anthro_public_cases_in_days_match_who_anthro(self, tmp_path: Path) -> None:
        ref = read_text_csv(REF / "anthro_zscores_public.csv")
        ref = ref[ref["is_age_in_month"] == "FALSE"].reset_index(drop=True)
        src = tmp_path / "in.csv"
        ref[ANTHRO_IN].to_csv(src, index=False)
        out = tmp_path / "out.csv"
        run("zscore", src, "-o", out)
        got = read_text_csv(out)
        assert len(got) == len(ref)
        assert got.columns.tolist()[: len(ANTHRO_IN)] == ANTHRO_IN
        for col in ANTHRO_IN:
            assert got[col].tolist() == ref[col].tolist(), col
        for col in ANTHRO_OUT:
            assert_same_values(ref[col], got[col], col)
        # A row has an issue exactly when WHO anthro flags one of its z-scores.
        flags = [c for c in ANTHRO_OUT if c.startswith("f")]
        flagged = (ref[flags] == "1").any(axis=1)
        assert flagged.sum() > 0
        assert ((got["issues"] != "") == flagged).all()
        assert got.loc[flagged, "issues"].str.contains("flagged").all()

    def test_full_anthro_file_with_is_age_in_month_column(self, tmp_path: Path) -> None:
        """The whole public file as is: months rows are scored as months."""
        ref = read_text_csv(REF / "anthro_zscores_public.csv")
        src = tmp_path / "in.csv"
        ref[["case_id", "is_age_in_month", *ANTHRO_IN]].to_csv(src, index=False)
        out = tmp_path / "out.csv"
        run("zscore", src, "-o", out)
        got = read_text_csv(out)
        assert (ref["is_age_in_month"] == "TRUE").sum() > 100
        for col in ANTHRO_OUT:
            assert_same_values(ref[col], got[col], col)

    def test_anthroplus_public_cases_match_who_anthroplus(self, tmp_path: Path) -> None:
        ref = read_text_csv(REF / "anthroplus_zscores_public.csv")
        src = tmp_path / "plus.csv"
        ref[["sex", "age_in_months", "oedema", "height_in_cm", "weight_in_kg"]].to_csv(
            src, index=False
        )
        out = tmp_path / "plus_out.csv"
        run("zscore", src, "-o", out, "--standard", "who2007")
        got = read_text_csv(out)
        assert len(got) == len(ref)
        for col in ["cbmi", "zhfa", "fhfa", "zwfa", "fwfa", "zbfa", "fbfa"]:
            assert_same_values(ref[col], got[col], col)

    def test_anthroplus_with_renamed_columns_and_months_flag(
        self, tmp_path: Path
    ) -> None:
        ref = read_text_csv(REF / "anthroplus_zscores_public.csv")
        src = tmp_path / "plus.csv"
        ren = ref.rename(
            columns={
                "age_in_months": "age",
                "height_in_cm": "lenhei",
                "weight_in_kg": "weight",
            }
        )
        ren[["sex", "age", "weight", "lenhei", "oedema"]].to_csv(src, index=False)
        out = tmp_path / "plus_out.csv"
        run("zscore", src, "-o", out, "--standard", "who2007", "--age-unit", "months")
        got = read_text_csv(out)
        for col in ["zhfa", "fhfa", "zwfa", "fwfa", "zbfa", "fbfa"]:
            assert_same_values(ref[col], got[col], col)


def write_small(
    path: Path, sep: str = ",", decimal: str = ".", bom: bool = False
) -> None:
    rows = [
        ["Nama", "sex", "age", "weight", "lenhei", "measure"],
        ["Ani", "2", "400", "9.1", "75.3", "l"],
        ["Budi", "1", "1000", "12.0", "88.0", "h"],
        [" Citra ", "2", "1500", "14.25", "96.7", "h"],
    ]
    text = "\n".join(
        sep.join(c.replace(".", decimal) if c[:1].isdigit() else c for c in r)
        for r in rows
    )
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (text + "\n").encode("utf-8"))


class TestFormats:
    def test_csv_keeps_input_columns_and_appends_anthro_columns(
        self, tmp_path: Path
    ) -> None:
        src, out = tmp_path / "a.csv", tmp_path / "a_z.csv"
        write_small(src)
        run("zscore", src, "-o", out)
        got = read_text_csv(out)
        assert got.columns.tolist()[:6] == [
            "Nama",
            "sex",
            "age",
            "weight",
            "lenhei",
            "measure",
        ]
        assert got.columns.tolist()[6:8] == ["clenhei", "cmeasure"]
        assert got.columns.tolist()[-1] == "issues"
        assert got["Nama"].tolist() == ["Ani", "Budi", " Citra "]  # original text
        exp = zscores(sex=[2, 1, 2], age_days=[400, 1000, 1500], weight_kg=[9.1, 12.0, 14.25],
                      lenhei_cm=[75.3, 88.0, 96.7], measure=["l", "h", "h"])  # fmt: skip
        assert got["zlen"].astype(float).tolist() == exp.zlen.tolist()
        assert got["zwfl"].astype(float).tolist() == exp.zwfl.tolist()
        assert got["cat_tbu"].tolist() == exp.cat_tbu.tolist()

    def test_semicolon_decimal_comma_bom_gives_the_same_scores(
        self, tmp_path: Path
    ) -> None:
        a, b = tmp_path / "a.csv", tmp_path / "b.csv"
        write_small(a)
        write_small(b, sep=";", decimal=",", bom=True)
        run("zscore", a, "-o", tmp_path / "a_z.csv")
        run("zscore", b, "-o", tmp_path / "b_z.csv")
        za, zb = (
            read_text_csv(tmp_path / "a_z.csv"),
            read_text_csv(tmp_path / "b_z.csv"),
        )
        assert zb.columns.tolist() == za.columns.tolist()
        assert zb["weight"].tolist() == ["9,1", "12,0", "14,25"]
        for col in ANTHRO_OUT:
            assert zb[col].tolist() == za[col].tolist(), col

    def test_xlsx_round_trip(self, tmp_path: Path) -> None:
        src, out = tmp_path / "a.xlsx", tmp_path / "a_z.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["Laporan"])
        ws.append(["Nama", "JK", "Umur", "BB", "TB", "Cara Ukur"])
        ws.append(["Ani", "P", 400, 9.1, 75.3, "Terlentang"])
        ws.append(["Budi", "L", 1000, 12, 88.0, "Berdiri"])
        wb.save(src)
        run("zscore", src, "-o", out)
        back = openpyxl.load_workbook(out).active
        assert back is not None
        values = list(back.iter_rows(values_only=True))
        header = list(values[0])
        assert header[:6] == ["Nama", "JK", "Umur", "BB", "TB", "Cara Ukur"]
        row1 = dict(zip(header, values[1], strict=True))
        assert row1["Nama"] == "Ani"
        assert row1["Umur"] == 400  # numbers stay numbers
        exp = zscores(sex=2, age_days=400, weight_kg=9.1, lenhei_cm=75.3, measure="l")
        assert row1["zlen"] == exp.zlen[0]
        assert row1["flen"] == 0
        assert row1["issues"] is None

    def test_parquet_in_and_out_keeps_native_types(self, tmp_path: Path) -> None:
        src, out = tmp_path / "a.parquet", tmp_path / "a_z.parquet"
        pq.write_table(
            pa.table({
                "id": pa.array([7, 8], pa.int64()),
                "sex": pa.array([1, 2], pa.int64()),
                "age": pa.array([400.0, 1000.0]),
                "weight": pa.array([9.1, None]),
                "lenhei": pa.array([75.3, 88.0]),
            }),
            src,
        )  # fmt: skip
        run("zscore", src, "-o", out)
        back = pq.read_table(out)
        assert back.schema.field("id").type == pa.int64()
        assert back.column("id").to_pylist() == [7, 8]
        exp = zscores(sex=[1, 2], age_days=[400, 1000], weight_kg=[9.1, np.nan],
                      lenhei_cm=[75.3, 88.0])  # fmt: skip
        assert back.column("zlen").to_pylist() == exp.zlen.tolist()
        assert back.column("zwei").to_pylist()[1] is None

    def test_csv_to_parquet_and_xlsx_outputs(self, tmp_path: Path) -> None:
        src = tmp_path / "a.csv"
        write_small(src)
        run("zscore", src, "-o", tmp_path / "o.parquet")
        run("zscore", src, "-o", tmp_path / "o.xlsx")
        t = pq.read_table(tmp_path / "o.parquet")
        assert t.schema.field("zlen").type == pa.float64()
        assert t.column("Nama").to_pylist()[2] == " Citra "
        ws = openpyxl.load_workbook(tmp_path / "o.xlsx").active
        assert ws is not None
        assert ws.max_row == 4


class TestEppgbm:
    def test_eppgbm_headers_dates_and_codes(self, tmp_path: Path) -> None:
        src = tmp_path / "eppgbm.csv"
        src.write_text(
            "Data Tanggal : 01-11-2025;;;;;;;;\n"
            "No;NIK;Nama;JK;Tgl Lahir;Usia Saat Ukur;Tanggal Pengukuran;Berat;Tinggi;Cara Ukur;LiLA\n"
            "1;6401010101230001;Ani;P;01/10/2023;2 Tahun - 1 Bulan - 0 Hari;01/11/2025;11,2;84,5;Berdiri;14,1\n"
            "2;6401010101240002;Budi;L;15-03-2025;0 Tahun - 7 Bulan - 17 Hari;01-11-2025;7,9;66,0;Terlentang;\n",
            encoding="utf-8",
        )
        out = tmp_path / "eppgbm_z.csv"
        result = run("--lang", "en", "zscore", src, "-o", out)
        got = read_text_csv(out)
        assert got["NIK"].tolist() == ["6401010101230001", "6401010101240002"]
        age = [(np.datetime64("2025-11-01") - np.datetime64(d)).astype(int)
               for d in ("2023-10-01", "2025-03-15")]  # fmt: skip
        exp = zscores(sex=[2, 1], age_days=age, weight_kg=[11.2, 7.9], lenhei_cm=[84.5, 66.0],
                      measure=["h", "l"], armc_cm=[14.1, np.nan])  # fmt: skip
        for col in ("zlen", "zwei", "zwfl", "zac"):
            obs = pd.to_numeric(got[col]).to_numpy()
            np.testing.assert_array_equal(obs, getattr(exp, col), err_msg=col)
        assert got["age_days"].tolist() == [str(a) for a in age]
        assert "age from dates" in result.stderr  # type: ignore[attr-defined]


class TestBadRows:
    def test_bad_values_leave_outputs_empty_and_say_why(self, tmp_path: Path) -> None:
        src = tmp_path / "bad.csv"
        src.write_text(
            "id,sex,age,weight,lenhei\n"
            "1,1,400,9.5,76\n"
            "2,X,400,9.5,76\n"
            "3,2,-5,9.5,76\n"
            "4,2,400,sembilan,76\n"
            "5,2,500,9.0,77\n",
            encoding="utf-8",
        )
        out = tmp_path / "bad_z.csv"
        run("zscore", src, "-o", out)
        got = read_text_csv(out)
        assert got["id"].tolist() == ["1", "2", "3", "4", "5"]
        assert got["issues"][0] == ""
        assert got["issues"][4] == ""
        assert "sex" in got["issues"][1]
        assert "'X'" in got["issues"][1]
        assert "negative age" in got["issues"][2]
        assert "not a number" in got["issues"][3]
        assert "'sembilan'" in got["issues"][3]
        for i in (1, 2, 3):
            assert got["zlen"][i] == ""
            assert got["zwei"][i] == ""
            assert got["clenhei"][i] == ""
        assert got["zlen"][0] != ""
        assert got["zlen"][4] != ""

    def test_missing_required_columns_is_an_error_naming_them(
        self, tmp_path: Path
    ) -> None:
        src = tmp_path / "x.csv"
        src.write_text("a,b\n1,2\n", encoding="utf-8")
        result = runner.invoke(app, ["zscore", str(src), "-o", str(tmp_path / "o.csv")])
        assert result.exit_code == 1
        assert "no column for sex" in str(result.exception)


class TestUnreadable:
    def test_missing_file_raises_import_file_error(self, tmp_path: Path) -> None:
        result = runner.invoke(
            app, ["zscore", str(tmp_path / "gone.csv"), "-o", str(tmp_path / "o.csv")]
        )
        assert result.exit_code == 1
        assert isinstance(result.exception, ImportFileError)
        assert "gone.csv" in str(result.exception)
        assert not (tmp_path / "o.csv").exists()

    def test_console_prints_one_line_and_exits_1(self, tmp_path: Path) -> None:
        bad = tmp_path / "broken.xlsx"
        bad.write_bytes(b"PK\x03\x04garbage")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tumbuh",
                "zscore",
                str(bad),
                "-o",
                str(tmp_path / "o.csv"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 1
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("galat: broken.xlsx")


def test_chunked_output_equals_single_chunk(tmp_path: Path) -> None:
    ref = read_text_csv(REF / "anthro_zscores_public.csv")
    ref = ref[ref["is_age_in_month"] == "FALSE"].head(500)
    src = tmp_path / "in.csv"
    ref[ANTHRO_IN].to_csv(src, index=False)
    run("zscore", src, "-o", tmp_path / "one.csv")
    run("zscore", src, "-o", tmp_path / "many.csv", "--chunk-rows", "37")
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "many.csv").read_bytes()
    with (tmp_path / "many.csv").open(newline="") as fh:
        assert sum(1 for _ in csv.reader(fh)) == 501


def test_header_only_file_gives_a_header_only_output(tmp_path: Path) -> None:
    src, out = tmp_path / "empty.csv", tmp_path / "empty_z.csv"
    src.write_text("sex,age,weight\n", encoding="utf-8")
    run("zscore", src, "-o", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("sex,age,weight,clenhei,")
    assert lines[0].endswith(",issues")


def test_a_flagged_z_score_counts_as_an_issue_but_keeps_its_outputs(
    tmp_path: Path,
) -> None:
    """An export whose weight was typed in grams gives a WAZ in the thousands: scored,
    flagged by the WHO limits, and counted and described as an issue."""
    src = tmp_path / "e.csv"
    src.write_text(
        "JK,Tgl Lahir,Tanggal Pengukuran,Berat,Tinggi,z-core bb/u\n"
        "L,2023-01-05,2024-01-05,5405.79,75,1.2\n"
        "P,2023-01-05,2024-01-05,9.1,74,0.1\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = run("--lang", "en", "zscore", src, "-o", out)
    stderr = result.stderr  # type: ignore[attr-defined]
    assert (
        "2 rows written, 1 with issues (0 not scored, 1 with a z-score flagged"
        in stderr
    )
    indonesian = run("--lang", "id", "zscore", src, "-o", tmp_path / "id.csv")
    assert "2 baris ditulis, 1 bermasalah" in indonesian.stderr  # type: ignore[attr-defined]
    got = read_text_csv(out)
    assert float(got["zwei"][0]) > 1000
    assert got["fwei"][0] == "1"
    assert "zwei" in got["issues"][0]
    assert got["issues"][1] == ""
