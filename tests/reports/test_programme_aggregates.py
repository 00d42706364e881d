"""Indicators from programme aggregates: catin screening over KUA marriages, sums over
regions only where every region below has a figure, nothing computed without one."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
from sqlalchemy.orm import Session
from tests.reports import builders as b

from tumbuh.register.models import Region
from tumbuh.register.regions import master_codes
from tumbuh.reports import engine
from tumbuh.reports.catalogue import CATALOGUE, by_code
from tumbuh.reports.service import region_indicators
from tumbuh.surveillance.models import ProgrammeAggregate

D = dt.date
# Balikpapan Timur (64.71.01) has four desa in the Kemendagri 2025 master.
TERITIP, MANGGAR_BARU = "64.71.01.1003", "64.71.01.1004"
EAST = "64.71.01"


def add_regions(session: Session) -> None:
    """The builders' regions and the two other desa of Balikpapan Timur."""
    b.add_regions(session)
    for code, name in ((TERITIP, "Teritip"), (MANGGAR_BARU, "Manggar Baru")):
        session.add(Region(code=code, name=name, level=4, parent_code=EAST))
    session.flush()


def aggregate(
    session: Session,
    code: str,
    region: str,
    den: int,
    num: int | None = None,
    *,
    year: int = 2025,
) -> None:
    session.add(
        ProgrammeAggregate(
            code=code,
            region_code=region,
            year=year,
            numerator=num,
            denominator=den,
            source="test",
        )
    )
    session.flush()


def catin(session: Session, desa: str, on: dt.date, *, sex: str = "F") -> int:
    who = b.person(session, desa, D(2000, 1, 1), sex=sex)
    b.screening(session, who, on, desa, muac_cm=25.0, kind="catin")
    return who


def items_of(session: Session, period: str = "2025") -> pd.DataFrame:
    return engine.compute(session, period=period).items


def cell(items: pd.DataFrame, indicator: str, code: str) -> tuple[int, int] | None:
    rows = items.loc[(items["indicator"] == indicator) & (items["region_code"] == code)]
    if rows.empty:
        return None
    assert len(rows) == 1
    return int(rows["numerator"].iloc[0]), int(rows["denominator"].iloc[0])


class TestCatinScreening:
    def test_brides_screened_in_the_period_over_kua_marriages(
        self, session: Session
    ) -> None:
        add_regions(session)
        twice = catin(session, b.MANGGAR, D(2025, 3, 1))
        b.screening(session, twice, D(2025, 4, 1), b.MANGGAR, muac_cm=25, kind="catin")
        catin(session, b.MANGGAR, D(2025, 12, 31))
        catin(session, b.MANGGAR, D(2025, 5, 5), sex="M")  # a groom: not one more
        catin(session, b.MANGGAR, D(2024, 12, 31))  # screened the year before
        catin(session, b.LAMARU, D(2025, 6, 1))
        mother = b.person(session, b.MANGGAR, D(1995, 1, 1))
        b.screening(session, mother, D(2025, 6, 1), b.MANGGAR, muac_cm=22.0)  # hamil
        aggregate(session, "kua_marriages", b.MANGGAR, 10)
        aggregate(session, "kua_marriages", b.LAMARU, 4)
        items = items_of(session)
        assert cell(items, "catin_skrining", b.MANGGAR) == (2, 10)
        assert cell(items, "catin_skrining", b.LAMARU) == (1, 4)
        row = items.loc[
            (items["indicator"] == "catin_skrining")
            & (items["region_code"] == b.MANGGAR)
        ].iloc[0]
        assert row["value"] == 20.0
        assert row["ci_low"] < 20.0 < row["ci_high"]
        assert row["source"] == "programme"
        assert row["target"] == 90.0
        # Screened in 2024: the 2024 period has screenings but no KUA count.
        assert cell(items_of(session, "2024"), "catin_skrining", b.MANGGAR) is None

    def test_more_brides_than_marriages_shows_the_value_without_an_interval(
        self, session: Session
    ) -> None:
        add_regions(session)
        for _ in range(3):
            catin(session, b.MANGGAR, D(2025, 2, 2))
        aggregate(session, "kua_marriages", b.MANGGAR, 2)
        items = items_of(session)
        row = items.loc[
            (items["indicator"] == "catin_skrining")
            & (items["region_code"] == b.MANGGAR)
        ].iloc[0]
        assert (row["numerator"], row["denominator"], row["value"]) == (3, 2, 150.0)
        assert pd.isna(row["ci_low"])
        assert pd.isna(row["ci_high"])

    def test_quarter_and_month_periods_have_no_yearly_aggregate(
        self, session: Session
    ) -> None:
        add_regions(session)
        catin(session, b.MANGGAR, D(2025, 2, 2))
        aggregate(session, "kua_marriages", b.MANGGAR, 2)
        for period in ("2025-Q1", "2025-02"):
            items = items_of(session, period)
            assert "catin_skrining" not in set(items["indicator"])


