"""The Typer application object and its command groups; command modules import and extend them.

Commands load what they use: `tumbuh --help` and a command's start-up import no command
module but the one that defines the command (pandas, scipy, Dask, SQLAlchemy and the web
stack stay unloaded for `tumbuh --help`). `COMMANDS` names each top-level command or group,
the module(s) that register it and its one-line help for the listing; a test checks it
against the modules (tests/cli/test_lazy.py), so a new command module only adds a line here.
"""

from __future__ import annotations

import importlib
from typing import Any

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
        "Families of a desa ranked by risk, with reasons and the next action (Bahasa "
        "Indonesia).",
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
