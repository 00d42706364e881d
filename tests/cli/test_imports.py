"""`tumbuh import eppgbm|families|screenings` and `tumbuh db`: JSON report, report files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.imports.builders import EPPGBM_HEADER, eppgbm_row, write_csv
from typer.testing import CliRunner

from tumbuh.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def rows() -> list[dict[str, str]]:
    """A good row and one without a birth date (rejected; a name is not required)."""
    return [eppgbm_row(), eppgbm_row(No="2", Nama="Dewi", NIK="", **{"Tgl Lahir": ""})]


def test_import_eppgbm_json_reports_counts_and_issues(
    db_url: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "e.csv", EPPGBM_HEADER, rows())
    result = runner.invoke(
        app, ["import", "eppgbm", str(path), "--db", db_url, "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {
        k: report[k] for k in ("read", "inserted", "updated", "unchanged", "rejected")
    } == {
        "read": 2,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    issue = report["issues"][0]
    assert (issue["row"], issue["column"], issue["code"]) == (
        3,
        "Tgl Lahir",
        "required",
    )
    assert report["link_review"] == 0
    again = runner.invoke(
        app, ["import", "eppgbm", str(path), "--db", db_url, "--json"]
    )
    assert json.loads(again.stdout)["unchanged"] == 1


def test_report_files_in_csv_and_excel(db_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", EPPGBM_HEADER, rows())
    csv_out, xlsx_out = tmp_path / "issues.csv", tmp_path / "issues.xlsx"
    for out in (csv_out, xlsx_out):
        result = runner.invoke(
            app, ["import", "eppgbm", str(path), "--db", db_url, "--report", str(out)]
        )
        assert result.exit_code == 0, result.output
    text = csv_out.read_text(encoding="utf-8-sig").splitlines()
    assert text[0].startswith("file,row,column,code")
    assert "Nilai wajib kosong" in text[1]
    sheet = load_workbook(xlsx_out)["issues"]
    assert [c.value for c in sheet[2]][:4] == ["e.csv", 3, "Tgl Lahir", "required"]


def test_an_unreadable_file_exits_non_zero_and_changes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.csv"
    result = runner.invoke(
        app, ["import", "eppgbm", str(missing), "--db", db_url, "--json"]
    )
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["read"] == 0
    assert report["failed_files"][0]["file"] == str(missing)


def test_families_and_screenings_examples_import(db_url: str) -> None:
    for kind, name in (("families", "families.csv"), ("screenings", "screenings.csv")):
        result = runner.invoke(
            app, ["import", kind, str(EXAMPLES / name), "--db", db_url, "--json"]
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["rejected"] == 0


def test_db_load_regions_is_idempotent(db_url: str) -> None:
    first = runner.invoke(app, ["--lang", "en", "db", "load-regions", "--db", db_url])
    assert first.exit_code == 0, first.output
    assert int(first.stdout.split(":")[-1].replace(",", "")) > 90_000
    second = runner.invoke(app, ["db", "load-regions", "--db", db_url])
    assert second.stdout.strip() == "wilayah ditambahkan: 0"


def test_quarantined_rows_can_be_exported_fixed_and_imported_again(
    db_url: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "e.csv", EPPGBM_HEADER, rows())
    runner.invoke(app, ["import", "eppgbm", str(path), "--db", db_url])
    out = tmp_path / "fix.csv"
    result = runner.invoke(app, ["import", "quarantine", str(out), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 baris karantina (e-PPGBM) ditulis")
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert "Nilai wajib kosong" in lines[1]
    out.write_text(
        "\n".join([lines[0], lines[1].replace(",Dewi,P,,", ",Dewi,P,01/02/2023,", 1)]),
        encoding="utf-8",
    )
    again = runner.invoke(app, ["import", "eppgbm", str(out), "--db", db_url, "--json"])
    report = json.loads(again.stdout)
    assert (report["inserted"], report["rejected"]) == (1, 0)
    assert report["quarantine_resolved"] == 1
    empty = runner.invoke(app, ["import", "quarantine", str(out), "--db", db_url])
    assert empty.stdout.startswith("0 baris karantina")


def test_the_choice_between_kabupaten_and_kota_of_one_name_is_printed(
    db_url: str, tmp_path: Path
) -> None:
    header = [h for h in EPPGBM_HEADER if h != "Nama"]  # names removed, as shared
    row = eppgbm_row(
        Prov="JAWA TENGAH",
        **{"Kab/Kota": "TEGAL", "Kec": "TEGAL BARAT", "Desa/Kel": "KRATON"},
    )
    path = write_csv(tmp_path / "tegal.csv", header, [row])
    result = runner.invoke(
        app, ["--lang", "en", "import", "eppgbm", str(path), "--db", db_url]
    )
    assert result.exit_code == 0, result.output
    assert "kab/kota 'TEGAL' → Kota Tegal (33.76)" in result.stdout
    assert "inserted 1" in result.stdout


def test_faltering_shows_the_exports_flag_beside_its_own_and_counts_disagreements(
    db_url: str, tmp_path: Path
) -> None:
    # Four children weighed in September and October; (October weight, export's flag):
    # A gains and the export says N, B and C gain nothing (T) and the export says T and N,
    # D gains and the export says T: two disagreements (C and D).
    plan = {
        "A": ("10.5", "N"),
        "B": ("10.0", "T"),
        "C": ("10.0", "N"),
        "D": ("10.5", "T"),
    }
    rows = []
    for name, (october, flag) in plan.items():
        base = {"NIK": "", "NIK Ortu": "", "No KK": "", "Nama": f"Anak {name}"}
        rows.append(
            eppgbm_row(
                **base,
                **{"Tanggal Pengukuran": "10/09/2024", "Naik Berat Badan": "B"},
                Berat="10.0",
            )
        )
        rows.append(
            eppgbm_row(
                **base,
                **{"Tanggal Pengukuran": "10/10/2024", "Naik Berat Badan": flag},
                Berat=october,
            )
        )
    path = write_csv(tmp_path / "nt.csv", EPPGBM_HEADER, rows)
    assert (
        runner.invoke(app, ["import", "eppgbm", str(path), "--db", db_url]).exit_code
        == 0
    )
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        posyandu = conn.execute(
            text("SELECT id FROM facilities WHERE kind = 'posyandu'")
        ).scalar_one()
    engine.dispose()
    args = ["faltering", "--posyandu", str(posyandu), "--db", db_url]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    listed = {
        r["name"]: (r["nt"], r["export_nt"], r["disagree"])
        for r in json.loads(result.stdout)
    }
    assert listed == {
        "Anak B": ("T", "T", False),
        "Anak C": ("T", "N", True),
        "Anak D": ("N", "T", True),
    }
    text_out = runner.invoke(app, ["--lang", "en", *args])
    assert "posyandu" in text_out.stdout
    assert "2 of 4 children flagged" in text_out.stdout
    assert (
        "weight gain in the e-PPGBM export: 2 T/2T; judged by both 4, disagree 2"
        in text_out.stdout
    )
    indonesian = runner.invoke(app, ["--lang", "id", *args]).stdout
    assert "2 dari 4 anak ditandai" in indonesian


def test_a_file_over_the_row_limit_is_refused_with_file_and_limit_named(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tumbuh.config import get_settings

    monkeypatch.setenv("TUMBUH_IMPORT_MAX_ROWS", "1")
    get_settings.cache_clear()
    path = write_csv(tmp_path / "dua.csv", EPPGBM_HEADER, rows())
    result = runner.invoke(
        app, ["import", "eppgbm", str(path), "--db", db_url, "--json"]
    )
    get_settings.cache_clear()
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["inserted"] == 0
    failed = report["failed_files"][0]
    assert failed["code"] == "too_many_rows"
    assert failed["message_en"] == "dua.csv: File has more than 1 rows (the limit)"
    assert "dua.csv: Berkas berisi lebih dari 1 baris (batas)" in result.stderr
