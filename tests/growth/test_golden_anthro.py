"""Every row of WHO anthro's own output (R package anthro 1.1.0.9000).

The golden file was produced by calling ``anthro_zscores`` (see
tests/data/reference/README in /work/shared). Inputs are passed exactly as
given to R, text codes included; z-scores and flags must be equal after
parsing, ``clenhei``/``cbmi`` equal within 1e-12 relative (they read back
bit-exact, the tolerance only guards the CSV round trip).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tests.growth._golden import num, read_rows, text

from tumbuh.growth import ZScores, zscores

ROWS = read_rows("anthro_zscores_public.csv")
ERRORS = read_rows("anthro_zscores_errors_public.csv")
# clenhei and cbmi are printed with up to 17 significant digits and read back
# to the same double; 1e-12 relative only absorbs a last-digit difference.
REL_TOL = 1e-12
Z_COLUMNS = ["zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss"]
F_COLUMNS = ["flen", "fwei", "fwfl", "fbmi", "fhc", "fac", "fts", "fss"]


def _score(rows: list[dict[str, str]], in_months: bool) -> ZScores:
    kw: dict[str, Any] = {
        "sex": text(rows, "sex"),
        "weight_kg": num(rows, "weight"),
        "lenhei_cm": num(rows, "lenhei"),
        "measure": text(rows, "measure"),
        "oedema": text(rows, "oedema"),
        "headc_cm": num(rows, "headc"),
        "armc_cm": num(rows, "armc"),
        "triskin_mm": num(rows, "triskin"),
        "subskin_mm": num(rows, "subskin"),
    }
    kw["age_months" if in_months else "age_days"] = num(rows, "age")
    return zscores(**kw)


@pytest.fixture(
    scope="module", params=[False, True], ids=["age_in_days", "age_in_months"]
)
def scored(request: pytest.FixtureRequest) -> tuple[list[dict[str, str]], ZScores]:
    in_months = bool(request.param)
    rows = [r for r in ROWS if (r["is_age_in_month"] == "TRUE") == in_months]
    assert rows
    return rows, _score(rows, in_months)


def _same(expected: np.ndarray, got: np.ndarray) -> np.ndarray:
    return (expected == got) | (np.isnan(expected) & np.isnan(got))


def _report(rows: list[dict[str, str]], bad: np.ndarray, col: str) -> str:
    ids = [
        f"{rows[i]['case_id']} ({rows[i]['case_type']})"
        for i in np.flatnonzero(bad)[:10]
    ]
    return f"{col} differs from anthro in rows {ids}"


class TestAnthroGolden:
    def test_the_golden_file_covers_both_age_units_and_every_case_type(self) -> None:
        kinds = {r["case_type"] for r in ROWS}
        assert len(ROWS) == 2953
        assert {"degenerate", "extremes", "age_edges_days", "months"} <= kinds
        assert {r["is_age_in_month"] for r in ROWS} == {"TRUE", "FALSE"}

    @pytest.mark.parametrize("col", Z_COLUMNS + F_COLUMNS + ["c9mo_flag", "csex"])
    def test_every_z_score_and_flag_equals_anthro(
        self, scored: tuple[list[dict[str, str]], ZScores], col: str
    ) -> None:
        rows, r = scored
        expected, got = num(rows, col), getattr(r, col)
        bad = ~_same(expected, got)
        assert not bad.any(), _report(rows, bad, col)

    @pytest.mark.parametrize("col", ["clenhei", "cbmi"])
    def test_converted_length_and_bmi_equal_anthro(
        self, scored: tuple[list[dict[str, str]], ZScores], col: str
    ) -> None:
        rows, r = scored
        expected, got = num(rows, col), getattr(r, col)
        close = np.isclose(got, expected, rtol=REL_TOL, atol=0.0) | _same(expected, got)
        assert close.all(), _report(rows, ~close, col)

    def test_cleaned_measure_equals_anthro(
        self, scored: tuple[list[dict[str, str]], ZScores]
    ) -> None:
        rows, r = scored
        assert r.cmeasure.tolist() == text(rows, "cmeasure")

    def test_golden_rows_are_scored_at_all(
        self, scored: tuple[list[dict[str, str]], ZScores]
    ) -> None:
        # Guards against a comparison that passes because everything is NaN.
        _, r = scored
        for col in Z_COLUMNS:
            assert np.isfinite(getattr(r, col)).sum() > 50, col


def _parameter_in(r_message: str, in_months: bool) -> str:
    """The parameter anthro's own error message is about."""
    for name in ("sex", "measure", "oedema"):
        if f"values in {name} " in r_message:
            return name
    return "age_months" if in_months else "age_days"


class TestAnthroErrors:
    @pytest.mark.parametrize(
        "row", ERRORS, ids=[r["description"].replace(" ", "_") for r in ERRORS]
    )
    def test_invalid_input_raises_naming_the_parameter(
        self, row: dict[str, str]
    ) -> None:
        in_months = row["is_age_in_month"] == "TRUE"
        kw: dict[str, Any] = {
            "sex": [row["sex"]],
            "weight_kg": [float(row["weight"])],
            "lenhei_cm": [float(row["lenhei"])],
            "measure": [row["measure"]],
            "oedema": [row["oedema"]],
        }
        kw["age_months" if in_months else "age_days"] = [float(row["age"])]
        with pytest.raises(
            ValueError, match=_parameter_in(row["error_message"], in_months)
        ):
            zscores(**kw)

    @pytest.mark.parametrize(
        "row", ERRORS, ids=[r["description"].replace(" ", "_") for r in ERRORS]
    )
    def test_invalid_input_in_row_mode_blanks_only_that_row(
        self, row: dict[str, str]
    ) -> None:
        in_months = row["is_age_in_month"] == "TRUE"
        kw: dict[str, Any] = {
            "sex": [row["sex"], "1"],
            "weight_kg": [float(row["weight"]), 9.0],
            "lenhei_cm": [float(row["lenhei"]), 72.0],
            "measure": [row["measure"], "l"],
            "oedema": [row["oedema"], "n"],
        }
        kw["age_months" if in_months else "age_days"] = [
            float(row["age"]),
            10.0 if in_months else 300.0,
        ]
        r = zscores(**kw, validate="row")
        assert r.issues[0] is not None
        assert r.issues[1] is None
        for col in ["clenhei", "cbmi", "csex", "zlen", "zwei", "zwfl", "zbmi", "flen"]:
            values = getattr(r, col)
            assert np.isnan(values[0]), col
            assert np.isfinite(values[1]), col
        assert r.cmeasure[0] is None
