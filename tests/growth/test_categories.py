"""Permenkes 2/2020 categories with e-PPGBM's boundaries (the better side)."""

from __future__ import annotations

import numpy as np
import pytest

from tumbuh.growth import (
    CATEGORY_LABELS_EN,
    CATEGORY_LABELS_EN_2007,
    zscores,
    zscores_who2007,
)
from tumbuh.growth.categories import BBTB, BBU, IMTU_2007, TBU, Categories, categorize

Z = [-3.01, -3.0, -2.01, -2.0, 0.0, 1.0, 1.01, 2.0, 2.01, 3.0, 3.01]


def _labels(cats: Categories) -> list[str | None]:
    return categorize(np.array(Z), np.zeros(len(Z)), cats).tolist()


class TestCutOffs:
    def test_weight_for_age(self) -> None:
        assert _labels(BBU) == [
            "Berat badan sangat kurang",
            "Berat badan kurang",
            "Berat badan kurang",
            "Berat badan normal",
            "Berat badan normal",
            "Berat badan normal",
            "Risiko berat badan lebih",
            "Risiko berat badan lebih",
            "Risiko berat badan lebih",
            "Risiko berat badan lebih",
            "Risiko berat badan lebih",
        ]

    def test_length_for_age_minus_three_is_pendek_and_minus_two_is_normal(self) -> None:
        assert _labels(TBU) == [
            "Sangat pendek",
            "Pendek",
            "Pendek",
            "Normal",
            "Normal",
            "Normal",
            "Normal",
            "Normal",
            "Normal",
            "Normal",
            "Tinggi",
        ]

    def test_weight_for_length_boundaries_sit_on_the_better_side(self) -> None:
        assert _labels(BBTB) == [
            "Gizi buruk",
            "Gizi kurang",
            "Gizi kurang",
            "Gizi baik",
            "Gizi baik",
            "Gizi baik",
            "Berisiko gizi lebih",
            "Berisiko gizi lebih",
            "Gizi lebih",
            "Gizi lebih",
            "Obesitas",
        ]

    def test_bmi_for_age_5_to_18_years(self) -> None:
        assert _labels(IMTU_2007) == [
            "Gizi buruk",
            "Gizi kurang",
            "Gizi kurang",
            "Gizi baik",
            "Gizi baik",
            "Gizi baik",
            "Gizi lebih",
            "Gizi lebih",
            "Obesitas",
            "Obesitas",
            "Obesitas",
        ]

    def test_missing_or_flagged_z_has_no_category(self) -> None:
        got = categorize(
            np.array([np.nan, -7.0, -1.0]), np.array([np.nan, 1.0, 0.0]), TBU
        )
        assert got.tolist() == [None, None, "Normal"]

    def test_every_label_has_an_english_translation(self) -> None:
        for cats in (BBU, TBU, BBTB, IMTU_2007):
            for label in cats.labels:
                assert label in CATEGORY_LABELS_EN
                assert label in CATEGORY_LABELS_EN_2007
        assert CATEGORY_LABELS_EN_2007["Gizi buruk"] == "Severe thinness"


class TestCategoriesOnResults:
    def test_zscores_exposes_all_four_indices(self) -> None:
        r = zscores(
            sex=[1, 2],
            age_days=[400, 900],
            weight_kg=[6.0, 12.5],
            lenhei_cm=[70.0, 88.0],
            measure=["l", "h"],
        )
        assert r.cat_bbu.tolist() == ["Berat badan sangat kurang", "Berat badan normal"]
        assert r.cat_tbu[0] in ("Pendek", "Sangat pendek")
        assert r.cat_bbtb.shape == (2,)
        assert r.cat_imtu.shape == (2,)
        d = r.to_dict()
        assert list(d)[:5] == ["clenhei", "cmeasure", "c9mo_flag", "cbmi", "csex"]
        assert list(d)[-4:] == ["cat_bbu", "cat_tbu", "cat_bbtb", "cat_imtu"]

    @pytest.mark.parametrize("z_target", [-3.0, -2.0, 1.0, 2.0, 3.0])
    def test_kernel_z_on_a_boundary_gets_the_better_category(
        self, z_target: float
    ) -> None:
        from tumbuh.growth import lms_value_from_z

        w = float(lms_value_from_z("wfl", 1, [80.0], [z_target])[0])
        r = zscores(sex=1, age_days=500, weight_kg=w, lenhei_cm=80.0, measure="l")
        assert r.zwfl[0] == z_target
        expected = {
            -3.0: "Gizi kurang",
            -2.0: "Gizi baik",
            1.0: "Gizi baik",
            2.0: "Berisiko gizi lebih",
            3.0: "Gizi lebih",
        }[z_target]
        assert r.cat_bbtb[0] == expected

    def test_who2007_categories(self) -> None:
        from tumbuh.growth import lms_value_from_z

        bmi = float(lms_value_from_z("bfa", 1, [100.0], [2.5])[0])
        r = zscores_who2007(
            sex=[1, 2],
            age_months=[100, 150],
            weight_kg=[bmi * 1.2**2, 40.0],
            height_cm=[120.0, 152.0],
        )
        assert r.zbfa[0] == 2.5
        assert r.cat_imtu[0] == "Obesitas"
        assert r.cat_tbu.tolist()[1] == "Normal"
        assert r.cat_bbu[1] is None  # weight-for-age stops at 120 months
