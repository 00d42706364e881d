"""R's round(x, 2): nearer of the two 2-decimal neighbours, ties to even."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tumbuh.growth import round_r


def r_round_scalar(x: float, digits: int = 2) -> float:
    """R 4.x fround() for one value, written from its description."""
    if math.isnan(x) or math.isinf(x) or x == 0.0:
        return x + 0.0
    sign = -1.0 if x < 0 else 1.0
    ax = abs(x)
    if math.log10(2) * (0.5 + math.frexp(ax)[1] - 1) + digits > 15:
        return x
    p = 10.0**digits
    x10 = p * ax
    i10 = math.floor(x10)
    xd, xu = i10 / p, math.ceil(x10) / p
    du, dd = xu - ax, ax - xd
    pick_up = du < dd or (du == dd and i10 % 2 == 1)
    return sign * (xu if pick_up else xd) + 0.0


class TestRoundR:
    @pytest.mark.parametrize(
        ("x", "expected"),
        [
            (0.015, 0.01),
            (0.025, 0.03),
            (2.675, 2.67),
            (-2.675, -2.67),
            (0.125, 0.12),
            (0.135, 0.14),
            (0.005, 0.0),
            (-0.001, 0.0),
            (5.0, 5.0),
            (-6.004999, -6.0),
            (1234.5678, 1234.57),
        ],
        ids=[
            "0.015_down_like_R",
            "0.025_up_like_R",
            "2.675_is_below_the_tie",
            "negative_mirrors_positive",
            "exact_tie_to_even_down",
            "exact_tie_to_even_up",
            "0.005_tie_goes_to_zero",
            "negative_zero_is_plain_zero",
            "integer_kept",
            "just_inside_a_flag_limit",
            "large_value",
        ],
    )
    def test_known_values_round_like_r(self, x: float, expected: float) -> None:
        got = float(round_r(np.array([x]))[0])
        assert got == expected
        assert (
            math.copysign(1.0, got) == math.copysign(1.0, expected) or expected == 0.0
        )

    def test_differs_from_numpy_round_where_r_does(self) -> None:
        x = np.array([0.015, 0.025])
        assert round_r(x).tolist() == [0.01, 0.03]
        assert np.round(x, 2).tolist() == [0.02, 0.02]

    def test_nan_and_infinities_pass_through(self) -> None:
        got = round_r(np.array([np.nan, np.inf, -np.inf]))
        assert np.isnan(got[0])
        assert got[1] == np.inf
        assert got[2] == -np.inf

    def test_values_with_more_digits_than_a_double_holds_are_unchanged(self) -> None:
        x = np.array([1e15 + 0.5, -3.0e20])
        assert round_r(x).tolist() == x.tolist()

    def test_every_three_decimal_tie_matches_the_scalar_algorithm(self) -> None:
        x = np.array([i / 1000 for i in range(-20000, 20000)])
        x = np.concatenate([x, np.nextafter(x, np.inf), np.nextafter(x, -np.inf)])
        expected = [r_round_scalar(v) for v in x.tolist()]
        assert round_r(x).tolist() == expected

    @given(
        st.lists(
            st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50
        )
    )
    def test_any_double_matches_the_scalar_algorithm(self, values: list[float]) -> None:
        got = round_r(np.array(values))
        expected = np.array([r_round_scalar(v) for v in values])
        assert ((got == expected) | (np.isnan(got) & np.isnan(expected))).all()

    @pytest.mark.parametrize("digits", [1, 3])
    def test_other_digit_counts_follow_the_same_rule(self, digits: int) -> None:
        x = np.linspace(-5, 5, 10001)
        assert round_r(x, digits).tolist() == [
            r_round_scalar(v, digits) for v in x.tolist()
        ]

    def test_scalar_input_and_out_argument(self) -> None:
        assert float(round_r(2.675)) == 2.67
        out = np.empty(2)
        res = round_r([1.005, 2.5], out=out)
        assert res is out
        assert out.tolist() == [1.0, 2.5]

    def test_zero_digits_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="digits"):
            round_r([1.5], 0)
