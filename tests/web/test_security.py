"""Secrets: a freshly started server has no built-in secret, so nothing signed with the old
placeholder (`change-me`) or any other guessable value opens it (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from base64 import b64encode
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import Engine
from tests.web.conftest import Account, make_user

from tumbuh.accounts import service as accounts
from tumbuh.accounts.roles import Role
from tumbuh.accounts.security import issue_token
from tumbuh.config import Settings
from tumbuh.db.session import unit_of_work
from tumbuh.web.app import create_app
from tumbuh.web.deps import SESSION_ID, SESSION_ISSUED, SESSION_USER

OLD_BUILT_IN_SECRET = "change-me"


@pytest.fixture(scope="module")
def fresh_app(database_url: str, engine: Engine) -> Iterator[FastAPI]:
    """A server started with no TUMBUH_SECRET_KEY, as a first deployment would be."""
    application = create_app(Settings(environment="test", database_url=database_url))
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def admin(engine: Engine) -> Account:
    return make_user(engine, Role.province_admin, "64")


@pytest.fixture(scope="module")
def live_session(engine: Engine, admin: Account) -> str:
    """A live server-side session of the admin: the forgeries below lack only the secret."""
    with unit_of_work(engine) as session:
        user = accounts.get_active_user(session, admin.id)
        assert user is not None
        return accounts.start_session(session, user=user, kind="page", max_age_s=600)


def forged_session_cookie(secret: str, user_id: int, session_id: str) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it."""
    payload = {
        SESSION_USER: user_id,
        SESSION_ISSUED: int(time.time()),
        SESSION_ID: session_id,
    }
    data = b64encode(json.dumps(payload).encode())
    return TimestampSigner(secret).sign(data).decode()


class TestNoBuiltInSecret:
    def test_a_token_signed_with_change_me_is_refused(
        self, fresh_app: FastAPI, admin: Account, live_session: str
    ) -> None:
        token = issue_token(
            OLD_BUILT_IN_SECRET, user_id=admin.id, session_id=live_session
        )
        with TestClient(fresh_app) as client:
            r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert r.json()["error"] == "invalid_token"

    def test_a_session_cookie_signed_with_change_me_is_refused(
        self, fresh_app: FastAPI, admin: Account, live_session: str
    ) -> None:
        cookie = forged_session_cookie(OLD_BUILT_IN_SECRET, admin.id, live_session)
        with TestClient(fresh_app, follow_redirects=False) as client:
            client.cookies.set("tumbuh_session", cookie)
            r = client.get("/admin/users")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")

    def test_the_same_forgeries_with_the_instance_secret_open_the_app(
        self, fresh_app: FastAPI, admin: Account, live_session: str
    ) -> None:
        # The control: the forging above is right, only the secret is wrong.
        secret = fresh_app.state.secret_key
        cookie = forged_session_cookie(secret, admin.id, live_session)
        token = issue_token(secret, user_id=admin.id, session_id=live_session)
        with TestClient(fresh_app, follow_redirects=False) as client:
            client.cookies.set("tumbuh_session", cookie)
            assert client.get("/admin/users").status_code == 200
            client.cookies.clear()
            r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200

    def test_the_instance_secret_is_long_and_random(self, fresh_app: FastAPI) -> None:
        secret = fresh_app.state.secret_key
        assert len(secret) >= 43
        assert len(set(secret)) >= 20
        assert secret != OLD_BUILT_IN_SECRET

    def test_a_second_start_keeps_the_instance_secret(
        self, fresh_app: FastAPI, database_url: str
    ) -> None:
        again = create_app(Settings(environment="test", database_url=database_url))
        try:
            assert again.state.secret_key == fresh_app.state.secret_key
        finally:
            again.state.engine.dispose()

    def test_a_token_signed_with_the_instance_secret_opens_the_api(
        self, fresh_app: FastAPI, admin: Account
    ) -> None:
        # The control: the forging above is right, only the secret is wrong.
        with TestClient(fresh_app) as client:
            r = client.post(
                "/api/v1/auth/token",
                data={"username": admin.username, "password": "rahasia-123"},
            )
            assert r.status_code == 200
            token = r.json()["access_token"]
            r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        assert r.json()["username"] == admin.username
