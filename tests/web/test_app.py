"""The app's foundation: login/logout, sessions, CSRF, tokens, errors per channel, language."""

from __future__ import annotations

import time
from types import SimpleNamespace

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORD, Account, bearer, csrf_of, login

from tumbuh.accounts.roles import Role


class TestLogin:
    def test_login_page_is_indonesian_with_labelled_inputs(self, app: FastAPI) -> None:
        with TestClient(app) as client:
            response = client.get("/login")
        assert response.status_code == 200
        assert '<html lang="id">' in response.text
        assert '<label for="username">Nama pengguna</label>' in response.text
        assert '<label for="password">Kata sandi</label>' in response.text

    def test_login_then_home_redirects_to_own_region(
        self, app: FastAPI, accounts_by_role: dict[Role, Account]
    ) -> None:
        acct = accounts_by_role[Role.district_analyst]
        with TestClient(app) as client:
            login(client, acct.username)
            response = client.get("/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/regions/64.71"

    def test_wrong_password_shows_an_error_and_no_session(
        self, app: FastAPI, accounts_by_role: dict[Role, Account]
    ) -> None:
        acct = accounts_by_role[Role.viewer]
        with TestClient(app) as client:
            response = client.post(
                "/login",
                data={
                    "username": acct.username,
                    "password": "salah-sekali",
                    "csrf_token": csrf_of(client),
                },
            )
            assert response.status_code == 401
            assert "Nama pengguna atau kata sandi salah." in response.text
            assert (
                client.get("/", follow_redirects=False)
                .headers["location"]
                .startswith("/login")
            )

    def test_login_without_csrf_token_is_refused(
        self, app: FastAPI, accounts_by_role: dict[Role, Account]
    ) -> None:
        acct = accounts_by_role[Role.viewer]
        with TestClient(app) as client:
            csrf_of(client)
            response = client.post(
                "/login", data={"username": acct.username, "password": PASSWORD}
            )
        assert response.status_code == 403
        assert "csrf_failed" in response.text

    def test_a_forged_csrf_token_is_refused(
        self, app: FastAPI, accounts_by_role: dict[Role, Account]
    ) -> None:
        acct = accounts_by_role[Role.viewer]
        with TestClient(app) as client:
            csrf_of(client)
            response = client.post(
                "/login",
                data={
                    "username": acct.username,
                    "password": PASSWORD,
                    "csrf_token": "x" * 43,
                },
            )
        assert response.status_code == 403

    def test_logout_needs_csrf_and_ends_the_session(
        self, app: FastAPI, accounts_by_role: dict[Role, Account]
    ) -> None:
        acct = accounts_by_role[Role.viewer]
        with TestClient(app) as client:
            login(client, acct.username)
            assert client.post("/logout", follow_redirects=False).status_code == 403
            assert client.get("/", follow_redirects=False).status_code == 303
            response = client.post(
                "/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False
            )
            assert response.status_code == 303
            again = client.get("/regions/64.71", follow_redirects=False)
        assert again.status_code == 303
        assert again.headers["location"].startswith("/login?next=/regions/64.71")

    def test_next_parameter_never_leaves_the_site(
        self, app: FastAPI, accounts_by_role: dict[Role, Account]
    ) -> None:
        acct = accounts_by_role[Role.viewer]
        with TestClient(app) as client:
            response = client.post(
                "/login",
                data={"username": acct.username, "password": PASSWORD,
                      "next": "//evil.example/x", "csrf_token": csrf_of(client)},
                follow_redirects=False,
            )  # fmt: skip
        assert response.headers["location"] == "/"


class TestSessionExpiry:
    def test_a_session_older_than_max_age_is_refused(
        self, app: FastAPI, accounts_by_role: dict[Role, Account], monkeypatch
    ) -> None:
        acct = accounts_by_role[Role.viewer]
        with TestClient(app) as client:
            login(client, acct.username)
            assert (
                client.get("/regions/64.71", follow_redirects=False).status_code == 200
            )
            later = time.time() + app.state.settings.session_max_age_s + 5
            # Only the app's clock moves: the signed cookie is still fresh, the login is not.
            monkeypatch.setattr(
                "tumbuh.web.deps.time", SimpleNamespace(time=lambda: later)
            )
            response = client.get("/regions/64.71", follow_redirects=False)
        assert response.status_code == 303
        assert "expired=1" in response.headers["location"]

    def test_an_idle_session_cookie_expires(
        self, app: FastAPI, accounts_by_role: dict[Role, Account], monkeypatch
    ) -> None:
        acct = accounts_by_role[Role.viewer]
        with TestClient(app) as client:
            login(client, acct.username)
            later = time.time() + app.state.settings.session_max_age_s + 5
            monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
            response = client.get("/regions/64.71", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


class TestApiAuth:
    def test_api_without_token_is_401_json(self, app: FastAPI) -> None:
        with TestClient(app) as client:
            response = client.get("/api/v1/regions/64/summary")
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"

    def test_token_grants_access_and_names_the_user(
        self, app: FastAPI, accounts_by_role: dict[Role, Account]
    ) -> None:
        acct = accounts_by_role[Role.district_analyst]
        with TestClient(app) as client:
            me = client.get("/api/v1/me", headers=bearer(client, acct.username))
        assert me.status_code == 200
        assert me.json()["username"] == acct.username
        assert me.json()["region_code"] == "64.71"

    def test_forged_and_expired_tokens_are_401(
        self, app: FastAPI, accounts_by_role: dict[Role, Account], monkeypatch
    ) -> None:
        acct = accounts_by_role[Role.district_analyst]
        with TestClient(app) as client:
            headers = bearer(client, acct.username)
            forged = {"Authorization": headers["Authorization"][:-3] + "abc"}
            assert (
                client.get("/api/v1/me", headers=forged).json()["error"]
                == "invalid_token"
            )
            later = time.time() + app.state.settings.session_max_age_s + 5
            monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
            response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "token_expired"

    def test_token_with_wrong_password_is_401(
        self, app: FastAPI, accounts_by_role: dict[Role, Account]
    ) -> None:
        acct = accounts_by_role[Role.viewer]
        with TestClient(app) as client:
            response = client.post(
                "/api/v1/auth/token",
                data={"username": acct.username, "password": "nope-nope"},
            )
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_credentials",
            "detail": "wrong username or password",
        }

    def test_api_docs_use_the_vendored_swagger_ui_not_a_cdn(self, app: FastAPI) -> None:
        with TestClient(app) as client:
            html = client.get("/api/docs").text
            assert (
                client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code
                == 200
            )
        assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
        assert "cdn" not in html.lower()

    def test_openapi_documents_the_api(self, app: FastAPI) -> None:
        with TestClient(app) as client:
            spec = client.get("/api/v1/openapi.json").json()
        assert "/api/v1/auth/token" in spec["paths"]
        assert "/api/v1/regions/{code}/summary" in spec["paths"]
        assert not any(p.startswith("/admin") for p in spec["paths"])


class TestErrorsPerChannel:
    def test_unknown_api_route_is_json_404(self, app: FastAPI) -> None:
        with TestClient(app) as client:
            response = client.get("/api/v1/nothing-here")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

    def test_unknown_page_is_an_html_404(self, app: FastAPI) -> None:
        with TestClient(app) as client:
            response = client.get("/nothing-here")
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]
        assert "Data tidak ditemukan." in response.text

    def test_malformed_region_code_is_422_in_both_channels(
        self, app: FastAPI, accounts_by_role: dict[Role, Account]
    ) -> None:
        acct = accounts_by_role[Role.province_admin]
        with TestClient(app) as client:
            api = client.get(
                "/api/v1/regions/64x/summary", headers=bearer(client, acct.username)
            )
            login(client, acct.username)
            page = client.get("/regions/64x")
        assert api.status_code == 422
        assert api.json()["error"] == "invalid_region_code"
        assert page.status_code == 422
        assert "Kode wilayah tidak sah." in page.text


