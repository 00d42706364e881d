"""Vectorised cell parsers: numbers, dates, sex, measure and oedema codes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tumbuh.tabular.parse import (
    parse_date,
    parse_measure,
    parse_number,
    parse_number_text,
    parse_oedema,
    parse_sex,
)


class TestParseNumber:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("12.5", 12.5),
            ("12,5", 12.5),
            (" 7 ", 7.0),
            ("-3", -3.0),
            ("1.234,5", 1234.5),
            ("1,234.5", 1234.5),
            ("1.234.567", 1234567.0),
            ("1,234,567", 1234567.0),
            ("1 234,5", 1234.5),
            ("1\xa0234", 1234.0),
            (".5", 0.5),
            ("1e3", 1000.0),
            ("1,234", 1.234),  # a single comma is a decimal comma
        ],
    )
    def test_parses_decimal_points_commas_and_thousands(
        self, text: str, value: float
    ) -> None:
        res = parse_number([text])
        assert res.values[0] == pytest.approx(value)
        assert not res.failed[0]

    @pytest.mark.parametrize("text", ["", "-", "NA", "nan", None])
    def test_blank_dash_and_na_are_missing_not_failures(self, text: str | None) -> None:
        res = parse_number([text])
        assert np.isnan(res.values[0])
        assert not res.failed[0]

    @pytest.mark.parametrize("text", ["abc", "12,5,3", "1.2.3", "12kg", "--5"])
    def test_garbage_is_a_failure(self, text: str) -> None:
        res = parse_number([text])
        assert np.isnan(res.values[0])
        assert res.failed[0]

    @pytest.mark.parametrize("text", ["1e999", "-1e999"])
    def test_a_number_too_large_for_a_float_is_a_failure(self, text: str) -> None:
        for cells in ([text], [text, "1,5"]):  # the fast path and the general one
            res = parse_number(cells)
            assert np.isnan(res.values[0])
            assert res.failed[0]

    @pytest.mark.parametrize(
        ("text", "value"),
        [("1.234", 1234.0), ("1,234", 1234.0), ("12.345.678", 12345678.0),
         ("1 234", 1234.0), ("12", 12.0), ("12,5", 12.5), ("1.5", 1.5)],
    )  # fmt: skip
    def test_whole_reads_one_separator_before_three_digits_as_thousands(
        self, text: str, value: float
    ) -> None:
        res = parse_number([text], whole=True)
        assert res.values[0] == pytest.approx(value)
        assert not res.failed[0]
        assert parse_number([text]).values[0] == pytest.approx(
            value if text not in {"1.234", "1,234"} else 1.234
        )

    @pytest.mark.parametrize(
        ("text", "value"), [("24,6 %", 24.6), ("24.6%", 24.6), ("7\xa0%", 7.0)]
    )
    def test_percent_allows_a_trailing_percent_sign(
        self, text: str, value: float
    ) -> None:
        assert parse_number([text], percent=True).values[0] == pytest.approx(value)
        assert parse_number([text]).failed[0]

    @pytest.mark.parametrize("text", ["%", "12 %%", "% 12"])
    def test_percent_still_needs_a_number(self, text: str) -> None:
        assert parse_number([text], percent=True).failed[0]

    def test_the_scalar_form_is_the_same_parser(self) -> None:
        cells = ["12,5", "1.234,5", "1\xa0234", "abc", "", "-", "1e3"]
        res = parse_number(cells)
        for cell, value in zip(cells, res.values, strict=True):
            got = parse_number_text(cell)
            assert (got is None) == bool(np.isnan(value))
            assert got is None or got == value
        assert parse_number_text(None) is None
        assert parse_number_text("1.234", whole=True) == 1234.0
        assert parse_number_text("24,6 %", percent=True) == pytest.approx(24.6)

    def test_works_on_large_arrays_keeping_order(self) -> None:
        vals = [f"{i},5" for i in range(10_000)]
        res = parse_number(vals)
        assert res.values[9_999] == 9_999.5
        assert not res.failed.any()


class TestParseDate:
    TODAY = dt.date(2026, 1, 1)

    @pytest.mark.parametrize(
        ("text", "iso"),
        [
            ("2024-01-31", "2024-01-31"),
            ("2024-01-31 00:00:00", "2024-01-31"),
            ("31/01/2024", "2024-01-31"),
            ("31-01-2024", "2024-01-31"),
            ("31.01.2024", "2024-01-31"),
            ("05/06/2024", "2024-06-05"),  # day first
            ("1/31/2024", "2024-01-31"),  # unambiguous month/day
            ("31/01/24", "2024-01-31"),
            ("31/01/26", "2026-01-31"),
            ("31/01/27", "1927-01-31"),  # past the current year: 1900s
            ("1 Januari 2024", "2024-01-01"),
            ("17 Agustus 1945", "1945-08-17"),
            ("12-Agu-2023", "2023-08-12"),
            ("3 Mei 2022", "2022-05-03"),
            ("45322", "2024-01-31"),  # Excel serial
            ("45322.75", "2024-01-31"),
        ],
    )
    def test_understands_common_formats(self, text: str, iso: str) -> None:
        res = parse_date([text], today=self.TODAY)
        assert str(res.values[0]) == iso
        assert not res.failed[0]

    @pytest.mark.parametrize(
        "text", ["31/02/2024", "2024-13-01", "kemarin", "32 Januari 2024", "7"]
    )
    def test_impossible_dates_fail(self, text: str) -> None:
        res = parse_date([text], today=self.TODAY)
        assert np.isnat(res.values[0])
        assert res.failed[0]

    def test_month_first_when_asked(self) -> None:
        res = parse_date(["05/06/2024"], dayfirst=False)
        assert str(res.values[0]) == "2024-05-06"

    def test_missing_cells_are_nat_without_failure(self) -> None:
        res = parse_date(["", None, "-"])
        assert np.isnat(res.values).all()
        assert not res.failed.any()


class TestParseSex:
    def test_indonesian_english_and_numeric_codes(self) -> None:
        res = parse_sex(
            ["L", "p", "Laki-laki", "PEREMPUAN", "1", "2.0", "m", "F", "", None]
        )
        assert res.values[:8].tolist() == [1, 2, 1, 2, 1, 2, 1, 2]
        assert np.isnan(res.values[8:]).all()
        assert not res.failed.any()

    def test_unknown_codes_fail(self) -> None:
        res = parse_sex(["3", "0", "x"])
        assert res.failed.all()
        assert np.isnan(res.values).all()


class TestCodes:
    def test_measure_codes(self) -> None:
        res = parse_measure(["Terlentang", "berdiri", "L", "h", "", "duduk"])
        assert res.values.tolist() == ["l", "h", "l", "h", None, None]
        assert res.failed.tolist() == [False] * 5 + [True]

    def test_oedema_codes_follow_anthro_and_bahasa(self) -> None:
        res = parse_oedema(["y", "N", "1", "2", "ya", "tidak", None, "mungkin"])
        assert res.values.tolist() == ["y", "n", "y", "n", "y", "n", None, None]
        assert res.failed.tolist() == [False] * 7 + [True]
