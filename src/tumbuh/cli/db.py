"""`tumbuh db upgrade` and `tumbuh db load-regions`: the schema (Alembic) and the region master."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from tumbuh.cli._app import app, num, t
from tumbuh.config import get_settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.errors import TumbuhError
from tumbuh.models import Base
from tumbuh.register.regions import load_regions

MIGRATIONS = Path(__file__).resolve().parents[1] / "db" / "migrations"

db_app = typer.Typer(help="Database schema (Alembic migrations) and reference data.")
app.add_typer(db_app, name="db")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: TUMBUH_DATABASE_URL / settings)."
    ),
]


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def has_migrations() -> bool:
    return any((MIGRATIONS / "versions").glob("*.py"))


def upgrade(engine: Engine) -> None:
    """Apply the Alembic migrations up to head on the engine's database.

    A database made from the models before migrations existed (tables but no
    `alembic_version`) gets its missing tables and is stamped at head.
    """
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    tables = set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        if "alembic_version" not in tables and tables & set(Base.metadata.tables):
            Base.metadata.create_all(conn)
            command.stamp(cfg, "head")
        else:
            command.upgrade(cfg, "head")


def open_database(url: str | None) -> Engine:
    """An engine whose database has the schema: a new database is created on first use
    (migrations when they exist, else from the models); a migrated one is brought to head."""
    engine = make_engine(url or get_settings().database_url)
    tables = set(inspect(engine).get_table_names())
    if has_migrations() and (not tables or "alembic_version" in tables):
        upgrade(engine)
    elif not set(Base.metadata.tables) <= tables:
        create_schema(engine, Base.metadata)
    return engine


@db_app.command("upgrade")
def upgrade_cmd(db: DbOption = None) -> None:
    """Create or upgrade the database schema (alembic upgrade head)."""
    engine = make_engine(db or get_settings().database_url)
    upgrade(engine)
    typer.echo(t("cli.db.at_head", url=engine.url.render_as_string(hide_password=True)))


@db_app.command("load-regions")
def load_regions_cmd(db: DbOption = None) -> None:
    """Load the Kemendagri region master (all of Indonesia) into the regions table."""
    engine = open_database(db)
    with unit_of_work(engine) as session:
        added = load_regions(session)
    typer.echo(t("cli.db.regions_added", n=num(added, 0)))


def refresh_panels(url: str) -> None:
    """Store the web pages' panels for the database's current data (a separate process:
    the CLI never imports the web layer)."""
    from tumbuh.cli._app import cli_lang

    subprocess.run(
        [sys.executable, "-m", "tumbuh.web.refresh", "--db", url],
        check=True,
        env={
            **os.environ,
            "TUMBUH_LANGUAGE": cli_lang(),
        },  # its line in `tumbuh --lang`
    )


@db_app.command("refresh")
def refresh_cmd(db: DbOption = None) -> None:
    """Compute and store the web pages' panels (forecast, coverage, quality, routine
    statuses) for the current data, so a freshly started server answers at once."""
    url = db or get_settings().database_url
    open_database(url).dispose()
    refresh_panels(url)


BackupDirOption = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Directory for the backup (default: TUMBUH_BACKUP_DIR)."
    ),
]


@db_app.command("backup")
def backup_cmd(db: DbOption = None, out: BackupDirOption = None) -> None:
    """Back the database up into a new file: SQLite with its online backup API
    (consistent while the server runs; the instance secret is copied beside it),
    PostgreSQL with pg_dump --format=custom."""
    from tumbuh.db.backup import backup

    settings = get_settings()
    target_dir = out or settings.backup_dir
    if target_dir is None:
        raise TumbuhError(
            "no backup directory: pass --out DIR or set TUMBUH_BACKUP_DIR",
            code="no_backup_dir",
        )
    path = backup(db or settings.database_url, target_dir)
    typer.echo(t("cli.db.backup_written", path=path, size=num(path.stat().st_size, 0)))


@db_app.command("restore")
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="A file written by tumbuh db backup")],
    db: DbOption = None,
) -> None:
    """Restore a backup into an empty database (refuses one that already has tables)."""
    from tumbuh.db.backup import restore

    url = db or get_settings().database_url
    restore(file, url)
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    typer.echo(t("cli.db.restored", file=file.name, url=shown))
