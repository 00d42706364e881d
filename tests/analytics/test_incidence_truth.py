"""Incidence of stunting from tumbuh against the generator's own count (truth/new_cases.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tumbuh.analytics import routine


def test_new_cases_equal_the_generators_count_in_every_region_and_year(
    tmp_path: Path,
) -> None:
    """The generator counts new cases from its visit arrays on the rows a correct import
    keeps (dated, second copy of a duplicate dropped, WHO-scored HAZ of the written length,
    |HAZ| > 6 out); tumbuh computes them from the scored export. Same rule, so every count
    must be equal, including at risk, in the province, each kab/kota and each desa."""
    from tests.analytics._routine_synth import scored_visits

    frame, _ = scored_visits(tmp_path, children=3_000, seed=8, years=(2023, 2025))
    truth = pd.read_csv(
        tmp_path / "truth" / "new_cases.csv", dtype={"region_code": str}
    )
    ours = routine.new_cases(
        frame, freq="year", levels=("province", "kabkota", "desa")
    ).to_pandas()
    ours["year"] = ours["period"].astype(int)
    merged = truth.merge(
        ours,
        left_on=["level", "region_code", "year"],
        right_on=["level", "code", "year"],
        how="outer",
        suffixes=("_truth", "_tumbuh"),
        indicator=True,
    )
    # A region-year with nobody at risk is written by the generator, not by tumbuh.
    only_truth = merged["_merge"] == "left_only"
    assert (merged.loc[only_truth, "at_risk_truth"] == 0).all()
    assert not (merged["_merge"] == "right_only").any()
    both = merged[merged["_merge"] == "both"]
    assert len(both) > 500
    assert both["new_cases_truth"].sum() > 100
    assert (both["at_risk_truth"] == both["at_risk_tumbuh"]).all()
    assert (both["new_cases_truth"] == both["new_cases_tumbuh"]).all()


def test_truth_keeps_the_error_free_incidence_beside_the_observed(
    tmp_path: Path,
) -> None:
    from tests.analytics._routine_synth import scored_visits

    scored_visits(tmp_path, children=1_500, seed=9, years=(2024, 2025))
    truth = pd.read_csv(
        tmp_path / "truth" / "new_cases.csv", dtype={"region_code": str}
    )
    prov = truth[truth["level"] == "province"]
    assert list(prov["year"]) == [2024, 2025]
    kab = (
        truth[truth["level"] == "kabkota"]
        .groupby("year")[["at_risk", "new_cases", "at_risk_latent", "new_cases_latent"]]
        .sum()
    )
    # Levels add up: kab/kota totals are the province's.
    for col in kab.columns:
        assert list(kab[col]) == list(prov[col])
    # The latent count is a different quantity (no measurement error), not a copy.
    assert (prov["new_cases_latent"] > 0).all()
    assert (prov["new_cases"] != prov["new_cases_latent"]).any()
