"""Trend arithmetic: ARR as WHO/UNICEF define it, standard errors, projections."""

from __future__ import annotations

import math

import pytest

from tumbuh.surveillance.trends import (
    Z95,
    SurveyAssumptions,
    annual_rate_of_reduction,
    arr_interval,
    project,
    projected_year,
    standard_error,
)


class TestAnnualRateOfReduction:
    def test_matches_the_who_2025_stunting_target_of_about_3_9_percent_a_year(
        self,
    ) -> None:
        # WHO Global Nutrition Targets 2025 (stunting policy brief): a 40 % reduction
        # between 2012 and 2025 means a relative reduction of about 3.9 % per year.
        arr = annual_rate_of_reduction(100.0, 60.0, 2012, 2025)
        assert arr == pytest.approx(0.0385, abs=5e-4)

    def test_is_negative_when_prevalence_rises(self) -> None:
        arr = annual_rate_of_reduction(19.6, 24.6, 2022, 2024)
        assert arr is not None
        assert arr == pytest.approx(1 - math.sqrt(24.6 / 19.6))
        assert arr < 0

    @pytest.mark.parametrize(
        ("p1", "p2", "t1", "t2"),
        [(20.0, 18.0, 2024, 2024), (0.0, 10.0, 2020, 2024), (10.0, 0.0, 2020, 2024)],
        ids=["same-year", "zero-start", "zero-end"],
    )
    def test_is_undefined_for_degenerate_inputs(
        self, p1: float, p2: float, t1: int, t2: int
    ) -> None:
        assert annual_rate_of_reduction(p1, p2, t1, t2) is None

    def test_interval_contains_the_estimate_and_widens_with_the_se(self) -> None:
        arr = annual_rate_of_reduction(27.1, 14.2, 2022, 2024)
        narrow = arr_interval(27.1, 0.5, 14.2, 0.5, 2022, 2024)
        wide = arr_interval(27.1, 2.5, 14.2, 2.5, 2022, 2024)
        assert arr is not None
        assert narrow is not None
        assert wide is not None
        assert narrow[0] < arr < narrow[1]
        assert wide[0] < narrow[0]
        assert wide[1] > narrow[1]


class TestStandardError:
    def test_comes_from_a_published_ci_first(self) -> None:
        se = standard_error(
            20.0, ci_low=18.0, ci_high=22.0, n=500, assumed_n=700, design_effect=2
        )
        assert se.basis == "ci"
        assert se.se_pct == pytest.approx(4.0 / (2 * Z95))

    def test_comes_from_n_and_the_design_effect_without_a_ci(self) -> None:
        se = standard_error(
            20.0, ci_low=None, ci_high=None, n=400, assumed_n=700, design_effect=2
        )
        assert se.basis == "n"
        assert se.se_pct == pytest.approx(100 * math.sqrt(0.2 * 0.8 * 2 / 400))

    def test_falls_back_to_the_assumed_n(self) -> None:
        defaults = SurveyAssumptions()
        se = standard_error(
            20.0,
            ci_low=None,
            ci_high=None,
            n=None,
            assumed_n=defaults.assumed_n("kabkota"),
            design_effect=defaults.design_effect,
        )
        assert se.basis == "assumed"
        assert se.n == 700


class TestProjection:
    def test_projects_at_a_constant_arr(self) -> None:
        assert project(20.0, 0.1, 2) == pytest.approx(16.2)

    def test_gives_the_first_year_at_or_below_the_target(self) -> None:
        # 20.3 * 0.9^4 = 13.3 <= 14.2 < 20.3 * 0.9^3 = 14.8
        assert projected_year(20.3, year=2024, arr=0.1, target_pct=14.2) == 2028

    def test_gives_the_same_year_when_already_at_target(self) -> None:
        assert projected_year(14.2, year=2024, arr=-0.2, target_pct=14.2) == 2024

    def test_gives_none_when_prevalence_is_not_falling(self) -> None:
        assert projected_year(24.6, year=2024, arr=-0.12, target_pct=14.2) is None
        assert projected_year(24.6, year=2024, arr=None, target_pct=14.2) is None
