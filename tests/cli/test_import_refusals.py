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


@pytest.mark.parametrize(
    ("lang", "empty", "binary"),
    [
        (
            "id",
            "empty.csv: berkas kosong",
            "binary.csv: isinya biner, bukan tabel teks",
        ),
        (
            "en",
            "empty.csv: the file is empty",
            "binary.csv: binary content, not a text",
        ),
    ],
)
def test_why_a_file_cannot_be_read_is_said_in_the_output_language(
    tmp_path: Path, lang: str, empty: str, binary: str
) -> None:
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    (tmp_path / "binary.csv").write_bytes(b"\x7fELF\x00\x00\x01" * 50)
    db = f"sqlite:///{tmp_path / 't.db'}"
    files = [str(tmp_path / "empty.csv"), str(tmp_path / "binary.csv")]
    result = CliRunner().invoke(
        app, ["--lang", lang, "import", "families", *files, "--db", db]
    )
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == ("galat: " if lang == "id" else "error: ") + empty
    assert lines[1].startswith(("galat: " if lang == "id" else "error: ") + binary)
