"""What `tumbuh import` says of a file it cannot take: the reason, and no summary of zeros
when no file could be read."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tumbuh.cli import app

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'is_flag' and 'flag_value' parameters:DeprecationWarning"
)


def test_an_unreadable_file_gets_its_reason_and_no_summary(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 't.db'}"
    result = CliRunner().invoke(
        app, ["--lang", "en", "import", "eppgbm", str(empty), "--db", db]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "empty.csv" in result.stderr
    assert "empty" in result.stderr.split("empty.csv", 1)[1]
