"""Authorisation matrix: every route × every role × inside/outside the role's region.

Each role's user lives at HOME[role]; OUTSIDE[role] is a sibling region of the same level
that the user must not see. Every route of the app must appear in ROUTES, so a new route
without a line in this matrix fails `test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from tests.web.conftest import (
    HOME,
    INSIDE_CHILD,
    INSIDE_FAMILY,
    Account,
    bearer,
    csrf_of,
    login,
    make_user,
    outside_ids,
)
from tests.web.test_authorization_pages import PAGE_ROUTES

from tumbuh.accounts.roles import POLICIES, Role

OUTSIDE: dict[Role, str] = {
    Role.province_admin: "65",
    Role.province_analyst: "65",
    Role.district_analyst: "64.72",
    Role.subdistrict_officer: "64.71.02",
    Role.village_team: "64.71.01.1002",
    Role.viewer: "64.72",
}
# A role that may be created at each level (for the user-creation column).
ROLE_AT_LEVEL = {1: Role.province_analyst, 2: Role.district_analyst,
                 3: Role.subdistrict_officer, 4: Role.village_team}  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One route: how to call it for a user and a region, and who may."""

    method: str
    path: str
    call: Callable[[TestClient, Account, str, Engine], Response]
    allowed: Callable[[Role, bool], bool]  # (role, inside) → expected success
    success: int


def _page_get(url: str) -> Callable[[TestClient, Account, str, Engine], Response]:
    def call(
        client: TestClient, acct: Account, region: str, engine: Engine
    ) -> Response:
        login(client, acct.username)
        return client.get(url.format(region=region), follow_redirects=False)

    return call


def _api_get(url: str) -> Callable[[TestClient, Account, str, Engine], Response]:
    def call(
        client: TestClient, acct: Account, region: str, engine: Engine
    ) -> Response:
        return client.get(
            url.format(region=region), headers=bearer(client, acct.username)
        )

    return call


