"""New cases by package status: who has the effective package (TTD in the pregnancy, PMT when
the pregnancy was KEK, MP-ASI), who is in scope, and the counts per group."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from tumbuh.interventions import service
from tumbuh.interventions.models import Intervention
from tumbuh.interventions.outcomes import (
    new_cases_by_package,
    package_status,
    risk_ratio,
)
from tumbuh.register.models import Family, Measurement, Person, Region, Screening

PROV, KAB, KEC, DESA = "97", "97.01", "97.01.01", "97.01.01.2001"
D = dt.date.fromisoformat


class _Province:
    """Province 97: five families, each a mother (istri) and one child (anak)."""

    def __init__(self, session: Session) -> None:
        self.s = session
        service.ensure_catalogue(session)
        for code, level, parent in (
            (PROV, 1, None),
            (KAB, 2, PROV),
            (KEC, 3, KAB),
            (DESA, 4, KEC),
        ):
            if session.get(Region, code) is None:
                session.add(
                    Region(code=code, name=f"R {code}", level=level, parent_code=parent)
                )
        session.flush()
        self.n = 0
        self.child: dict[str, int] = {}
        self.mother: dict[str, int] = {}

    def _person(self, fam: Family, role: str, sex: str, born: dt.date) -> Person:
        self.n += 1
        p = Person(
            nik=f"9701010000{self.n:06d}",
            name=f"P{self.n}",
            name_key=f"p{self.n}",
            sex=sex,
            birth_date=born,
            family_id=fam.id,
            family_role=role,
            desa_code=DESA,
        )
        self.s.add(p)
        self.s.flush()
        return p

    def family(self, key: str, child_born: str) -> None:
        self.n += 1
        fam = Family(no_kk=f"9701019900{self.n:06d}", desa_code=DESA)
        self.s.add(fam)
        self.s.flush()
        self.mother[key] = self._person(fam, "istri", "F", D("1995-01-01")).id
        self.child[key] = self._person(fam, "anak", "M", D(child_born)).id

    def give(
        self, code: str, key: str, on: str, *, mother: bool, status: str = "given"
    ) -> None:
        pid = (self.mother if mother else self.child)[key]
        day = D(on)
        self.s.add(
            Intervention(
                kind_code=code,
                person_id=pid,
                desa_code=DESA,
                given_on=day,
                status=status,
                sector="Dinkes",
                record_key=service.record_key(code, pid, None, day),
            )
        )

    def lila(self, key: str, on: str, cm: float) -> None:
        self.s.add(
            Screening(
                person_id=self.mother[key],
                kind="hamil",
                screened_on=D(on),
                muac_cm=cm,
                desa_code=DESA,
                fingerprint=f"s{key}",
            )
        )

    def measure(self, key: str, on: str, zlen: float) -> None:
        pid = self.child[key]
        born = self.s.get(Person, pid)
        assert born is not None
        assert born.birth_date is not None
        self.s.add(
            Measurement(
                person_id=pid,
                measured_on=D(on),
                age_days=(D(on) - born.birth_date).days,
                desa_code=DESA,
                zlen=zlen,
                flen=False,
                fingerprint=f"m{pid}{on}",
            )
        )


@pytest.fixture
def province(session: Session) -> _Province:
    p = _Province(session)
    # full: TTD in the pregnancy, no KEK, MP-ASI
    p.family("full", "2025-03-01")
    p.give("ttd_hamil", "full", "2024-09-01", mother=True)
    p.give("mpasi", "full", "2025-09-15", mother=False)
    # KEK pregnancy without PMT: missing
    p.family("kek_no_pmt", "2025-03-05")
    p.lila("kek_no_pmt", "2024-10-01", 22.0)
    p.give("ttd_hamil", "kek_no_pmt", "2024-09-10", mother=True)
    p.give("mpasi", "kek_no_pmt", "2025-09-10", mother=False)
    # KEK pregnancy with PMT: full
    p.family("kek_pmt", "2025-02-20")
    p.lila("kek_pmt", "2024-09-15", 22.5)
    p.give("ttd_hamil", "kek_pmt", "2024-08-20", mother=True)
    p.give("pmt_bumil_kek", "kek_pmt", "2024-10-20", mother=True)
    p.give("mpasi", "kek_pmt", "2025-09-01", mother=False)
    # MP-ASI only planned, TTD outside the pregnancy: missing twice over
    p.family("gaps", "2025-01-15")
    p.give("ttd_hamil", "gaps", "2024-01-02", mother=True)
    p.give("mpasi", "gaps", "2025-08-01", mother=False, status="planned")
    # born before the records begin: out of scope
    p.family("old", "2023-01-01")
    p.give("mpasi", "old", "2023-08-01", mother=False)
    for key, z0, z1 in (
        ("full", -1.0, -1.5),
        ("kek_no_pmt", -1.0, -2.5),
        ("kek_pmt", -0.5, -0.8),
        ("gaps", -1.2, -2.3),
    ):
        p.measure(key, "2025-04-01", z0)
        p.measure(key, "2025-10-01", z1)
    session.flush()
    return p


class TestPackageStatus:
    def test_each_child_gets_the_package_it_needed(
        self, session: Session, province: _Province
    ) -> None:
        st = package_status(session, region=PROV).set_index("child_id")
        ids = province.child
        assert ids["old"] not in st.index  # its pregnancy predates the records
        assert bool(st.loc[ids["full"], "full"])
        assert bool(st.loc[ids["kek_pmt"], "full"])
        assert bool(st.loc[ids["kek_pmt"], "kek"])
        assert not st.loc[ids["kek_no_pmt"], "full"]
        assert bool(st.loc[ids["kek_no_pmt"], "kek"])
        gaps = st.loc[ids["gaps"]]
        assert not gaps["ttd"]  # dated before the pregnancy
        assert not gaps["mpasi"]  # planned does not count
        assert not gaps["full"]


class TestNewCases:
    def test_counts_per_group_in_the_year(
        self, session: Session, province: _Province
    ) -> None:
        rows = new_cases_by_package(session, region=PROV, year=2025)
        prov = next(r for r in rows if r.region_code == PROV)
        assert (prov.children_full, prov.children_missing) == (2, 2)
        assert (prov.at_risk_full, prov.new_cases_full) == (2, 0)
        assert (prov.at_risk_missing, prov.new_cases_missing) == (2, 2)
        assert prov.rr is None  # no case among the full: no finite ratio
        kab = next(r for r in rows if r.region_code == KAB)
        assert (kab.new_cases_full, kab.new_cases_missing) == (0, 2)

    def test_risk_ratio_and_interval(self) -> None:
        rr, lo, hi = risk_ratio(30, 100, 20, 100)
        assert rr == pytest.approx(1.5)
        # se = sqrt(1/30 - 1/100 + 1/20 - 1/100) = 0.2517; 1.5 * exp(-/+ 1.96 se)
        assert lo == pytest.approx(0.9160, abs=1e-3)
        assert hi == pytest.approx(2.4564, abs=1e-3)
        assert risk_ratio(0, 10, 3, 10) == (None, None, None)
