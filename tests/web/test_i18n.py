"""Language and Indonesian formats."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tumbuh.web.i18n import (
    catalogue,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    pick_language,
    translate,
)


class TestFormatNumber:
    @pytest.mark.parametrize(
        ("value", "decimals", "lang", "expected"),
        [
            (12.5, 1, "id", "12,5"),
            (12.5, 1, "en", "12.5"),
            (1234567.891, 2, "id", "1.234.567,89"),
            (1234567.891, 2, "en", "1,234,567.89"),
            (19.8, 1, "id", "19,8"),
            (0.05, 1, "id", "0,1"),
            (-3.25, 2, "id", "-3,25"),
            (4050000, 0, "id", "4.050.000"),
            (None, 1, "id", "–"),
            (float("nan"), 1, "id", "–"),
        ],
    )
    def test_indonesian_decimal_comma_and_dot_thousands(
        self, value: float | None, decimals: int, lang: str, expected: str
    ) -> None:
        assert format_number(value, decimals, lang) == expected  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("value", "kwargs", "expected_id", "expected_en"),
        [
            (1.5, {"decimals": 2, "min_decimals": 1}, "1,5", "1.5"),
            (1.25, {"decimals": 2, "min_decimals": 1}, "1,25", "1.25"),
            (12.0, {"decimals": 2, "min_decimals": 0}, "12", "12"),
            (100, {"decimals": 0, "signed": True}, "+100", "+100"),
            (-1.84, {"decimals": 2, "signed": True}, "-1,84", "-1.84"),
            (2.675, {"decimals": 2}, "2,68", "2.68"),  # half up on the decimal text
        ],
    )
    def test_babel_patterns(
        self, value: float, kwargs: dict[str, Any], expected_id: str, expected_en: str
    ) -> None:
        assert format_number(value, lang="id", **kwargs) == expected_id
        assert format_number(value, lang="en", **kwargs) == expected_en

    def test_percent_in_points(self) -> None:
        assert format_percent(13.4) == "13,4 %"
        assert format_percent(13.45, 1, "en") == "13.5 %"
        assert format_percent(1234.5, 1, "id") == "1.234,5 %"
        assert format_percent(None) == "–"


class TestFormatDate:
    def test_indonesian_month_names(self) -> None:
        assert format_date(dt.date(2025, 11, 18)) == "18 November 2025"
        assert format_date(dt.date(2024, 8, 1)) == "1 Agustus 2024"
        assert format_date(dt.date(2024, 8, 1), "en") == "1 August 2024"
        assert format_date(None) == "–"

    def test_datetimes_are_shown_in_wita(self) -> None:
        utc = dt.datetime(2025, 11, 18, 23, 30, tzinfo=dt.UTC)
        assert format_datetime(utc) == "19 November 2025 07.30 WITA"
        assert (
            format_datetime(utc.replace(tzinfo=None), "en")
            == "19 November 2025 07:30 WITA"
        )


class TestTranslate:
    def test_both_catalogues_have_the_same_keys(self) -> None:
        assert len(catalogue("id")) > 400
        assert set(catalogue("id")) == set(catalogue("en"))

    def test_both_languages_fill_the_same_fields(self) -> None:
        fields = re.compile(r"\{(\w+)")
        ids, ens = catalogue("id"), catalogue("en")
        differ = {
            key: (text, ens[key])
            for key, text in ids.items()
            if set(fields.findall(text)) != set(fields.findall(ens[key]))
        }
        assert differ == {}

    def test_placeholders_are_filled_and_missing_keys_fall_back(self) -> None:
        assert translate("users.created", "en", username="ani") == "User ani created."
        assert translate("no.such.key", "en") == "no.such.key"

    def test_an_error_with_a_key_is_said_in_either_language(self) -> None:
        from tumbuh.errors import NotFound
        from tumbuh.i18n import error_text

        keyed = NotFound(
            "no risk scores for desa 1",
            key="error.visits.no_scores",
            values={"desa": "1"},
        )
        assert error_text(keyed, "id").startswith("belum ada skor risiko untuk desa 1")
        assert error_text(keyed, "en").startswith("no risk scores for desa 1: run")
        plain = NotFound("gone")
        assert error_text(plain, "id") == error_text(plain, "en") == "gone"

    def test_plural_entries_choose_their_form_by_the_count(self) -> None:
        from tumbuh.i18n import _plural_forms, translate_plural

        said = [translate_plural("cli.n.families", n, "en") for n in (0, 1, 2)]
        assert said == ["0 families", "1 family", "2 families"]
        # Indonesian has no plural: one form for every count.
        assert translate_plural("cli.n.families", 1, "id") == "1 keluarga"
        assert translate_plural("cli.n.families", 7, "id") == "7 keluarga"
        assert (
            translate_plural("cli.n.families", 2, "en", n="2.000") == "2.000 families"
        )
        assert translate_plural("no.such.key", 2, "en") == "no.such.key"
        # Both files hold the same plural keys.
        assert set(_plural_forms("id")[0]) == set(_plural_forms("en")[0])

    @pytest.mark.parametrize(
        ("query", "cookie", "expected"),
        [
            ("en", None, "en"),
            (None, "en", "en"),
            ("id", "en", "id"),
            ("fr", None, "id"),
            (None, None, "id"),
        ],
    )
    def test_query_wins_over_cookie_over_default(
        self, query: str | None, cookie: str | None, expected: str
    ) -> None:
        assert pick_language(query, cookie) == expected
