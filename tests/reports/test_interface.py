"""`tumbuh indicators --json`, its `--xlsx` and `GET /api/v1/regions/{code}/indicators`
give the same items, row for row, on several regions and levels."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.conftest import postgres_database, require_postgres
from tests.reports import builders as b
from typer.testing import CliRunner

from tumbuh.accounts import service as accounts
from tumbuh.accounts.security import configure_hasher
from tumbuh.cli import app as cli_app
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.reports.engine import ITEM_COLUMNS
from tumbuh.surveillance import service as surveillance
from tumbuh.surveillance.models import ProgrammeAggregate
from tumbuh.web.app import create_app

configure_hasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
PASSWORD = "rahasia-123"
FIGURES_CSV = (
    Path(__file__).resolve().parents[2]
    / "src/tumbuh/data/published/published_stunting_kaltim.csv"
)
FORMULA_NAME = '=HYPERLINK("http://example.invalid","x")'
CASES = [
    ("64", None),
    ("64.71", None),
    ("64.71", "kecamatan"),
    ("64.71.01", "desa"),
    ("64.71.01", "posyandu"),
    ("64.72", None),
]


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('ind') / 'tumbuh.db'}"
        return
    require_postgres()
    with postgres_database("tumbuh_ind_api_") as url:
        yield url


@pytest.fixture(scope="module")
def db(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        surveillance.import_file(session, path=FIGURES_CSV)
        b.reset_ids()
        b.sample(session)
        # A posyandu whose name would run as a formula if written as one.
        evil = b.posyandu(session, b.LAMARU, FORMULA_NAME)
        born = dt.date(2023, 4, 4)
        kid = b.person(session, b.LAMARU, born)
        b.measure(session, kid, dt.date(2025, 8, 8), born, b.LAMARU, posyandu_id=evil)
        # Programme aggregates: KUA marriages of two desa, a knowledge survey of 64.72.
        bride = b.person(session, b.MANGGAR, dt.date(2001, 1, 1))
        b.screening(
            session, bride, dt.date(2025, 3, 3), b.MANGGAR, muac_cm=25, kind="catin"
        )
        for code, region, num, den in (
            ("kua_marriages", b.MANGGAR, None, 6),
            ("kua_marriages", b.LAMARU, None, 3),
            ("pemahaman_stunting", "64.72", 31, 48),
        ):
            session.add(
                ProgrammeAggregate(
                    code=code,
                    region_code=region,
                    year=2025,
                    numerator=num,
                    denominator=den,
                    source="test",
                )
            )
        for username, role, region in [
            ("ind_admin", "province_admin", "64"),
            ("ind_bpp", "district_analyst", "64.71"),
            ("ind_viewer", "viewer", "64"),
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
def client(db: Engine) -> Iterator[TestClient]:
    settings = Settings(
        environment="test",
        database_url=db.url.render_as_string(hide_password=False),
        secret_key="test-secret-ind",
    )
    application = create_app(settings)
    with TestClient(application) as c:
        yield c
    application.state.engine.dispose()


def _token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post(
        "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _cli(db: Engine, region: str, level: str | None, *extra: str) -> str:
    args = ["indicators", "--region", region, "--period", "2025"]
    args += ["--level", level] if level else []
    args += ["--db", db.url.render_as_string(hide_password=False), *extra]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    return result.output


def _norm(v: Any) -> Any:
    """Numbers compared as floats (XLSX has no integers); blanks as None."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return None if isinstance(v, float) and math.isnan(v) else float(v)
    return v


def _rows(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(_norm(it[c]) for c in ITEM_COLUMNS) for it in items]


def _xlsx_rows(path: Path) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    header = list(rows[0])
    assert header == list(ITEM_COLUMNS)
    out = []
    for r in rows[1:]:
        rec = dict(zip(header, r, strict=True))
        # The writer stores the text "2025" as text and codes as text: compare as is.
        out.append(tuple(_norm(rec[c]) for c in ITEM_COLUMNS))
    return out


@pytest.mark.parametrize(("region", "level"), CASES)
def test_cli_json_xlsx_and_api_agree_row_for_row(
    db: Engine,
    client: TestClient,
    tmp_path: Path,
    region: str,
    level: str | None,
) -> None:
    printed = json.loads(_cli(db, region, level, "--json"))
    xlsx = tmp_path / "items.xlsx"
    _cli(db, region, level, "--xlsx", str(xlsx))
    params = {"period": "2025", **({"level": level} if level else {})}
    r = client.get(
        f"/api/v1/regions/{region}/indicators",
        params=params,
        headers=_token(client, "ind_admin"),
    )
    assert r.status_code == 200, r.text
    api = r.json()
    assert printed["period"] == api["period"] == "2025"
    assert printed["items"], "no items: the comparison would be empty"
    assert _rows(printed["items"]) == _rows(api["items"])
    assert _rows(printed["items"]) == _xlsx_rows(xlsx)


def test_the_api_refuses_a_region_outside_the_users_area(client: TestClient) -> None:
    r = client.get(
        "/api/v1/regions/64.72/indicators",
        params={"period": "2025"},
        headers=_token(client, "ind_bpp"),
    )
    assert r.status_code == 403


def test_viewers_get_small_cells_suppressed_like_cli_public(
    db: Engine, client: TestClient
) -> None:
    r = client.get(
        "/api/v1/regions/64.71.01/indicators",
        params={"period": "2025", "level": "desa"},
        headers=_token(client, "ind_viewer"),
    )
    assert r.status_code == 200, r.text
    public = json.loads(_cli(db, "64.71.01", "desa", "--json", "--public"))
    assert _rows(r.json()["items"]) == _rows(public["items"])
    stunting = [i for i in public["items"] if i["indicator"] == "stunting_routine"]
    assert stunting[0]["suppressed"] is True
    assert stunting[0]["value"] is None


def test_without_a_token_the_route_answers_401(client: TestClient) -> None:
    r = client.get("/api/v1/regions/64/indicators", params={"period": "2025"})
    assert r.status_code == 401


def test_xlsx_text_that_looks_like_a_formula_stays_text(
    db: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "posyandu.xlsx"
    _cli(db, "64.71.01", "posyandu", "--xlsx", str(path))
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == FORMULA_NAME]
    assert cells, "the posyandu name is not in the export"
    assert all(c.data_type == "s" for c in cells)


def test_programme_aggregate_indicators_are_items_like_the_others(db: Engine) -> None:
    desa = json.loads(_cli(db, "64.71.01", "desa", "--json"))["items"]
    catin = {
        i["region_code"]: (i["numerator"], i["denominator"])
        for i in desa
        if i["indicator"] == "catin_skrining"
    }
    assert catin == {b.MANGGAR: (1, 6), b.LAMARU: (0, 3)}
    own = json.loads(_cli(db, "64.72", None, "--json"))["items"]
    survey = [i for i in own if i["indicator"] == "pemahaman_stunting"]
    assert [(i["numerator"], i["denominator"], i["target"]) for i in survey] == [
        (31, 48, 70.0)
    ]