class TestRollUp:
    def test_a_region_gets_the_sum_only_when_every_region_below_has_a_figure(
        self, session: Session
    ) -> None:
        add_regions(session)
        catin(session, b.MANGGAR, D(2025, 3, 3))
        catin(session, TERITIP, D(2025, 3, 3))
        for desa, n in ((b.MANGGAR, 10), (b.LAMARU, 5), (TERITIP, 4)):
            aggregate(session, "kua_marriages", desa, n)
        partial = items_of(session)
        assert cell(partial, "catin_skrining", EAST) is None  # Manggar Baru missing
        aggregate(session, "kua_marriages", MANGGAR_BARU, 1)
        full = items_of(session)
        assert cell(full, "catin_skrining", EAST) == (2, 20)
        # Balikpapan has more kecamatan than Balikpapan Timur: no sum above it.
        assert cell(full, "catin_skrining", "64.71") is None
        assert cell(full, "catin_skrining", "64") is None

    def test_an_imported_figure_wins_over_the_sum_and_nothing_goes_below_it(
        self, session: Session
    ) -> None:
        add_regions(session)
        for desa in (b.MANGGAR, b.LAMARU, TERITIP, MANGGAR_BARU):
            aggregate(session, "desa_odf", desa, 1, 1 if desa != TERITIP else 0)
        aggregate(session, "pemahaman_stunting", "64.72", 480, 312)
        items = items_of(session)
        assert cell(items, "desa_odf", EAST) == (3, 4)
        assert cell(items, "desa_odf", b.MANGGAR) == (1, 1)
        assert cell(items, "pemahaman_stunting", "64.72") == (312, 480)
        assert cell(items, "pemahaman_stunting", "64.72.01") is None
        assert cell(items, "pemahaman_stunting", b.RAWA) is None
        aggregate(session, "desa_odf", EAST, 5, 4)  # the office counts one more desa
        assert cell(items_of(session), "desa_odf", EAST) == (4, 5)

    def test_only_the_periods_year_is_read(self, session: Session) -> None:
        add_regions(session)
        aggregate(session, "kehamilan_tidak_diinginkan", "64", 100, 12, year=2024)
        assert cell(items_of(session), "kehamilan_tidak_diinginkan", "64") is None
        assert cell(items_of(session, "2024"), "kehamilan_tidak_diinginkan", "64") == (
            12,
            100,
        )

    def test_roll_up_sums_complete_children_level_by_level(self) -> None:
        kec = sorted(
            c for c in master_codes() if c.startswith("64.72.") and c.count(".") == 2
        )
        desa = sorted(c for c in master_codes() if c.startswith(kec[0] + "."))
        rows = pl.DataFrame(
            {
                "agg": ["desa_odf"] * (len(desa) + len(kec) - 1),
                "code": desa + kec[1:],
                "num": [1] * len(desa) + [2] * (len(kec) - 1),
                "den": [1] * len(desa) + [3] * (len(kec) - 1),
            },
            schema={
                "agg": pl.String,
                "code": pl.String,
                "num": pl.Int64,
                "den": pl.Int64,
            },
        )
        out = engine.roll_up(rows)
        by = {(r["level"], r["code"]): (r["num"], r["den"]) for r in out.to_dicts()}
        assert by[("kecamatan", kec[0])] == (len(desa), len(desa))
        n = len(kec) - 1
        assert by[("kabkota", "64.72")] == (len(desa) + 2 * n, len(desa) + 3 * n)
        assert ("province", "64") not in by


class TestNotComputedWithoutAggregates:
    def test_no_item_and_a_reason_when_nothing_is_imported(
        self, session: Session
    ) -> None:
        b.sample(session)
        items = items_of(session)
        for ind in CATALOGUE:
            if ind.aggregate is not None:
                assert ind.code not in set(items["indicator"])
                assert ind.absent
                assert not ind.not_computed
        assert {i.aggregate for i in CATALOGUE if i.aggregate} == {
            "kua_marriages",
            "kehamilan_tidak_diinginkan",
            "pemahaman_stunting",
            "desa_odf",
        }

    def test_every_aggregate_code_of_the_catalogue_can_be_imported(self) -> None:
        from tumbuh.surveillance.models import AggregateCode

        codes = {c.value for c in AggregateCode}
        assert {i.aggregate for i in CATALOGUE if i.aggregate} == codes
        assert by_code("catin_skrining").aggregate == "kua_marriages"


def test_region_indicators_show_them_like_the_other_indicators(
    session: Session,
) -> None:
    b.sample(session)
    catin(session, b.MANGGAR, D(2025, 3, 3))
    aggregate(session, "kua_marriages", b.MANGGAR, 8)
    report = region_indicators(
        session, region=EAST, period="2025", level="desa"
    ).to_dict()
    got = [
        i
        for i in report["items"]
        if i["indicator"] == "catin_skrining" and i["region_code"] == b.MANGGAR
    ]
    assert len(got) == 1
    assert (got[0]["numerator"], got[0]["denominator"], got[0]["value"]) == (1, 8, 12.5)
    assert got[0]["level"] == "desa"
    assert got[0]["period"] == "2025"
    assert got[0]["region_name"] == "Manggar"
