"""Synthetic intervention records: only eligible units, reproducible, coverage varying by
sector and by desa, and insertable into the database without duplicates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.interventions.builders import PERIOD, World

from tumbuh.interventions import service
from tumbuh.interventions.groups import Register
from tumbuh.interventions.models import Intervention, InterventionKind
from tumbuh.interventions.synthetic import (
    import_layout,
    record_synthetic,
    synthetic_records,
)

N_DESA = 30
PER_DESA = 60


def _register() -> Register:
    """An in-memory register: 30 desa x 60 families, each with one under-five child."""
    desa = np.repeat([f"99.01.01.{2001 + i}" for i in range(N_DESA)], PER_DESA)
    n = desa.size
    fam_ids = np.arange(1, n + 1)
    families = pd.DataFrame(
        {
            "family_id": fam_ids,
            "no_kk": [f"{i:016d}" for i in fam_ids],
            "desa_code": desa,
        }
    )
    persons = pd.DataFrame(
        {
            "person_id": fam_ids + 10_000,
            "nik": [f"{i + 10_000:016d}" for i in fam_ids],
            "name": "x",
            "sex": "F",
            "birth_date": dt.date(2024, 1, 1),
            "family_id": fam_ids,
            "family_role": "anak",
            "desa_code": desa,
        }
    )
    pg = persons[["person_id", "family_id", "desa_code"]].assign(group="child_0_59")
    fg = families[["family_id", "desa_code"]].assign(group="family_no_latrine")
    return Register(
        period=PERIOD,
        persons=persons,
        families=families,
        person_groups=pg,
        family_groups=fg,
    )


def _kinds() -> list[InterventionKind]:
    return [
        InterventionKind(
            code="pantau_tumbuh", target_group="child_0_59", sector="Dinkes"
        ),
        InterventionKind(
            code="sanitasi", target_group="family_no_latrine", sector="PUPR/Perkim"
        ),
    ]


def _given_share(recs: pd.DataFrame, code: str) -> pd.Series:
    given = recs.loc[
        (recs["kind_code"] == code) & recs["status"].isin(["given", "verified"])
    ]
    return (
        given.groupby("desa_code")
        .size()
        .reindex(sorted(set(_register().families["desa_code"])), fill_value=0)
        / PER_DESA
    )


class TestSyntheticRecords:
    def test_same_seed_same_records_other_seed_other_records(self) -> None:
        a = synthetic_records(_register(), _kinds(), seed=7)
        b = synthetic_records(_register(), _kinds(), seed=7)
        c = synthetic_records(_register(), _kinds(), seed=8)
        pd.testing.assert_frame_equal(a, b)
        assert not a[["kind_code", "person_id", "family_id"]].equals(
            c[["kind_code", "person_id", "family_id"]]
        )

    def test_records_go_to_eligible_units_in_the_period(self) -> None:
        reg = _register()
        recs = synthetic_records(reg, _kinds(), seed=1)
        person = recs.loc[recs["kind_code"] == "pantau_tumbuh"]
        family = recs.loc[recs["kind_code"] == "sanitasi"]
        assert set(person["person_id"]) <= set(reg.person_groups["person_id"])
        assert person["family_id"].isna().all()
        assert set(family["family_id"]) <= set(reg.family_groups["family_id"])
        assert family["person_id"].isna().all()
        assert recs["given_on"].between(PERIOD.start, PERIOD.end).all()
        assert set(recs["status"]) == {"planned", "given", "verified"}
        assert not recs.duplicated(["kind_code", "person_id", "family_id"]).any()

    def test_coverage_differs_by_sector_and_by_desa(self) -> None:
        recs = synthetic_records(_register(), _kinds(), seed=3)
        health = _given_share(recs, "pantau_tumbuh")
        works = _given_share(recs, "sanitasi")
        assert health.mean() > works.mean() + 0.2  # Dinkes base 0.75, PUPR/Perkim 0.3
        assert health.std() > 0.08
        assert works.max() - works.min() > 0.3

    def test_sector_bases_can_be_set(self) -> None:
        recs = synthetic_records(
            _register(),
            _kinds(),
            seed=3,
            sector_base={"PUPR/Perkim": 0.97, "Dinkes": 0.03},
        )
        assert (
            _given_share(recs, "sanitasi").mean()
            > _given_share(recs, "pantau_tumbuh").mean()
        )

    def test_import_layout_has_the_import_headers(self) -> None:
        out = import_layout(synthetic_records(_register(), _kinds(), seed=1))
        assert list(out.columns) == [
            "Kode Intervensi",
            "NIK",
            "No KK",
            "Tanggal",
            "Status",
            "Sektor",
        ]
        assert out["Tanggal"].str.match(r"^2025-\d\d-\d\d$").all()


class TestRecordSynthetic:
    def test_records_are_written_once_and_show_in_coverage(
        self, session: Session, world: World
    ) -> None:
        before = session.scalar(select(func.count()).select_from(Intervention)) or 0
        n = record_synthetic(session, period=PERIOD, seed=5, region="99")
        assert n > 0
        assert (
            session.scalar(select(func.count()).select_from(Intervention)) == before + n
        )
        assert record_synthetic(session, period=PERIOD, seed=5, region="99") == 0
        rows = service.coverage_report(session, region="99", period=PERIOD).rows
        assert sum(r.numerator for r in rows) > 0


class TestExclude:
    def test_excluded_kinds_get_no_records(
        self, session: Session, world: World
    ) -> None:
        n = record_synthetic(
            session, period=PERIOD, seed=5, region="99", exclude={"pantau_tumbuh"}
        )
        assert n > 0
        codes = set(
            session.scalars(
                select(Intervention.kind_code).where(
                    Intervention.source_file == "synthetic:seed=5"
                )
            )
        )
        assert codes
        assert "pantau_tumbuh" not in codes
