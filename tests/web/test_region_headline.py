"""The region page's "Anak diukur" is the indicator engine's `measured` of the page's period:
the number `tumbuh indicators --region CODE --period P --json` shows (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.web.conftest import PASSWORD, add_register_sample, login
from typer.testing import CliRunner

from tumbuh.accounts import service as accounts
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.register.models import Measurement
from tumbuh.web.app import create_app

REGIONS = ("64.71", "64.71.01", "64.71.01.1001")


@pytest.fixture(scope="module")
def headline_db(private_db_url: str) -> Iterator[Engine]:
    """The web sample register (children measured in 2024) plus one 2025 measurement: the
    register holds 2 measured children in Balikpapan Timur, 2025 only 1."""
    engine = make_engine(private_db_url)
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        add_register_sample(session)
        session.add(
            Measurement(
                person_id=602, measured_on=dt.date(2025, 2, 10), age_days=761,
                weight_kg=10.0, lenhei_cm=80.0, measure="l", zlen=-2.2, zwei=-1.5,
                zwfl=-0.4, flen=False, desa_code="64.71.01.1001", fingerprint="h1",
            )
        )  # fmt: skip
        accounts.create_user(
            session,
            username="head_admin",
            password=PASSWORD,
            role="province_admin",
            region_code="64",
        )
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def headline_app(headline_db: Engine) -> Iterator[FastAPI]:
    settings = Settings(
        environment="test",
        database_url=str(headline_db.url),
        secret_key="test-secret-headline",
    )
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


def _indicators_measured(url: str, region: str, period: str) -> int:
    from tumbuh.cli import app

    args = ["indicators", "--region", region, "--period", period, "--json"]
    result = CliRunner().invoke(app, [*args, "--db", url])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)["items"]
    (measured,) = [i for i in items if i["indicator"] == "measured"]
    return int(measured["value"])


def _page_measured(client: TestClient, region: str, year: int) -> int:
    html = client.get(f"/regions/{region}?year={year}").text
    match = re.search(r'id="kpi-children">([\d.]+)<', html)
    assert match is not None, html[:500]
    assert f"({year})</span>" in html  # the KPI names its period
    return int(match.group(1).replace(".", ""))


@pytest.mark.parametrize("year", [2024, 2025])
def test_anak_diukur_on_the_region_page_is_the_indicators_measured(
    headline_app: FastAPI, headline_db: Engine, year: int
) -> None:
    url = headline_db.url.render_as_string(hide_password=False)
    with TestClient(headline_app) as client:
        login(client, "head_admin")
        shown = {r: _page_measured(client, r, year) for r in REGIONS}
    expected = {r: _indicators_measured(url, r, str(year)) for r in REGIONS}
    assert shown == expected
    assert expected["64.71.01"] == (2 if year == 2024 else 1)
