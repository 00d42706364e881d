"""The indicator catalogue: definitions, targets and the generated docs/indicators.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from tumbuh.reports import docs
from tumbuh.reports.catalogue import CATALOGUE, SourceKind, by_code, target_for

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


def test_docs_indicators_md_is_what_the_catalogue_writes() -> None:
    assert DOC.read_text(encoding="utf-8") == docs.markdown(), (
        "docs/indicators.md is stale: run python -m tumbuh.reports.docs"
    )


def test_codes_are_unique_and_every_indicator_is_fully_described() -> None:
    codes = [i.code for i in CATALOGUE]
    assert len(codes) == len(set(codes))
    for i in CATALOGUE:
        assert all((i.name_id, i.name_en, i.numerator, i.denominator)), i.code
        assert i.citation, i.code
        assert i.source in set(SourceKind)


def test_the_issue_names_are_all_in_the_catalogue() -> None:
    required = {
        "stunting_routine", "stunting_weighing_month", "stunting_survey",
        "stunting_published_routine", "wasting_routine", "underweight_routine",
        "overweight_routine", "measured", "registered", "measured_coverage",
        "measured_coverage_any", "new_cases", "krs_families", "krs_share",
        "krs_factor_water", "ttd_hamil_90", "catin_skrining", "jkn_pbi", "pkh",
        "bansos_pangan", "kehamilan_tidak_diinginkan", "pemahaman_stunting", "desa_odf",
    }  # fmt: skip
    assert required <= {i.code for i in CATALOGUE}


class TestTargetFor:
    def test_a_kabkota_with_its_own_published_target_gets_it(self) -> None:
        t = target_for(by_code("stunting_routine"), "64.01", 2025)
        assert t is not None
        assert (t.value, t.region_code) == (11.8, "64.01")  # Pemkab Paser

    def test_a_desa_inherits_the_target_of_its_kabkota(self) -> None:
        t = target_for(by_code("stunting_survey"), "64.01.02.2001", 2025)
        assert t is not None
        assert t.region_code == "64.01"

    def test_the_province_target_applies_where_the_kabkota_has_none(self) -> None:
        t = target_for(by_code("stunting_routine"), "64.71", 2024)
        assert t is not None
        assert (t.value, t.region_code) == (14.0, "64")

    def test_otherwise_the_national_rpjmn_target_of_the_year(self) -> None:
        t = target_for(by_code("stunting_routine"), "64.71", 2025)
        assert t is not None
        assert (t.value, t.region_code) == (18.8, "ID")

    @pytest.mark.parametrize("year", [2026, 2027, 2028])
    def test_years_the_sources_mark_not_found_have_no_target(self, year: int) -> None:
        assert target_for(by_code("stunting_routine"), "64.71", year) is None

    def test_not_found_intervention_targets_stay_blank(self) -> None:
        for code in ("jkn_pbi", "pkh", "bansos_pangan", "pendampingan_krs", "desa_odf"):
            assert target_for(by_code(code), "64", 2025) is None, code

    def test_perpres_targets_hold_after_2024(self) -> None:
        t = target_for(by_code("ttd_remaja"), "64.71.01", 2025)
        assert t is not None
        assert t.value == 58.0
