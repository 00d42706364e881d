"""``prevalence`` against WHO anthro's own outputs for a 1,947-child cluster survey.

The survey, the three anthro runs (no design, weights only, cluster + strata +
weights) and their warnings are in ``tests/data/reference`` (see its README for the
provenance: anthro 1.1.0.9000, survey 4.1-1, R 4.2.2). Every value of every row is
compared, matching rows by ``Group``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tumbuh.growth import zscores
from tumbuh.growth.prevalence import (
    PREVALENCE_COLUMNS,
    Grouping,
    PrevalenceResult,
    anthro_prevalence,
    prevalence,
    wealth_quintile,
)

REFERENCE = Path(__file__).parents[1] / "data" / "reference"
#: Estimates, standard errors, counts and SDs: anthro's closed formulas and ours
#: agree to rounding (the README measured 1e-12); 1e-9 relative leaves headroom.
EST_RTOL = 1e-9
#: CI bounds (percent or z): anthro's come from an iteratively fitted logistic model;
#: the README's tolerance for a re-implementation is 1e-6 absolute.
CI_ATOL = 1e-6

RUNS = {
    "nodesign": {},
    "swonly": {"weights": "sw"},
    "design": {"weights": "sw", "cluster": "cluster", "strata": "strata"},
}


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "anthro_prevalence_input_public.csv")


def _reference(name: str) -> pd.DataFrame:
    ref = pd.read_csv(REFERENCE / f"anthro_prevalence_output_public_{name}.csv")
    return ref.set_index("Group")


def _warnings() -> dict[str, list[int]]:
    """Row counts in each run's warnings, in order, e.g. {"design": [42, 3, 4]}."""
    out: dict[str, list[int]] = {}
    run = ""
    for line in (
        (REFERENCE / "anthro_prevalence_warnings_public.txt").read_text().splitlines()
    ):
        if m := re.match(r"\[(\w+)\]", line):
            run = m.group(1)
            out[run] = []
        elif m := re.search(r"warning: (\d+) rows", line):
            out[run].append(int(m.group(1)))
    return out


def assert_matches_reference(groups: list[str], values: np.ndarray, name: str) -> None:
    """Every value of every group within EST_RTOL / CI_ATOL of anthro's output."""
    ref = _reference(name)
    assert sorted(groups) == sorted(ref.index), "same groups as anthro"
    assert list(ref.columns) == list(PREVALENCE_COLUMNS), "same columns, same order"
    got = pd.DataFrame(values, index=groups, columns=list(PREVALENCE_COLUMNS)).loc[
        ref.index
    ]
    ci = np.array([c.endswith(("_ll", "_ul")) for c in ref.columns])
    expected, actual = ref.to_numpy(dtype=float), got.to_numpy(dtype=float)
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(actual[:, ~ci], expected[:, ~ci], rtol=EST_RTOL, atol=0)
    np.testing.assert_allclose(actual[:, ci], expected[:, ci], rtol=0, atol=CI_ATOL)


def _anthro_groupings(d: pd.DataFrame) -> list[Grouping]:
    return [
        Grouping("Area", d["typeres"]),
        Grouping("Geographical region", d["gregion"]),
        wealth_quintile(d["wealthq"]),
    ]


def _run(d: pd.DataFrame, name: str) -> PrevalenceResult:
    design = {k: d[v] for k, v in RUNS[name].items()}
    scores = zscores(
        sex=d["sex"],
        age_days=d["age"],
        weight_kg=d["weight"],
        lenhei_cm=d["lenhei"],
        measure=d["measure"],
        oedema=d["oedema"],
    )
    return prevalence(
        scores,
        sex=scores.csex,
        age_days=d["age"],
        oedema=(d["oedema"] == "y").to_numpy(),
        groupings=_anthro_groupings(d),
        **design,
    )


class TestAgainstAnthro:
    @pytest.mark.parametrize("name", list(RUNS))
    def test_every_value_matches_anthro_prevalence(
        self, survey: pd.DataFrame, name: str
    ) -> None:
        res = _run(survey, name)
        assert_matches_reference(list(res.groups), res.values, name)

    @pytest.mark.parametrize(
        ("name", "method"),
        [("nodesign", "simple"), ("swonly", "hybrid"), ("design", "survey")],
    )
    def test_chooses_anthros_estimator(
        self, survey: pd.DataFrame, name: str, method: str
    ) -> None:
        assert _run(survey, name).method == method

    @pytest.mark.parametrize("name", list(RUNS))
    def test_notes_count_the_same_rows_as_anthros_warnings(
        self, survey: pd.DataFrame, name: str
    ) -> None:
        notes = _run(survey, name).notes
        counts = [int(n.split()[0]) for n in notes]
        assert counts == _warnings()[name]

    def test_group_order_follows_anthro(self, survey: pd.DataFrame) -> None:
        for name in ("nodesign", "design"):
            assert list(_run(survey, name).groups) == list(_reference(name).index)

    def test_one_call_wrapper_gives_the_same_table(self, survey: pd.DataFrame) -> None:
        d = survey
        res = anthro_prevalence(
            sex=d["sex"],
            age_days=d["age"],
            weight_kg=d["weight"],
            lenhei_cm=d["lenhei"],
            measure=d["measure"],
            oedema=d["oedema"],
            weights=d["sw"],
            cluster=d["cluster"],
            strata=d["strata"],
            groupings=_anthro_groupings(d),
        )
        assert_matches_reference(list(res.groups), res.values, "design")

    def test_ages_in_months_give_the_same_table(self, survey: pd.DataFrame) -> None:
        d = survey
        # exact multiples of 30.4375 days keep the rounding to whole days unchanged
        days = np.round(d["age"].to_numpy() / 30.4375) * 30.4375
        by_days = anthro_prevalence(
            sex=d["sex"], age_days=days, lenhei_cm=d["lenhei"], measure=d["measure"]
        )
        by_months = anthro_prevalence(
            sex=d["sex"],
            age_months=days / 30.4375,
            lenhei_cm=d["lenhei"],
            measure=d["measure"],
        )
        assert by_days.groups == by_months.groups
        np.testing.assert_allclose(by_months.values, by_days.values, rtol=1e-12)