def _create_user(
    client: TestClient, acct: Account, region: str, engine: Engine
) -> Response:
    login(client, acct.username)
    role = ROLE_AT_LEVEL[region.count(".") + 1]
    return client.post(
        "/admin/users",
        data={"username": f"new_{acct.username}_{region}".replace(".", "_"),
              "password": "rahasia-456", "role": role.value, "region_code": region,
              "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )  # fmt: skip


def _set_active(
    client: TestClient, acct: Account, region: str, engine: Engine
) -> Response:
    target = make_user(engine, ROLE_AT_LEVEL[region.count(".") + 1], region)
    login(client, acct.username)
    return client.post(
        f"/admin/users/{target.id}/active",
        data={"active": "false", "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )


def _logout(client: TestClient, acct: Account, region: str, engine: Engine) -> Response:
    login(client, acct.username)
    return client.post(
        "/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False
    )


def _home(client: TestClient, acct: Account, region: str, engine: Engine) -> Response:
    login(client, acct.username)
    return client.get("/", follow_redirects=False)


def _login(client: TestClient, acct: Account, region: str, engine: Engine) -> Response:
    return client.post(
        "/login",
        data={
            "username": acct.username,
            "password": "rahasia-123",
            "csrf_token": csrf_of(client),
        },
        follow_redirects=False,
    )


def _me(client: TestClient, acct: Account, region: str, engine: Engine) -> Response:
    return client.get("/api/v1/me", headers=bearer(client, acct.username))


def _token(client: TestClient, acct: Account, region: str, engine: Engine) -> Response:
    return client.post(
        "/api/v1/auth/token",
        data={"username": acct.username, "password": "rahasia-123"},
    )


def _anyone(role: Role, inside: bool) -> bool:
    return True


def _in_region(role: Role, inside: bool) -> bool:
    return inside


def _admin_anywhere(role: Role, inside: bool) -> bool:
    return POLICIES[role].manage_users


def _admin_in_region(role: Role, inside: bool) -> bool:
    return POLICIES[role].manage_users and inside


def _audit_reader(role: Role, inside: bool) -> bool:
    return POLICIES[role].read_audit


ROUTES: list[Case] = [
    Case("GET", "/login", _page_get("/login"), _anyone, 200),
    Case("POST", "/login", _login, _anyone, 303),
    Case("POST", "/logout", _logout, _anyone, 303),
    Case("GET", "/", _home, _anyone, 303),
    Case("GET", "/regions/{code}", _page_get("/regions/{region}"), _in_region, 200),
    Case("GET", "/geo/{province}/{level}.geojson", _page_get("/geo/64/kabkota.geojson"), _anyone, 200),
    Case("GET", "/growth", _page_get("/growth?indicator=wfl&sex=2"), _anyone, 200),
    Case("GET", "/api/v1/growth/curves", _api_get("/api/v1/growth/curves?indicator=len"), _anyone, 200),
    Case("GET", "/admin/users", _page_get("/admin/users"), _admin_anywhere, 200),
    Case("POST", "/admin/users", _create_user, _admin_in_region, 303),
    Case("POST", "/admin/users/{user_id}/active", _set_active, _admin_in_region, 303),
    Case("GET", "/admin/audit", _page_get("/admin/audit"), _audit_reader, 200),
    Case("POST", "/api/v1/auth/token", _token, _anyone, 200),
    Case("GET", "/api/docs", _page_get("/api/docs"), _anyone, 200),
    Case("GET", "/api/v1/me", _me, _anyone, 200),
    Case("GET", "/api/v1/regions/{code}/summary", _api_get("/api/v1/regions/{region}/summary"), _in_region, 200),
    Case("GET", "/api/v1/regions/{code}/indicators", _api_get("/api/v1/regions/{region}/indicators?period=2025"), _in_region, 200),
]  # fmt: skip

# Routes whose outcome does not depend on a region are still run with both regions.
PARAMS = [
    pytest.param(case, role, inside, id=f"{case.method} {case.path} {role.value} {'in' if inside else 'out'}")
    for case in ROUTES
    for role in Role
    for inside in (True, False)
]  # fmt: skip


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    covered = (
        {(c.method, c.path) for c in ROUTES}
        | set(REGISTER_ROUTES)
        | {(c.method, c.path) for c in PAGE_ROUTES}
    )
    missing = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods - {"HEAD"}:
            if (method, route.path) not in covered:
                missing.append(f"{method} {route.path}")
    assert missing == []


@pytest.mark.parametrize(("case", "role", "inside"), PARAMS)
def test_route_role_region(
    app: FastAPI,
    engine: Engine,
    accounts_by_role: dict[Role, Account],
    case: Case,
    role: Role,
    inside: bool,
) -> None:
    acct = accounts_by_role[role]
    region = HOME[role] if inside else OUTSIDE[role]
    with TestClient(app) as client:
        response = case.call(client, acct, region, engine)
    if case.allowed(role, inside):
        assert response.status_code == case.success, response.text[:300]
    else:
        assert response.status_code == 403, response.text[:300]
        if case.path.startswith("/api/"):
            assert response.json()["error"] in {
                "forbidden",
                "outside_region",
                "admin_only",
            }


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/regions/64/summary"])
def test_api_routes_without_token_are_401(app: FastAPI, path: str) -> None:
    with TestClient(app) as client:
        assert client.get(path).status_code == 401


@pytest.mark.parametrize(
    "path",
    ["/", "/regions/64", "/admin/users", "/admin/audit", "/geo/64/kabkota.geojson"],
)
def test_pages_without_login_redirect_to_login(app: FastAPI, path: str) -> None:
    with TestClient(app) as client:
        response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_unknown_region_inside_scope_is_404(
    app: FastAPI, accounts_by_role: dict[Role, Account]
) -> None:
    acct = accounts_by_role[Role.district_analyst]
    with TestClient(app) as client:
        api = client.get(
            "/api/v1/regions/64.71.99/summary", headers=bearer(client, acct.username)
        )
        login(client, acct.username)
        page = client.get("/regions/64.71.99")
    assert api.status_code == 404
    assert page.status_code == 404


def test_inactive_user_loses_access_immediately(app: FastAPI, engine: Engine) -> None:
    acct = make_user(engine, Role.district_analyst, "64.71")
    admin = make_user(engine, Role.province_admin, "64")
    with TestClient(app) as client, TestClient(app) as admin_client:
        headers = bearer(client, acct.username)
        login(client, acct.username)
        login(admin_client, admin.username)
        admin_client.post(
            f"/admin/users/{acct.id}/active",
            data={"active": "false", "csrf_token": csrf_of(admin_client)},
        )
        assert client.get("/api/v1/me", headers=headers).status_code == 401
        assert client.get("/regions/64.71", follow_redirects=False).status_code == 303


# Register routes need records: they run against the private database (figures_db), where
# `fig_<role>` lives at HOME[role] and a child and a family live inside and outside it.
REGISTER_ROUTES: list[tuple[str, str]] = [
    ("GET", "/api/v1/children"),
    ("GET", "/api/v1/children/{child_id}"),
    ("GET", "/api/v1/families/{family_id}"),
    ("GET", "/children/{child_id}"),
    ("GET", "/families/{family_id}"),
]


def _register_url(path: str, role: Role, inside: bool) -> str:
    child, family = (INSIDE_CHILD, INSIDE_FAMILY) if inside else outside_ids(role)
    region = HOME[role] if inside else OUTSIDE[role]
    return path.replace("{child_id}", str(child)).replace(
        "{family_id}", str(family)
    ) + (f"?region={region}" if path == "/api/v1/children" else "")


@pytest.mark.parametrize(
    ("path", "role", "inside"),
    [
        pytest.param(
            path, role, inside, id=f"{path} {role.value} {'in' if inside else 'out'}"
        )
        for _, path in REGISTER_ROUTES
        for role in Role
        for inside in (True, False)
    ],
)
def test_register_route_role_region(
    figures_app: FastAPI, path: str, role: Role, inside: bool
) -> None:
    username = f"fig_{role.value}"
    url = _register_url(path, role, inside)
    with TestClient(figures_app) as client:
        if path.startswith("/api/"):
            response = client.get(url, headers=bearer(client, username))
        else:
            login(client, username)
            response = client.get(url, follow_redirects=False)
    allowed = POLICIES[role].personal_data and inside
    assert response.status_code == (200 if allowed else 403), response.text[:300]
