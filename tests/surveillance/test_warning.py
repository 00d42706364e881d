"""Status rules and reasons of the early warning, on hand-made series."""

from __future__ import annotations

import pytest
from tests.language_words import offending

from tumbuh.surveillance.trends import SurveyAssumptions, standard_error
from tumbuh.surveillance.warning import (
    RegionSeries,
    Round,
    Status,
    TargetRef,
    assess_region,
)

ASSUME = SurveyAssumptions()
TARGETS = [
    TargetRef(2024, 14.0, "RPJMN 2020-2024"),
    TargetRef(2025, 18.8, "RPJMN 2025-2029"),
    TargetRef(2029, 14.2, "RPJMN 2025-2029"),
]


def rnd(year: int, value: float, source: str = "SSGI", **kw: object) -> Round:
    se = standard_error(
        value,
        ci_low=None,
        ci_high=None,
        n=None,
        assumed_n=ASSUME.n_kabkota,
        design_effect=ASSUME.design_effect,
    )
    return Round(year=year, source=source, value_pct=value, se=se, **kw)  # type: ignore[arg-type]


def assess(*rounds: Round, year: int = 2024, national: float | None = 19.8):
    return assess_region(
        RegionSeries("64.99", "Kota Contoh", rounds),
        year=year,
        kind="survey",
        level="kabkota",
        national=rnd(year, national) if national is not None else None,
        province=rnd(year, 22.2),
        targets=TARGETS,
        assumptions=ASSUME,
    )


class TestAssessRegion:
    def test_calls_a_two_round_rise_rising_and_cites_the_figures(self) -> None:
        out = assess(rnd(2022, 19.6), rnd(2023, 21.6, "SKI"), rnd(2024, 24.6))
        assert out.status == Status.rising
        assert out.reasons("id")[0] == (
            "SSGI 2024: 24,6 % (SKI 2023: 21,6 %, SSGI 2022: 19,6 %): "
            "naik dua putaran berturut-turut"
        )
        assert out.reasons("en")[0].endswith("rose two rounds in a row")
        assert out.rise_exceeds_uncertainty is False
        assert any("within its uncertainty" in r for r in out.reasons("en"))
        assert any("assumed n = 700" in r for r in out.reasons("en"))

    def test_says_when_a_rise_exceeds_its_uncertainty(self) -> None:
        out = assess(rnd(2022, 21.8), rnd(2023, 24.6, "SKI"), rnd(2024, 32.0))
        assert out.status == Status.rising
        assert out.rise_exceeds_uncertainty is True
        assert any("the rise exceeds its uncertainty" in r for r in out.reasons("en"))

    def test_never_calls_a_fall_rising(self) -> None:
        out = assess(rnd(2022, 24.7), rnd(2023, 29.0, "SKI"), rnd(2024, 26.9))
        assert out.status == Status.stalled
        assert out.rise_exceeds_uncertainty is None
        assert out.change_pct_points == pytest.approx(-2.1)

    def test_calls_a_fall_beyond_its_uncertainty_falling_when_off_track(self) -> None:
        out = assess(rnd(2022, 21.0), rnd(2023, 27.4, "SKI"), rnd(2024, 20.7))
        assert out.status == Status.falling
        assert out.projected_target_year is not None
        assert out.projected_target_year > 2029

    def test_calls_a_region_at_the_target_on_track(self) -> None:
        out = assess(rnd(2022, 27.1), rnd(2023, 17.6, "SKI"), rnd(2024, 14.2))
        assert out.status == Status.on_track
        assert out.below_national is True
        assert out.target == 14.2
        assert out.target_year == 2029
        assert out.projected_target_year == 2024

    def test_calls_a_region_projected_to_reach_the_target_in_time_on_track(
        self,
    ) -> None:
        out = assess(rnd(2022, 25.3), rnd(2023, 24.4, "SKI"), rnd(2024, 20.3))
        assert out.status == Status.on_track
        assert out.arr == pytest.approx(100 * (1 - (20.3 / 25.3) ** 0.5))
        assert out.projected_target_year == 2028

    def test_gives_no_data_without_a_figure_for_the_year(self) -> None:
        out = assess(rnd(2022, 24.9), rnd(2023, 22.4, "SKI"))
        assert out.status == Status.no_data
        assert out.latest_value is None
        assert out.below_national is None
        assert "SKI 2023: 22,4 %" in out.reasons("id")[0]
        assert [p["year"] for p in out.previous_values] == [2023, 2022]

    def test_gives_no_data_but_compares_a_single_round(self) -> None:
        out = assess(rnd(2024, 18.0))
        assert out.status == Status.no_data
        assert out.below_national is True
        assert "no trend" in out.reasons("en")[0]

    def test_leaves_below_national_null_without_a_national_figure(self) -> None:
        out = assess(rnd(2023, 22.0, "SKI"), rnd(2024, 18.0), national=None)
        assert out.below_national is None
        assert any("No national survey figure for 2024" in r for r in out.reasons("en"))

    def test_states_the_mean_rule_for_two_figures_of_one_year(self) -> None:
        out = assess(
            rnd(2023, 17.6, "SKI"),
            rnd(2024, 14.25, values=(14.2, 14.3), excluded=(13.9,)),
        )
        assert any(
            "(14,2 % dan 14,3 %): dipakai rata-ratanya, 14,25 %" in r
            for r in out.reasons("id")
        )
        assert any("not used: 13.9 %" in r for r in out.reasons("en"))

    def test_judges_an_earlier_year_from_the_rounds_before_it(self) -> None:
        out = assess(
            rnd(2021, 23.6), rnd(2022, 24.9), rnd(2023, 22.4, "SKI"), year=2022
        )
        assert out.status == Status.rising
        assert out.latest_value == 24.9
        assert [p["year"] for p in out.previous_values] == [2021]


