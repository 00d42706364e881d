"""`tumbuh doctor`: check a deployment's settings and say what is unsafe."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import typer

from tumbuh.cli._app import app
from tumbuh.config import MIN_SECRET_LENGTH, Settings

Level = Literal["ok", "warn", "unsafe"]
# A backup older than this is stale (daily backups plus a few hours of slack).
BACKUP_MAX_AGE_H = 26
# Fewer distinct characters than this is not a random secret ("aaaa…", "1234…").
MIN_SECRET_DISTINCT = 12


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    topic: str
    message: str


def check_settings(settings: Settings) -> list[Finding]:
    """Every check that needs only the settings (no database)."""
    out = [_environment(settings), _secret(settings), _database_kind(settings)]
    out += _proxies(settings)
    out.append(_backups(settings))
    return out


def _environment(s: Settings) -> Finding:
    if s.environment == "production":
        return Finding("ok", "environment", "production (cookies marked Secure)")
    return Finding(
        "unsafe",
        "environment",
        f"TUMBUH_ENVIRONMENT is {s.environment!r}: set it to 'production' so cookies "
        "are sent over HTTPS only",
    )


def _secret(s: Settings) -> Finding:
    key = s.secret_key
    if key is not None:
        if len(key) < MIN_SECRET_LENGTH or len(set(key)) < MIN_SECRET_DISTINCT:
            return Finding(
                "unsafe",
                "secret",
                f"TUMBUH_SECRET_KEY is weak ({len(key)} characters, {len(set(key))} "
                f"distinct): use at least {MIN_SECRET_LENGTH} random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))') or "
                "unset it to let tumbuh make one",
            )
        return Finding("ok", "secret", "TUMBUH_SECRET_KEY is configured")
    path = s.sqlite_path
    if path is None:
        return Finding(
            "ok", "secret", "made on first start, kept in the instance_secrets table"
        )
    from tumbuh.accounts.secret import secret_file

    file = secret_file(path.expanduser().resolve())
    if not file.exists():
        return Finding("ok", "secret", f"will be made on first start in {file}")
    mode = stat.S_IMODE(file.stat().st_mode)
    if mode & 0o077:
        return Finding(
            "unsafe",
            "secret",
            f"{file} is readable by others (mode {mode:o}): chmod 600 {file}",
        )
    return Finding("ok", "secret", f"kept in {file} (mode 600)")


def _database_kind(s: Settings) -> Finding:
    if s.sqlite_path is None and not s.database_url.startswith("sqlite"):
        return Finding("ok", "database", "PostgreSQL")
    if s.environment == "production":
        return Finding(
            "unsafe",
            "database",
            "SQLite in production: one writer at a time and no network access; "
            "use PostgreSQL (TUMBUH_DATABASE_URL=postgresql+psycopg://...), "
            "see docs/deploy.md",
        )
    return Finding("warn", "database", "SQLite: fine for one machine and one worker")


def _proxies(s: Settings) -> list[Finding]:
    nets = s.trusted_proxy_networks
    if any(n.prefixlen == 0 for n in nets):
        return [
            Finding(
                "unsafe",
                "proxies",
                "TUMBUH_TRUSTED_PROXIES trusts every address: anyone can forge "
                "X-Forwarded-For (and escape login throttling); list the proxy only",
            )
        ]
    if not nets:
        level: Level = "unsafe" if s.environment == "production" else "warn"
        return [
            Finding(
                level,
                "proxies",
                "TUMBUH_TRUSTED_PROXIES is empty: behind a reverse proxy every client "
                "has the proxy's address (one throttle for all) and HTTPS is not seen "
                "(no HSTS); set it to the proxy's address, e.g. 127.0.0.1",
            )
        ]
    listed = ", ".join(str(n) for n in nets)
    return [Finding("ok", "proxies", f"forwarded headers believed from {listed}")]


def _backups(s: Settings) -> Finding:
    d = s.backup_dir
    if d is None:
        return Finding(
            "unsafe",
            "backups",
            "TUMBUH_BACKUP_DIR is not set: schedule `tumbuh db backup` into a "
            "directory on another disk",
        )
    if not d.is_dir():
        return Finding("unsafe", "backups", f"{d} does not exist")
    if not os.access(d, os.W_OK):
        return Finding("unsafe", "backups", f"{d} is not writable")
    files = [p for p in d.iterdir() if p.is_file() and p.name.startswith("tumbuh-")]
    if not files:
        return Finding("warn", "backups", f"no backup in {d} yet")
    newest = max(p.stat().st_mtime for p in files)
    age_h = (time.time() - newest) / 3600
    if age_h > BACKUP_MAX_AGE_H:
        return Finding("warn", "backups", f"newest backup in {d} is {age_h:.0f} h old")
    return Finding("ok", "backups", f"newest backup in {d} is {age_h:.1f} h old")


def check_database(url: str) -> Finding:
    """The database answers and its schema is at the migrations' head."""
    from sqlalchemy import inspect, text

    from tumbuh.db.engine import make_engine

    engine = make_engine(url, **_connect_timeout(url))
    shown = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
            tables = set(inspect(conn).get_table_names())
            version = (
                conn.execute(text("select version_num from alembic_version")).scalar()
                if "alembic_version" in tables
                else None
            )
    except Exception as exc:  # any failure to connect is the finding
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Finding(
            "unsafe",
            "database",
            f"{shown} does not answer: {type(exc).__name__} {first}",
        )
    finally:
        engine.dispose()
    head = _migrations_head()
    if version != head:
        return Finding(
            "warn",
            "schema",
            f"schema at {version or 'no migration'}, code at {head}: tumbuh db upgrade",
        )
    return Finding("ok", "schema", f"{shown} answers, schema at {head}")


def _connect_timeout(url: str) -> dict[str, Any]:
    return {} if url.startswith("sqlite") else {"connect_args": {"connect_timeout": 5}}


def _migrations_head() -> str | None:
    from alembic.script import ScriptDirectory

    from tumbuh.cli.db import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@app.command()
def doctor(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: TUMBUH_DATABASE_URL)"),
    ] = None,
) -> None:
    """Check this deployment (secret, database, environment, proxies/HTTPS, backups);
    exit status 1 when something is unsafe."""
    from pydantic import ValidationError

    try:
        settings = Settings() if db is None else Settings(database_url=db)
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"[unsafe] settings: {err['msg']}")
        raise typer.Exit(1) from None
    findings = check_settings(settings)
    path = settings.sqlite_path
    if path is None or path.exists():
        findings.append(check_database(settings.database_url))
    else:
        findings.append(Finding("warn", "database", f"{path} does not exist yet"))
    for f in findings:
        typer.echo(f"[{f.level}] {f.topic}: {f.message}")
    unsafe = sum(f.level == "unsafe" for f in findings)
    if unsafe:
        typer.echo(f"{unsafe} unsafe setting(s): see docs/deploy.md")
        raise typer.Exit(1)
    typer.echo("no unsafe setting found")
