"""The Typer application object and its command groups; command modules import and extend them.

Commands load what they use: `tumbuh --help` and a command's start-up import no command
module but the one that defines the command (pandas, scipy, Dask, SQLAlchemy and the web
stack stay unloaded for `tumbuh --help`). `COMMANDS` names each top-level command or group,
the module(s) that register it and its one-line help for the listing; a test checks it
against the modules (tests/cli/test_lazy.py), so a new command module only adds a line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

# name -> (modules under tumbuh.cli that register it, one-line help), in help order.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "coverage": (
        ("interventions",),
        "Coverage of every catalogue indicator against its target, and which sector "
        "is behind.",
    ),
    "gaps": (
        ("interventions",),
        "Families at risk with a missing intervention, grouped by the responsible "
        "office.",
    ),
    "krs": (
        ("krs",),
        "Classify families: target family (keluarga sasaran), KRS and its risk factors.",
    ),
    "prevalence": (
        ("prevalence",),
        "Prevalence of stunting, wasting, underweight and overweight, like WHO anthro.",
    ),
    "quality": (
        ("quality",),
        "SMART-style quality score (0-100) and band with the reasons that cost points.",
    ),
    "visits": (
        ("risk",),
        "Families of a desa ranked by risk, with reasons and the next action "
        "(`tumbuh --lang`).",
    ),
    "forecast": (
        ("risk",),
        "Expected new stunting cases next year (summed family risks) next to today's "
        "stock.",
    ),
    "indicators": (
        ("indicators",),
        "Indicators of docs/indicators.md for a region (or its areas at --level).",
    ),
    "routine-prevalence": (
        ("routine",),
        "Routine prevalence (latest measurement per child in the period) with Wilson "
        "95 % CI.",
    ),
    "routine-incidence": (
        ("routine",),
        "New stunting cases among children previously measured not stunted.",
    ),
    "routine-vs-survey": (
        ("routine",),
        "Per kab/kota: routine stunting % and coverage next to the survey %, and "
        "adjusted %.",
    ),
    "faltering": (
        ("routine",),
        "Weight faltering list of one posyandu: N/T/2T, BGM, falling HAZ.",
    ),
    "serve": (
        ("serve",),
        "Serve the web app (pages at /, API at /api/v1, API docs at /api/docs).",
    ),
    "synth": (
        ("synth",),
        "Generate a synthetic province calibrated to the published survey figures.",
    ),
    "demo": (
        ("synth",),
        "Build a synthetic Kaltim into a demo database through the real import path "
        "(once),",
    ),
    "warning": (
        ("warning",),
        "Status per region (rising, stalled, falling, on_track, insufficient, "
        "no_data) with reasons.",
    ),
    "zscore": (
        ("zscore",),
        "Compute WHO z-scores, flags and Permenkes categories for every row.",
    ),
    "import": (
        ("aggregates", "imports", "interventions", "exchange"),
        "Import files into the register (each import prints a report).",
    ),
    "jobs": (
        ("jobs",),
        "Import jobs: list the queue, show one job, run the queued jobs now.",
    ),
    "risk": (
        ("risk",),
        "Risk model for new stunting cases: train, evaluate, score.",
    ),
    "users": (("users",), "User accounts and roles."),
    "batch": (
        ("batch",),
        "National batch work on Dask (partitioned Parquet in and out).",
    ),
    "db": (("db",), "Database schema (Alembic migrations) and reference data."),
    "doctor": (
        ("doctor",),
        "Check this deployment (secret, database, environment, proxies/HTTPS, backups);",
    ),
    "export": (
        ("exchange",),
        "Export to other systems: DHIS2 (JSON/ADX), FHIR R4 bundles, e-PPGBM upload.",
    ),
    "actions": (("interventions",), "Actions agreed at coordination meetings."),
    "interventions": (
        ("interventions",),
        "Intervention catalogue, single records, synthetic records.",
    ),
    "report": (("report",), "Reports for meetings: the Rakor TPPS pack."),
    "meeting": (
        ("meeting",),
        "Coordination meetings and the actions agreed at them.",
    ),
}


class LazyGroup(TyperGroup):
    """The top-level group: a command's module is imported when the command runs (or its
    own --help is asked for); the listing of `tumbuh --help` uses `COMMANDS`."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        built = dict(self.commands)
        # Groups declared here (import, risk, users) are built empty until their modules load.
        self._loaded = {
            name for name, cmd in built.items() if not _empty_group(cmd)
        } - {n for n, (mods, _) in COMMANDS.items() if len(mods) > 1}
        ordered: dict[str, Any] = {}
        for name, (_, help_text) in COMMANDS.items():
            ordered[name] = (
                built[name]
                if name in self._loaded
                else TyperCommand(name=name, help=help_text, short_help=help_text)
            )
        ordered.update({n: c for n, c in built.items() if n not in ordered})
        self.commands = ordered

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args:
            self.load(args[0])
        return super().resolve_command(ctx, args)

    def load(self, name: str) -> None:
        """Import the modules of command `name` and put the real command in its place."""
        if name in self._loaded:
            return
        if name not in COMMANDS:
            self._load_unlisted(name)
            return
        for module in COMMANDS[name][0]:
            importlib.import_module(f"tumbuh.cli.{module}")
        real = _build(name)
        if real is not None:
            self.commands[name] = real
        self._loaded.add(name)

    def _load_unlisted(self, name: str) -> None:
        """A command missing from `COMMANDS` (a module added without its line): import every
        command module, slowly but correctly (tests/cli/test_lazy.py flags the omission)."""
        import pkgutil

        import tumbuh.cli

        for mod in pkgutil.iter_modules(tumbuh.cli.__path__):
            if not mod.name.startswith("_"):
                importlib.import_module(f"tumbuh.cli.{mod.name}")
        real = _build(name)
        if real is not None:
            self.commands[name] = real
            self._loaded.add(name)


