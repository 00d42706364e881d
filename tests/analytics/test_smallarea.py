"""Small-area shrinkage: small desa do not raise alarms by chance; real rises are flagged."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tumbuh.analytics.smallarea import shrink_rates, trend_status


def _simulate_constant(
    rng: np.random.Generator, *, desa: int, kecamatan: int, rate: float
) -> dict[str, np.ndarray]:
    """Two periods; every desa has the same true rate and 4-15 children measured."""
    ids = np.array([f"D{i:03d}" for i in range(desa)], dtype=object)
    parents = np.array([f"K{i % kecamatan}" for i in range(desa)], dtype=object)
    n1 = rng.integers(4, 16, size=desa).astype(float)
    n2 = rng.integers(4, 16, size=desa).astype(float)
    x1 = rng.binomial(n1.astype(int), rate).astype(float)
    x2 = rng.binomial(n2.astype(int), rate).astype(float)
    return {
        "region_ids": np.concatenate([ids, ids]),
        "parent_ids": np.concatenate([parents, parents]),
        "period": np.array([2024] * desa + [2025] * desa, dtype=object),
        "numerator": np.concatenate([x1, x2]),
        "denominator": np.concatenate([n1, n2]),
    }


class TestShrinkRates:
    def test_pulls_a_small_desa_towards_its_kecamatan(self) -> None:
        res = shrink_rates(
            region_ids=["a", "b", "c", "d", "e"],
            numerator=[3, 20, 22, 18, 21],
            denominator=[8, 100, 100, 100, 100],
            parent_ids=["k"] * 5,
        )
        assert res.raw_rate[0] == pytest.approx(3 / 8)
        pooled = (3 + 20 + 22 + 18 + 21) / 408
        assert abs(res.rate[0] - pooled) < abs(res.raw_rate[0] - pooled)
        assert res.sd[0] > res.sd[1]

    def test_keeps_a_large_desa_close_to_its_own_rate(self) -> None:
        res = shrink_rates(
            region_ids=["a", "b", "c", "d"],
            numerator=[400, 10, 50, 90],
            denominator=[1000, 100, 100, 100],
            parent_ids=["k"] * 4,
        )
        assert res.rate[0] == pytest.approx(0.4, abs=0.01)

    def test_gives_nan_for_a_desa_with_nobody_measured(self) -> None:
        res = shrink_rates(
            region_ids=["a", "b", "c"],
            numerator=[0, 2, 3],
            denominator=[0, 10, 10],
            parent_ids=["k"] * 3,
        )
        assert np.isnan(res.rate[0])
        assert np.isnan(res.sd[0])
        assert np.isfinite(res.rate[1])

    def test_handles_a_parent_with_no_cases_at_all(self) -> None:
        res = shrink_rates(
            region_ids=["a", "b", "c"],
            numerator=[0, 0, 0],
            denominator=[5, 9, 12],
            parent_ids=["k"] * 3,
        )
        assert np.all((res.rate > 0) & (res.rate < 0.1))

    def test_rejects_more_cases_than_children(self) -> None:
        with pytest.raises(ValueError, match="numerator <= denominator"):
            shrink_rates(
                region_ids=["a"], numerator=[5], denominator=[4], parent_ids=["k"]
            )

    def test_rejects_mismatched_lengths_naming_the_parameter(self) -> None:
        with pytest.raises(ValueError, match="parent_ids"):
            shrink_rates(
                region_ids=["a", "b"],
                numerator=[1, 2],
                denominator=[4, 4],
                parent_ids=["k"],
            )


class TestTrendStatus:
    def test_few_false_rising_among_many_small_desa_with_a_constant_rate(self) -> None:
        rng = np.random.default_rng(20241)
        data = _simulate_constant(rng, desa=600, kecamatan=20, rate=0.2)
        # Shrinkage alone, without the minimum number of children, keeps the tiny desa quiet.
        res = trend_status(**data, min_children=0)
        rising = float(np.mean(res.status == "rising"))
        # Raw rates: a rise of >= 1 child in 8 happens in about half the desa.
        raw_rose = float(np.mean(res.latest_raw > res.previous_raw))
        assert raw_rose > 0.3
        assert rising <= 0.02

    def test_flags_a_desa_with_a_real_large_rise_and_adequate_n(self) -> None:
        rng = np.random.default_rng(7)
        data = _simulate_constant(rng, desa=60, kecamatan=3, rate=0.2)
        # D000 goes from 10 % to 45 % with 80 children measured in each period.
        for key, values in (("numerator", (8.0, 36.0)), ("denominator", (80.0, 80.0))):
            data[key][0] = values[0]
            data[key][60] = values[1]
        res = trend_status(**data)
        assert res.region_ids[0] == "D000"
        assert res.status[0] == "rising"
        assert res.prob_rose[0] > 0.99
        assert res.latest_rate[0] > 0.35

    def test_does_not_flag_eight_children_going_from_one_to_three_stunted(self) -> None:
        rng = np.random.default_rng(11)
        data = _simulate_constant(rng, desa=60, kecamatan=3, rate=0.2)
        data["numerator"][0], data["denominator"][0] = 1.0, 8.0
        data["numerator"][60], data["denominator"][60] = 3.0, 8.0
        res = trend_status(**data, min_children=0)
        assert res.status[0] != "rising"
        assert 0.5 < res.prob_rose[0] < 0.95

    def test_flags_a_real_fall_as_falling_and_a_low_rate_as_on_track(self) -> None:
        ids = ["a", "b", "c", "d"] * 2
        period = [1] * 4 + [2] * 4
        x = [40, 20, 20, 20, 10, 20, 20, 20]
        n = [100] * 8
        res = trend_status(
            region_ids=ids,
            period=period,
            numerator=x,
            denominator=n,
            parent_ids=["k"] * 8,
        )
        assert res.status[0] == "falling"
        with_target = trend_status(
            region_ids=ids,
            period=period,
            numerator=x,
            denominator=n,
            parent_ids=["k"] * 8,
            target=0.15,
        )
        assert with_target.status[0] == "on_track"

    def test_gives_no_data_for_a_desa_with_one_period(self) -> None:
        res = trend_status(
            region_ids=["a", "b", "c", "a"],
            period=[1, 1, 1, 2],
            numerator=[1, 2, 3, 2],
            denominator=[10, 10, 10, 10],
            parent_ids=["k"] * 4,
            min_children=10,
        )
        assert list(res.region_ids) == ["a", "b", "c"]
        assert res.status[0] == "stalled"
        assert res.status[1] == "no_data"
        assert res.latest_period[1] == 1
        assert np.isnan(res.prob_rose[1])


class TestProperties:
    @settings(max_examples=50, deadline=None)
    @given(
        cells=st.lists(
            st.tuples(
                st.integers(0, 40),
                st.floats(0, 1),
                st.integers(0, 3),
                st.integers(0, 1),
            ),
            min_size=1,
            max_size=40,
        )
    )
    def test_shrunken_rate_lies_between_the_raw_rate_and_the_prior_mean(
        self, cells: list[tuple[int, float, int, int]]
    ) -> None:
        n = np.array([c[0] for c in cells], dtype=float)
        x = np.floor(n * np.array([c[1] for c in cells]))
        res = shrink_rates(
            region_ids=list(range(len(cells))),
            numerator=x,
            denominator=n,
            parent_ids=[c[2] for c in cells],
            period=[c[3] for c in cells],
        )
        ok = n > 0
        low = np.minimum(res.raw_rate, res.prior_mean)[ok]
        high = np.maximum(res.raw_rate, res.prior_mean)[ok]
        assert np.all(res.rate[ok] >= low - 1e-12)
        assert np.all(res.rate[ok] <= high + 1e-12)
        assert np.all(np.isnan(res.rate[~ok]))

    @settings(max_examples=25, deadline=None)
    @given(seed=st.integers(0, 10_000))
    def test_trend_status_does_not_depend_on_row_order(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        data = _simulate_constant(rng, desa=30, kecamatan=3, rate=0.25)
        perm = rng.permutation(60)
        shuffled = {k: v[perm] for k, v in data.items()}
        a = trend_status(**data)
        b = trend_status(**shuffled)
        order_a = np.argsort(a.region_ids.astype(str))
        order_b = np.argsort(b.region_ids.astype(str))
        assert list(a.status[order_a]) == list(b.status[order_b])
        np.testing.assert_allclose(a.prob_rose[order_a], b.prob_rose[order_b])


def _simulate_no_change(seed: int) -> dict[str, np.ndarray]:
    """A province with no true change: 600 desa in 20 kecamatan, 4-60 children each period.

    True desa rates differ (kecamatan effect plus desa effect, around 20 %) but stay the same in
    both periods; only sampling moves the observed rates.
    """
    rng = np.random.default_rng(seed)
    desa, kecamatan = 600, 20
    kec_rate = rng.beta(0.2 * 40, 0.8 * 40, size=kecamatan)
    parent_index = np.arange(desa) % kecamatan
    true = rng.beta(kec_rate[parent_index] * 30, (1 - kec_rate[parent_index]) * 30)
    ids = np.array([f"D{i:03d}" for i in range(desa)], dtype=object)
    parents = np.array([f"K{i}" for i in parent_index], dtype=object)
    n1 = rng.integers(4, 61, size=desa)
    n2 = rng.integers(4, 61, size=desa)
    return {
        "region_ids": np.concatenate([ids, ids]),
        "parent_ids": np.concatenate([parents, parents]),
        "period": np.array([2024] * desa + [2025] * desa, dtype=object),
        "numerator": np.concatenate(
            [rng.binomial(n1, true), rng.binomial(n2, true)]
        ).astype(float),
        "denominator": np.concatenate([n1, n2]).astype(float),
    }


class TestSmallAreasThatHold:
    def test_no_desa_under_the_minimum_number_of_children_is_rising(self) -> None:
        rng = np.random.default_rng(3)
        data = _simulate_constant(rng, desa=60, kecamatan=3, rate=0.2)
        # One child, stunted, where there was one child, not stunted: "100 % stunted".
        data["numerator"][0], data["denominator"][0] = 0.0, 1.0
        data["numerator"][60], data["denominator"][60] = 1.0, 1.0
        # Twelve children going from none to all stunted: a real signal, but too few.
        data["numerator"][1], data["denominator"][1] = 0.0, 12.0
        data["numerator"][61], data["denominator"][61] = 12.0, 12.0
        res = trend_status(**data)
        assert res.status[0] == "insufficient"
        assert res.status[1] == "insufficient"
        assert res.prob_rose[1] > 0.95  # the probability is still reported
        small = (res.latest_n < 20) | (res.previous_n < 20)
        assert set(res.status[small]) == {"insufficient"}

    def test_enough_children_turn_the_same_rise_into_rising(self) -> None:
        rng = np.random.default_rng(3)
        data = _simulate_constant(rng, desa=60, kecamatan=3, rate=0.2)
        data["numerator"][1], data["denominator"][1] = 2.0, 40.0
        data["numerator"][61], data["denominator"][61] = 30.0, 40.0
        res = trend_status(**data)
        assert res.status[1] == "rising"

    def test_a_small_kecamatan_cannot_pull_a_large_desa_anywhere(self) -> None:
        # Four desa agree closely on 10 % with 400 children each; a fifth has 10 of 60 (17 %).
        # The moment estimate of tau2 is 0, so without a cap the prior weighs all 1,660
        # children of the kecamatan and the desa's own 60 barely count.
        cells = {
            "region_ids": ["a", "b", "c", "d", "e"],
            "numerator": [40, 44, 36, 40, 10],
            "denominator": [400, 400, 400, 400, 60],
            "parent_ids": ["k"] * 5,
        }
        uncapped = shrink_rates(**cells, max_prior_strength=np.inf)
        assert uncapped.prior_strength[4] == pytest.approx(1660.0)
        assert uncapped.rate[4] < 0.105
        res = shrink_rates(**cells)
        assert res.prior_strength[4] == pytest.approx(100.0)
        # With the cap the desa keeps 60 / 160 of the say: 12.7 %, between 10 % and 16.7 %.
        assert res.rate[4] == pytest.approx((0.1 * 100 + 10) / 160, abs=0.002)

    @pytest.mark.parametrize("seed", [101, 202, 303, 404, 505])
    def test_false_alarms_stay_under_five_percent_of_desa_without_true_change(
        self, seed: int
    ) -> None:
        res = trend_status(**_simulate_no_change(seed))
        rising = float(np.mean(res.status == "rising"))
        falling = float(np.mean(res.status == "falling"))
        assert rising <= 0.05
        assert falling <= 0.05
        # Most desa with enough children get a real status, not "insufficient".
        judged = float(np.mean(res.status != "insufficient"))
        assert judged > 0.4
