import os

import pytest
from pydantic import ValidationError

from tumbuh.config import PLACEHOLDER_SECRETS, Settings


class TestSettings:
    def test_defaults_to_embedded_sqlite(self) -> None:
        s = Settings(_env_file=None)
        assert s.database_url.startswith("sqlite:///")

    def test_has_no_built_in_secret(self) -> None:
        assert Settings(_env_file=None).secret_key is None
        assert Settings(_env_file=None, environment="production").secret_key is None

    @pytest.mark.parametrize("placeholder", sorted(PLACEHOLDER_SECRETS))
    def test_refuses_a_placeholder_secret_in_every_environment(
        self, placeholder: str
    ) -> None:
        for environment in ("development", "test", "production"):
            with pytest.raises(ValidationError, match="TUMBUH_SECRET_KEY"):
                Settings(
                    _env_file=None, environment=environment, secret_key=placeholder
                )

    def test_accepts_real_secret_in_production(self) -> None:
        secret = "nR4u0J2mXzq8c1VfYp7KtLwB3sHdGe9A-oTiUyQ5"
        s = Settings(_env_file=None, environment="production", secret_key=secret)
        assert s.secret_key == secret

    def test_reads_trusted_proxies_as_networks(self) -> None:
        s = Settings(_env_file=None, trusted_proxies="127.0.0.1, 10.0.0.0/8")
        assert [str(n) for n in s.trusted_proxy_networks] == [
            "127.0.0.1/32",
            "10.0.0.0/8",
        ]

    def test_refuses_a_trusted_proxy_that_is_not_an_address(self) -> None:
        with pytest.raises(ValidationError, match="TUMBUH_TRUSTED_PROXIES"):
            Settings(_env_file=None, trusted_proxies="proxy.local")


class TestEnvironmentIndependence:
    def test_the_callers_database_url_does_not_reach_the_tests(self) -> None:
        # The autouse fixture in tests/conftest.py removes TUMBUH_* settings variables.
        assert "TUMBUH_DATABASE_URL" not in os.environ
        assert Settings(_env_file=None).database_url == "sqlite:///./tumbuh.db"
