"""Revocable sessions: logout ends a session on the server (a copied cookie or token stops
working); deactivating a user or changing their password ends all of theirs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from starlette.types import Message, Receive, Scope, Send
from tests.web.conftest import PASSWORD, bearer, csrf_of, login, make_user
from typer.testing import CliRunner

from tumbuh.accounts.models import AuthSession
from tumbuh.accounts.roles import Role
from tumbuh.cli import app as cli_app


def _copy_of_cookies(client: TestClient, app: FastAPI) -> TestClient:
    other = TestClient(app, follow_redirects=False)
    for name, value in client.cookies.items():
        other.cookies.set(name, value)
    return other


class TestLogout:
    def test_a_cookie_copied_before_logout_stops_working(
        self, app: FastAPI, engine: Engine
    ) -> None:
        acct = make_user(engine, Role.district_analyst, "64.71")
        with TestClient(app, follow_redirects=False) as client:
            login(client, acct.username)
            with _copy_of_cookies(client, app) as thief:
                assert thief.get("/regions/64.71").status_code == 200
                client.post("/logout", data={"csrf_token": csrf_of(client)})
                r = thief.get("/regions/64.71")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")

    def test_an_api_token_is_revoked_by_its_logout(
        self, app: FastAPI, engine: Engine
    ) -> None:
        acct = make_user(engine, Role.district_analyst, "64.71")
        with TestClient(app) as client:
            auth = bearer(client, acct.username)
            other = bearer(client, acct.username)
            assert client.get("/api/v1/me", headers=auth).status_code == 200
            assert client.post("/api/v1/auth/logout", headers=auth).status_code == 204
            assert client.get("/api/v1/me", headers=auth).status_code == 401
            assert client.get("/api/v1/me", headers=other).status_code == 200


class TestEndAll:
    def test_deactivation_ends_the_users_cookies_and_tokens(
        self, app: FastAPI, engine: Engine
    ) -> None:
        admin = make_user(engine, Role.province_admin, "64")
        acct = make_user(engine, Role.district_analyst, "64.71")
        with (
            TestClient(app, follow_redirects=False) as admin_client,
            TestClient(app, follow_redirects=False) as user_client,
        ):
            login(user_client, acct.username)
            auth = bearer(user_client, acct.username)
            login(admin_client, admin.username)
            r = admin_client.post(
                f"/admin/users/{acct.id}/active",
                data={"active": "false", "csrf_token": csrf_of(admin_client)},
            )
            assert r.status_code == 303
            assert user_client.get("/regions/64.71").status_code == 303
            assert user_client.get("/api/v1/me", headers=auth).status_code == 401

    def test_a_password_change_in_the_app_ends_the_other_sessions(
        self, app: FastAPI, engine: Engine
    ) -> None:
        acct = make_user(engine, Role.district_analyst, "64.71")
        new = "kata-sandi-baru-1"
        with (
            TestClient(app, follow_redirects=False) as here,
            TestClient(app, follow_redirects=False) as elsewhere,
        ):
            login(here, acct.username)
            login(elsewhere, acct.username)
            auth = bearer(elsewhere, acct.username)
            assert here.get("/account/password").status_code == 200

            def change(current: str, new_pw: str, confirm: str) -> int:
                return here.post(
                    "/account/password",
                    data={"current": current, "new": new_pw, "confirm": confirm,
                          "csrf_token": csrf_of(here)},
                ).status_code  # fmt: skip

            assert change("wrong-password", new, new) == 401
            assert change(PASSWORD, new, new + "x") == 422
            assert change(PASSWORD, "short", "short") == 422
            assert elsewhere.get("/regions/64.71").status_code == 200
            assert change(PASSWORD, new, new) == 200
            assert here.get("/regions/64.71").status_code == 200  # a fresh session
            assert elsewhere.get("/regions/64.71").status_code == 303
            assert elsewhere.get("/api/v1/me", headers=auth).status_code == 401
            bearer(elsewhere, acct.username, new)

    def test_users_passwd_reads_stdin_and_ends_the_users_tokens(
        self, app: FastAPI, engine: Engine, database_url: str
    ) -> None:
        acct = make_user(engine, Role.district_analyst, "64.71")
        with TestClient(app) as client:
            auth = bearer(client, acct.username)
            result = CliRunner().invoke(
                cli_app,
                ["users", "passwd", acct.username, "--stdin", "--db", database_url],
                input="dari-stdin-123\n",
            )
            assert result.exit_code == 0, result.output
            assert client.get("/api/v1/me", headers=auth).status_code == 401
            bearer(client, acct.username, "dari-stdin-123")


def test_users_create_reads_the_password_from_stdin(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    created = CliRunner().invoke(
        cli_app,
        ["users", "create", "siti_stdin", "--role", "district_analyst",
         "--region", "64.71", "--stdin", "--db", db],
        input="dari-stdin-456\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    from tumbuh.accounts import service as accounts
    from tumbuh.db.engine import make_engine
    from tumbuh.db.session import unit_of_work

    engine = make_engine(db)
    with unit_of_work(engine) as s:
        out = accounts.login(
            s, username="siti_stdin", password="dari-stdin-456", ip="x"
        )
    engine.dispose()
    assert out.user is not None


class TestCommitBeforeResponse:
    """The request's database session commits before the response leaves: the page a
    redirect leads to must see what the POST wrote. (FastAPI runs a yield dependency's exit
    code after sending by default; on a loaded machine a login's 303 reached the browser
    before its session row was committed, so /today answered "please log in".)"""

    def test_a_login_is_committed_when_its_redirect_starts(
        self, app: FastAPI, engine: Engine
    ) -> None:
        acct = make_user(engine, Role.district_analyst, "64.71")
        live_when_sent: list[int] = []

        async def watching(scope: Scope, receive: Receive, send: Send) -> None:
            async def send_and_look(message: Message) -> None:
                if (
                    message["type"] == "http.response.start"
                    and scope.get("method") == "POST"
                    and scope.get("path") == "/login"
                ):
                    with engine.connect() as conn:
                        live_when_sent.append(
                            conn.scalar(
                                select(func.count())
                                .select_from(AuthSession)
                                .where(AuthSession.user_id == acct.id)
                            )
                            or 0
                        )
                await send(message)

            await app(scope, receive, send_and_look)

        with TestClient(watching, follow_redirects=False) as client:
            login(client, acct.username)
            assert client.get("/regions/64.71").status_code == 200
        assert live_when_sent == [1]
