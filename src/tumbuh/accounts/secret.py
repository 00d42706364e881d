"""The instance secret that signs session cookies and API tokens.

There is no built-in secret: a configured TUMBUH_SECRET_KEY is used as given; otherwise
the instance makes a random one on first start and keeps it, so that restarts and every
worker agree on it:

- a file database (SQLite): in ``<database>.secret`` beside it, mode 0600, created
  atomically (several workers starting at once all end up with the same secret);
- PostgreSQL: in the ``instance_secrets`` table (shared by every worker and host);
- an in-memory SQLite database: a secret for this process only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from tumbuh.accounts import repository
from tumbuh.accounts.models import InstanceSecret
from tumbuh.config import Settings
from tumbuh.db.session import unit_of_work
from tumbuh.errors import TumbuhError

SIGNING = "signing"
_SECRET_BYTES = 48  # 64 URL-safe characters


def secret_file(sqlite_path: Path) -> Path:
    """Where a SQLite instance keeps its secret: beside the database file."""
    return sqlite_path.with_name(sqlite_path.name + ".secret")


def instance_secret(settings: Settings, engine: Engine) -> str:
    """The configured secret, or the instance's own one (made on first use)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.sqlite_path
    if path is not None:
        return _file_secret(secret_file(path.expanduser().resolve()))
    if settings.database_url.startswith("sqlite"):
        return secrets.token_urlsafe(_SECRET_BYTES)
    return _table_secret(engine)


def _file_secret(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(_SECRET_BYTES) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            # link() fails when another process got there first: theirs is kept.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    value = path.read_text(encoding="ascii").strip()
    if len(value) < 32:
        raise TumbuhError(
            f"{path}: the instance secret is unreadable or too short; delete the file "
            "to make a new one (everyone will have to log in again)",
            code="bad_instance_secret",
        )
    return value


def _table_secret(engine: Engine) -> str:
    try:
        for _ in range(2):  # a second round reads the value a concurrent worker stored
            try:
                with unit_of_work(engine) as session:
                    value = repository.get_instance_secret(session, SIGNING)
                    if value is None:
                        value = secrets.token_urlsafe(_SECRET_BYTES)
                        session.add(InstanceSecret(name=SIGNING, value=value))
                    return value
            except IntegrityError:
                continue
    except (OperationalError, ProgrammingError) as exc:
        raise TumbuhError(
            "the database has no instance_secrets table: run the database migrations "
            "(tumbuh db upgrade) or set TUMBUH_SECRET_KEY",
            code="schema_missing",
        ) from exc
    raise TumbuhError("could not store the instance secret", code="instance_secret")
