"""Every row of WHO anthroplus's own output (R package anthroplus 1.0.0.9000)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.growth._golden import num, read_rows, text

from tumbuh.growth import ZScores2007, zscores_who2007

ROWS = read_rows("anthroplus_zscores_public.csv")
# cbmi reads back bit-exact; 1e-12 relative only absorbs a last-digit slip.
REL_TOL = 1e-12


@pytest.fixture(scope="module")
def scored() -> ZScores2007:
    return zscores_who2007(
        sex=text(ROWS, "sex"),
        age_months=num(ROWS, "age_in_months"),
        weight_kg=num(ROWS, "weight_in_kg"),
        height_cm=num(ROWS, "height_in_cm"),
        oedema=text(ROWS, "oedema"),
    )


class TestAnthroplusGolden:
    def test_the_golden_file_has_every_case_type(self) -> None:
        kinds = {r["case_type"] for r in ROWS}
        assert len(ROWS) == 1682
        assert {
            "random",
            "age_edges_months",
            "extremes",
            "degenerate",
            "oedema",
        } <= kinds

    @pytest.mark.parametrize(
        "col", ["zhfa", "zwfa", "zbfa", "fhfa", "fwfa", "fbfa", "csex"]
    )
    def test_every_z_score_and_flag_equals_anthroplus(
        self, scored: ZScores2007, col: str
    ) -> None:
        expected, got = num(ROWS, col), getattr(scored, col)
        same = (expected == got) | (np.isnan(expected) & np.isnan(got))
        bad = [ROWS[i]["case_id"] for i in np.flatnonzero(~same)[:10]]
        assert same.all(), f"{col} differs from anthroplus in rows {bad}"
        assert np.isfinite(got).sum() > 100 or col == "csex"

    def test_bmi_equals_anthroplus(self, scored: ZScores2007) -> None:
        expected = num(ROWS, "cbmi")
        same = (
            np.isclose(scored.cbmi, expected, rtol=REL_TOL, atol=0.0)
            | (np.isnan(expected) & np.isnan(scored.cbmi))
            | (expected == scored.cbmi)
        )
        assert same.all()

    def test_cleaned_oedema_equals_anthroplus(self, scored: ZScores2007) -> None:
        assert scored.coedema.tolist() == text(ROWS, "coedema")


class TestAnthroplusValidation:
    @pytest.mark.parametrize(
        ("kwargs", "param"),
        [
            ({"age_months": [-1.0]}, "age_months"),
            ({"height_cm": [-120.0]}, "height_cm"),
            ({"weight_kg": [-3.0]}, "weight_kg"),
            ({"sex": ["male"]}, "sex"),
            ({"oedema": ["x"]}, "oedema"),
        ],
        ids=[
            "negative_age",
            "negative_height",
            "negative_weight",
            "bad_sex",
            "bad_oedema",
        ],
    )
    def test_bad_input_raises_naming_the_parameter(
        self, kwargs: dict[str, list[object]], param: str
    ) -> None:
        base: dict[str, list[object]] = {
            "sex": [1],
            "age_months": [100.0],
            "weight_kg": [30.0],
            "height_cm": [130.0],
            "oedema": ["n"],
        }
        with pytest.raises(ValueError, match=param):
            zscores_who2007(**{**base, **kwargs})  # type: ignore[arg-type]

    def test_bad_rows_in_row_mode_are_blanked_with_a_reason(self) -> None:
        r = zscores_who2007(
            sex=[1, 1, "x"],
            age_months=[100.0, -1.0, 100.0],
            weight_kg=30.0,
            height_cm=130.0,
            validate="row",
        )
        assert r.issues.tolist()[0] is None
        assert "age_months" in r.issues[1]
        assert "sex" in r.issues[2]
        assert np.isfinite(r.zhfa[0])
        assert np.isnan(r.zhfa[1:]).all()
        assert np.isnan(r.cbmi[1:]).all()
