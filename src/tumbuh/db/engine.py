"""Engines: SQLite (WAL, foreign keys on) by default, PostgreSQL through the same URL setting."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

from tumbuh.config import Settings, get_settings

SQLITE_POOL_SIZE = 45


def postgres_options(settings: Settings) -> dict[str, Any]:
    """`create_engine` arguments for PostgreSQL from `settings`: pool size and overflow,
    wait, recycle, and the server-side statement / idle-in-transaction timeouts (set per
    connection with libpq ``options``)."""
    server = []
    if settings.db_statement_timeout_ms:
        server.append(f"-c statement_timeout={settings.db_statement_timeout_ms}")
    if settings.db_idle_in_transaction_timeout_ms:
        server.append(
            "-c idle_in_transaction_session_timeout="
            f"{settings.db_idle_in_transaction_timeout_ms}"
        )
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_s,
        "pool_recycle": settings.db_pool_recycle_s,
    }
    if server:
        options["connect_args"] = {"options": " ".join(server)}
    return options


def make_engine(
    database_url: str, *, settings: Settings | None = None, **kwargs: Any
) -> Engine:
    """Create an engine; for SQLite, create the parent folder and turn on WAL and foreign keys.

    PostgreSQL engines take their pool and timeouts from `settings` (default:
    :func:`~tumbuh.config.get_settings`, i.e. ``TUMBUH_DB_*``); `kwargs` win over them.
    """
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            if "poolclass" not in kwargs:
                # One kept connection per thread that may hold one (the web server's 40
                # request threads and its workers): SQLAlchemy's default keeps 5, so under
                # load every request opened a new connection (pragmas, a cold page cache).
                kwargs = {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 20, **kwargs}
        engine = create_engine(database_url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    options = postgres_options(settings or get_settings())
    if "poolclass" in kwargs:  # e.g. NullPool (migrations): no pool to size
        for name in ("pool_size", "max_overflow", "pool_timeout"):
            options.pop(name)
    if "connect_args" in kwargs and "connect_args" in options:
        merged = {**options["connect_args"], **kwargs["connect_args"]}
        kwargs = {**kwargs, "connect_args": merged}
    return create_engine(database_url, **{**options, **kwargs})
