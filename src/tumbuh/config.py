"""Settings: one object, read from TUMBUH_* environment variables and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_SECRET = "change-me"


class Settings(BaseSettings):
    """Runtime configuration. Build one explicitly in tests; use get_settings() elsewhere."""

    model_config = SettingsConfigDict(
        env_prefix="TUMBUH_", env_file=".env", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="sqlite:///./tumbuh.db",
        description="SQLAlchemy URL. SQLite (WAL) by default; postgresql+psycopg://... in production.",
    )
    secret_key: str = _PLACEHOLDER_SECRET
    session_max_age_s: int = 8 * 3600
    # Public aggregates: cells with fewer children than this are suppressed (UU PDP 27/2022).
    small_cell_threshold: int = 5
    language: Literal["id", "en"] = "id"
    # Database connections (PostgreSQL; SQLite ignores them): TUMBUH_DB_POOL_SIZE, ...
    db_pool_size: int = Field(default=5, ge=1, description="Connections kept open.")
    db_max_overflow: int = Field(
        default=10, ge=0, description="Extra connections opened under load."
    )
    db_pool_timeout_s: float = Field(
        default=30.0, gt=0, description="Wait for a free connection before failing."
    )
    db_pool_recycle_s: int = Field(
        default=1800,
        description="Reopen a connection older than this (-1: never); below the "
        "server's or a proxy's idle cut-off.",
    )
    db_statement_timeout_ms: int = Field(
        default=0, ge=0, description="PostgreSQL statement_timeout (0: none)."
    )
    db_idle_in_transaction_timeout_ms: int = Field(
        default=0,
        ge=0,
        description="PostgreSQL idle_in_transaction_session_timeout (0: none).",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == _PLACEHOLDER_SECRET:
            raise ValueError(
                "TUMBUH_SECRET_KEY must be set to a real secret in production"
            )
        return self

    @property
    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if (
            self.database_url.startswith(prefix)
            and self.database_url != "sqlite:///:memory:"
        ):
            return Path(self.database_url[len(prefix) :])
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
