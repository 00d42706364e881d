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
    """One check's verdict: a level, a topic and what to say (catalogue ``doctor.<key>``
    with its fields), said in the reader's language."""

    level: Level
    topic: str
    key: str
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, level: Level, topic: str, key: str, **values: object) -> Finding:
        return cls(level, topic, key, tuple(values.items()))

    def text(self, lang: str) -> str:
        from tumbuh.i18n import translate

        return translate(f"doctor.{self.key}", lang, **dict(self.values))

    @property
    def message(self) -> str:
        return self.text("en")


def check_settings(settings: Settings) -> list[Finding]:
    """Every check that needs only the settings (no database)."""
    out = [_environment(settings), _secret(settings), _database_kind(settings)]
    out += _proxies(settings)
    out.append(_backups(settings))
    return out


def _environment(s: Settings) -> Finding:
    if s.environment == "production":
        return Finding.of("ok", "environment", "production")
    return Finding.of(
        "unsafe", "environment", "not_production", environment=repr(s.environment)
    )


def _secret(s: Settings) -> Finding:
    key = s.secret_key
    if key is not None:
        if len(key) < MIN_SECRET_LENGTH or len(set(key)) < MIN_SECRET_DISTINCT:
            return Finding.of(
                "unsafe", "secret", "weak_secret", length=len(key),
                distinct=len(set(key)), minimum=MIN_SECRET_LENGTH,
            )  # fmt: skip
        return Finding.of("ok", "secret", "secret_configured")
    path = s.sqlite_path
    if path is None:
        return Finding.of("ok", "secret", "secret_in_table")
    from tumbuh.accounts.secret import secret_file

    file = secret_file(path.expanduser().resolve())
    if not file.exists():
        return Finding.of("ok", "secret", "secret_to_make", file=file)
    mode = stat.S_IMODE(file.stat().st_mode)
    if mode & 0o077:
        return Finding.of(
            "unsafe", "secret", "secret_readable", file=file, mode=f"{mode:o}"
        )
    return Finding.of("ok", "secret", "secret_file", file=file)


def _database_kind(s: Settings) -> Finding:
    if s.sqlite_path is None and not s.database_url.startswith("sqlite"):
        return Finding.of("ok", "database", "postgresql")
    if s.environment == "production":
        return Finding.of("unsafe", "database", "sqlite_production")
    return Finding.of("warn", "database", "sqlite")


def _proxies(s: Settings) -> list[Finding]:
    nets = s.trusted_proxy_networks
    if any(n.prefixlen == 0 for n in nets):
        return [Finding.of("unsafe", "proxies", "proxies_everyone")]
    if not nets:
        level: Level = "unsafe" if s.environment == "production" else "warn"
        return [Finding.of(level, "proxies", "proxies_empty")]
    listed = ", ".join(str(n) for n in nets)
    return [Finding.of("ok", "proxies", "proxies_listed", listed=listed)]


def _backups(s: Settings) -> Finding:
    d = s.backup_dir
    if d is None:
        return Finding.of("unsafe", "backups", "backup_dir_unset")
    if not d.is_dir():
        return Finding.of("unsafe", "backups", "missing", path=d)
    if not os.access(d, os.W_OK):
        return Finding.of("unsafe", "backups", "not_writable", path=d)
    files = [p for p in d.iterdir() if p.is_file() and p.name.startswith("tumbuh-")]
    if not files:
        return Finding.of("warn", "backups", "no_backup", path=d)
    newest = max(p.stat().st_mtime for p in files)
    age_h = (time.time() - newest) / 3600
    if age_h > BACKUP_MAX_AGE_H:
        return Finding.of(
            "warn", "backups", "backup_age", path=d, hours=_hours(age_h, 0)
        )
    return Finding.of("ok", "backups", "backup_age", path=d, hours=_hours(age_h, 1))


def _hours(value: float, decimals: int) -> str:
    from tumbuh.cli._app import num

    return num(value, decimals)


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
        return Finding.of(
            "unsafe", "database", "no_answer", url=shown,
            error=f"{type(exc).__name__} {first}",
        )  # fmt: skip
    finally:
        engine.dispose()
    head = _migrations_head()
    if version != head:
        return Finding.of(
            "warn", "schema", "schema_behind", version=version or "-", head=head
        )
    return Finding.of("ok", "schema", "schema_ok", url=shown, head=head)


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

    from tumbuh.cli._app import cli_lang, t
    from tumbuh.i18n import translate

    try:
        settings = Settings() if db is None else Settings(database_url=db)
    except ValidationError as exc:
        try:
            lang = cli_lang()
        except (
            ValidationError
        ):  # TUMBUH_LANGUAGE is unreadable with the rest: Indonesian
            lang = "id"
        for err in exc.errors():
            typer.echo(
                f"[{translate('doctor.level.unsafe', lang)}] "
                f"{translate('doctor.topic.settings', lang)}: {err['msg']}"
            )
        raise typer.Exit(1) from None
    lang = cli_lang()
    findings = check_settings(settings)
    path = settings.sqlite_path
    if path is None or path.exists():
        findings.append(check_database(settings.database_url))
    else:
        findings.append(Finding.of("warn", "database", "not_yet", path=path))
    for f in findings:
        typer.echo(
            f"[{t(f'doctor.level.{f.level}')}] {t(f'doctor.topic.{f.topic}')}: "
            f"{f.text(lang)}"
        )
    unsafe = sum(f.level == "unsafe" for f in findings)
    if unsafe:
        typer.echo(t("doctor.unsafe_count", n=unsafe))
        raise typer.Exit(1)
    typer.echo(t("doctor.all_safe"))
