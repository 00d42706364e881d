"""LMS arithmetic, restricted tails, table lookups and growth-curve values."""

from __future__ import annotations

import csv
import math
from importlib import resources

import numpy as np
import pytest

from tumbuh.growth import (
    INDICATORS,
    Indicator,
    lms_at,
    lms_value_from_z,
    lms_z_from_value,
    value_from_z,
    z_from_lms,
)

SD_LINES = np.arange(-3, 4)


def _table_rows(indicator: Indicator) -> list[list[str]]:
    text = resources.files("tumbuh.growth.data").joinpath(INDICATORS[indicator].table)
    return list(csv.reader(text.read_text(encoding="utf-8").splitlines()))[1:]


class TestZFromLms:
    def test_median_has_z_zero(self) -> None:
        assert z_from_lms(3.3464, 0.3487, 3.3464, 0.14602)[()] == 0.0

    def test_plain_formula(self) -> None:
        y, L, M, S = 12.0, -0.2, 10.0, 0.1
        expected = ((y / M) ** L - 1) / (L * S)
        assert z_from_lms(y, L, M, S)[()] == expected

    @pytest.mark.parametrize("sign", [1.0, -1.0], ids=["upper_tail", "lower_tail"])
    def test_restricted_tail_beyond_three_sd(self, sign: float) -> None:
        L, M, S = 0.3487, 3.3464, 0.14602

        def sd(k: float) -> float:
            return M * (1 + L * S * k) ** (1 / L)

        y = sd(4.5 * sign)
        if sign > 0:
            expected = 3 + (y - sd(3)) / (sd(3) - sd(2))
        else:
            expected = -3 + (y - sd(-3)) / (sd(-2) - sd(-3))
        got = z_from_lms(y, L, M, S, restricted=True)[()]
        assert got == pytest.approx(expected, rel=1e-14)
        assert abs(got) != pytest.approx(4.5)

    def test_restriction_leaves_the_inner_range_alone(self) -> None:
        y = np.linspace(2.5, 4.5, 50)
        plain = z_from_lms(y, 0.3487, 3.3464, 0.14602)
        inner = np.abs(plain) <= 3
        assert inner.all()
        assert (z_from_lms(y, 0.3487, 3.3464, 0.14602, restricted=True) == plain).all()

    def test_nan_propagates_and_shape_is_kept(self) -> None:
        y = np.array([[np.nan, 3.0], [4.0, np.nan]])
        z = z_from_lms(y, 0.3487, 3.3464, 0.14602, restricted=True)
        assert z.shape == (2, 2)
        assert np.isnan(z[0, 0])
        assert np.isnan(z[1, 1])
        assert np.isfinite(z[0, 1])


class TestValueFromZ:
    def test_median_at_z_zero(self) -> None:
        assert value_from_z(0.0, -0.35, 7.43, 0.08)[()] == pytest.approx(
            7.43, rel=1e-15
        )

    @pytest.mark.parametrize("restricted", [False, True], ids=["plain", "restricted"])
    def test_round_trip_with_z_from_lms(self, restricted: bool) -> None:
        z = np.linspace(-7, 7, 141)
        y = value_from_z(z, -0.35, 7.43, 0.08, restricted=restricted)
        back = z_from_lms(y, -0.35, 7.43, 0.08, restricted=restricted)
        np.testing.assert_allclose(back, z, rtol=0, atol=1e-10)


class TestLmsAt:
    @pytest.mark.parametrize(
        "indicator",
        [
            Indicator.length_for_age,
            Indicator.weight_for_age,
            Indicator.arm_circumference_for_age,
        ],
        ids=["len", "wei", "ac"],
    )
    def test_whole_days_return_the_table_row(self, indicator: Indicator) -> None:
        rows = _table_rows(indicator)[::97]
        sex = [int(r[0]) for r in rows]
        days = [float(r[1]) for r in rows]
        L, M, S = lms_at(indicator, sex, days)
        assert L.tolist() == [float(r[2]) for r in rows]
        assert M.tolist() == [float(r[3]) for r in rows]
        assert S.tolist() == [float(r[4]) for r in rows]

    def test_ages_round_half_up_to_whole_days(self) -> None:
        _, m_half, _ = lms_at("wei", 1, [100.5, 100.49])
        _, m_whole, _ = lms_at("wei", 1, [101, 100])
        assert m_half.tolist() == m_whole.tolist()

    def test_length_between_tenths_is_interpolated(self) -> None:
        _, m, _ = lms_at("wfl", 2, [50.0, 50.05, 50.1])
        assert m[1] == pytest.approx((m[0] + m[2]) / 2, rel=1e-12)

    def test_who2007_months_are_interpolated(self) -> None:
        _, m, _ = lms_at("hfa", 1, [100.0, 100.25, 101.0])
        assert m[1] == pytest.approx(m[0] + 0.25 * (m[2] - m[0]), rel=1e-14)

    @pytest.mark.parametrize(
        ("indicator", "x"),
        [
            ("len", 1827),
            ("ac", 90),
            ("wfl", 44.9),
            ("wfh", 120.1),
            ("hfa", 59.9),
            ("wfa", 120.5),
        ],
        ids=[
            "len_after_1826_days",
            "ac_before_91_days",
            "wfl_below_45",
            "wfh_above_120",
            "hfa_before_60_months",
            "wfa_after_120_months",
        ],
    )
    def test_outside_the_table_is_nan(self, indicator: str, x: float) -> None:
        L, M, S = lms_at(indicator, 1, [x])
        assert np.isnan([L[0], M[0], S[0]]).all()

    def test_bad_sex_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="sex"):
            lms_at("len", ["x"], [10])


