"""Cells read as their column declares: values and the problems of the bad cells."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tumbuh.tabular.cells import Problem, read_column
from tumbuh.tabular.columns import Cells, Column

TODAY = dt.date(2026, 1, 15)


def col(**kwargs: object) -> Column:
    return Column("x", ("X",), **kwargs)  # type: ignore[arg-type]


def test_a_number_column_reports_what_it_cannot_read_and_keeps_the_rest() -> None:
    read = read_column(col(cells=Cells.number), ["9,5", "", "abc", "-2"])
    assert read.values[0] == 9.5
    assert np.isnan(read.values[1:3]).all()
    assert read.values[3] == -2
    assert read.problems == [Problem(2, "invalid_number", "abc", False)]


def test_measurement_options_zero_missing_and_no_negative() -> None:
    column = col(cells=Cells.number, zero_is_missing=True, negative=False)
    read = read_column(column, ["0", "-3,5", "12"])
    assert np.isnan(read.values[:2]).all()
    assert read.values[2] == 12
    assert read.problems == [Problem(1, "negative_value", "-3.5", False)]


def test_bounds_and_whole_counts() -> None:
    column = col(cells=Cells.number, bounds=(0, 30), whole=True)
    read = read_column(column, ["2", "2.5", "31", "1.000"])
    assert read.values[0] == 2
    assert np.isnan(read.values[1:]).all()
    assert read.problems == [
        Problem(2, "out_of_range", "31", False),
        Problem(3, "out_of_range", "1.000", False),  # a count: 1.000 is a thousand
        Problem(1, "not_whole", "2.5", False),
    ]


def test_a_row_required_column_rejects_unreadable_and_missing_cells() -> None:
    column = col(cells=Cells.date, row_required=True)
    read = read_column(
        column, ["05/01/2025", "31/02/2025", "", "01/02/2026"], today=TODAY
    )
    assert read.values[0] == np.datetime64("2025-01-05")
    assert read.problems == [
        Problem(1, "invalid_date", "31/02/2025", True),
        Problem(2, "required", None, True),
        Problem(3, "future_date", "01/02/2026", True),
    ]
    optional = read_column(col(cells=Cells.date), ["31/02/2025", ""], today=TODAY)
    assert optional.problems == [Problem(0, "invalid_date", "31/02/2025", False)]


def test_sex_codes() -> None:
    read = read_column(col(cells=Cells.sex), ["L", "Perempuan", "X", None])
    assert read.values[:2].tolist() == [1.0, 2.0]
    assert read.problems == [Problem(2, "invalid_sex", "X", False)]


def test_text_is_cleaned_and_cut_to_its_width() -> None:
    read = read_column(col(width=5), [" Siti ", "-", "Aminah Rahma"])
    assert read.values == ["Siti", None, "Amina"]
    assert read.problems == [Problem(2, "text_cut", "12 → 5", False)]


def test_code_cells_are_the_formats_own() -> None:
    with pytest.raises(TypeError, match="read by the format"):
        read_column(col(cells=Cells.code), ["x"])
