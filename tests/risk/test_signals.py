"""Individual risk signals: thresholds at their boundaries, reasons, and weight faltering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tumbuh.i18n import render_all
from tumbuh.risk.config import SignalRules
from tumbuh.risk.signals import (
    anaemia,
    catin_screening,
    kek,
    low_birth_weight,
    weight_faltering,
)


class TestKek:
    @pytest.mark.parametrize(
        ("lila", "flag"),
        [(22.8, True), (23.4, True), (23.5, False), (30.0, False), (np.nan, False)],
        ids=["22.8", "23.4", "23.5-boundary-not-kek", "30", "unknown"],
    )
    def test_lila_below_23_5_is_kek(self, lila: float, flag: bool) -> None:
        assert kek([lila]).flag.tolist() == [flag]

    def test_reason_in_both_languages(self) -> None:
        sig = kek([22.8, 25.0])
        assert sig.reasons("id").tolist() == [
            "Ibu hamil KEK (LiLA 22,8 cm < 23,5 cm)",
            "",
        ]
        assert sig.reasons("en")[0] == (
            "Pregnant woman with chronic energy deficiency (MUAC 22.8 cm < 23.5 cm)"
        )

    def test_unknown_is_not_known(self) -> None:
        assert kek([np.nan, 20.0]).known.tolist() == [False, True]

    def test_threshold_is_a_setting(self) -> None:
        assert kek(
            [24.0], rules=SignalRules(kek_lila_under_cm=24.95)
        ).flag.tolist() == [True]


class TestAnaemia:
    @pytest.mark.parametrize(
        ("hb", "pregnant", "flag"),
        [
            (10.9, True, True),
            (11.0, True, False),
            (11.9, False, True),
            (12.0, False, False),
            (11.5, True, False),
            (np.nan, True, False),
        ],
        ids=[
            "pregnant-10.9",
            "pregnant-11-boundary",
            "girl-11.9",
            "girl-12-boundary",
            "pregnant-11.5-ok",
            "unknown",
        ],
    )
    def test_thresholds(self, hb: float, pregnant: bool, flag: bool) -> None:
        assert anaemia([hb], pregnant=pregnant).flag.tolist() == [flag]

    def test_mixed_groups_and_reasons(self) -> None:
        sig = anaemia([10.5, 11.5, 13.0], pregnant=[True, False, False])
        assert sig.flag.tolist() == [True, True, False]
        assert sig.reasons("id")[0] == "Anemia ibu hamil (Hb 10,5 g/dL < 11 g/dL)"
        assert sig.reasons("en")[1] == "Anaemia, not pregnant (Hb 11.5 g/dL < 12 g/dL)"
        assert sig.reasons("en")[2] == ""


class TestLowBirthWeight:
    @pytest.mark.parametrize(
        ("grams", "flag"),
        [(2499, True), (2500, False), (1800, True), (np.nan, False)],
        ids=["2499", "2500-boundary", "1800", "unknown"],
    )
    def test_below_2500_g(self, grams: float, flag: bool) -> None:
        assert low_birth_weight([grams]).flag.tolist() == [flag]

    def test_reason(self) -> None:
        sig = low_birth_weight([2400])
        # Babel's id_ID groups thousands with a dot: 2.400 g.
        assert sig.reasons("id")[0] == "BBLR (berat lahir 2.400 g < 2.500 g)"
        assert (
            sig.reasons("en")[0] == "Low birth weight (birth weight 2,400 g < 2,500 g)"
        )
        message = sig.messages()[0]
        assert message is not None
        assert (message.key, dict(message.values)) == (
            "signal.reason.lbw",
            {"value": "2400", "cut": "2500"},
        )


class TestCatin:
    def screen(self, **kw: float) -> dict[str, bool]:
        args = {
            "age_years": 24.0,
            "hb_g_dl": 13.0,
            "lila_cm": 25.0,
            "weight_kg": 55.0,
            "height_cm": 158.0,
        }
        args.update(kw)
        res = catin_screening(
            age_years=[args["age_years"]],
            hb_g_dl=[args["hb_g_dl"]],
            lila_cm=[args["lila_cm"]],
            weight_kg=[args["weight_kg"]],
            height_cm=[args["height_cm"]],
        )
        return {
            "anaemia": bool(res.anaemia.flag[0]),
            "kek": bool(res.kek.flag[0]),
            "underweight": bool(res.underweight.flag[0]),
            "too_young": bool(res.too_young.flag[0]),
            "at_risk": bool(res.at_risk[0]),
        }

    @pytest.mark.parametrize(
        ("changes", "flagged"),
        [
            ({}, set()),
            ({"hb_g_dl": 11.9}, {"anaemia"}),
            ({"hb_g_dl": 12.0}, set()),
            ({"lila_cm": 23.4}, {"kek"}),
            ({"lila_cm": 23.5}, set()),
            # 46.2 kg / 1.58 m^2 = 18.506 -> 18.5, not underweight
            ({"weight_kg": 46.2}, set()),
            # 46.0 kg / 1.58 m^2 = 18.43 -> 18.4, underweight
            ({"weight_kg": 46.0}, {"underweight"}),
            ({"age_years": 19.9}, {"too_young"}),
            ({"age_years": 20.0}, set()),
        ],
        ids=[
            "healthy",
            "hb-11.9",
            "hb-12-boundary",
            "lila-23.4",
            "lila-23.5-boundary",
            "bmi-18.5-boundary",
            "bmi-18.4",
            "age-19.9-completed-19",
            "age-20-boundary",
        ],
    )
    def test_criteria(self, changes: dict[str, float], flagged: set[str]) -> None:
        result = self.screen(**changes)
        assert {k for k, v in result.items() if v and k != "at_risk"} == flagged
        assert result["at_risk"] == bool(flagged)

    def test_marriage_law_age_is_a_setting(self) -> None:
        rules = SignalRules(catin_age_under=19)
        res = catin_screening(
            age_years=[18, 19],
            hb_g_dl=[13, 13],
            lila_cm=[25, 25],
            weight_kg=[55, 55],
            height_cm=[158, 158],
            rules=rules,
        )
        assert res.too_young.flag.tolist() == [True, False]

    def test_reasons_are_joined(self) -> None:
        res = catin_screening(
            age_years=[18],
            hb_g_dl=[11.0],
            lila_cm=[25],
            weight_kg=[55],
            height_cm=[158],
        )
        assert res.reasons("id")[0] == (
            "Catin anemia (Hb 11,0 g/dL < 12 g/dL); "
            "Catin terlalu muda (umur 18 tahun < 20 tahun)"
        )
        assert res.reasons("en")[0].endswith("(age 18 years < 20 years)")

    def test_mismatched_lengths_name_the_parameter(self) -> None:
        with pytest.raises(ValueError, match="weight_kg"):
            catin_screening(
                age_years=[20, 21],
                hb_g_dl=[12, 12],
                lila_cm=[25, 25],
                weight_kg=[50, 50, 50],
                height_cm=[150, 150],
            )


def series(
    weights: list[float],
    *,
    start_age: int = 5,
    zwei: list[float] | None = None,
    zlen: list[float] | None = None,
    child: str = "a",
    start: str = "2024-01",
) -> pd.DataFrame:
    """Monthly weighings of one child, one calendar month apart."""
    n = len(weights)
    return pd.DataFrame(
        {
            "child_id": child,
            # The 10th of each month from `start`.
            "date": pd.date_range(start, periods=n, freq="MS") + pd.Timedelta(days=9),
            "weight_kg": weights,
            "zwei": zwei if zwei is not None else [-1.0] * n,
            "zlen": zlen if zlen is not None else [-1.0] * n,
            "age_months": list(range(start_age, start_age + n)),
        }
    )


class TestWeightFaltering:
    @pytest.mark.parametrize(
        ("age", "gain_g", "status"),
        [
            (1, 800, "N"),
            (1, 700, "T"),
            (2, 900, "N"),
            (2, 800, "T"),
            (3, 800, "N"),
            (4, 600, "N"),
            (4, 500, "T"),
            (5, 500, "N"),
            (6, 400, "N"),
            (7, 300, "T"),
            (8, 300, "N"),
            (10, 200, "T"),
            (11, 200, "N"),
            (30, 200, "N"),
            (30, 100, "T"),
            (30, 0, "T"),
            (30, -300, "T"),
        ],
        ids=lambda v: str(v),
    )
    def test_kbm_boundaries(self, age: int, gain_g: int, status: str) -> None:
        start = 7.0
        table = series([start, start + gain_g / 1000], start_age=age - 1)
        out = weight_faltering(table)
        assert out["nt"].tolist() == ["B", status]
        assert out["gain_g"].iloc[1] == gain_g

    def test_two_consecutive_t_is_2t(self) -> None:
        out = weight_faltering(series([6.0, 6.4, 6.5, 6.6, 7.0, 7.0], start_age=5))
        assert out["nt"].tolist() == ["B", "N", "T", "2T", "N", "T"]
        assert render_all(out["reasons"].iloc[3], "id").startswith(
            "2T: tidak naik 2 bulan berturut-turut (kenaikan +100 g < KBM 300 g"
        )
        assert render_all(out["reasons"].iloc[2], "en") == (
            "T: not gaining (gain +100 g < minimum 400 g, age 7 months)"
        )

    def test_gap_of_a_month_is_not_judged(self) -> None:
        table = series([6.0, 6.1, 6.2, 6.3]).drop(index=1)
        out = weight_faltering(table)
        assert out["nt"].tolist() == ["B", "O", "T"]

    def test_rows_in_any_order_keep_their_order(self) -> None:
        a = series([6.0, 6.4, 6.5], child="a")
        b = series([9.0, 9.0, 9.5], child="b", start_age=20)
        table = pd.concat([a, b]).sample(frac=1.0, random_state=3)
        out = weight_faltering(table)
        pd.testing.assert_frame_equal(out[table.columns], table)
        expected = {("a", 0): "B", ("a", 1): "N", ("a", 2): "T"}
        expected |= {("b", 0): "B", ("b", 1): "T", ("b", 2): "N"}
        for (child, pos), status in expected.items():
            assert out.loc[
                (out.child_id == child) & (out.index == pos), "nt"
            ].item() == (status)

    def test_age_from_birth_date(self) -> None:
        table = series([6.0, 6.3]).drop(columns="age_months")
        table["birth_date"] = "2023-08-01"  # 5 and 6 completed months
        out = weight_faltering(table)
        assert out["age_months"].tolist() == [5, 6]
        assert out["nt"].tolist() == ["B", "T"]  # 300 g < 400 g at 6 months

    def test_missing_weight_is_not_judged(self) -> None:
        out = weight_faltering(series([6.0, np.nan, 6.2]))
        assert out["nt"].tolist() == ["B", "", ""]

    @pytest.mark.parametrize(
        ("zwei", "bgm"),
        [(-3.01, True), (-3.0, False), (np.nan, False)],
        ids=["-3.01", "-3-boundary", "unknown"],
    )
    def test_bgm_below_minus_3(self, zwei: float, bgm: bool) -> None:
        out = weight_faltering(series([6.0], zwei=[zwei]))
        assert out["bgm"].tolist() == [bgm]
        assert ("BGM" in render_all(out["reasons"].iloc[0], "id")) == bgm

    def test_falling_haz_needs_three_months(self) -> None:
        zlen = [-1.0, -1.3, -1.45, -1.5, -1.6]
        out = weight_faltering(series([6, 6.5, 7, 7.5, 8], zlen=zlen))
        # Measurement 3 is 3 months after measurement 0: drop 0.50 -> falling.
        assert out["haz_drop"].tolist()[:3] == [pytest.approx(np.nan, nan_ok=True)] * 3
        assert out["haz_drop"].iloc[3] == pytest.approx(0.5)
        assert out["haz_falling"].tolist() == [False, False, False, True, False]
        assert out["haz_drop"].iloc[4] == pytest.approx(0.3)
        assert render_all(out["reasons"].iloc[3], "en") == (
            "Length/height-for-age fell 0.50 SD since 10 January 2024 (-1.00 → -1.50)"
        )
        assert render_all(out["reasons"].iloc[3], "id") == (
            "PB/U atau TB/U turun 0,50 SD sejak 10 Januari 2024 (-1,00 → -1,50)"
        )
        # Stored as a code and neutral parameters, not as a sentence.
        assert out["reasons"].iloc[3][0].key == "signal.reason.haz_falling"
        assert dict(out["reasons"].iloc[3][0].values)["since"] == "2024-01-10"

    def test_falling_haz_drop_is_a_setting(self) -> None:
        zlen = [-1.0, -1.1, -1.2, -1.4]
        rules = SignalRules(haz_drop_sd=0.3)
        out = weight_faltering(series([6, 6.5, 7, 7.5], zlen=zlen), rules=rules)
        assert out["haz_falling"].tolist() == [False, False, False, True]

    def test_requires_an_age(self) -> None:
        with pytest.raises(ValueError, match="age_months or a birth_date"):
            weight_faltering(series([6.0]).drop(columns="age_months"))

    @settings(max_examples=25, deadline=None)
    @given(
        gains=st.lists(st.integers(-500, 1200), min_size=1, max_size=10),
        start_age=st.integers(1, 40),
    )
    def test_status_matches_the_kbm_rule(
        self, gains: list[int], start_age: int
    ) -> None:
        weights = np.cumsum([7000, *gains]) / 1000.0
        out = weight_faltering(series(list(weights), start_age=start_age - 1))
        kbm = np.array(SignalRules().kbm_g)
        statuses = out["nt"].tolist()
        assert statuses[0] == "B"
        for i, gain in enumerate(gains, start=1):
            age = start_age - 1 + i
            minimum = kbm[min(age, kbm.size - 1)]
            t = gain < minimum
            prev_t = i > 1 and gains[i - 2] < kbm[min(age - 1, kbm.size - 1)]
            assert statuses[i] == ("2T" if t and prev_t else "T" if t else "N")


class TestSignalRules:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("kbm_g", (800,)),
            ("kbm_g", (0, -1)),
            ("haz_drop_sd", 0.0),
            ("haz_min_gap_months", 0),
        ],
        ids=["kbm-too-short", "kbm-negative", "drop-zero", "gap-zero"],
    )
    def test_invalid_settings_are_refused(self, field: str, value: object) -> None:
        with pytest.raises(ValueError, match=field):
            SignalRules(**{field: value})  # type: ignore[arg-type]

    def test_kbm_defaults_are_the_kms_bands(self) -> None:
        kbm = SignalRules().kbm_g
        assert [kbm[a] for a in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11)] == [
            800,
            900,
            800,
            600,
            500,
            400,
            400,
            300,
            300,
            200,
        ]
