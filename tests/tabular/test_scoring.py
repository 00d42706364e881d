"""Scoring all-text chunks: parsing, age from dates, RowIssues with person-visible rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tumbuh.growth import zscores, zscores_who2007
from tumbuh.tabular.mapping import map_columns
from tumbuh.tabular.readers import open_table
from tumbuh.tabular.scoring import plan_inputs, score_chunk


def chunk(**cols: list[str | None]) -> pa.Table:
    return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})


class TestPlanInputs:
    def test_age_column_wins_over_dates(self) -> None:
        m = map_columns(["JK", "Umur", "Tgl Lahir", "Tanggal Pengukuran", "BB"])
        plan = plan_inputs(m, standard="who2006", age_unit=None)
        assert not plan.age_from_dates
        assert plan.age_unit == "days"
        assert plan.missing == []

    def test_dates_used_when_no_age_column(self) -> None:
        m = map_columns(["JK", "Tgl Lahir", "Tanggal Pengukuran", "BB"])
        plan = plan_inputs(m, standard="who2006", age_unit="months")
        assert plan.age_from_dates
        assert plan.age_unit == "days"

    def test_who2007_defaults_to_months(self) -> None:
        m = map_columns(["sex", "age", "weight"])
        assert plan_inputs(m, standard="who2007", age_unit=None).age_unit == "months"

    def test_missing_inputs_are_listed(self) -> None:
        plan = plan_inputs(map_columns(["Nama"]), standard="who2006", age_unit=None)
        assert plan.missing == [
            "sex",
            "age (or birth date + measurement date)",
            "weight or length/height",
        ]


class TestScoreChunk:
    def test_scores_match_the_kernel_and_good_rows_have_no_issue(self) -> None:
        t = chunk(
            JK=["L", "P"], Umur=["400", "1000"], BB=["9,5", "12"], TB=["76", "88,2"]
        )
        plan = plan_inputs(
            map_columns(t.column_names), standard="who2006", age_unit=None
        )
        out = score_chunk(t, plan, file="x.csv")
        exp = zscores(
            sex=[1, 2], age_days=[400, 1000], weight_kg=[9.5, 12], lenhei_cm=[76, 88.2]
        )
        assert out.table.column("zlen").to_pylist() == exp.zlen.tolist()
        assert out.table.column("cat_bbu").to_pylist() == exp.cat_bbu.tolist()
        assert out.table.column("issues").to_pylist() == [None, None]
        assert out.bad_rows == 0

    def test_row_issues_name_file_row_column_and_value(self, tmp_path: Path) -> None:
        p = tmp_path / "posyandu.csv"
        p.write_text(
            "Data Tanggal : 01-11-2025\nJK,Tgl Lahir,Tanggal Pengukuran,Berat\n"
            "L,2024-01-01,2025-01-01,9\n"
            "Q,2024-01-01,2025-01-01,9\n"
            "P,2024-01-01,31/02/2025,9\n"
            "P,2025-06-01,2025-01-01,9\n",
            encoding="utf-8",
        )
        src = open_table(p)
        plan = plan_inputs(map_columns(src.keys), standard="who2006", age_unit=None)
        out = score_chunk(next(iter(src.chunks())), plan, file=p.name)
        got = [(i.file, i.row, i.column, i.code, i.value) for i in out.issues]
        assert got == [
            ("posyandu.csv", 4, "JK", "invalid_sex", "Q"),
            ("posyandu.csv", 5, "Tanggal Pengukuran", "invalid_date", "31/02/2025"),
            ("posyandu.csv", 6, "Tanggal Pengukuran", "measured_before_birth", None),
        ]
        assert out.bad_rows == 3
        assert out.table.column("age_days").to_pylist()[0] == 366
        zwei = out.table.column("zwei").to_pylist()
        assert zwei[0] is not None
        assert zwei[1:] == [None, None, None]

    def test_mixed_day_and_month_rows_follow_is_age_in_month(self) -> None:
        t = chunk(
            sex=["1", "1"], age=["24", "731"], is_age_in_month=["TRUE", "FALSE"],
            lenhei=["85", "85"], measure=["l", "l"],
        )  # fmt: skip
        plan = plan_inputs(
            map_columns(t.column_names), standard="who2006", age_unit=None
        )
        out = score_chunk(t, plan)
        in_months = zscores(sex=1, age_months=24, lenhei_cm=85.0, measure="l")
        in_days = zscores(sex=1, age_days=731, lenhei_cm=85.0, measure="l")
        assert out.table.column("zlen").to_pylist() == [
            in_months.zlen[0],
            in_days.zlen[0],
        ]
        assert out.table.column("clenhei").to_pylist() == [84.3, 84.3]

    def test_who2007_from_ages_in_days_converts_to_months(self) -> None:
        t = chunk(sex=["2"], age=["3652.5"], weight=["30"], lenhei=["134"])
        plan = plan_inputs(
            map_columns(t.column_names), standard="who2007", age_unit="days"
        )
        out = score_chunk(t, plan)
        exp = zscores_who2007(sex=2, age_months=120.0, weight_kg=30.0, height_cm=134.0)
        assert out.table.column("zhfa").to_pylist() == pytest.approx(exp.zhfa.tolist())
        assert np.isfinite(out.table.column("zwfa").to_pylist()[0])
