"""Database failures as one line for the command line, instead of a driver traceback."""

from __future__ import annotations


def one_line(exc: BaseException) -> str | None:
    """`error [code]: reason` for a database that cannot be reached or a malformed URL;
    None for any other exception (the caller re-raises it)."""
    from sqlalchemy.exc import (
        ArgumentError,
        InterfaceError,
        NoSuchModuleError,
        OperationalError,
    )

    if isinstance(exc, OperationalError | InterfaceError):
        reason = str(exc.orig if exc.orig is not None else exc).strip()
        first = reason.splitlines()[0] if reason else type(exc).__name__
        return (
            f"error [database_unreachable]: cannot use the database: {first} "
            "(check TUMBUH_DATABASE_URL or --db; `tumbuh doctor` checks the setup)"
        )
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        first = str(exc).strip().splitlines()[0]
        return (
            f"error [invalid_database_url]: {first} (expected sqlite:///path.db or "
            "postgresql+psycopg://user:password@host/name)"
        )
    return None
