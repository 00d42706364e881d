"""The indicator engine on a small register written by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session
from tests.conftest import postgres_database, require_postgres
from tests.reports import builders as b

from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.errors import InvalidInput
from tumbuh.models import Base
from tumbuh.reports import engine
from tumbuh.reports.catalogue import CATALOGUE
from tumbuh.reports.service import region_indicators

D = dt.date


def item(
    items: pd.DataFrame, indicator: str, code: str = b.MANGGAR
) -> dict[str, object]:
    rows = items.loc[(items["indicator"] == indicator) & (items["region_code"] == code)]
    assert len(rows) == 1, f"{indicator} at {code}: {len(rows)} rows"
    return dict(rows.iloc[0])


@pytest.fixture
def year_2025(session: Session) -> tuple[pd.DataFrame, dict[str, int]]:
    ids = b.sample(session)
    return engine.compute(session, period="2025").items, ids


class TestPeriodDenominators:
    def test_a_pregnancy_across_the_new_year_counts_in_both_years(
        self, session: Session
    ) -> None:
        b.sample(session)
        y24 = engine.compute(session, period="2024").items
        y25 = engine.compute(session, period="2025").items
        assert (item(y24, "anc")["numerator"], item(y24, "anc")["denominator"]) == (
            0,
            1,
        )
        assert (item(y25, "anc")["numerator"], item(y25, "anc")["denominator"]) == (
            1,
            1,
        )

    def test_a_wasted_child_who_recovers_stays_in_the_wasted_denominator(
        self, year_2025: tuple[pd.DataFrame, dict[str, int]]
    ) -> None:
        items, _ = year_2025
        pmt = item(items, "pmt_balita_wasting")
        assert (pmt["numerator"], pmt["denominator"]) == (1, 1)
        # ... while the prevalence reads each child's latest measurement: recovered.
        wasting = item(items, "wasting_routine")
        assert (wasting["numerator"], wasting["denominator"]) == (0, 2)

    def test_kek_needs_a_low_muac_during_the_pregnancy_and_planned_records_do_not_count(
        self, year_2025: tuple[pd.DataFrame, dict[str, int]]
    ) -> None:
        items, _ = year_2025
        kek = item(items, "pmt_bumil_kek")
        assert (kek["numerator"], kek["denominator"]) == (0, 1)

    def test_jkn_pbi_is_asked_only_of_welfare_eligible_families(
        self, year_2025: tuple[pd.DataFrame, dict[str, int]]
    ) -> None:
        items, _ = year_2025
        pbi = item(items, "jkn_pbi")
        assert (pbi["numerator"], pbi["denominator"]) == (1, 1)

    def test_a_higher_decile_setting_widens_the_eligible_families(
        self, session: Session
    ) -> None:
        b.sample(session)
        items = engine.compute(session, period="2025", welfare_max_decile=10).items
        pbi = item(items, "jkn_pbi")
        assert (pbi["numerator"], pbi["denominator"]) == (2, 2)


class TestTtd90:
    """>= 90 iron-folic-acid tablets in pregnancy: tablets are the records' quantities summed
    over the pregnancy (last menstrual period to due date), whatever the period."""

    def test_tablets_are_summed_over_the_pregnancy_and_unknown_counts_add_nothing(
        self, session: Session
    ) -> None:
        b.add_regions(session)
        fam = b.family(session, b.MANGGAR)

        def woman(lmp: D) -> int:
            who = b.person(session, b.MANGGAR, D(1995, 1, 1), family_id=fam)
            b.pregnancy(session, who, lmp)
            return who

        def ttd(who: int, on: D, quantity: int | None, status: str = "given") -> None:
            b.give(session, "ttd_hamil", on, b.MANGGAR, person_id=who,
                   quantity=quantity, status=status)  # fmt: skip

        three_months = woman(D(2025, 1, 1))  # 3 x 30 in the pregnancy: reached
        for month in (2, 3, 4):
            ttd(three_months, D(2025, month, 1), 30)
        early = woman(D(2025, 3, 1))  # 30 of them before the pregnancy: 60
        ttd(early, D(2025, 2, 1), 30)
        ttd(early, D(2025, 4, 1), 60)
        uncounted = woman(D(2025, 2, 1))  # records without a count: not 90
        for month in (3, 4, 5):
            ttd(uncounted, D(2025, month, 1), None)
        across = woman(
            D(2024, 10, 1)
        )  # 60 in 2024 + 30 in 2025, one pregnancy: reached
        ttd(across, D(2024, 11, 15), 60)
        ttd(across, D(2025, 1, 10), 30)
        planned = woman(D(2025, 5, 1))  # a planned 90 is not consumed
        ttd(planned, D(2025, 6, 1), 90, status="planned")
        earlier = woman(D(2023, 1, 1))  # not pregnant in 2025: not in the denominator
        ttd(earlier, D(2023, 3, 1), 90)

        y25 = engine.compute(session, period="2025").items
        got = item(y25, "ttd_hamil_90")
        assert (got["numerator"], got["denominator"]) == (2, 5)
        y24 = engine.compute(session, period="2024").items
        got = item(y24, "ttd_hamil_90")
        assert (got["numerator"], got["denominator"]) == (1, 1)  # the one across years


class TestNutrition:
    def test_routine_stunting_reads_each_childs_latest_measurement_in_the_period(
        self, year_2025: tuple[pd.DataFrame, dict[str, int]]
    ) -> None:
        items, _ = year_2025
        st = item(items, "stunting_routine")
        assert (st["numerator"], st["denominator"], st["value"]) == (1, 2, 50.0)
        assert st["ci_low"] == pytest.approx(9.45, abs=0.01)  # Wilson 1/2
        assert st["ci_high"] == pytest.approx(90.55, abs=0.01)

    def test_the_weighing_month_figure_reads_february_and_august_only(
        self, year_2025: tuple[pd.DataFrame, dict[str, int]]
    ) -> None:
        items, _ = year_2025
        st = item(items, "stunting_weighing_month")
        assert (st["numerator"], st["denominator"]) == (0, 1)
        cov = item(items, "measured_coverage")
        assert (cov["numerator"], cov["denominator"]) == (1, 2)
        anyc = item(items, "measured_coverage_any")
        assert (anyc["numerator"], anyc["denominator"]) == (2, 2)

    def test_a_flagged_z_score_is_left_out(self, session: Session) -> None:
        b.sample(session)
        items = engine.compute(session, period="2024").items
        st = item(items, "stunting_routine")
        assert (st["numerator"], st["denominator"]) == (0, 0)
        assert pd.isna(st["value"])
        assert item(items, "measured")["value"] == 1

    def test_posyandu_rows_carry_the_posyandu_name(
        self, year_2025: tuple[pd.DataFrame, dict[str, int]]
    ) -> None:
        items, ids = year_2025
        row = item(items, "measured", str(ids["posyandu"]))
        assert (row["level"], row["region_name"], row["value"]) == (
            "posyandu",
            "Posyandu Melati",
            2,
        )


class TestKrs:
    def test_krs_counts_follow_the_bkkbn_rule_at_every_level(
        self, year_2025: tuple[pd.DataFrame, dict[str, int]]
    ) -> None:
        items, _ = year_2025
        for code in (b.MANGGAR, "64.71.01", "64.71", "64"):
            assert item(items, "krs_families", code)["value"] == 1
            assert item(items, "target_families", code)["value"] == 2
            assert item(items, "krs_share", code)["value"] == 50.0
        assert item(items, "krs_factor_water")["value"] == 1
        assert item(items, "krs_factor_latrine")["value"] == 1
        assert item(items, "krs_factor_too_young")["value"] == 0


class TestCatalogueCoverage:
    def test_indicators_the_register_cannot_compute_are_never_filled_in(
        self, year_2025: tuple[pd.DataFrame, dict[str, int]]
    ) -> None:
        items, _ = year_2025
        blank = {i.code for i in CATALOGUE if i.not_computed}
        assert "ttd_hamil_90" not in blank  # computed from the records' tablet counts
        assert not blank & set(items["indicator"])
        # Without a programme aggregate imported, its indicators are not computed either.
        absent = {i.code for i in CATALOGUE if i.aggregate}
        assert {"catin_skrining", "desa_odf"} <= absent
        assert not absent & set(items["indicator"])

    def test_every_item_names_its_period_and_a_catalogue_code(
        self, year_2025: tuple[pd.DataFrame, dict[str, int]]
    ) -> None:
        items, _ = year_2025
        assert set(items["period"]) == {"2025"}
        assert set(items["indicator"]) <= {i.code for i in CATALOGUE}

    def test_targets_come_from_the_catalogue_for_the_periods_year(
        self, year_2025: tuple[pd.DataFrame, dict[str, int]]
    ) -> None:
        items, _ = year_2025
        assert item(items, "stunting_routine")["target"] == 18.8  # RPJMN 2025
        assert pd.isna(item(items, "jkn_pbi")["target"])  # NOT FOUND


class TestSelectAndSuppress:
    def test_level_selects_the_areas_under_the_region(self, session: Session) -> None:
        b.sample(session)
        report = region_indicators(session, region="64.71", period="2025", level="desa")
        assert set(report.items["region_code"]) == {b.MANGGAR}
        own = region_indicators(session, region="64.71", period="2025")
        assert set(own.items["region_code"]) == {"64.71"}

    def test_viewers_see_small_cells_suppressed(self, session: Session) -> None:
        b.sample(session)
        report = region_indicators(
            session, region="64.71.01", period="2025", level="desa", suppress_below=5
        )
        st = item(report.items, "stunting_routine")
        assert st["suppressed"]
        assert pd.isna(st["value"])
        assert pd.isna(st["numerator"])
        assert pd.isna(st["denominator"])

    def test_a_malformed_region_or_period_is_a_clear_error(
        self, session: Session
    ) -> None:
        with pytest.raises(InvalidInput, match="Kemendagri"):
            region_indicators(session, region="64;drop", period="2025")
        with pytest.raises(InvalidInput, match="period"):
            region_indicators(session, region="64", period="last year")


def test_the_default_period_is_the_latest_ended_year_with_measurements(
    session: Session,
) -> None:
    ids = b.sample(session)
    b.measure(session, ids["b"], D(2026, 1, 5), D(2023, 6, 1), b.MANGGAR)
    table = engine.compute(session, today=D(2026, 3, 1))
    assert table.period == "2025"


def test_sqlite_and_postgresql_give_identical_items(tmp_path: Path) -> None:
    require_postgres()
    frames = []
    with postgres_database("tumbuh_ind_") as pg_url:
        for url in (f"sqlite:///{tmp_path / 'same.db'}", pg_url):
            eng = make_engine(url)
            try:
                create_schema(eng, Base.metadata)
                with unit_of_work(eng) as s:
                    b.reset_ids()
                    b.sample(s)
                with unit_of_work(eng) as s:
                    frames.append(engine.compute(s, period="2025").items)
            finally:
                eng.dispose()
    pd.testing.assert_frame_equal(frames[0], frames[1])


def test_outputs_default_to_the_period_chosen_by_completeness(
    session: Session,
) -> None:
    ids = b.sample(session)
    # One row in January of the next year does not move the default.
    b.measure(session, ids["b"], D(2026, 1, 5), D(2023, 6, 1), b.MANGGAR)
    report = region_indicators(session, region="64.71", today=D(2026, 3, 1))
    assert report.period == "2025"
    assert set(report.items["period"]) == {"2025"}


def test_published_figures_of_the_year_are_items_of_their_own_source(
    session: Session,
) -> None:
    from tumbuh.surveillance import service as surveillance

    b.sample(session)
    surveillance.import_file(
        session,
        path=Path(__file__).resolve().parents[2]
        / "src/tumbuh/data/published/published_stunting_kaltim.csv",
    )
    items = engine.compute(session, period="2024").items
    survey = item(items, "stunting_survey", "64.71")
    # SSGI 2024 Balikpapan: the primary 24.6, not the alternative 24.7.
    assert (survey["value"], survey["source"]) == (24.6, "survey")
    routine = item(items, "stunting_published_routine", "64.71")
    # Two primary e-PPGBM figures (12.4, 14.68): their mean, without a CI.
    assert routine["value"] == pytest.approx(13.54)
    assert pd.isna(routine["ci_low"])
    assert item(items, "stunting_survey", "64")["level"] == "province"
