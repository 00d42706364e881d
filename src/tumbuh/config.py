"""Settings: one object, read from TUMBUH_* environment variables and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets that appear in examples and templates: refused wherever they are configured.
PLACEHOLDER_SECRETS = frozenset(
    {"change-me", "changeme", "change-this", "changethis", "secret", "please-change"}
)
# A configured secret shorter than this is flagged by `tumbuh doctor` (32 random bytes
# as URL-safe base64 are 43 characters; itsdangerous signs with HMAC-SHA1 by default).
MIN_SECRET_LENGTH = 32


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
    secret_key: str | None = Field(
        default=None,
        description=(
            "Signs session cookies and API tokens. Unset: a random secret is created on "
            "first start and kept with the instance (a 0600 file next to a SQLite "
            "database, the instance_secrets table in PostgreSQL)."
        ),
    )
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
    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated addresses or networks (CIDR) of the reverse proxies in "
            "front of tumbuh. X-Forwarded-For/-Proto are believed only from these; "
            "empty: the connecting address is the client."
        ),
    )
    backup_dir: Path | None = Field(
        default=None,
        description="Where `tumbuh db backup` writes (checked by `tumbuh doctor`).",
    )
    # Imports (web uploads run as background jobs, one at a time; docs/imports.md).
    import_max_upload_mb: float = Field(
        default=100,
        ge=0,
        description="Largest file accepted for import, in MB (0: no limit; a "
        "200,000-row e-PPGBM CSV is about 50 MB).",
    )
    import_max_rows: int = Field(
        default=1_000_000, ge=0, description="Most data rows in one file (0: no limit)."
    )
    import_max_unzipped_mb: float = Field(
        default=200,
        ge=0,
        description="Largest unpacked size of an XLSX (a zip), in MB (0: no limit).",
    )
    import_worker: bool = Field(
        default=True,
        description="Run queued import jobs in a thread of the web process (off: only "
        "queue them, e.g. in a web process that must not import).",
    )
    import_dir: Path | None = Field(
        default=None,
        description="Where uploaded files wait for their import job (default: an "
        "`imports` folder beside a SQLite database, else in the system's temp folder).",
    )
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
        if (
            self.secret_key is not None
            and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS
        ):
            raise ValueError(
                "TUMBUH_SECRET_KEY is a placeholder: unset it (tumbuh then creates a "
                "random secret) or set a random one (python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
            )
        return self

    @model_validator(mode="after")
    def _check_proxies(self) -> Settings:
        try:
            self.trusted_proxy_networks  # noqa: B018
        except ValueError as exc:
            raise ValueError(f"TUMBUH_TRUSTED_PROXIES: {exc}") from None
        return self

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(
            ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

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
