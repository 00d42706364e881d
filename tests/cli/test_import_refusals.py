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


@pytest.mark.parametrize(
    ("command", "said_id", "said_en"),
    [
        (
            "eppgbm",
            "berkas tidak dapat diimpor, kolom tidak ada: JK, Tgl Lahir",
            "the file cannot be imported, missing column(s): JK, Tgl Lahir",
        ),
        (
            "families",
            "bukan berkas keluarga, kolom tidak ada: No KK, Nama, Hubungan",
            "not a family file, missing column(s): No KK, Nama, Hubungan",
        ),
        (
            "interventions",
            "berkas tidak dapat diimpor, kolom tidak ada: Kode Intervensi, Tanggal, "
            "NIK / No KK",
            "the file cannot be imported, missing column(s): Kode Intervensi, Tanggal, "
            "NIK / No KK",
        ),
    ],
)
def test_a_file_without_the_columns_is_refused_in_the_output_language(
    tmp_path: Path, command: str, said_id: str, said_en: str
) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 't.db'}"
    for lang, said in (("id", said_id), ("en", said_en)):
        result = CliRunner().invoke(
            app, ["--lang", lang, "import", command, str(wrong), "--db", db]
        )
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith(f"{'galat' if lang == 'id' else 'error'}: ")
        assert f"wrong.csv: {said}" in result.stderr
