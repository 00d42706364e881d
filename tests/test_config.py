import pytest
from pydantic import ValidationError

from tumbuh.config import Settings


class TestSettings:
    def test_defaults_to_embedded_sqlite(self) -> None:
        s = Settings(_env_file=None)
        assert s.database_url.startswith("sqlite:///")

    def test_refuses_placeholder_secret_in_production(self) -> None:
        with pytest.raises(ValidationError, match="TUMBUH_SECRET_KEY"):
            Settings(_env_file=None, environment="production")

    def test_accepts_real_secret_in_production(self) -> None:
        s = Settings(
            _env_file=None, environment="production", secret_key="s3cr3t-value"
        )
        assert s.environment == "production"
