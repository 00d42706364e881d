"""The `tumbuh` command line. Each command group lives in its own module and registers on
`app`; the module is imported only when one of its commands runs (`_app.COMMANDS`)."""

from __future__ import annotations

import sys

import typer

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
