"""The risk model on small hand-made registers: who is in the unit, labels, features,
refusals, explanations and the evaluation helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.isotonic import IsotonicRegression

from tumbuh.errors import InvalidInput
from tumbuh.i18n import render_all
from tumbuh.risk.model import (
    FEATURE_NAMES,
    LogisticPart,
    RegisterFrames,
    TrainedModel,
    _capture,
    _centred_isotonic,
    build_family_years,
    calibration_table,
    evaluate,
    explain,
    krs_baseline_score,
    labelled_years,
    routine_trend,
    segment_of,
    signals,
    train,
)


def _frames() -> RegisterFrames:
    """Five families:

    1. a child born 2022-06-01, HAZ -1.8 in Nov 2023, -2.3 in Mar 2024: new case in 2024;
    2. a child already stunted in 2023 (-2.5), stunted again in 2024: not in the unit;
    3. no young child, a KEK + anaemic pregnancy screened Oct 2023 (due Mar 2024): in the unit;
    4. a child of 30 months at 2024-01-01: not in the unit (not under 24 months);
    5. a child under 2 with only a flagged HAZ of -6 before 2024, then -1.0: in, label 0.
    """
    families = pd.DataFrame(
        {
            "family_id": [1, 2, 3, 4, 5],
            "desa_code": ["64.72.03.1005"] * 3 + ["64.72.03.1006"] * 2,
            "water_source": ["surface_water", "piped", "piped", "piped", "piped"],
            "latrine": ["none", "own_septic", "own_septic", "own_septic", "own_septic"],
            "wife_pregnant": [None] * 5,
            "wife_modern_contraception": [None] * 5,
            "welfare_decile": [1, 5, 5, 5, 9],
            "surveyed_on": [pd.Timestamp("2023-07-01")] * 5,
        }
    )
    persons = pd.DataFrame(
        {
            "person_id": [10, 11, 20, 21, 30, 40, 41, 50, 51],
            "family_id": [1, 1, 2, 2, 3, 4, 4, 5, 5],
            "family_role": [
                "istri",
                "anak",
                "istri",
                "anak",
                "istri",
                "istri",
                "anak",
                "istri",
                "anak",
            ],
            "sex": ["F", "M", "F", "F", "F", "F", "M", "F", "F"],
            "birth_date": pd.to_datetime(
                [
                    "2006-05-01",  # 17 at 2024-01-01: too young
                    "2022-06-01",
                    "1990-01-01",
                    "2022-09-01",
                    "1995-01-01",
                    "1990-01-01",
                    "2021-07-01",
                    "1992-01-01",
                    "2023-02-01",
                ]
            ),
            "birth_weight_kg": [None, 2.3, None, 3.0, None, None, 3.1, None, 3.2],
        }
    )
    rows = [
        (11, "2023-11-10", -1.8, False),
        (11, "2024-03-10", -2.3, False),
        (21, "2023-06-10", -2.5, False),
        (21, "2024-06-10", -2.6, False),
        (41, "2023-10-10", -1.9, False),
        (41, "2024-05-10", -2.4, False),
        (51, "2023-08-10", -6.0, True),
        (51, "2024-04-10", -1.0, False),
    ]
    measurements = pd.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "measured_on": pd.to_datetime([r[1] for r in rows]),
            "weight_kg": [9.0] * len(rows),
            "zlen": [r[2] for r in rows],
            "zwei": [-1.0] * len(rows),
            "flen": [r[3] for r in rows],
            "fwei": [False] * len(rows),
        }
    )
    screenings = pd.DataFrame(
        {
            "person_id": [30],
            "kind": ["hamil"],
            "screened_on": pd.to_datetime(["2023-10-01"]),
            "muac_cm": [22.8],
            "hb_g_dl": [10.2],
            "due_date": pd.to_datetime(["2024-03-01"]),
        }
    )
    return RegisterFrames(families, persons, measurements, screenings)


class TestFamilyYears:
    def test_unit_is_pregnancy_or_not_stunted_child_under_2(self) -> None:
        t = build_family_years(_frames(), 2024)
        assert sorted(t["family_id"]) == [1, 3, 5]

    def test_label_is_a_new_non_flagged_stunting_measurement_in_the_year(self) -> None:
        t = build_family_years(_frames(), 2024).set_index("family_id")
        assert t.loc[1, "label"] == 1
        assert t.loc[3, "label"] == 0
        assert t.loc[5, "label"] == 0

    def test_flagged_measurement_does_not_make_a_child_stunted_before(self) -> None:
        t = build_family_years(_frames(), 2024).set_index("family_id")
        assert t.loc[5, "haz_last"] != -6.0
        assert bool(t.loc[5, "haz_unknown"])

    def test_features_come_from_before_the_reference_date(self) -> None:
        t = build_family_years(_frames(), 2024).set_index("family_id")
        assert t.loc[1, "haz_last"] == pytest.approx(-1.8)
        assert t.loc[1, "haz_near_cut"] == pytest.approx(0.8)
        assert bool(t.loc[1, "lbw"])
        assert bool(t.loc[1, "water"])
        assert bool(t.loc[1, "latrine"])
        assert bool(t.loc[1, "too_young"])
        assert t.loc[1, "n_krs_factors"] == 3
        # 19 months old: 5 of the next 12 months are inside the 3-24 month window.
        assert t.loc[1, "window_ahead"] == pytest.approx(24 - 19.0, abs=0.1)

    def test_pregnancy_screening_gives_kek_and_anaemia(self) -> None:
        t = build_family_years(_frames(), 2024).set_index("family_id")
        assert bool(t.loc[3, "pregnant"])
        assert bool(t.loc[3, "kek"])
        assert bool(t.loc[3, "anaemia"])
        assert t.loc[3, "muac"] == pytest.approx(22.8)

    def test_a_screening_after_the_due_date_is_not_a_pregnancy(self) -> None:
        t = build_family_years(_frames(), 2025)
        assert 3 not in set(t["family_id"])

    def test_labelled_years_need_the_year_before(self) -> None:
        assert labelled_years(_frames()) == [2024]


class TestRefusals:
    def test_too_few_family_years(self) -> None:
        with pytest.raises(InvalidInput, match="history too short to train"):
            train(_frames())

    def test_one_year_of_measurements(self) -> None:
        f = _frames()
        f.measurements = f.measurements.loc[
            f.measurements["measured_on"].dt.year == 2024
        ]
        with pytest.raises(InvalidInput, match="2 consecutive"):
            train(f)

    def test_evaluate_needs_two_labelled_years(self) -> None:
        with pytest.raises(InvalidInput, match="history too short to evaluate"):
            evaluate(_frames())


def _model(weights: dict[str, float]) -> TrainedModel:
    n = len(FEATURE_NAMES)
    iso = IsotonicRegression(out_of_bounds="clip").fit([0.0, 1.0], [0.0, 1.0])
    return TrainedModel(
        fill=dict.fromkeys(FEATURE_NAMES, 0.0),
        mean=np.zeros(n),
        scale=np.ones(n),
        coef=np.array([weights.get(name, 0.0) for name in FEATURE_NAMES]),
        intercept=0.0,
        calibrator=iso,
        fit_years=[2023],
        calibration_years=[2023],
        calibration_method="test",
        trained_at="2026-01-01T00:00:00+00:00",
    )


class TestExplanations:
    def test_words_with_the_family_values(self) -> None:
        t = build_family_years(_frames(), 2024)
        model = _model({"kek": 2.0, "anaemia": 1.0, "water": 0.5, "haz_near_cut": 1.0})
        e = explain(model, t).set_index(t["family_id"])
        e["reasons_id"] = e["reasons"].map(lambda m: render_all(m, "id"))
        e["reasons_en"] = e["reasons"].map(lambda m: render_all(m, "en"))
        assert e.loc[3, "reasons_id"].startswith("Ibu hamil KEK (LiLA 22,8 cm)")
        assert "Ibu hamil anemia (Hb 10,2 g/dL)" in e.loc[3, "reasons_id"]
        assert "MUAC 22.8 cm" in e.loc[3, "reasons_en"]
        assert e.loc[1, "reason_keys"].split(";") == ["haz", "water"]
        assert "-1,80 SD" in e.loc[1, "reasons_id"]

    def test_absent_factors_are_never_reasons(self) -> None:
        t = build_family_years(_frames(), 2024)
        # A negative weight makes "no KEK" (below the mean) push the score up: not a reason.
        model = _model({"kek": -2.0})
        e = explain(model, t)
        assert not any(m.key == "risk.reason.kek" for ms in e["reasons"] for m in ms)

    def test_signals_whatever_the_model_weights(self) -> None:
        t = build_family_years(_frames(), 2024)
        sig = signals(t).set_index(t["family_id"])
        sig["signals_id"] = sig["signals"].map(lambda m: render_all(m, "id"))
        assert sig.loc[3, "signal_keys"] == "kek;anaemia"
        assert sig.loc[3, "signals_id"] == (
            "Ibu hamil KEK (LiLA 22,8 cm); Ibu hamil anemia (Hb 10,2 g/dL)"
        )
        assert sig.loc[1, "signal_keys"] == "lbw"
        assert "2,30 kg" in sig.loc[1, "signals_id"]
        assert sig.loc[5, "signal_keys"] == "unmeasured"

    def test_weighing_signals_are_2t_and_bgm_only(self) -> None:
        base = (
            build_family_years(_frames(), 2024).iloc[[0, 0, 0]].reset_index(drop=True)
        )
        base["faltering"] = True  # a single T: not a signal
        base["faltering_2t"] = [False, True, False]
        base["bgm"] = [False, False, True]
        base["lbw"] = False
        keys = signals(base)["signal_keys"].tolist()
        assert keys == ["", "faltering", "bgm"]
        assert "(2T)" in render_all(signals(base)["signals"].iloc[1], "en")

    def test_at_most_top_reasons(self) -> None:
        t = build_family_years(_frames(), 2024)
        model = _model(dict.fromkeys(FEATURE_NAMES, 1.0))
        e = explain(model, t, top=2)
        assert (e["reason_keys"].str.count(";") <= 1).all()


class TestEvaluationHelpers:
    def test_capture_share_of_cases_in_the_top(self) -> None:
        score = np.array([0.9, 0.8, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.05])
        label = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
        assert _capture(score, label, 0.10) == pytest.approx(0.5)
        assert _capture(score, label, 0.20) == pytest.approx(0.5)
        assert _capture(-score, label, 0.20) == pytest.approx(0.0)

    def test_calibration_deciles_are_equal_count(self) -> None:
        rng = np.random.default_rng(1)
        pred = rng.random(1000)
        label = (rng.random(1000) < pred).astype(int)
        cal = calibration_table(pred, label)
        assert [r["families"] for r in cal] == [100] * 10
        assert cal[0]["predicted"] < cal[-1]["predicted"]
        assert all(abs(r["predicted"] - r["observed"]) < 0.15 for r in cal)

    def test_baseline_orders_by_number_of_krs_factors(self) -> None:
        t = pd.DataFrame({"n_krs_factors": [0, 3, 1, 2, 0]})
        s = krs_baseline_score(t, seed=1)
        assert list(np.argsort(-s)[:3]) == [1, 3, 2]
        assert np.array_equal(s, krs_baseline_score(t, seed=1))


def _prevalence_frames(rates: dict[int, float], n: int = 200) -> RegisterFrames:
    """``n`` children per year, each measured once in August, a share ``rate`` stunted."""
    births, rows = [], []
    for year, rate in rates.items():
        for i in range(n):
            births.append(pd.Timestamp(year=year - 2, month=1, day=1))
            rows.append((len(births), f"{year}-08-01", -2.5 if i < rate * n else -0.5))
    ids = np.arange(1, len(births) + 1)
    families = pd.DataFrame({"family_id": ids, "desa_code": "64.72.03.1005"})
    persons = pd.DataFrame(
        {
            "person_id": ids,
            "family_id": ids,
            "family_role": "anak",
            "sex": "F",
            "birth_date": births,
        }
    )
    measurements = pd.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "measured_on": pd.to_datetime([r[1] for r in rows]),
            "weight_kg": 10.0,
            "zlen": [r[2] for r in rows],
            "zwei": -1.0,
            "flen": False,
            "fwei": False,
        }
    )
    screenings = pd.DataFrame(
        columns=["person_id", "kind", "screened_on", "muac_cm", "hb_g_dl", "due_date"]
    )
    return RegisterFrames(families, persons, measurements, screenings)


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


class TestSegmentsAndTrend:
    def test_a_family_is_in_the_child_segment_only_with_a_measured_young_child(
        self,
    ) -> None:
        t = build_family_years(_frames(), 2024)
        seg = dict(zip(t["family_id"], segment_of(t), strict=True))
        assert seg[1] == "child"  # HAZ -1.8 known
        assert seg[3] == "other"  # a pregnancy only
        assert seg[5] == "other"  # only a flagged HAZ: never validly measured

    def test_each_segment_is_scored_by_its_own_model(self) -> None:
        t = build_family_years(_frames(), 2024)
        model = _model({})
        z = np.zeros(len(FEATURE_NAMES))
        identity = IsotonicRegression(out_of_bounds="clip").fit([0.0, 1.0], [0.0, 1.0])
        model.segments = {
            "child": LogisticPart(
                dict.fromkeys(FEATURE_NAMES, 0.0), z, z + 1, z, 2.0, identity
            )
        }
        risk = dict(zip(t["family_id"], model.predict(t), strict=True))
        assert risk[1] == pytest.approx(1 / (1 + np.exp(-2.0)))
        assert risk[3] == pytest.approx(0.5)  # pooled model: all weights 0
        assert risk[5] == pytest.approx(0.5)

    def test_routine_trend_is_the_yearly_change_of_the_logit_prevalence(self) -> None:
        frames = _prevalence_frames({2022: 0.30, 2023: 0.25, 2024: 0.20})
        slope, rates = routine_trend(frames, until_year=2024)
        assert rates == {2022: 0.30, 2023: 0.25, 2024: 0.20}
        expected = np.polyfit(
            [2022, 2023, 2024], [_logit(0.30), _logit(0.25), _logit(0.20)], 1
        )[0]
        assert slope == pytest.approx(expected)
        first, _ = routine_trend(frames, until_year=2023)
        assert first == pytest.approx(_logit(0.25) - _logit(0.30))
        assert routine_trend(frames, until_year=2022)[0] == 0.0

    def test_routine_trend_ignores_small_years_and_is_clipped(self) -> None:
        frames = _prevalence_frames({2022: 0.40, 2023: 0.10})
        slope, _ = routine_trend(frames, until_year=2023)
        assert slope == pytest.approx(-0.3)  # logit change -1.79, clipped
        few = _prevalence_frames({2022: 0.40, 2023: 0.10}, n=50)
        assert routine_trend(few, until_year=2023) == (0.0, {})

    def test_trend_sets_each_segments_mean_risk_to_its_forecast_rate(self) -> None:
        t = build_family_years(_frames(), 2024)
        model = _model({"haz_near_cut": 1.0})
        before = model.predict(t)
        assert model.year_shifts(t) == {}  # no trend: no shift
        model.trend_per_year, model.trend_reference_year = -0.1, 2022.5
        model.trend_reference_logit = float(_logit(0.2))
        model.trend_reference_logits = {"child": float(_logit(0.3))}
        assert model.forecast_rate(2024, "child") == pytest.approx(
            1 / (1 + np.exp(-(_logit(0.3) - 0.15)))
        )
        # A segment without a rate of its own takes the rate of all families.
        assert model.forecast_rate(2024, "other") == pytest.approx(
            1 / (1 + np.exp(-(_logit(0.2) - 0.15)))
        )
        after = model.predict(t)
        shifts = model.year_shifts(t)
        seg = segment_of(t)
        for key in set(seg):
            mask = seg == key
            # The segment's mean risk is its forecast rate, by one shift of every
            # family's logit (the ranking within the segment is kept).
            assert after[mask].mean() == pytest.approx(
                model.forecast_rate(2024, key), abs=1e-6
            )
            inside = mask & (before > 0) & (before < 1)
            shift = np.log(after / (1 - after)) - np.log(before / (1 - before))
            assert shift[inside] == pytest.approx(
                np.full(inside.sum(), shifts[(2024, key)])
            )
        # A part of the unit scored with the shifts of the whole gets the same risks.
        part = t.iloc[: len(t) // 2]
        same = model.predict(part, shifts=shifts)
        assert same == pytest.approx(after[: len(t) // 2])


class TestCentredIsotonic:
    def test_monotone_without_steps_and_calibrated_in_the_large(self) -> None:
        rng = np.random.default_rng(4)
        raw = rng.random(5000)
        label = (rng.random(5000) < 0.1 + 0.6 * raw).astype(int)
        cal = _centred_isotonic(raw, label)
        grid = np.linspace(0.05, 0.95, 400)
        smooth = cal.predict(grid)
        assert np.all(np.diff(smooth) >= 0)
        plain = IsotonicRegression(out_of_bounds="clip").fit(raw, label).predict(grid)
        # The staircase repeats values along the grid; the centred map hardly does.
        assert np.unique(smooth).size > 0.9 * grid.size > np.unique(plain).size
        assert cal.predict(raw).mean() == pytest.approx(label.mean(), abs=0.01)
        assert np.abs(smooth - (0.1 + 0.6 * grid)).max() < 0.08
