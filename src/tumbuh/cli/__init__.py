"""The `tumbuh` command line. Each command group lives in its own module and registers on `app`."""

from __future__ import annotations

import sys

import typer

# Importing a command module adds its commands to `app`: one line per module, in help order.
from tumbuh.cli import (
    aggregates,  # noqa: F401
    batch,  # noqa: F401
    db,  # noqa: F401
    doctor,  # noqa: F401
    exchange,  # noqa: F401
    imports,  # noqa: F401
    indicators,  # noqa: F401
    interventions,  # noqa: F401
    krs,  # noqa: F401
    prevalence,  # noqa: F401
    quality,  # noqa: F401
    risk,  # noqa: F401
    routine,  # noqa: F401
    serve,  # noqa: F401
    synth,  # noqa: F401
    users,  # noqa: F401
    warning,  # noqa: F401
    zscore,  # noqa: F401
)
from tumbuh.cli._app import app
from tumbuh.errors import TumbuhError

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: expected errors go to stderr with exit status 1, never a traceback."""
    try:
        app()
    except TumbuhError as exc:
        typer.echo(f"error [{exc.code}]: {exc.message}", err=True)
        sys.exit(1)
    except Exception as exc:
        from tumbuh.cli._dberror import one_line

        line = one_line(exc)
        if line is None:
            raise
        typer.echo(line, err=True)
        sys.exit(1)