class TestLanguage:
    def test_lang_query_switches_to_english_and_sticks(self, app: FastAPI) -> None:
        with TestClient(app) as client:
            first = client.get("/login?lang=en")
            second = client.get("/login")
        assert '<html lang="en">' in first.text
        assert "Username" in first.text
        assert '<html lang="en">' in second.text

    def test_unknown_language_falls_back_to_indonesian(self, app: FastAPI) -> None:
        with TestClient(app) as client:
            response = client.get("/login?lang=fr")
        assert '<html lang="id">' in response.text


class TestSecurityHeaders:
    def test_pages_forbid_framing_and_foreign_scripts(self, app: FastAPI) -> None:
        with TestClient(app) as client:
            response = client.get("/login")
        assert response.headers["x-frame-options"] == "DENY"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        cookie = response.headers["set-cookie"]
        assert "tumbuh_csrf=" in cookie
        assert "httponly" in cookie.lower()


class TestThrottling:
    def test_sixth_login_after_five_failures_is_refused_with_429(
        self, app: FastAPI, engine
    ) -> None:  # type: ignore[no-untyped-def]
        from tests.web.conftest import make_user

        acct = make_user(engine, Role.viewer, "64")
        with TestClient(app) as client:
            for _ in range(5):
                bad = client.post(
                    "/login",
                    data={"username": acct.username, "password": "wrong-pass",
                          "csrf_token": csrf_of(client)},
                )  # fmt: skip
                assert bad.status_code == 401
            blocked = client.post(
                "/login",
                data={"username": acct.username, "password": PASSWORD,
                      "csrf_token": csrf_of(client)},
            )  # fmt: skip
            api = client.post(
                "/api/v1/auth/token",
                data={"username": acct.username, "password": PASSWORD},
            )
        assert blocked.status_code == 429
        assert "Terlalu banyak percobaan masuk" in blocked.text
        assert api.status_code == 429
        assert api.json()["error"] == "too_many_attempts"
