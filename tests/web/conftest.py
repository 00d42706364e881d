"""Web test fixtures: one app per backend, users of every role inside and outside Balikpapan.

The database is shared by the whole test session, so every username here carries a random
suffix and tests only look at rows they created.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import (
    postgres_database,
    require_postgres,
)

from tumbuh.accounts import service as accounts
from tumbuh.accounts.roles import Role
from tumbuh.accounts.security import configure_hasher
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.interventions import service as interventions
from tumbuh.interventions.models import Intervention
from tumbuh.models import Base
from tumbuh.register.models import Family, Measurement, Person, Region
from tumbuh.risk.models import RiskScore
from tumbuh.surveillance import service as surveillance
from tumbuh.web.app import create_app

PASSWORD = "rahasia-123"

# Cheap argon2 in tests: hundreds of logins stay fast; the algorithm and code path are the same.
configure_hasher(time_cost=1, memory_cost_kib=1024, parallelism=1)

# Each role's home region: Balikpapan (64.71) and below, or the whole province.
HOME: dict[Role, str] = {
    Role.province_admin: "64",
    Role.province_analyst: "64",
    Role.district_analyst: "64.71",
    Role.subdistrict_officer: "64.71.01",
    Role.village_team: "64.71.01.1001",
    Role.viewer: "64.71",
}


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    region_code: str
    id: int


@pytest.fixture(scope="module")
def web_settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key="test-secret-web",
        session_max_age_s=3600,
    )


@pytest.fixture(scope="module")
def app(web_settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    application = create_app(web_settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def accounts_by_role(engine: Engine) -> dict[Role, Account]:
    """One active user per role at its HOME region (created once per module and backend)."""
    suffix = uuid.uuid4().hex[:8]
    out: dict[Role, Account] = {}
    with unit_of_work(engine) as session:
        for role, region in HOME.items():
            user = accounts.create_user(
                session,
                username=f"{role.value}_{suffix}",
                password=PASSWORD,
                role=role.value,
                region_code=region,
            )
            session.flush()
            out[role] = Account(user.username, role, region, user.id)
    return out


def make_user(engine: Engine, role: Role, region: str) -> Account:
    with unit_of_work(engine) as session:
        user = accounts.create_user(
            session,
            username=f"{role.value}_{uuid.uuid4().hex[:8]}",
            password=PASSWORD,
            role=role.value,
            region_code=region,
        )
        session.flush()
        return Account(user.username, role, region, user.id)


def csrf_of(client: TestClient) -> str:
    """The CSRF cookie, fetching the login page first when the client has none yet."""
    token = client.cookies.get("tumbuh_csrf")
    if token is None:
        client.get("/login")
        token = client.cookies.get("tumbuh_csrf")
    assert token is not None
    return token


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(client),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def bearer(
    client: TestClient, username: str, password: str = PASSWORD
) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


FIGURES_CSV = (
    Path(__file__).resolve().parents[2]
    / "src/tumbuh/data/published/published_stunting_kaltim.csv"
)


# A desa outside each role's HOME region, and the ids of a child and a family living there.
OUTSIDE_DESA: dict[Role, str] = {
    Role.province_admin: "65.01.01.1001",
    Role.province_analyst: "65.01.01.1001",
    Role.district_analyst: "64.72.01.1001",
    Role.subdistrict_officer: "64.71.02.1001",
    Role.village_team: "64.71.01.1002",
    Role.viewer: "64.72.01.1001",
}
INSIDE_CHILD, INSIDE_FAMILY = 602, 501  # Manggar (64.71.01.1001): inside every HOME


def outside_ids(role: Role) -> tuple[int, int]:
    """(child id, family id) of the sample records outside the role's HOME region."""
    desas = list(OUTSIDE_DESA.values())
    desa = OUTSIDE_DESA[role]
    child = 603 if desa == "64.71.01.1002" else 610 + desas.index(desa)
    return child, 502 + desas.index(desa)


