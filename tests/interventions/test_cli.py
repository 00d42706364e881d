"""The command line: coverage, gaps (with the Excel file), import, actions, catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from tests.interventions.builders import DESA_1, build_register, record_world
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.cli.db import open_database
from tumbuh.db.session import unit_of_work

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_database(url)
    with unit_of_work(engine) as session:
        record_world(session, build_register(session))
    engine.dispose()
    return url


def _ok(args: list[str]) -> str:
    """The command's output in English (the words these tests look for)."""
    result = runner.invoke(app, ["--lang", "en", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


class TestCoverageAndGaps:
    def test_coverage_json_has_numerators_denominators_targets_and_convergence(
        self, db_url: str
    ) -> None:
        out = json.loads(
            _ok(
                [
                    "coverage",
                    "--region",
                    "99",
                    "--year",
                    "2025",
                    "--json",
                    "--db",
                    db_url,
                ]
            )
        )
        anc = next(r for r in out["indicators"] if r["code"] == "anc")
        assert (anc["numerator"], anc["denominator"], anc["coverage_pct"]) == (
            1,
            1,
            100.0,
        )
        assert out["period"] == {"start": "2025-01-01", "end": "2025-12-31"}
        assert out["convergence"]["krs_families"] == 3
        assert out["sector_behind"] == out["sectors"][0]["sector"]

    def test_coverage_by_kecamatan_in_json(self, db_url: str) -> None:
        args = ["coverage", "--region", "99", "--year", "2025", "--by", "kecamatan"]
        out = json.loads(_ok([*args, "--json", "--db", db_url]))
        pantau = [a for a in out["by_area"] if a["code"] == "pantau_tumbuh"]
        assert [a["area_code"] for a in pantau] == ["99.01.01"]
        total = next(r for r in out["indicators"] if r["code"] == "pantau_tumbuh")
        assert pantau[0]["denominator"] == total["denominator"]
        assert "by kecamatan:" in _ok([*args, "--db", db_url])

    def test_coverage_table_names_each_sector(self, db_url: str) -> None:
        text = _ok(["coverage", "--region", "99", "--year", "2025", "--db", db_url])
        for sector in ("Dinkes", "DPPKB", "PUPR/Perkim", "Kemenag"):
            assert sector in text
        assert "families at risk: 3" in text

    def test_gaps_of_a_desa_to_excel(self, db_url: str, tmp_path: Path) -> None:
        path = tmp_path / "gaps.xlsx"
        text = _ok(
            [
                "gaps",
                "--region",
                DESA_1,
                "--year",
                "2025",
                "--xlsx",
                str(path),
                "--db",
                db_url,
            ]
        )
        assert "2 families at risk" in text
        rows = list(
            openpyxl.load_workbook(path)["keluarga"].iter_rows(values_only=True)
        )
        assert len(rows) == 3
        assert {r[2] for r in rows[1:]} == {"9901019900000001", "9901019900000002"}

    def test_an_unknown_region_fails_with_a_message(self, db_url: str) -> None:
        result = runner.invoke(app, ["gaps", "--region", "99.77", "--db", db_url])
        assert result.exit_code != 0
        assert "99.77" in str(result.exception)


class TestImportCommand:
    def test_the_example_file_imports_after_the_family_and_screening_examples(
        self, tmp_path: Path
    ) -> None:
        url = f"sqlite:///{tmp_path / 'ex.db'}"
        _ok(["import", "families", str(EXAMPLES / "families.csv"), "--db", url])
        _ok(["import", "screenings", str(EXAMPLES / "screenings.csv"), "--db", url])
        out = json.loads(
            _ok(
                [
                    "import",
                    "interventions",
                    str(EXAMPLES / "interventions_example.csv"),
                    "--db",
                    url,
                    "--json",
                ]
            )
        )
        assert (out["read"], out["inserted"], out["rejected"]) == (10, 10, 0)

    def test_bad_rows_are_listed_and_written_to_a_report(
        self, db_url: str, tmp_path: Path
    ) -> None:
        src = tmp_path / "iv.csv"
        src.write_text(
            "Kode Intervensi,NIK,Tanggal\nanc,9901010000000012,2025-01-05\nxyz,9901010000000012,2025-01-05\n",
            encoding="utf-8",
        )
        report = tmp_path / "issues.csv"
        text = _ok(
            [
                "import",
                "interventions",
                str(src),
                "--db",
                db_url,
                "--report",
                str(report),
            ]
        )
        assert "inserted 1" in text
        assert "rejected 1" in text
        assert "iv.csv row 3 column Kode Intervensi: " in text
        assert "unknown_kind" in report.read_text(encoding="utf-8-sig")

    def test_an_unreadable_file_exits_1(self, db_url: str, tmp_path: Path) -> None:
        result = runner.invoke(
            app, ["import", "interventions", str(tmp_path / "none.csv"), "--db", db_url]
        )
        assert result.exit_code == 1


class TestActionsAndCatalogue:
    def test_add_list_and_close_an_action(self, db_url: str) -> None:
        out = _ok(["actions", "add", "Jamban for KRS", "--owner", "PUPR/Perkim", "--region", DESA_1,
                   "--due", "2025-02-01", "--meeting", "2025-01-10", "--indicator", "sanitasi",
                   "--db", db_url])  # fmt: skip
        assert "action 1 added" in out
        assert "OVERDUE #1" in _ok(["actions", "list", "--db", db_url])
        _ok(["actions", "set", "1", "--status", "done", "--db", db_url])
        rows = json.loads(_ok(["actions", "list", "--json", "--db", db_url]))
        assert rows[0]["status"] == "done"
        assert rows[0]["overdue"] is False

    def test_catalogue_list_set_load_record_and_synthetic(
        self, db_url: str, tmp_path: Path
    ) -> None:
        listed = _ok(["interventions", "catalogue", "--db", db_url])
        assert "Assistance for families at risk (KRS)" in listed
        _ok(["interventions", "set", "pendampingan_krs", "--target", "90", "--target-year", "2026",
             "--source", "local TPPS decision", "--db", db_url])  # fmt: skip
        kinds = json.loads(
            _ok(["interventions", "catalogue", "--json", "--db", db_url])
        )
        krs = next(k for k in kinds if k["code"] == "pendampingan_krs")
        assert (krs["target_pct"], krs["target_year"]) == (90, 2026)
        extra = tmp_path / "extra.csv"
        extra.write_text(
            "code,name_id,name_en,kind,target_group,sector,indicator,target_pct,target_year,"
            "target_source,in_package_for\n"
            "paud,PAUD,Early education,sensitive,child_0_59,Disdik,% in PAUD,,,NOT FOUND,\n",
            encoding="utf-8",
        )
        assert "1 kinds added" in _ok(
            ["interventions", "load", str(extra), "--db", db_url]
        )
        assert "record" in _ok(["interventions", "record", "paud", "--nik", "9901010000000010",
                                "--date", "2025-05-05", "--db", db_url])  # fmt: skip
        assert "synthetic interventions recorded" in _ok(
            [
                "interventions",
                "synthetic",
                "--seed",
                "2",
                "--year",
                "2025",
                "--db",
                db_url,
            ]
        )
