"""Routine small-area warning from the register's measurements (desa, kecamatan, posyandu)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput
from tumbuh.register.models import Facility, Measurement, Person, Region
from tumbuh.surveillance import service
from tumbuh.surveillance.models import FigureKind

HOT_DESA = "99.01.01.2001"
ID0 = 9_000_000


def populate(session: Session) -> None:
    """3 kecamatan x 10 desa, 12 children per desa per year at a true 20 % stunted;
    the first desa goes from 10 % to 50 % with 60 children a year.

    Province code 99 (unused by Kemendagri) and ids from ID0 keep these rows apart from
    anything other tests commit to the shared test database.
    """
    rng = np.random.default_rng(5)
    regions = [
        {"code": "99.01", "name": "Kabupaten Uji", "level": 2, "parent_code": "99"}
    ]
    persons, measurements, facilities = [], [], []
    pid = ID0
    for k in range(1, 4):
        kec = f"99.01.0{k}"
        regions.append(
            {"code": kec, "name": f"Kec {k}", "level": 3, "parent_code": "99.01"}
        )
        for d in range(1, 11):
            desa = f"{kec}.{2000 + d}"
            regions.append(
                {"code": desa, "name": f"Desa {k}-{d}", "level": 4, "parent_code": kec}
            )
            fid = ID0 + len(facilities) + 1
            facilities.append(
                {
                    "id": fid,
                    "kind": "posyandu",
                    "name": f"Posyandu {k}-{d}",
                    "name_key": f"posyandu {k}-{d}",
                    "region_code": desa,
                }
            )
            for year in (2023, 2024):
                hot = desa == HOT_DESA
                n, rate = (60, 0.1 if year == 2023 else 0.5) if hot else (12, 0.2)
                stunted = rng.random(n) < rate
                for i in range(n):
                    pid += 1
                    persons.append(
                        {
                            "id": pid,
                            "name": f"A{pid}",
                            "name_key": f"a{pid}",
                            "fingerprint": "x",
                        }
                    )
                    measurements.append(
                        {
                            "person_id": pid,
                            "measured_on": dt.date(year, 8, 1),
                            "age_days": 400 + i,
                            "desa_code": desa,
                            "posyandu_id": fid,
                            "zlen": -2.5 if stunted[i] else -0.5,
                            "flen": False,
                            "fingerprint": "x",
                        }
                    )
    # A child of 6 years and a flagged length must not count.
    measurements.append(
        {
            **measurements[-1],
            "person_id": ID0 + 1,
            "age_days": 2200,
            "measured_on": dt.date(2024, 9, 1),
        }
    )
    measurements.append(
        {
            **measurements[-2],
            "person_id": ID0 + 2,
            "flen": True,
            "measured_on": dt.date(2024, 9, 2),
        }
    )
    session.execute(insert(Region), regions)
    session.execute(insert(Facility), facilities)
    session.execute(insert(Person), persons)
    session.execute(insert(Measurement), measurements)
    session.flush()


class TestRoutineWarning:
    def test_flags_the_desa_with_a_real_rise_and_few_others(
        self, session: Session
    ) -> None:
        populate(session)
        report = service.early_warning(
            session, kind=FigureKind.routine, level="desa", year=2024
        )
        items = {i.region_code: i for i in report.items}
        assert len(items) == 30
        hot = items[HOT_DESA]
        assert hot.status == "rising"
        assert hot.region_name == "Desa 1-1"
        assert hot.extra["n"] == 60
        assert hot.extra["prob_rose"] > 0.95
        assert hot.reasons("en")[0].startswith(
            f"e-PPGBM 2024: {hot.extra['cases']} of 60"
        )
        others = [i for c, i in items.items() if c != HOT_DESA]
        assert sum(i.status == "rising" for i in others) <= 1
        assert all(i.below_national is None for i in items.values())

    def test_counts_each_child_once_and_leaves_out_over_fives_and_flags(
        self, session: Session
    ) -> None:
        populate(session)
        report = service.early_warning(
            session, kind=FigureKind.routine, level="kecamatan"
        )
        kec = {i.region_code: i for i in report.items}
        assert set(kec) == {"99.01.01", "99.01.02", "99.01.03"}
        assert kec["99.01.02"].extra["n"] == 120
        assert kec["99.01.01"].extra["n"] == 60 + 9 * 12

    def test_works_per_posyandu_with_its_name(self, session: Session) -> None:
        populate(session)
        report = service.early_warning(
            session, kind=FigureKind.routine, level="posyandu"
        )
        first = next(i for i in report.items if i.region_code == str(ID0 + 1))
        assert first.region_name == "Posyandu 1-1"
        assert first.extra["parent_code"] == HOT_DESA

    def test_says_so_when_there_are_no_measurements(self, session: Session) -> None:
        with pytest.raises(InvalidInput, match="no scored measurements"):
            service.early_warning(session, kind=FigureKind.routine, level="desa")

    def test_judges_an_earlier_year_without_later_measurements(
        self, session: Session
    ) -> None:
        populate(session)
        report = service.early_warning(
            session, kind=FigureKind.routine, level="desa", year=2023
        )
        assert report.year == 2023
        assert {i.extra["period"] for i in report.items} == {"2023"}
        assert {i.status for i in report.items} == {"no_data"}
        assert "Only one period" in report.items[0].reasons("en")[-1]