class TestGrowthCurves:
    # WHO Child Growth Standards, simplified field tables (z-scores, 1 decimal):
    # boys/girls at birth and weight-for-length at 45.0 cm.
    @pytest.mark.parametrize(
        ("indicator", "sex", "x", "published"),
        [
            ("wei", 1, 0, [2.1, 2.5, 2.9, 3.3, 3.9, 4.4, 5.0]),
            ("wei", 2, 0, [2.0, 2.4, 2.8, 3.2, 3.7, 4.2, 4.8]),
            ("len", 1, 0, [44.2, 46.1, 48.0, 49.9, 51.8, 53.7, 55.6]),
            ("len", 2, 0, [43.6, 45.4, 47.3, 49.1, 51.0, 52.9, 54.7]),
            ("wfl", 1, 45.0, [1.9, 2.0, 2.2, 2.4, 2.7, 3.0, 3.3]),
            ("wfl", 2, 45.0, [1.9, 2.1, 2.3, 2.5, 2.7, 3.0, 3.3]),
        ],
        ids=[
            "wfa_boys_birth",
            "wfa_girls_birth",
            "lfa_boys_birth",
            "lfa_girls_birth",
            "wfl_boys_45cm",
            "wfl_girls_45cm",
        ],
    )
    def test_sd_lines_match_who_published_tables(
        self, indicator: str, sex: int, x: float, published: list[float]
    ) -> None:
        values = lms_value_from_z(indicator, sex, np.full(7, x), SD_LINES)
        assert [round(float(v), 1) for v in values] == published

    def test_curve_values_score_back_to_their_z(self) -> None:
        days = np.repeat(np.arange(0, 1827, 50), 7)
        z = np.tile(SD_LINES, days.size // 7).astype(float)
        y = lms_value_from_z("bmi", 2, days, z)
        np.testing.assert_allclose(lms_z_from_value("bmi", 2, days, y), z, atol=1e-10)

    def test_sd_lines_are_ordered(self) -> None:
        for x in (50.0, 80.0, 109.9):
            y = lms_value_from_z("wfl", 1, np.full(7, x), SD_LINES)
            assert (np.diff(y) > 0).all()
            assert math.isfinite(float(y[0]))


class TestLibmRecompute:
    def test_scalar_libm_z_agrees_with_the_vector_kernel(self) -> None:
        from tumbuh.growth.lms import z_exact_libm

        rng = np.random.default_rng(3)
        for _ in range(200):
            L, M, S = rng.uniform(-1, 1), rng.uniform(2, 30), rng.uniform(0.03, 0.2)
            y = float(M * rng.uniform(0.4, 2.0))
            vec = float(z_from_lms(y, L, M, S, restricted=True)[()])
            assert z_exact_libm(y, L, M, L * S, restricted=True) == pytest.approx(
                vec, rel=1e-12, abs=1e-12
            )

    def test_scalar_libm_z_handles_impossible_powers(self) -> None:
        from tumbuh.growth.lms import z_exact_libm

        assert math.isnan(z_exact_libm(-1.0, 0.5, 10.0, 0.05, restricted=True))
        assert math.isnan(z_exact_libm(math.nan, 0.5, 10.0, 0.05, restricted=False))

    def test_rows_on_a_rounding_tie_are_rounded_from_the_libm_z(self) -> None:
        from tumbuh.growth import round_r, zscores
        from tumbuh.growth.lms import z_exact_libm

        # Weights whose z-score is (within an ulp) x.xx5: the kernel redoes
        # them with libm's pow, so the result is R's rounding of that z.
        targets = np.array([0.125, -1.375, 2.005, -0.015, 4.125])
        days = 400.0
        w = lms_value_from_z("wei", 2, np.full(targets.size, days), targets)
        r = zscores(sex=2, age_days=days, weight_kg=w, indicators=["wei"])
        L, M, S = lms_at("wei", 2, [days])
        expected = [
            float(
                round_r(
                    z_exact_libm(float(v), L[0], M[0], L[0] * S[0], restricted=True)
                )
            )
            for v in w
        ]
        assert r.zwei.tolist() == expected

    def test_who2007_rows_on_a_rounding_tie_use_the_libm_z(self) -> None:
        from tumbuh.growth import round_r, zscores_who2007
        from tumbuh.growth.lms import z_exact_libm

        targets = np.array([0.125, -2.375, 1.005])
        bmi = lms_value_from_z("bfa", 1, np.full(targets.size, 100.0), targets)
        # A height of 100 cm makes cbmi equal the weight exactly.
        r = zscores_who2007(sex=1, age_months=100.0, weight_kg=bmi, height_cm=100.0)
        L, M, S = lms_at("bfa", 1, [100.0])
        expected = [
            float(
                round_r(
                    z_exact_libm(float(v), L[0], M[0], L[0] * S[0], restricted=True)
                )
            )
            for v in bmi
        ]
        assert r.zbfa.tolist() == expected