def _build(name: str) -> Any:
    """The click command or group that Typer builds for `name` from what is registered."""
    options: dict[str, Any] = {
        "pretty_exceptions_short": app.pretty_exceptions_short,
        "rich_markup_mode": app.rich_markup_mode,
    }
    for group in app.registered_groups:
        if group.name == name:
            return typer.main.get_group_from_info(
                group, suggest_commands=app.suggest_commands, **options
            )
    for command in app.registered_commands:
        callback = command.callback
        own = command.name or (
            typer.main.get_command_name(callback.__name__) if callback else None
        )
        if own == name:
            return typer.main.get_command_from_info(command, **options)
    return None


def _empty_group(cmd: Any) -> bool:
    return isinstance(cmd, TyperGroup) and not cmd.commands


app = typer.Typer(
    name="tumbuh",
    help="tumbuh: WHO z-scores, stunting surveillance, families at risk, interventions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help text: Rich's formatting alone takes longer to import than the 0.3 s budget.
    rich_markup_mode=None,
    cls=LazyGroup,
)

# ------------------------------------------------------------------------ language
# The language of every word a command prints: `tumbuh --lang en ...` (one option for the
# whole command line), else settings.language (TUMBUH_LANGUAGE), else Indonesian. JSON
# output keeps codes and field names; only what a person reads is translated.
_CHOSEN: list[str | None] = [None]


@app.callback()
def _root(
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of the output: id (Bahasa Indonesia) or en (default: "
            "TUMBUH_LANGUAGE, else id).",
        ),
    ] = None,
) -> None:
    """tumbuh: WHO z-scores, stunting surveillance, families at risk, interventions."""
    if lang is not None and lang not in ("id", "en"):
        raise typer.BadParameter(f"{lang!r}: id or en", param_hint="--lang")
    _CHOSEN[0] = lang


def cli_lang(given: str | None = None) -> str:
    """The output language: a command's own --lang, else the root --lang, else settings."""
    from tumbuh.errors import InvalidInput

    chosen = given or _CHOSEN[0]
    if chosen is None:
        from tumbuh.config import get_settings

        chosen = get_settings().language
    if chosen not in ("id", "en"):
        raise InvalidInput(
            f"unknown --lang '{chosen}' (expected id or en)",
            key="error.unknown_lang",
            values={"lang": chosen},
        )
    return chosen


def t(key: str, **values: object) -> str:
    """A catalogue text in the output language (`tumbuh.i18n.translate`)."""
    from tumbuh.i18n import translate

    return translate(key, cli_lang(), **values)


def tn(key: str, n: int, **values: object) -> str:
    """A plural catalogue entry for the count ``n`` ("1 family", "2 families"), the count
    written in the output language."""
    from tumbuh.i18n import translate_plural

    return translate_plural(key, n, cli_lang(), **({"n": num(n, 0)} | values))


def num(
    value: Any,
    decimals: int = 1,
    *,
    signed: bool = False,
    min_decimals: int | None = None,
) -> str:
    """A number in the output language (12,5 in id; 12.5 in en); None/NaN -> '-'."""
    from tumbuh.i18n import format_number

    if value is None or value != value:
        return "-"
    return format_number(
        value, decimals, cli_lang(), signed=signed, min_decimals=min_decimals
    )


