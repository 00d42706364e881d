"""Backups and restores of the whole database.

SQLite: Python's sqlite3 online backup API (a consistent copy while the server writes;
the same SQLite library as the app, never a second one in the process). PostgreSQL:
`pg_dump --format=custom` and `pg_restore` (the postgresql-client tools), with the
password passed in the environment, not on the command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from tumbuh.db.engine import make_engine
from tumbuh.errors import InvalidInput, TumbuhError

SQLITE_SUFFIX = ".sqlite"
PG_SUFFIX = ".dump"


def _sqlite_file(url: URL) -> Path | None:
    if not url.drivername.startswith("sqlite"):
        return None
    if not url.database or url.database == ":memory:":
        raise InvalidInput("an in-memory SQLite database cannot be backed up")
    return Path(url.database).expanduser().resolve()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise TumbuhError(
            f"{name} not found: install the PostgreSQL client tools "
            "(e.g. apt-get install postgresql-client)",
            code="missing_tool",
        )
    return found


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["failed"])[0]
        raise TumbuhError(f"{Path(cmd[0]).name}: {first}", code="backup_failed")


def backup(database_url: str, directory: Path, *, now: datetime | None = None) -> Path:
    """Write a backup of the database into `directory`; return the new file."""
    url = make_url(database_url)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    source = _sqlite_file(url)
    if source is not None:
        if not source.exists():
            raise InvalidInput(f"{source} does not exist")
        path = directory / f"tumbuh-{stamp}{SQLITE_SUFFIX}"
        src = sqlite3.connect(source)
        dst = sqlite3.connect(path)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        os.chmod(path, 0o600)
        secret = source.with_name(source.name + ".secret")
        if secret.exists():
            copy = path.with_name(path.name + ".secret")
            shutil.copyfile(secret, copy)
            os.chmod(copy, 0o600)
        return path
    path = directory / f"tumbuh-{stamp}{PG_SUFFIX}"
    target, env = _libpq(url)
    _run([_tool("pg_dump"), "--format=custom", "--file", str(path), target], env)
    os.chmod(path, 0o600)
    return path


def restore(file: Path, database_url: str) -> None:
    """Restore a backup into an empty database of the same kind."""
    if not file.is_file():
        raise InvalidInput(f"{file} does not exist")
    url = make_url(database_url)
    engine = make_engine(database_url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise InvalidInput(
            f"the target database already has {len(tables)} tables: restore into a "
            "new, empty database",
            code="target_not_empty",
        )
    target_file = _sqlite_file(url)
    if target_file is not None:
        if file.suffix != SQLITE_SUFFIX:
            raise InvalidInput(f"{file.name}: a SQLite database needs a .sqlite backup")
        src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        dst = sqlite3.connect(target_file)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        secret = file.with_name(file.name + ".secret")
        target_secret = target_file.with_name(target_file.name + ".secret")
        if secret.exists() and not target_secret.exists():
            shutil.copyfile(secret, target_secret)
            os.chmod(target_secret, 0o600)
        return
    if file.suffix != PG_SUFFIX:
        raise InvalidInput(f"{file.name}: a PostgreSQL database needs a .dump backup")
    target, env = _libpq(url)
    _run(
        [_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", target,
         str(file)],
        env,
    )  # fmt: skip
