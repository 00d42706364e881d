"""A register wide enough for paging, filters and sorting: every desa of Kota Samarinda (64.72)
with two or three measured children, and three Balikpapan (64.71) desa with 25 children each,
one of them with weights missing (the 'missing data' check fails there) and one split over
two posyandu.

Ages are set against `today` (the tests' today in WITA), so the under-five filter has
children on both sides of 60 months whatever the day the tests run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.conftest import PASSWORD

from tumbuh.accounts import service as accounts
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.register.master import codes_under, find_region
from tumbuh.register.models import Facility, Measurement, Person, Region
from tumbuh.register.read import months_before
from tumbuh.register.regions import name_key
from tumbuh.web.app import create_app
from tumbuh.web.i18n import WITA

SAMARINDA, BALIKPAPAN = "64.72", "64.71"
#: The Balikpapan desa with 25 children each: scored (20 rows or more), the second with
#: its weights missing, the third weighed at two posyandu.
BIG_DESA = ("64.71.01.1001", "64.71.01.1002", "64.71.02.1001")
MISSING_DESA = BIG_DESA[1]


@dataclass(frozen=True)
class TablesSample:
    today: dt.date
    children: int  # measured children in the whole sample
    samarinda_desa: list[str]
    #: (person id, NIK) of a Samarinda child over five (61 months) and one aged 59 months
    over_five: tuple[int, str]
    under_five: tuple[int, str]


def _regions(session: Session) -> list[str]:
    """Region rows (from the packaged master) of the province, Balikpapan and Samarinda;
    returns the desa codes of Samarinda."""
    codes = ["64", *codes_under(BALIKPAPAN), *codes_under(SAMARINDA)]
    for code in codes:
        info = find_region(code)
        assert info is not None, code
        session.add(
            Region(
                code=code,
                name=info.name,
                level=info.level,
                parent_code=info.parent_code,
            )
        )
    session.flush()
    return [c for c in codes_under(SAMARINDA) if c.count(".") == 3]


def add_tables_sample(session: Session, *, today: dt.date) -> TablesSample:
    rng = np.random.default_rng(17)
    samarinda = _regions(session)
    measured_on = today - dt.timedelta(days=5)
    posyandu = [
        Facility(kind="posyandu", name=f"Posyandu Melati {i}", name_key=f"posyandu melati {i}",
                 region_code=BIG_DESA[2])
        for i in (1, 2)
    ]  # fmt: skip
    session.add_all(posyandu)
    session.flush()
    pid = 10_000
    people: list[Person] = []
    rows: list[Measurement] = []
    special: dict[str, tuple[int, str]] = {}

    def child(desa: str, name: str, months: int, *, post: int | None = None) -> None:
        nonlocal pid
        pid += 1
        born = months_before(today, months) - dt.timedelta(
            days=int(rng.integers(0, 20))
        )
        nik = f"6472{pid:08d}{pid % 7:04d}"
        people.append(
            Person(id=pid, nik=nik, name=name, name_key=name_key(name),
                   sex="M" if pid % 2 else "F", birth_date=born, desa_code=desa)
        )  # fmt: skip
        on = measured_on if months < 60 else months_before(today, months - 24)
        missing = desa == MISSING_DESA and pid % 3 != 0
        rows.append(
            Measurement(
                person_id=pid, measured_on=on, age_days=(on - born).days,
                weight_kg=None if missing else round(float(rng.normal(11, 1.5)), 1),
                lenhei_cm=round(float(rng.normal(85, 6)), 1),
                measure="h" if months >= 24 else "l",
                zlen=round(float(rng.normal(-1.0, 1.1)), 2),
                zwei=round(float(rng.normal(-0.8, 1.0)), 2),
                zwfl=round(float(rng.normal(-0.3, 1.0)), 2),
                flen=False, fwei=False, fwfl=False, desa_code=desa, posyandu_id=post,
                fingerprint=f"t{pid}",
            )
        )  # fmt: skip
        if name.endswith("Enam Puluh Satu"):
            special["over"] = (pid, nik)
        elif name.endswith("Lima Puluh Sembilan"):
            special["under"] = (pid, nik)

    for i, desa in enumerate(samarinda):
        place = find_region(desa)
        assert place is not None
        child(desa, f"Anak {place.name} Satu", 6 + i % 20)
        child(desa, f"Anak {place.name} Dua", 30 + i % 25)
    first = find_region(samarinda[0])
    assert first is not None
    child(samarinda[0], f"Anak {first.name} Enam Puluh Satu", 61)
    child(samarinda[0], f"Anak {first.name} Lima Puluh Sembilan", 59)
    for d, desa in enumerate(BIG_DESA):
        for k in range(25):
            post = posyandu[k % 2].id if desa == BIG_DESA[2] else None
            child(desa, f"Balita {d}-{k:02d}", 6 + (k * 2) % 50, post=post)
    session.add_all(people)
    session.flush()
    session.add_all(rows)
    session.flush()
    return TablesSample(
        today=today,
        children=len(people),
        samarinda_desa=samarinda,
        over_five=special["over"],
        under_five=special["under"],
    )


# --------------------------------------------------------------------------- fixtures
# Imported by the test modules that use them (tests/web/test_quality_page.py,
# test_children_table.py): one database per module and backend.

#: Users of the sample: (username, role, region).
TABLE_USERS = (
    ("t_admin", "province_admin", "64"),  # sees whole NIKs
    ("t_analyst", "province_analyst", "64"),  # personal data, masked NIKs
    ("t_smd", "district_analyst", SAMARINDA),
    ("t_officer", "subdistrict_officer", "64.72.01"),
    ("t_viewer", "viewer", "64"),  # aggregates only
)


@pytest.fixture(scope="module")
def tables_db(private_db_url: str) -> Iterator[tuple[Engine, TablesSample]]:
    engine = make_engine(private_db_url)
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        sample = add_tables_sample(session, today=dt.datetime.now(WITA).date())
        for username, role, region in TABLE_USERS:
            accounts.create_user(
                session, username=username, password=PASSWORD, role=role,
                region_code=region,
            )  # fmt: skip
    yield engine, sample
    engine.dispose()


@pytest.fixture(scope="module")
def tables_app(tables_db: tuple[Engine, TablesSample]) -> Iterator[FastAPI]:
    engine, _ = tables_db
    app = create_app(
        Settings(
            environment="test",
            database_url=str(engine.url),
            secret_key="test-secret-tables",
        )
    )
    yield app
    app.state.engine.dispose()