def echo_table(
    columns: Sequence[tuple[str, int]],
    rows: Iterable[Sequence[object]],
    *,
    header: bool = True,
) -> None:
    """A plain-text table: ``columns`` are (catalogue key, width); a negative width aligns
    left. Each header is said in the output language; a column is as wide as its header,
    its width or its widest cell, whichever is widest: a name is never cut (a cut name
    reads wrong: "Kabupaten Penajam Paser Utar"; a terminal wraps a long line instead).
    ``header=False``: the rows only, as wide as with the header."""
    labels = [t(key) for key, _ in columns]
    rows = [tuple(row) for row in rows]
    widths = [
        max(abs(w), len(label), *(len(str(row[i])) for row in rows))
        for i, (label, (_, w)) in enumerate(zip(labels, columns, strict=True))
    ]
    left = [w < 0 for _, w in columns]

    def line(cells: Sequence[object]) -> str:
        return " ".join(
            f"{c!s:<{w}}" if lf else f"{c!s:>{w}}"
            for c, w, lf in zip(cells, widths, left, strict=True)
        ).rstrip()

    if header:
        top = line(labels)
        typer.echo(top)
        typer.echo("-" * len(top))
    for row in rows:
        typer.echo(line(row))


def echo_report(report: Any, *, label: str | None = None, shown: int = 20) -> None:
    """An import report (`tumbuh.tabular.issues.ImportReport`): the counts, then the first
    ``shown`` issues, each with file, row, column and the reason in the output language
    (the issue's code stays in --json and --report)."""
    lang = cli_lang()
    what = label if label is not None else t(f"cli.kind.{report.kind}")
    typer.echo(
        t(
            "cli.report.counts",
            what=what,
            read=num(report.read, 0),
            inserted=num(report.inserted, 0),
            updated=num(report.updated, 0),
            unchanged=num(report.unchanged, 0),
            rejected=num(report.rejected, 0),
        )
    )
    for issue in report.issues[:shown]:
        typer.echo("  " + issue_line(issue, lang))
    if len(report.issues) > shown:
        typer.echo("  " + t("cli.report.more", n=num(len(report.issues) - shown, 0)))


def issue_line(issue: Any, lang: str) -> str:
    """'file row 3 column pembilang: reason' (a warning says so) in ``lang``."""
    where = t("cli.issue.where", file=issue.file, row=issue.row)
    if issue.column:
        where = t("cli.issue.where_column", where=where, column=issue.column)
    text = issue.message_en if lang == "en" else issue.message_id
    if str(issue.severity) == "warning":
        return t("cli.issue.warning", where=where, text=text)
    return f"{where}: {text}"


# Command groups shared by several modules (e.g. `tumbuh import eppgbm`, `tumbuh import aggregates`).
import_app = typer.Typer(
    help="Import files into the register (each import prints a report)."
)
risk_app = typer.Typer(
    help="Risk model for new stunting cases: train, evaluate, score."
)
users_app = typer.Typer(help="User accounts and roles.")
app.add_typer(import_app, name="import")
app.add_typer(risk_app, name="risk")
app.add_typer(users_app, name="users")


def region_or_register(session: Any, region: str | None) -> str:
    """``--region`` as given, else the register's province when it holds one (said on
    stderr, so --json stays clean); when it holds none or several, a usage error (exit 2)
    saying what to do."""
    if region and region.strip():
        return region.strip()
    from tumbuh.register.master import find_region
    from tumbuh.register.read import register_provinces

    provinces = register_provinces(session)
    if len(provinces) == 1:
        code = provinces[0]
        info = find_region(code)
        typer.echo(
            t("cli.region.default", code=code, name=info.name if info else ""), err=True
        )
        return code
    key = "cli.region.choose" if provinces else "cli.region.empty"
    message = t(key, codes=", ".join(provinces))
    typer.echo(t("cli.error_plain", message=message), err=True)
    raise typer.Exit(2)


def echo_import_outcome(
    report: Any, *, files: int, as_json: bool, show: Callable[[Any], None]
) -> None:
    """What an import command prints: the report as JSON, or its summary (`show`) unless
    no file could be read (no summary of zeros); then why each refused file was refused,
    in the output language (exit 1)."""
    failed = report.extra.get("failed_files") or []
    if as_json:
        typer.echo(report.to_json())
    elif len(failed) < files:
        show(report)
    for one in failed:
        typer.echo(t("cli.error_plain", message=failure_text(one)), err=True)
    if failed:
        raise typer.Exit(1)


def failure_text(failed: dict[str, Any]) -> str:
    """Why a file could not be imported (an entry of a report's ``failed_files``), in
    the output language when the error said it as a catalogue message, else its English
    sentence."""
    from tumbuh.i18n import loads, render_all

    said = loads(failed.get("said"))
    return render_all(said, cli_lang()) if said else str(failed["error"])