def add_register_sample(session: Session) -> None:
    """A small register in Balikpapan Timur: a family in Manggar with a mother and a stunted
    boy (two visits), a girl in Lamaru (one visit), and a boy with no known desa."""
    for code, name, level in [
        ("64", "Kalimantan Timur", 1), ("64.71", "Kota Balikpapan", 2),
        ("64.71.01", "Balikpapan Timur", 3), ("64.71.01.1001", "Manggar", 4),
        ("64.71.01.1002", "Lamaru", 4), ("64.71.02", "Balikpapan Barat", 3),
        ("64.71.02.1001", "Baru Ilir", 4), ("64.72", "Kota Samarinda", 2),
        ("64.72.01", "Palaran", 3), ("64.72.01.1001", "Rawa Makmur", 4),
        ("65", "Kalimantan Utara", 1), ("65.01", "Kabupaten Bulungan", 2),
        ("65.01.01", "Tanjung Palas", 3), ("65.01.01.1001", "Tanjung Palas Hulu", 4),
    ]:  # fmt: skip
        session.add(
            Region(
                code=code,
                name=name,
                level=level,
                parent_code=code.rpartition(".")[0] or None,
            )
        )
    session.flush()
    # Unprotected well and no latrine, with a child under five: a family at risk (KRS).
    family = Family(
        id=501, no_kk="6471010101010001", desa_code="64.71.01.1001", rt="003", rw="001",
        water_source="unprotected_well", latrine="none",
    )  # fmt: skip
    session.add(family)
    session.flush()
    people = [
        Person(id=600, nik="6471010505880003", name="Ahmad Santoso", name_key="ahmad santoso",
               sex="M", birth_date=dt.date(1988, 5, 5), family_id=501, family_role="kepala",
               desa_code="64.71.01.1001"),
        Person(id=601, nik="6471014101900001", name="Siti Aminah", name_key="siti aminah", sex="F",
               birth_date=dt.date(1990, 1, 1), family_id=501, family_role="istri", desa_code="64.71.01.1001"),
        Person(id=602, nik="6471011203190012", name="Budi Santoso", name_key="budi santoso", sex="M",
               birth_date=dt.date(2023, 1, 10), family_id=501, family_role="anak", mother_id=601,
               desa_code="64.71.01.1001"),
        Person(id=603, nik="6471015506220002", name="Ani Lestari", name_key="ani lestari", sex="F",
               birth_date=dt.date(2022, 6, 15), desa_code="64.71.01.1002"),
        Person(id=604, nik=None, name="Tanpa Desa", name_key="tanpa desa", sex="M",
               birth_date=dt.date(2023, 3, 1), desa_code=None),
    ]  # fmt: skip
    # One child and one family outside each HOME region (for the authorisation matrix).
    for i, desa in enumerate(OUTSIDE_DESA.values()):
        if desa == "64.71.01.1002":
            continue
        people.append(Person(id=610 + i, name=f"Anak {desa}", name_key=f"anak {desa}", sex="F",
                             birth_date=dt.date(2023, 5, 5), desa_code=desa))  # fmt: skip
    for fid, desa in enumerate(OUTSIDE_DESA.values(), start=502):
        session.add(Family(id=fid, no_kk=f"99{fid:014d}", desa_code=desa))
    session.add_all(people)
    session.flush()
    session.add_all([
        Measurement(person_id=602, measured_on=dt.date(2024, 1, 10), age_days=365, weight_kg=8.2,
                    lenhei_cm=70.1, measure="l", zlen=-2.1, zwei=-1.6, zwfl=-0.6, flen=False,
                    desa_code="64.71.01.1001", fingerprint="f1"),
        Measurement(person_id=602, measured_on=dt.date(2024, 7, 10), age_days=547, weight_kg=9.0,
                    lenhei_cm=75.0, measure="l", zlen=-2.5, zwei=-1.9, zwfl=-0.8, flen=False,
                    desa_code="64.71.01.1001", fingerprint="f2"),
        Measurement(person_id=603, measured_on=dt.date(2024, 7, 11), age_days=757, weight_kg=11.0,
                    lenhei_cm=85.0, measure="h", zlen=-1.0, zwei=-0.5, zwfl=0.1, flen=False,
                    desa_code="64.71.01.1002", fingerprint="f3"),
        Measurement(person_id=604, measured_on=dt.date(2024, 7, 12), age_days=499, weight_kg=9.5,
                    lenhei_cm=76.0, measure="l", zlen=-1.2, zwei=-0.9, zwfl=-0.3, flen=False,
                    desa_code=None, fingerprint="f4"),
    ])  # fmt: skip
    session.flush()
    # Stored risk scores (as `tumbuh risk score` writes them) for every sample family, and
    # one intervention: the visit lists, the gaps and the family page read them.
    for fid, desa in [
        (501, "64.71.01.1001"),
        *zip(range(502, 508), OUTSIDE_DESA.values(), strict=True),
    ]:
        session.add(RiskScore(
            family_id=fid, year=2025, desa_code=desa, risk=0.31 if fid == 501 else 0.05,
            krs=fid == 501, krs_factors="water;latrine" if fid == 501 else "",
            reason_keys="water", reasons_id="air minum tidak layak",
            reasons_en="unimproved drinking water", signal_keys="", signals_id="",
            signals_en="", model_trained_at="2025-01-01T00:00:00",
        ))  # fmt: skip
    interventions.ensure_catalogue(session)
    session.add(Intervention(
        kind_code="pantau_tumbuh", person_id=602, family_id=None, desa_code="64.71.01.1001",
        given_on=dt.date(2025, 3, 1), status="given", sector="Dinkes", record_key="k602",
    ))  # fmt: skip
    session.flush()


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def private_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database of this module's own, on SQLite and on PostgreSQL (the shared test
    database is left alone: these tests insert records with fixed ids)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('private') / 'tumbuh.db'}"
        return
    require_postgres()
    with postgres_database("tumbuh_web_") as url:
        yield url


