"""The zscores() API: edge cases, options, result object."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import numpy as np
import pytest

from tumbuh.growth import Indicator, ZScores, lms_value_from_z, zscores

_zmod = sys.modules["tumbuh.growth.zscores"]


def one(**kw: Any) -> ZScores:
    base: dict[str, Any] = {
        "sex": 1,
        "age_days": 400.0,
        "weight_kg": 9.5,
        "lenhei_cm": 75.0,
        "measure": "l",
    }
    return zscores(**{**base, **kw})


class TestEdgeCases:
    @pytest.mark.parametrize(
        ("kw", "scored"),
        [
            ({"age_days": 0.0}, True),
            (
                {
                    "age_days": 1826.2,
                    "lenhei_cm": 110.0,
                    "weight_kg": 18.0,
                    "measure": "h",
                },
                True,
            ),
            (
                {
                    "age_days": 1826.25,
                    "lenhei_cm": 110.0,
                    "weight_kg": 18.0,
                    "measure": "h",
                },
                False,
            ),
            (
                {
                    "age_days": 1856.0,
                    "lenhei_cm": 110.0,
                    "weight_kg": 18.0,
                    "measure": "h",
                },
                False,
            ),
            (
                {
                    "age_days": None,
                    "age_months": 59.99,
                    "lenhei_cm": 110.0,
                    "measure": "h",
                },
                True,
            ),
            (
                {
                    "age_days": None,
                    "age_months": 60.0,
                    "lenhei_cm": 110.0,
                    "measure": "h",
                },
                False,
            ),
            ({"sex": None}, False),
            ({"sex": np.nan}, False),
            ({"age_days": np.nan}, False),
        ],
        ids=[
            "age_0",
            "age_1826.2_days",
            "age_1826.25_days",
            "age_1856_days",
            "age_59.99_months",
            "age_60_months",
            "sex_none",
            "sex_nan",
            "age_nan",
        ],
    )
    def test_age_and_sex_validity(self, kw: dict[str, Any], scored: bool) -> None:
        r = one(**kw)
        assert np.isfinite(r.zlen[0]) == scored
        assert np.isfinite(r.zwei[0]) == scored

    @pytest.mark.parametrize("value", [0.0, -1.0], ids=["zero", "negative"])
    def test_zero_or_negative_measurement_is_missing_for_age_indicators(
        self, value: float
    ) -> None:
        r = one(headc_cm=value, armc_cm=value, triskin_mm=value, subskin_mm=value)
        assert np.isnan([r.zhc[0], r.zac[0], r.zts[0], r.zss[0]]).all()
        assert np.isnan([r.fhc[0], r.fac[0], r.fts[0], r.fss[0]]).all()

    def test_zero_weight_still_gets_a_flagged_weight_for_length(self) -> None:
        r = one(weight_kg=0.0)
        assert np.isnan(r.zwei[0])
        assert r.zwfl[0] < -5
        assert r.fwfl[0] == 1.0

    def test_arm_circumference_starts_at_91_days(self) -> None:
        r = zscores(sex=[1, 1], age_days=[90.4, 90.5], armc_cm=[13.0, 13.0])
        assert np.isnan(r.zac[0])
        assert np.isfinite(r.zac[1])

    @pytest.mark.parametrize(
        ("age_days", "measure", "clenhei", "cmeasure", "flag9"),
        [
            (273.0, "h", 70.0, None, 1.0),
            (274.0, "h", 70.7, "h", 0.0),
            (730.0, "h", 70.7, "h", 0.0),
            (730.5, "l", 69.3, "l", 0.0),
            (731.0, "h", 70.0, "h", 0.0),
            (1000.0, "L", 69.3, "l", 0.0),
            (400.0, None, 70.0, None, 0.0),
            (None, "h", 70.0, "h", 0.0),
        ],
        ids=[
            "standing_under_9_months",
            "standing_at_9_months",
            "standing_730_days",
            "lying_730.5_days_rounds_to_731",
            "standing_731_days",
            "lying_upper_case",
            "measure_missing",
            "age_missing",
        ],
    )
    def test_length_height_conversion_and_nine_month_rule(
        self,
        age_days: float | None,
        measure: str | None,
        clenhei: float,
        cmeasure: str | None,
        flag9: float,
    ) -> None:
        r = zscores(sex=1, age_days=age_days, lenhei_cm=70.0, measure=measure)
        assert r.clenhei[0] == pytest.approx(clenhei, abs=1e-12)
        assert r.cmeasure[0] == cmeasure
        assert r.c9mo_flag[0] == flag9

    def test_oedema_blanks_weight_based_indicators_only(self) -> None:
        r = one(oedema="y")
        assert np.isnan([r.zwei[0], r.zwfl[0], r.zbmi[0]]).all()
        assert np.isfinite(r.zlen[0])
        assert np.isfinite(r.cbmi[0])

    def test_weight_for_length_without_age_uses_the_measure_then_87_cm(self) -> None:
        r = zscores(
            sex=[1, 1, 1, 1],
            weight_kg=10.0,
            lenhei_cm=[70.0, 70.0, 86.9, 87.0],
            measure=["l", "h", None, None],
        )
        assert np.isfinite(r.zwfl[0])
        assert np.isfinite(r.zwfl[2])
        assert np.isfinite(r.zwfl[3])
        assert np.isfinite(r.zwfl[1])  # 70 cm is inside the height table too
        assert r.zwfl[0] != r.zwfl[1]

    @pytest.mark.parametrize(
        ("length", "scored"),
        [(44.9, False), (45.0, True), (110.0, True), (110.01, False)],
        ids=["below_45", "at_45", "at_110", "above_110"],
    )
    def test_weight_for_length_range_is_inclusive(
        self, length: float, scored: bool
    ) -> None:
        r = zscores(sex=2, age_days=200, weight_kg=5.0, lenhei_cm=length, measure="l")
        assert np.isfinite(r.zwfl[0]) == scored

    def test_flag_limits_are_applied_to_the_rounded_z(self) -> None:
        w = lms_value_from_z("wei", 1, [400.0, 400.0, 400.0], [5.0, 5.004, 5.006])
        r = zscores(sex=1, age_days=400, weight_kg=w)
        assert r.zwei.tolist() == [5.0, 5.0, 5.01]
        assert r.fwei.tolist() == [0.0, 0.0, 1.0]


class TestOptions:
    def test_indicators_limit_the_work_and_leave_the_rest_nan(self) -> None:
        r = one(indicators=[Indicator.length_for_age, "wfh"])
        assert np.isfinite(r.zlen[0])
        assert np.isfinite(r.zwfl[0])
        assert np.isnan(r.zwei[0])
        assert np.isnan(r.fwei[0])
        assert not r.zwei.flags.writeable

    @pytest.mark.parametrize(
        ("kw", "match"),
        [
            ({"indicators": ["xyz"]}, "unknown indicator"),
            ({"indicators": ["hfa"]}, "zscores_who2007"),
            ({"age_months": 10.0}, "not both"),
            ({"validate": "ignore"}, "validate"),
            ({"sex": "x"}, "sex"),
            ({"measure": "standing"}, "measure"),
            ({"oedema": "maybe"}, "oedema"),
            ({"age_days": -1.0}, "age_days"),
        ],
        ids=[
            "unknown_indicator",
            "who2007_indicator",
            "both_ages",
            "bad_validate",
            "bad_sex",
            "bad_measure",
            "bad_oedema",
            "negative_age",
        ],
    )
    def test_bad_arguments_raise_naming_the_problem(
        self, kw: dict[str, Any], match: str
    ) -> None:
        with pytest.raises(ValueError, match=match):
            one(**kw)

    def test_row_validation_reports_every_reason(self) -> None:
        r = zscores(
            sex=["x", 1, 1],
            age_days=[10.0, -5.0, 10.0],
            measure=["q", "l", "l"],
            lenhei_cm=50.0,
            validate="row",
        )
        assert r.issues.tolist() == [
            "sex: not one of 1, 2, m, f, M, F, NA; measure: not one of l, h, L, H, NA",
            "age_days: negative age",
            None,
        ]
        assert np.isfinite(r.zlen[2])
        assert np.isnan(r.zlen[:2]).all()

    def test_result_is_frozen_and_sized(self) -> None:
        r = one()
        assert len(r) == 1
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.zlen = np.zeros(1)  # type: ignore[misc]
        assert r.age_months_raw[0] == pytest.approx(400 / 30.4375)

    def test_threaded_chunks_give_the_same_result_as_one_pass(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        rng = np.random.default_rng(5)
        n = 5000
        kw: dict[str, Any] = {
            "sex": rng.integers(1, 3, n),
            "age_days": rng.uniform(0, 1900, n),
            "weight_kg": rng.uniform(2, 25, n),
            "lenhei_cm": rng.uniform(40, 125, n),
            "measure": rng.choice(np.array(["l", "h", ""]), n),
            "oedema": rng.choice(np.array(["n", "y"]), n, p=[0.95, 0.05]),
        }
        whole = zscores(**kw)
        monkeypatch.setattr(_zmod, "_CHUNK", 333)
        monkeypatch.setattr(_zmod, "_PARALLEL_MIN_ROWS", 1000)
        chunked = zscores(**kw)
        for name, arr in whole.to_dict().items():
            other = chunked.to_dict()[name]
            if arr.dtype == object:
                assert arr.tolist() == other.tolist(), name
            else:
                np.testing.assert_array_equal(arr, other, err_msg=name)

    def test_empty_input_gives_empty_columns(self) -> None:
        r = zscores(sex=np.array([], dtype=float), age_days=np.array([]))
        assert len(r) == 0
        assert r.cat_tbu.shape == (0,)


class TestThreadPool:
    def test_a_forked_child_scores_with_its_own_threads(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import multiprocessing

        monkeypatch.setattr(_zmod, "_PARALLEL_MIN_ROWS", 1000)
        kw: dict[str, Any] = {
            "sex": 1,
            "age_days": np.full(5000, 400.0),
            "weight_kg": 9.5,
        }
        parent = zscores(**kw).zwei  # creates the pool in this process
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(1) as pool:
            child = pool.apply_async(_zwei_in_child, (kw,)).get(timeout=60)
        np.testing.assert_array_equal(child, parent)


def _zwei_in_child(kw: dict[str, Any]) -> np.ndarray:
    _zmod._PARALLEL_MIN_ROWS = 1000
    return zscores(**kw).zwei