# One series per branch of the reasons: rising (two rounds, one round), stalled, falling,
# on track, no figure (with and without an earlier one), one round, duplicates and
# left-out figures, a region above the province, no national figure.
BRANCHES = [
    assess(rnd(2022, 19.6), rnd(2023, 21.6, "SKI"), rnd(2024, 24.6)),
    assess(rnd(2023, 24.6, "SKI"), rnd(2024, 32.0)),
    assess(rnd(2022, 24.7), rnd(2023, 29.0, "SKI"), rnd(2024, 26.9)),
    assess(rnd(2022, 21.0), rnd(2023, 27.4, "SKI"), rnd(2024, 20.7)),
    assess(rnd(2022, 27.1), rnd(2023, 17.6, "SKI"), rnd(2024, 14.2)),
    assess(rnd(2022, 25.3), rnd(2023, 24.4, "SKI"), rnd(2024, 20.3)),
    assess(rnd(2023, 24.0, "SKI"), rnd(2024, 24.0)),
    assess(rnd(2022, 24.9), rnd(2023, 22.4, "SKI")),
    assess(year=2024),
    assess(rnd(2024, 18.0)),
    assess(rnd(2023, 22.0, "SKI"), rnd(2024, 18.0), national=None),
    assess(rnd(2023, 17.6, "SKI"), rnd(2024, 14.2, values=(14.2, 14.2))),
    assess(
        rnd(2023, 17.6, "SKI"), rnd(2024, 14.25, values=(14.2, 14.3), excluded=(13.9,))
    ),
]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_every_reason_speaks_one_language(lang: str) -> None:
    """Reasons are catalogue keys rendered in the reader's language: every key has its
    text in both catalogues (a missing English text would fall back to Indonesian), no
    word of the other language, no raw code and no bare key (issue 17)."""
    said = [r for out in BRANCHES for r in out.reasons(lang)]
    keys = {m.key for out in BRANCHES for m in out.messages}
    assert len(keys) >= 20  # the branches reach most reasons
    assert [r for r in said if "warning." in r] == []
    bad = {r: offending(r, lang, ["Kota Contoh"]) for r in said}
    assert {r: words for r, words in bad.items() if words} == {}


def test_reasons_are_kept_as_codes_and_numbers_in_the_readers_language() -> None:
    out = BRANCHES[0]
    assert all(m.key.startswith("warning.") for m in out.messages)
    assert ("value", "24.6") in out.messages[0].values[0][1][0].values  # type: ignore[union-attr]
    assert out.reasons("en")[0].startswith("SSGI 2024: 24.6 %")
    assert out.reasons("id")[0].startswith("SSGI 2024: 24,6 %")
    # A year is a name, not a quantity: no thousands separator.
    assert "2.024" not in " ".join(out.reasons("id"))
    assert "2,024" not in " ".join(out.reasons("en"))
