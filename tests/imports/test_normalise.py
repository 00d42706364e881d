"""Normalisation rules of real exports: NIK, No KK, RT/RW, measure, headers."""

from __future__ import annotations

import pytest

from tumbuh.imports.normalise import (
    clean_measure,
    header_key,
    map_headers,
    normalise_kk,
    normalise_measure,
    normalise_nik,
    normalise_rt_rw,
    roman_to_int,
)

GOOD = "6472014507230001"


class TestNik:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (GOOD, (GOOD, None, None)),
            (f" {GOOD}\u00a0", (GOOD, None, None)),
            (f"{GOOD}.0", (GOOD, None, "nik_float_suffix")),
            (f"{GOOD},0", (GOOD, None, "nik_float_suffix")),
            (f"'{GOOD}", (GOOD, None, None)),
            ("6472014507230000", (None, "6472014507230000", "nik_truncated")),
            ("6.47201E+15", (None, "6472010000000000", "nik_truncated")),
            ("64720145", (None, "64720145", "nik_short")),
            ("6472019907230001", (None, "6472019907230001", "nik_invalid")),  # day 99
            ("64720145O7230001", (None, "64720145O7230001", "nik_invalid")),
            ("", (None, None, None)),
            ("-", (None, None, None)),
            ("0", (None, None, None)),
        ],
        ids=["valid", "padded", "dot0", "comma0", "quote", "truncated", "scientific",
             "short", "bad-day", "letter", "blank", "dash", "zero"],
    )  # fmt: skip
    def test_nik_cases(self, raw: str, expected: tuple[str | None, ...]) -> None:
        assert normalise_nik(raw) == expected

    def test_women_have_40_added_to_the_birth_day(self) -> None:
        assert (
            normalise_nik("6472017107230001")[0] == "6472017107230001"
        )  # day 71 = 31 + 40


class TestKk:
    def test_valid_and_invalid(self) -> None:
        assert normalise_kk("6472010101200001.0") == ("6472010101200001", None)
        assert normalise_kk("12345") == (None, "invalid_kk")
        assert normalise_kk(None) == (None, None)


class TestRtRw:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("4", ("004", None)),
            ("04", ("004", None)),
            ("O4", ("004", "rt_rw_repaired")),
            ("IV", ("004", "rt_rw_repaired")),
            ("xii", ("012", "rt_rw_repaired")),
            ("RT 07", ("007", None)),
            ("000", (None, None)),
            ("abc", (None, "rt_rw_invalid")),
            ("1234", (None, "rt_rw_invalid")),
            (None, (None, None)),
        ],
    )
    def test_rt_rw_cases(
        self, raw: str | None, expected: tuple[str | None, ...]
    ) -> None:
        assert normalise_rt_rw(raw) == expected

    def test_roman_numerals(self) -> None:
        assert [roman_to_int(r) for r in ("I", "IX", "XIV", "XL", "Q")] == [
            1,
            9,
            14,
            40,
            None,
        ]


class TestMisc:
    def test_zero_and_dash_are_missing_measures(self) -> None:
        assert [clean_measure(v) for v in ("0", "0,0", "-", "", "9.8")] == [
            None, None, None, None, "9.8",
        ]  # fmt: skip

    def test_measure_position(self) -> None:
        assert [normalise_measure(v) for v in ("Terlentang", "BERDIRI", "x", None)] == [
            "l", "h", None, None,
        ]  # fmt: skip

    def test_headers_match_after_trimming_case_and_dots(self) -> None:
        assert header_key("\u00a0Tgl. Lahir ") == "tgl lahir"
        # One vocabulary for every reader (tabular.columns): punctuation is a space.
        assert header_key("Kab / Kota") == "kab kota"
        assert header_key("tgl_lahir") == header_key("TGL-LAHIR") == "tgl lahir"
        found = map_headers(
            ["NIK ", "Tgl. Lahir", "Kab / Kota", "other"],
            {
                "nik": ("NIK",),
                "birth": ("Tgl Lahir",),
                "kab": ("Kab/Kota",),
                "x": ("Y",),
            },
        )
        assert found == {"nik": "NIK ", "birth": "Tgl. Lahir", "kab": "Kab / Kota"}


@pytest.mark.parametrize(
    ("texts", "least"),
    [("tumbuh.imports.normalise", 54), ("tumbuh.imports.interventions", 14)],
)
def test_issue_texts_come_from_the_catalogue_in_both_languages(
    texts: str, least: int
) -> None:
    """Each issue sentence is written once, in the .po files (issue.<code>,
    iv.issue.<code>), and reports still get both languages: English is English (no
    Indonesian tell-tale), and both keep the same {fields}."""
    import importlib
    import string

    from tests.language_words import offending

    messages = importlib.import_module(texts).MESSAGES
    assert len(messages) >= least
    for code, (text_id, text_en) in messages.items():
        assert text_id != text_en, code
        assert offending(text_en, "en", []) == [], code

        def fields(text: str) -> set[str]:
            return {f for _, f, _, _ in string.Formatter().parse(text) if f}

        assert fields(text_id) == fields(text_en), code
    with pytest.raises(KeyError):
        messages["no_such_issue"]
