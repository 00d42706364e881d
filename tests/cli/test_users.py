"""`tumbuh users create|list|deactivate` and `tumbuh serve --help` through Typer's CliRunner."""

from __future__ import annotations

import uuid
from pathlib import Path

from typer.testing import CliRunner

from tumbuh.accounts.security import configure_hasher
from tumbuh.cli import app

configure_hasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
runner = CliRunner()


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


class TestUsersCommands:
    def test_create_list_and_deactivate(self, tmp_path: Path) -> None:
        db = _db(tmp_path)
        name = f"ani_{uuid.uuid4().hex[:6]}"
        created = runner.invoke(
            app,
            ["--lang", "en", "users", "create", name, "--role", "district_analyst", "--region", "64.71",
             "--password", "rahasia-123", "--db", db],
        )  # fmt: skip
        assert created.exit_code == 0, created.output
        assert f"created user {name} (District analyst, region 64.71)" in created.output
        listed = runner.invoke(app, ["--lang", "en", "users", "list", "--db", db])
        assert f"{name}\tDistrict analyst\t64.71\tactive" in listed.output
        gone = runner.invoke(app, ["users", "deactivate", name, "--db", db])
        assert gone.exit_code == 0
        listed = runner.invoke(app, ["users", "list", "--db", db])
        assert f"{name}\tAnalis kabupaten/kota\t64.71\tnonaktif" in listed.output

    def test_a_role_at_the_wrong_level_is_refused_with_a_reason(
        self, tmp_path: Path
    ) -> None:
        result = runner.invoke(
            app,
            ["users", "create", "budi", "--role", "village_team", "--region", "64.71",
             "--password", "rahasia-123", "--db", _db(tmp_path)],
        )  # fmt: skip
        assert result.exit_code != 0
        assert "village_team needs a desa code" in str(result.exception)

    def test_an_unknown_role_is_a_usage_error(self, tmp_path: Path) -> None:
        result = runner.invoke(
            app,
            ["users", "create", "budi", "--role", "king", "--region", "64",
             "--password", "rahasia-123", "--db", _db(tmp_path)],
        )  # fmt: skip
        assert result.exit_code == 2


def test_serve_documents_its_options() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db"):
        assert option in result.output
