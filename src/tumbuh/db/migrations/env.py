"""Alembic environment: metadata from every domain's models; batch mode for SQLite ALTERs.

Not a package module (no __init__.py): Alembic loads it by path, so importing
`tumbuh.models` here does not break the db layer's place below the domain packages.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from tumbuh.config import get_settings
from tumbuh.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    """The command's URL (`tumbuh db upgrade --db`), else the settings' URL."""
    url = config.get_main_option("sqlalchemy.url")
    if not url or url == "sqlite:///./tumbuh.db":  # alembic.ini's placeholder
        return get_settings().database_url
    return url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        {"sqlalchemy.url": _url()}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
