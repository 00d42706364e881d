"""`tumbuh krs` end to end: CSV/XLSX/Parquet in and out, options, bad cells, bad files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from tumbuh.cli import app
from tumbuh.errors import TumbuhError

HEADER = (
    "family_id,wife_age,pregnant,children_count,min_birth_interval_months,"
    "has_child_0_23,has_child_24_59,water_source,latrine,modern_contraception,"
    "welfare_decile"
)
ROWS = [
    "0001,20,n,3,24,n,n,piped,shared_septic,y,2",  # every boundary, no factor
    "0002,35,y,4,23,y,n,rainwater,none,n,1",  # water;latrine;too_close;too_many
    "0003,36,n,1,,n,n,bored_well,own_septic,n,",  # too_old; decile blank
    "0004,28,n,2,30,y,n,sumur,,y,3",  # bad water code, blank latrine
    "0005,55,n,5,12,n,n,surface_water,none,n,1",  # not a target family
]


def write_csv(path: Path, rows: list[str] = ROWS, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def read(path: Path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    if path.suffix == ".parquet":
        return pd.read_parquet(path).fillna("")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


runner = CliRunner()


def classify(src: Path, out: Path, *options: str) -> Result:
    """`tumbuh --lang en krs SRC -o OUT [options]`, as typed."""
    return runner.invoke(
        app, ["--lang", "en", "krs", str(src), "-o", str(out), *options]
    )


class TestKrsCommand:
    def test_classifies_a_csv(self, tmp_path: Path) -> None:
        out = tmp_path / "out.csv"
        res = classify(write_csv(tmp_path / "in.csv"), out)
        assert res.exit_code == 0, res.output
        table = read(out)
        assert table["family_id"].tolist() == ["0001", "0002", "0003", "0004", "0005"]
        assert table["target_family"].tolist() == ["y", "y", "y", "y", "n"]
        assert table["krs"].tolist() == ["n", "y", "y", "n", "n"]
        assert table["risk_factors"].tolist() == [
            "",
            "water;latrine;too_close;too_many",
            "too_old",
            "",
            "water;latrine;too_old;too_close;too_many",
        ]
        assert table["missing_inputs"].iloc[3] == "water_source;latrine"
        assert "water_source" in table["issues"].iloc[3]
        assert "5 families, 4 target families, 2 KRS" in res.output
        assert "in.csv row 5: water_source" in res.output

    def test_input_columns_are_written_unchanged(self, tmp_path: Path) -> None:
        src = write_csv(tmp_path / "in.csv")
        out = tmp_path / "out.csv"
        classify(src, out)
        before = pd.read_csv(src, dtype=str, keep_default_na=False)
        after = read(out)
        pd.testing.assert_frame_equal(after[before.columns], before)

    @pytest.mark.parametrize(
        ("options", "krs"),
        [
            ([], ["n", "y", "y", "n", "n"]),
            (["--too-old-from", "35"], ["n", "y", "y", "n", "n"]),
            (["--too-many-from", "3"], ["y", "y", "y", "n", "n"]),
            (["--too-old-from", "40"], ["n", "y", "n", "n", "n"]),
            (["--with-2024-factors"], ["n", "y", "y", "n", "n"]),
        ],
        ids=[
            "default",
            "too-old-from-35",
            "too-many-from-3",
            "too-old-from-40",
            "2024",
        ],
    )
    def test_options(self, tmp_path: Path, options: list[str], krs: list[str]) -> None:
        out = tmp_path / "out.csv"
        res = classify(write_csv(tmp_path / "in.csv"), out, *options)
        assert res.exit_code == 0, res.output
        assert read(out)["krs"].tolist() == krs

    def test_2024_factors_are_listed(self, tmp_path: Path) -> None:
        out = tmp_path / "out.csv"
        runner.invoke(
            app,
            [
                "krs",
                str(write_csv(tmp_path / "in.csv")),
                "-o",
                str(out),
                "--with-2024-factors",
            ],
        )
        table = read(out)
        assert table["risk_factors"].iloc[2] == "too_old;no_modern_contraception"
        assert table["missing_inputs"].iloc[2] == "welfare_decile"

    def test_jmp_water(self, tmp_path: Path) -> None:
        rows = ["0001,28,n,1,,y,n,protected_spring,own_septic,y,5"]
        out = tmp_path / "out.csv"
        src = write_csv(tmp_path / "in.csv", rows)
        classify(src, out)
        assert read(out)["risk_factors"].tolist() == ["water"]
        classify(src, out, "--jmp-water")
        assert read(out)["risk_factors"].tolist() == [""]

    @pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
    def test_xlsx_and_parquet_round_trip(self, tmp_path: Path, fmt: str) -> None:
        frame = pd.read_csv(
            write_csv(tmp_path / "in.csv"), dtype=str, keep_default_na=False
        )
        src = tmp_path / f"in.{fmt}"
        if fmt == "xlsx":
            frame.to_excel(src, index=False)
        else:
            frame.to_parquet(src, index=False)
        out = tmp_path / f"out.{fmt}"
        res = runner.invoke(app, ["--lang", "en", "krs", str(src), "-o", str(out)])
        assert res.exit_code == 0, res.output
        table = read(out)
        assert table["krs"].tolist() == ["n", "y", "y", "n", "n"]
        assert table["family_id"].tolist()[0] == "0001"

    def test_semicolon_csv_with_upper_case_headers(self, tmp_path: Path) -> None:
        src = tmp_path / "in.csv"
        write_csv(
            src, [r.replace(",", ";") for r in ROWS], HEADER.upper().replace(",", ";")
        )
        out = tmp_path / "out.csv"
        res = runner.invoke(app, ["--lang", "en", "krs", str(src), "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert read(out)["krs"].tolist() == ["n", "y", "y", "n", "n"]

    def test_missing_columns_fail_with_their_names(self, tmp_path: Path) -> None:
        header = HEADER.replace(",latrine", ",jamban")
        src = write_csv(tmp_path / "in.csv", header=header)
        res = runner.invoke(
            app, ["--lang", "en", "krs", str(src), "-o", str(tmp_path / "o.csv")]
        )
        assert res.exit_code != 0
        assert isinstance(res.exception, TumbuhError)
        assert "latrine" in res.exception.message
        assert "in.csv" in res.exception.message

    def test_unknown_output_format_is_refused(self, tmp_path: Path) -> None:
        src = write_csv(tmp_path / "in.csv")
        res = runner.invoke(
            app, ["--lang", "en", "krs", str(src), "-o", str(tmp_path / "o.json")]
        )
        assert isinstance(res.exception, TumbuhError)
        assert ".json" in res.exception.message

    def test_missing_file(self, tmp_path: Path) -> None:
        res = runner.invoke(
            app, ["--lang", "en", "krs", str(tmp_path / "nope.csv"), "-o", "o.csv"]
        )
        assert isinstance(res.exception, TumbuhError)
        assert "nope.csv" in res.exception.message

    def test_rerun_on_its_own_output(self, tmp_path: Path) -> None:
        first = tmp_path / "first.csv"
        runner.invoke(
            app,
            [
                "--lang",
                "en",
                "krs",
                str(write_csv(tmp_path / "in.csv")),
                "-o",
                str(first),
            ],
        )
        second = tmp_path / "second.csv"
        res = runner.invoke(app, ["--lang", "en", "krs", str(first), "-o", str(second)])
        assert res.exit_code == 0, res.output
        assert "replacing the columns already in first.csv" in res.output
        pd.testing.assert_frame_equal(read(second), read(first))
