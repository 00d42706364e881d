"""`tumbuh prevalence`: a survey file in, WHO anthro's prevalence table out."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.cli.prevalence import read_survey

REF = Path(__file__).resolve().parents[1] / "data" / "reference"
SURVEY = REF / "anthro_prevalence_input_public.csv"
#: as in tests/growth/test_prevalence_reference.py: closed formulas agree to rounding,
#: anthro's CI bounds come from an iterative logistic fit (README: 1e-6 absolute).
EST_RTOL = 1e-9
CI_ATOL = 1e-6
# anthro's labels: Area, Geographical region, Wealth quintile: Q1: Poorest ...
BY = "Area=typeres,Geographical region=gregion,Wealth quintile=wealthq"
RUNS = {
    "nodesign": [],
    "swonly": ["--weight", "sw"],
    "design": ["--weight", "sw", "--cluster", "cluster", "--strata", "strata"],
}

runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    # The messages checked here are the English ones.
    result = runner.invoke(app, ["--lang", "en", "prevalence", *(str(a) for a in args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


class TestAgainstAnthro:
    @pytest.mark.parametrize("name", list(RUNS))
    def test_csv_output_matches_anthro_prevalence(
        self, tmp_path: Path, name: str
    ) -> None:
        out = tmp_path / "prev.csv"
        result = invoke(SURVEY, "-o", out, "--by", BY, *RUNS[name])
        assert result.exit_code == 0, result.output
        got = pd.read_csv(out).set_index("Group")
        ref = pd.read_csv(REF / f"anthro_prevalence_output_public_{name}.csv")
        ref = ref.set_index("Group")
        assert list(got.columns) == list(ref.columns)
        assert sorted(got.index) == sorted(ref.index)
        got = got.loc[ref.index]
        ci = np.array([c.endswith(("_ll", "_ul")) for c in ref.columns])
        e, a = ref.to_numpy(float), got.to_numpy(float)
        np.testing.assert_allclose(a[:, ~ci], e[:, ~ci], rtol=EST_RTOL, atol=0)
        np.testing.assert_allclose(a[:, ci], e[:, ci], rtol=0, atol=CI_ATOL)

    def test_reports_anthros_exclusions_on_stderr(self, tmp_path: Path) -> None:
        result = invoke(SURVEY, "-o", tmp_path / "p.csv", *RUNS["design"])
        assert result.exit_code == 0
        err = result.stderr
        assert "42 rows will be excluded" in err
        assert "3 rows will be excluded" in err
        assert "4 rows had missing sampling weights" in err
        assert "1,902 of 1,947 rows used (survey estimator)" in err


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["sex,age,weight,lenhei,measure,oedema", *rows]) + "\n")
    return path


GOOD = [
    "1,400,8.0,70.0,l,n",
    "2,800,10.0,80.0,l,n",
    "1,1200,12.0,88.0,h,n",
    "2,1600,14.0,96.0,h,n",
]


class TestRows:
    def test_bad_rows_are_reported_with_row_numbers_and_left_out(
        self, tmp_path: Path
    ) -> None:
        src = write_csv(
            tmp_path / "s.csv",
            [*GOOD, "X,500,9,75,l,n", "1,-3,9,75,l,n", "2,abc,9,75,l,n"],
        )
        result = invoke(src, "-o", tmp_path / "p.csv")
        assert result.exit_code == 0, result.output
        err = result.stderr
        assert "row 6: sex: unknown sex code" in err
        assert "'X'" in err
        assert "row 7: age: negative age" in err
        assert "row 8: age: not a number" in err
        assert "3 rows with invalid values were left out" in err
        out = pd.read_csv(tmp_path / "p.csv").set_index("Group")
        assert out.loc["All", "HAZ_unwpop"] == 4

    def test_row_issues_come_from_the_catalogue_in_both_languages(
        self, tmp_path: Path
    ) -> None:
        src = write_csv(tmp_path / "s.csv", [*GOOD, "1,-3,9,75,l,n", "2,abc,9,75,l,n"])
        issues = sorted(read_survey(src).issues, key=lambda i: i.row)
        assert [(i.row, i.column, i.code) for i in issues] == [
            (6, "age", "negative_value"),
            (7, "age", "invalid_number"),
        ]
        assert issues[1].message_en == "age: not a number (age in days) 'abc'"
        assert issues[1].message_id == "age: bukan angka (age in days) 'abc'"
        assert issues[0].message_id == "age: age in days negatif '-3'"

    def test_result_equals_the_run_without_the_bad_rows(self, tmp_path: Path) -> None:
        invoke(write_csv(tmp_path / "a.csv", GOOD), "-o", tmp_path / "a_out.csv")
        invoke(
            write_csv(tmp_path / "b.csv", [*GOOD[:2], "9,100,1,50,l,n", *GOOD[2:]]),
            "-o",
            tmp_path / "b_out.csv",
        )
        a = pd.read_csv(tmp_path / "a_out.csv")
        b = pd.read_csv(tmp_path / "b_out.csv")
        pd.testing.assert_frame_equal(a, b)

    def test_missing_sex_is_not_an_error_and_the_row_is_kept(
        self, tmp_path: Path
    ) -> None:
        src = write_csv(tmp_path / "s.csv", [*GOOD, ",500,9.0,75.0,l,n"])
        result = invoke(src, "-o", tmp_path / "p.csv")
        assert "5 of 5 rows used" in result.stderr  # counts in N, like anthro
        assert "left out" not in result.stderr
        out = pd.read_csv(tmp_path / "p.csv").set_index("Group")
        assert out.loc["All", "HAZ_unwpop"] == 4  # no sex, no z-score

    def test_by_labels_groups_with_the_column_name(self, tmp_path: Path) -> None:
        src = tmp_path / "s.csv"
        src.write_text(
            "JK,Usia (bulan),Berat,Tinggi,Cara Ukur,Desa\n"
            "L,13,8.0,70.0,Terlentang,Loa Janan\n"
            "P,26,10.0,80.0,Berdiri,Loa Janan\n"
            "L,39,12.0,88.0,Berdiri,Sungai Kapih\n"
        )
        result = invoke(src, "-o", tmp_path / "p.csv", "--by", "Desa")
        assert result.exit_code == 0, result.output
        out = pd.read_csv(tmp_path / "p.csv").set_index("Group")
        assert list(out.index[-2:]) == ["Desa: Loa Janan", "Desa: Sungai Kapih"]
        assert out.loc["Desa: Loa Janan", "HAZ_unwpop"] == 2
        assert out.loc["Desa: Sungai Kapih", "HAZ_unwpop"] == 1
        assert "in months" in result.stderr  # unit read from the header name
        assert out.loc["Age group: 36-47 mo", "HAZ_unwpop"] == 1

    def test_by_column_name_labels_values_as_text(self, tmp_path: Path) -> None:
        result = invoke(SURVEY, "-o", tmp_path / "p.csv", "--by", "wealthq")
        assert result.exit_code == 0, result.output
        groups = pd.read_csv(tmp_path / "p.csv")["Group"].tolist()
        wealth = [g for g in groups if g.startswith("wealthq")]
        assert sorted(wealth) == [f"wealthq: {q}" for q in range(1, 6)]

    def test_xlsx_output_has_the_who_columns(self, tmp_path: Path) -> None:
        out = tmp_path / "p.xlsx"
        result = invoke(write_csv(tmp_path / "s.csv", GOOD), "-o", out)
        assert result.exit_code == 0, result.output
        ws = openpyxl.load_workbook(out).active
        header = [c.value for c in next(ws.iter_rows(max_row=1))]
        assert header[:4] == ["Group", "HAZ_pop", "HAZ_unwpop", "HA_3_r"]
        assert header[-1] == "HA_2_WH2_ul"
        first = [c.value for c in next(ws.iter_rows(min_row=2, max_row=2))]
        assert first[0] == "All"
        assert first[2] == 4

    def test_xlsx_input(self, tmp_path: Path) -> None:
        src = tmp_path / "s.xlsx"
        pd.read_csv(SURVEY).head(300).to_excel(src, index=False)
        result = invoke(src, "-o", tmp_path / "p.csv", "--weight", "sw")
        assert result.exit_code == 0, result.output
        out = pd.read_csv(tmp_path / "p.csv").set_index("Group")
        assert out.loc["All", "HAZ_unwpop"] > 250
        assert not math.isnan(out.loc["All", "HA_2_ll"])

    def test_parquet_input_and_age_unit_option(self, tmp_path: Path) -> None:
        d = pd.read_csv(SURVEY)
        d["age"] = d["age"] / 30.4375  # same ages, now in months
        d.to_parquet(tmp_path / "s.parquet", index=False)
        d.drop(columns="age").assign(age=pd.read_csv(SURVEY)["age"]).to_csv(
            tmp_path / "days.csv", index=False
        )
        months = invoke(
            tmp_path / "s.parquet", "-o", tmp_path / "m.csv", "--age-unit", "months"
        )
        assert months.exit_code == 0, months.output
        days = invoke(tmp_path / "days.csv", "-o", tmp_path / "d.csv")
        a = pd.read_csv(tmp_path / "m.csv").set_index("Group")
        b = pd.read_csv(tmp_path / "d.csv").set_index("Group")
        assert a.loc["All", "HAZ_unwpop"] == b.loc["All", "HAZ_unwpop"]
        pd.testing.assert_series_equal(
            a.loc["All"], b.loc["All"], check_exact=False, rtol=1e-3
        )
        assert days.exit_code == 0


class TestFiles:
    def test_unreadable_file_exits_1_with_a_message(self, tmp_path: Path) -> None:
        result = invoke(tmp_path / "nope.csv", "-o", tmp_path / "p.csv")
        assert result.exit_code == 1
        assert "nope.csv" in result.stderr
        assert "not found" in result.stderr

    def test_missing_required_column_exits_1(self, tmp_path: Path) -> None:
        src = tmp_path / "s.csv"
        src.write_text("sex,weight\n1,9.0\n")
        result = invoke(src, "-o", tmp_path / "p.csv")
        assert result.exit_code == 1
        assert "no column for age" in result.stderr

    def test_unknown_design_column_exits_1_naming_it(self, tmp_path: Path) -> None:
        src = write_csv(tmp_path / "s.csv", GOOD)
        result = invoke(src, "-o", tmp_path / "p.csv", "--cluster", "psu")
        assert result.exit_code == 1
        assert "no column 'psu'" in result.stderr

    def test_unknown_output_format_exits_1(self, tmp_path: Path) -> None:
        src = write_csv(tmp_path / "s.csv", GOOD)
        result = invoke(src, "-o", tmp_path / "p.json")
        assert result.exit_code == 1
        assert "unknown output format" in result.stderr

    def test_header_only_file_exits_1(self, tmp_path: Path) -> None:
        result = invoke(write_csv(tmp_path / "s.csv", []), "-o", tmp_path / "p.csv")
        assert result.exit_code == 1
        assert "no usable rows" in result.stderr


def test_console_script_is_installed() -> None:
    assert (
        shutil.which("tumbuh")
        or (Path(__file__).parents[2] / ".venv/bin/tumbuh").exists()
    )
