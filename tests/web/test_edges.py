"""Robust edges: ids and pages beyond what the database holds are 422, never 500 (SQLite and
PostgreSQL); API errors have the documented {error, detail} body; personal data is not
cached; HSTS behind HTTPS; forwarded headers believed from trusted proxies only; an
unreachable database is 503 for the web and one line for the command line."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.conftest import INSIDE_CHILD, INSIDE_FAMILY, bearer, csrf_of, login

from tumbuh.accounts.models import LoginAttempt
from tumbuh.accounts.security import issue_token
from tumbuh.config import Settings
from tumbuh.web.app import create_app
from tumbuh.web.proxy import forwarded_client

HUGE = [2**63, 2**63 - 1, 2**31, 2**64 + 5, 0, -1]
LAST_ID = 2**31 - 1
ERROR_KEYS = {"error", "detail"}


def _is_error_body(body: object) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == ERROR_KEYS
        and all(isinstance(v, str) for v in body.values())
    )


@pytest.fixture(scope="module")
def api(figures_app: FastAPI) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with TestClient(figures_app) as client:
        yield client, bearer(client, "fig_admin")


@pytest.fixture(scope="module")
def pages(figures_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(figures_app, follow_redirects=False) as client:
        login(client, "fig_admin")
        yield client


class TestBoundedIds:
    @pytest.mark.parametrize("kind", ["children", "families"])
    @pytest.mark.parametrize("rid", HUGE, ids=[str(h) for h in HUGE])
    def test_api_ids_out_of_range_are_422(
        self, api: tuple[TestClient, dict[str, str]], kind: str, rid: int
    ) -> None:
        client, auth = api
        r = client.get(f"/api/v1/{kind}/{rid}", headers=auth)
        assert r.status_code == 422, r.text
        assert _is_error_body(r.json())

    @pytest.mark.parametrize("kind", ["children", "families"])
    def test_the_largest_id_is_404(
        self, api: tuple[TestClient, dict[str, str]], kind: str
    ) -> None:
        client, auth = api
        r = client.get(f"/api/v1/{kind}/{LAST_ID}", headers=auth)
        assert r.status_code == 404
        assert _is_error_body(r.json())

    @pytest.mark.parametrize("page", [2**31, 2**63, 0])
    def test_api_pages_out_of_range_are_422(
        self, api: tuple[TestClient, dict[str, str]], page: int
    ) -> None:
        client, auth = api
        r = client.get(f"/api/v1/children?region=64&page={page}", headers=auth)
        assert r.status_code == 422
        assert "page" in r.json()["detail"]

    @pytest.mark.parametrize(
        "url",
        [
            "/children/{}",
            "/families/{}",
            "/admin/audit?page={}",
            "/regions/64?page={}",
            "/regions/64?year={}",
        ],
    )
    @pytest.mark.parametrize("value", [2**63, 2**31])
    def test_page_routes_refuse_huge_numbers(
        self, pages: TestClient, url: str, value: int
    ) -> None:
        assert pages.get(url.format(value)).status_code == 422

    @pytest.mark.parametrize(
        "url",
        ["/admin/users/{}/active", "/actions/{}", "/imports/quarantine/{}"],
    )
    def test_posted_ids_out_of_range_are_422(self, pages: TestClient, url: str) -> None:
        r = pages.post(
            url.format(2**63),
            data={"csrf_token": csrf_of(pages), "active": "true", "status": "done"},
        )
        assert r.status_code == 422

    def test_page_ids_in_range_but_absent_are_404(self, pages: TestClient) -> None:
        assert pages.get(f"/children/{LAST_ID}").status_code == 404
        assert pages.get(f"/families/{LAST_ID}").status_code == 404


class TestErrorBodies:
    def test_every_api_operation_documents_its_errors(
        self, figures_app: FastAPI
    ) -> None:
        spec = figures_app.openapi()
        ref = "#/components/schemas/ErrorBody"
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                for status in ("401", "403", "404", "422"):
                    schema = op["responses"][status]["content"]["application/json"]
                    assert schema["schema"] == {"$ref": ref}, (method, path, status)
        body = spec["components"]["schemas"]["ErrorBody"]
        assert set(body["required"]) == ERROR_KEYS

    def test_401_403_and_404_bodies_have_the_documented_shape(
        self, api: tuple[TestClient, dict[str, str]], figures_app: FastAPI
    ) -> None:
        client, auth = api
        assert _is_error_body(client.get("/api/v1/me").json())
        viewer = bearer(client, "fig_viewer")
        r = client.get(f"/api/v1/children/{INSIDE_CHILD}", headers=viewer)
        assert r.status_code == 403
        assert _is_error_body(r.json())
        r = client.get("/api/v1/regions/64.99/summary", headers=auth)
        assert r.status_code in (404, 422)
        assert _is_error_body(r.json())


class TestCacheAndTransport:
    def test_personal_data_is_not_stored_by_caches(
        self, api: tuple[TestClient, dict[str, str]], pages: TestClient
    ) -> None:
        client, auth = api
        for r in (
            client.get(f"/api/v1/children/{INSIDE_CHILD}", headers=auth),
            client.get(f"/api/v1/families/{INSIDE_FAMILY}", headers=auth),
            client.get("/api/v1/children?region=64.71", headers=auth),
            pages.get(f"/children/{INSIDE_CHILD}"),
            pages.get(f"/families/{INSIDE_FAMILY}"),
        ):
            assert r.status_code == 200
            assert r.headers["cache-control"] == "no-store"

    def test_static_files_may_be_cached(self, pages: TestClient) -> None:
        r = pages.get("/static/vendor/swagger-ui/swagger-ui.css")
        assert r.status_code == 200
        assert "no-store" not in r.headers.get("cache-control", "")

    def test_no_hsts_over_plain_http(self, pages: TestClient) -> None:
        assert "strict-transport-security" not in pages.get("/login").headers

    def test_hsts_over_https(self, figures_app: FastAPI) -> None:
        with TestClient(figures_app, base_url="https://testserver") as client:
            r = client.get("/login")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")


@pytest.fixture(scope="module")
def proxied_app(figures_db: Engine) -> Iterator[FastAPI]:
    settings = Settings(
        environment="test",
        database_url=figures_db.url.render_as_string(hide_password=False),
        secret_key="test-secret-proxy-0123456789abcdef",
        trusted_proxies="10.0.0.0/8",
    )
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


class TestTrustedProxies:
    @pytest.mark.parametrize(
        ("peer", "xff", "client"),
        [
            ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
            ("10.0.0.2", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
            ("10.0.0.2", "198.51.100.7, 10.0.0.9", "198.51.100.7"),
            ("10.0.0.2", "not-an-address", "10.0.0.2"),
            ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
            ("10.0.0.2", None, "10.0.0.2"),
        ],
        ids=["one-hop", "client-forged-left", "two-proxies", "garbage", "untrusted",
             "no-header"],
    )  # fmt: skip
    def test_the_client_is_the_rightmost_untrusted_hop(
        self, peer: str, xff: str | None, client: str
    ) -> None:
        from ipaddress import ip_network

        assert forwarded_client(peer, xff, [ip_network("10.0.0.0/8")]) == client

    def test_hsts_and_address_from_a_trusted_proxy_only(
        self, proxied_app: FastAPI, figures_db: Engine
    ) -> None:
        headers = {"X-Forwarded-For": "198.51.100.77", "X-Forwarded-Proto": "https"}
        name = "nobody_proxytest"
        for peer in ("10.1.2.3", "203.0.113.9"):
            with TestClient(proxied_app, client=(peer, 4000)) as client:
                page = client.get("/login", headers=headers)
                hsts = "strict-transport-security" in page.headers
                assert hsts == (peer == "10.1.2.3")
                client.post(
                    "/api/v1/auth/token",
                    data={"username": name, "password": "wrong-password"},
                    headers=headers,
                )
        with Session(figures_db) as s:
            ips = s.scalars(
                select(LoginAttempt.ip).where(LoginAttempt.username == name)
            ).all()
        assert sorted(ips) == ["198.51.100.77", "203.0.113.9"]


class TestUnreachableDatabase:
    def test_the_api_answers_503_with_the_error_body(self) -> None:
        secret = "test-secret-unreachable-0123456789"
        app = create_app(
            Settings(
                environment="test",
                database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
                secret_key=secret,
            )
        )
        token = issue_token(secret, user_id=1, session_id="any")
        with TestClient(app) as client:
            r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        app.state.engine.dispose()
        assert r.status_code == 503
        assert r.json()["error"] == "database_unavailable"
        assert _is_error_body(r.json())

    def test_the_command_line_says_it_in_one_line(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "tumbuh", "users", "list",
             "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(
            "error [database_unreachable]: cannot use the database"
        )
        assert "Connection refused" in lines[0]


def test_the_audit_export_holds_the_whole_log_not_one_page(
    figures_app: FastAPI, figures_db: Engine
) -> None:
    import io

    import openpyxl

    from tumbuh.accounts import service as accounts_service
    from tumbuh.db.session import unit_of_work

    with unit_of_work(figures_db) as s:
        for i in range(260):
            accounts_service.record(
                s, actor=None, action="view", object_type="probe", object_id=str(i),
                region_code="64.71",
            )  # fmt: skip
    with TestClient(figures_app) as client:
        login(client, "fig_admin")
        r = client.get("/admin/audit?format=xlsx")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    probes = [row for row in sheet.iter_rows(values_only=True) if row[3] == "probe"]
    assert len(probes) == 260