@pytest.fixture(scope="module")
def figures_db(private_db_url: str) -> Iterator[Engine]:
    """A private database with the published figures, the targets, a small register and one
    user per role (`fig_<role>` at HOME[role]; also `fig_admin`, `fig_bpp`, `fig_officer`,
    `fig_team`)."""
    engine = make_engine(private_db_url)
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        surveillance.import_file(session, path=FIGURES_CSV)
        surveillance.ensure_targets(session)
        add_register_sample(session)
        for username, role, region in [
            ("fig_admin", "province_admin", "64"),
            ("fig_bpp", "district_analyst", "64.71"),
            ("fig_officer", "subdistrict_officer", "64.71.01"),
            ("fig_team", "village_team", "64.71.01.1001"),
            *[
                (f"fig_{role.value}", role.value, region)
                for role, region in HOME.items()
            ],
        ]:
            accounts.create_user(
                session,
                username=username,
                password=PASSWORD,
                role=role,
                region_code=region,
            )
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def figures_app(figures_db: Engine) -> Iterator[FastAPI]:
    settings = Settings(
        environment="test",
        database_url=str(figures_db.url),
        secret_key="test-secret-fig",
    )
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


def wait_for_job(client: TestClient, url: str, *, timeout_s: float = 300) -> Response:
    """The import job page at `url` once the job is finished (done or failed)."""

    deadline = time.monotonic() + timeout_s
    while True:
        r = client.get(url)
        assert r.status_code == 200, r.text[:300]
        if 'data-status="done"' in r.text or 'data-status="failed"' in r.text:
            return r
        assert time.monotonic() < deadline, f"{url} not finished in {timeout_s} s"
        time.sleep(0.2)
