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
    # Families eligible for JKN PBI, PKH and food aid: welfare decile at or below this. NOT
    # SOURCED (facts.md gives none); 1-4 is DTKS/P3KE's usual poor-and-vulnerable band.
    welfare_eligible_max_decile: int = 4
    language: Literal["id", "en"] = "id"
    # Default reporting period: the latest closed period in which at least this share of
    # the desa that reported in the comparable earlier period have reported (docs/periods.md).
    period_completeness_threshold: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="Share of the comparable earlier period's reporting desa that must "
        "have reported for a period to be complete (default 0.8).",
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
