"""Web test fixtures: one app per backend, users of every role inside and outside Balikpapan.

The database is shared by the whole test session, so every username here carries a random
suffix and tests only look at rows they created.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tumbuh.accounts import service as accounts
from tumbuh.accounts.roles import Role
from tumbuh.accounts.security import configure_hasher
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
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


@pytest.fixture(scope="module")
def figures_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A private SQLite database with the published figures, the targets and two users
    (`fig_admin` at 64, `fig_bpp` at 64.71), so the shared test database stays untouched."""
    path = tmp_path_factory.mktemp("figures") / "tumbuh.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        surveillance.import_file(session, path=FIGURES_CSV)
        surveillance.ensure_targets(session)
        for username, role, region in [
            ("fig_admin", "province_admin", "64"),
            ("fig_bpp", "district_analyst", "64.71"),
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
