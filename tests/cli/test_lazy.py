"""The command line loads what a command uses: `tumbuh --help` imports no command module
and none of the heavy libraries; `_app.COMMANDS` matches what the modules register."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys

import pytest
import typer
from typer.main import get_command_name
from typer.testing import CliRunner

import tumbuh.cli
from tumbuh.cli._app import COMMANDS, app

HEAVY = ("pandas", "scipy", "dask", "fastapi", "duckdb", "sqlalchemy", "pyarrow")


_PROBE = """
import json, sys
from typer.testing import CliRunner
from tumbuh.cli import app
result = CliRunner().invoke(app, sys.argv[1:])
print(json.dumps({"exit": result.exit_code, "modules": sorted(sys.modules)}))
"""


def _imported_by(*args: str) -> set[str]:
    """The modules loaded, in a fresh interpreter, by importing the CLI and running ARGS."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["exit"] == 0
    return set(out["modules"])


def test_help_imports_no_heavy_library_and_no_command_module() -> None:
    names = _imported_by("--help")
    assert "tumbuh.cli._app" in names
    assert not {n for n in names if n.split(".")[0] in HEAVY}
    assert not {
        n for n in names if n.startswith("tumbuh.cli.") and n != "tumbuh.cli._app"
    }


def test_a_command_imports_its_own_module_only() -> None:
    names = _imported_by("users", "--help")
    assert "tumbuh.cli.users" in names
    commands = {n for n in names if n.startswith("tumbuh.cli.")}
    assert commands <= {"tumbuh.cli._app", "tumbuh.cli.users"}
    assert not {
        n for n in names if n.split(".")[0] in ("pandas", "scipy", "dask", "fastapi")
    }


def test_the_help_lists_every_command_with_its_help() -> None:
    out = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert out.exit_code == 0
    for name, (_, help_text) in COMMANDS.items():
        assert f"  {name} " in out.output
        assert help_text.split(",")[0][:30] in " ".join(out.output.split())


def _registered() -> dict[str, tuple[set[str], str]]:
    """name -> (modules, first help line) of every command and group the modules register."""
    for mod in pkgutil.iter_modules(tumbuh.cli.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"tumbuh.cli.{mod.name}")
    out: dict[str, tuple[set[str], str]] = {}
    for c in app.registered_commands:
        assert c.callback is not None
        name = c.name or get_command_name(c.callback.__name__)
        doc = (c.help or inspect.getdoc(c.callback) or "").split("\n")[0]
        out[name] = ({c.callback.__module__.rsplit(".", 1)[1]}, doc)
    for g in app.registered_groups:
        assert g.name is not None
        assert g.typer_instance is not None
        mods = {
            c.callback.__module__.rsplit(".", 1)[1]
            for c in g.typer_instance.registered_commands
            if c.callback is not None
        }
        out[g.name] = (mods, str(g.typer_instance.info.help or ""))
    return out


def test_the_registry_names_every_command_its_modules_and_its_help() -> None:
    registered = _registered()
    assert set(registered) == set(COMMANDS)
    for name, (mods, help_text) in registered.items():
        assert set(COMMANDS[name][0]) == mods, name
        assert " ".join(COMMANDS[name][1].split()) == " ".join(help_text.split()), name


@pytest.mark.filterwarnings(
    "ignore:The 'is_flag' and 'flag_value' parameters:DeprecationWarning"
)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_answers_its_own_help(name: str) -> None:
    out = CliRunner().invoke(app, [name, "--help"])
    assert out.exit_code == 0, out.output
    assert "Usage:" in out.output


@pytest.mark.parametrize("name", ["warning", "routine-prevalence", "faltering"])
def test_the_help_of_a_command_that_imports_inside_loads_no_data_library(
    name: str,
) -> None:
    names = _imported_by(name, "--help")
    assert not {n for n in names if n.split(".")[0] in HEAVY}


def test_a_command_missing_from_the_registry_still_runs() -> None:
    @app.command("not-in-the-registry")
    def _unlisted() -> None:
        """A command registered without its COMMANDS line."""
        typer.echo("ran")

    try:
        out = CliRunner().invoke(app, ["not-in-the-registry"])
        assert out.exit_code == 0, out.output
        assert out.output == "ran\n"
    finally:
        app.registered_commands[:] = [
            c for c in app.registered_commands if c.callback is not _unlisted
        ]
