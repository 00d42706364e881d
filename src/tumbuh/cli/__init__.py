"""The `tumbuh` command line. Each command group lives in its own module and registers on
`app`; the module is imported only when one of its commands runs (`_app.COMMANDS`)."""

from __future__ import annotations

import sys

import typer

from tumbuh.cli._app import app
from tumbuh.errors import TumbuhError

__all__ = ["app", "error_line", "main"]


def error_line(exc: TumbuhError) -> str:
    """An expected error as the user reads it: 'galat: ...' / 'error: ...', the message in
    the output language when the error has a catalogue key (else its English message)."""
    from tumbuh.cli._app import cli_lang
    from tumbuh.i18n import error_text, translate

    try:
        lang = cli_lang()
    except TumbuhError:  # a wrong --lang or TUMBUH_LANGUAGE: say it in Indonesian
        lang = "id"
    return translate("cli.error_plain", lang, message=error_text(exc, lang))


def main() -> None:
    """Console entry point: expected errors go to stderr with exit status 1, never a traceback."""
    try:
        app()
    except TumbuhError as exc:
        typer.echo(error_line(exc), err=True)
        sys.exit(1)
    except Exception as exc:
        from tumbuh.cli._dberror import one_line

        line = one_line(exc)
        if line is None:
            raise
        typer.echo(line, err=True)
        sys.exit(1)
