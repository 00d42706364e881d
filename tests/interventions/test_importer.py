"""`tumbuh import interventions`: good rows go in, each bad row is reported (row, column,
reason) and quarantined, and a file imported twice does not double the records."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.interventions.builders import World, kk, nik

from tumbuh.errors import ImportFileError
from tumbuh.imports.interventions import import_file
from tumbuh.imports.service import write_quarantine
from tumbuh.interventions.models import Intervention
from tumbuh.register.models import QuarantinedRow
from tumbuh.tabular.issues import ImportReport

HEADER = ["Kode Intervensi", "NIK", "No KK", "Tanggal", "Status", "Sektor", "Unit"]
FUTURE = (dt.date.today() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
ROWS = [
    ["anc", nik(12), "", "05/01/2025", "diberikan", "", "Posyandu Mawar"],  # 2 ok
    [
        "sanitasi",
        "",
        kk(4),
        "2025-02-01",
        "terverifikasi",
        "PUPR",
        "",
    ],  # 3 ok (family by KK)
    [
        "pendampingan_krs",
        nik(11),
        "",
        "2025-03-01",
        "",
        "",
        "",
    ],  # 4 ok (family of the NIK)
    ["vitamin_z", nik(12), "", "2025-03-01", "", "", ""],  # 5 unknown kind
    ["anc", "12345", "", "2025-03-01", "", "", ""],  # 6 bad NIK
    ["anc", "9999999999999999", "", "2025-03-01", "", "", ""],  # 7 NIK not in register
    ["anc", nik(12), "", FUTURE, "", "", ""],  # 8 future date
    ["anc", nik(12), "", "31/02/2025", "", "", ""],  # 9 impossible date
    ["anc", nik(12), "", "2025-04-01", "selesai?", "", ""],  # 10 unknown status
    ["anc", "", "", "2025-04-01", "", "", ""],  # 11 a person kind without NIK
    [
        "anc",
        nik(12),
        "",
        "05/01/2025",
        "diberikan",
        "",
        "Posyandu Mawar",
    ],  # 12 repeat of 2
]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Intervention)) or 0)


class TestImport:
    def test_good_rows_go_in_and_bad_rows_are_reported_with_row_column_reason(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        before = _count(session)
        report = ImportReport(kind="interventions")
        import_file(session, path=_write(tmp_path / "iv.csv", ROWS), report=report)
        assert (report.read, report.inserted, report.rejected) == (11, 3, 7)
        assert report.unchanged == 1  # the repeated row
        assert _count(session) == before + 3
        errors = {
            (i.row, i.column, i.code) for i in report.issues if i.severity == "error"
        }
        assert errors == {
            (5, "Kode Intervensi", "unknown_kind"),
            (6, "NIK", "invalid_nik"),
            (7, "NIK", "person_not_found"),
            (8, "Tanggal", "future_date"),
            (9, "Tanggal", "invalid_date"),
            (10, "Status", "invalid_status"),
            (11, "NIK", "nik_required"),
        }
        assert [(i.row, i.code) for i in report.issues if i.severity == "warning"] == [
            (12, "duplicate_row")
        ]
        assert all(i.file == "iv.csv" and i.message_en for i in report.issues)
        quarantined = session.scalars(
            select(QuarantinedRow.row).where(QuarantinedRow.kind == "interventions")
        ).all()
        assert sorted(quarantined) == [5, 6, 7, 8, 9, 10, 11]

    def test_subjects_sector_and_status_are_resolved(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        import_file(
            session,
            path=_write(tmp_path / "iv.csv", ROWS[:3]),
            report=ImportReport(kind="x"),
        )
        recs = session.scalars(
            select(Intervention).where(Intervention.source_file == "iv.csv")
        ).all()
        by_kind = {r.kind_code: r for r in recs}
        assert by_kind["anc"].person_id == world.ids["d_wife"]
        assert by_kind["anc"].family_id is None
        assert (by_kind["anc"].status, by_kind["anc"].sector) == ("given", "Dinkes")
        assert by_kind["anc"].unit == "Posyandu Mawar"
        assert by_kind["sanitasi"].family_id == world.fams["d"]
        assert (by_kind["sanitasi"].status, by_kind["sanitasi"].sector) == (
            "verified",
            "PUPR",
        )
        assert by_kind["pendampingan_krs"].family_id == world.fams["d"]
        assert by_kind["pendampingan_krs"].desa_code == "99.01.01.2002"

    def test_a_file_imported_twice_does_not_double_and_a_changed_status_updates(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        path = _write(tmp_path / "iv.csv", ROWS[:3])
        import_file(session, path=path, report=ImportReport(kind="x"))
        n = _count(session)
        again = ImportReport(kind="x")
        import_file(session, path=path, report=again)
        assert (again.inserted, again.unchanged, _count(session)) == (0, 3, n)
        changed = [list(r) for r in ROWS[:3]]
        changed[0][4] = "terverifikasi"
        third = ImportReport(kind="x")
        import_file(session, path=_write(tmp_path / "iv.csv", changed), report=third)
        assert (third.updated, third.unchanged, _count(session)) == (1, 2, n)

    def test_xlsx_files_are_read_too(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(HEADER)
        sheet.append(["mpasi", nik(3), "", dt.date(2025, 6, 1), "given", "", ""])
        path = tmp_path / "iv.xlsx"
        book.save(path)
        report = ImportReport(kind="x")
        import_file(session, path=path, report=report)
        assert (report.inserted, report.rejected) == (1, 0)

    def test_a_file_without_the_required_columns_is_refused_whole(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        path = tmp_path / "bad.csv"
        path.write_text("NIK,Catatan\n" + nik(12) + ",x\n", encoding="utf-8")
        with pytest.raises(ImportFileError, match="Kode Intervensi, Tanggal"):
            import_file(session, path=path, report=ImportReport(kind="x"))

    def test_a_fixed_quarantine_file_clears_the_rows_it_fixes(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        """The framework's quarantine round trip: `write_quarantine`, fix, import again."""
        rows = [["anc", nik(12), "", "2025-04-01", "selesai?", "", ""]]  # bad status
        import_file(
            session, path=_write(tmp_path / "iv.csv", rows), report=ImportReport("x")
        )
        held = QuarantinedRow.kind == "interventions"
        assert session.scalar(select(func.count()).where(held)) == 1
        fixed = write_quarantine(
            session, kind="interventions", path=tmp_path / "fix.csv"
        )
        assert fixed == 1
        text = (tmp_path / "fix.csv").read_text(encoding="utf-8-sig")
        (tmp_path / "fix.csv").write_text(text.replace("selesai?", "diberikan"))
        report = ImportReport(kind="interventions")
        import_file(session, path=tmp_path / "fix.csv", report=report)
        assert (report.inserted, report.rejected) == (1, 0)
        assert report.extra["quarantine_resolved"] == 1
        assert session.scalar(select(func.count()).where(held)) == 0


class TestQuantity:
    """The tablets (or other units) a record gave: column Jumlah, a whole number."""

    def test_quantities_are_read_and_a_bad_one_rejects_its_row_with_the_reason(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        path = tmp_path / "ttd.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["Kode Intervensi", "NIK", "Tanggal", "Jumlah"])
            writer.writerows(
                [
                    ["ttd_hamil", nik(12), "2025-02-01", "30"],  # 2 ok
                    ["ttd_hamil", nik(12), "2025-03-01", "60,0"],  # 3 ok (a number)
                    ["ttd_hamil", nik(12), "2025-04-01", ""],  # 4 ok, count unknown
                    ["ttd_hamil", nik(12), "2025-05-01", "tiga puluh"],  # 5 bad
                    ["ttd_hamil", nik(12), "2025-06-01", "-30"],  # 6 bad
                    ["ttd_hamil", nik(12), "2025-07-01", "2.5"],  # 7 bad
                    ["ttd_hamil", nik(12), "2025-08-01", "5000"],  # 8 bad
                ]
            )
        report = ImportReport(kind="interventions")
        import_file(session, path=path, report=report)
        assert (report.inserted, report.rejected) == (3, 4)
        bad = [(i.row, i.column, i.code) for i in report.issues]
        assert bad == [(r, "Jumlah", "invalid_quantity") for r in (5, 6, 7, 8)]
        assert "tiga puluh" in report.issues[0].message_id
        stored = session.scalars(
            select(Intervention.quantity)
            .where(Intervention.source_file == "ttd.csv")
            .order_by(Intervention.given_on)
        ).all()
        assert stored == [30, 60, None]

    def test_a_corrected_quantity_updates_the_record_once(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        def write(quantity: str) -> Path:
            path = tmp_path / "ttd.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(["Kode Intervensi", "NIK", "Tanggal", "Jumlah TTD"])
                writer.writerow(["ttd_hamil", nik(12), "2025-09-01", quantity])
            return path

        import_file(session, path=write("30"), report=ImportReport(kind="x"))
        n = _count(session)
        again = ImportReport(kind="x")
        import_file(session, path=write("90"), report=again)
        assert (again.inserted, again.updated, _count(session)) == (0, 1, n)
        assert (
            session.scalar(
                select(Intervention.quantity).where(
                    Intervention.source_file == "ttd.csv"
                )
            )
            == 90
        )
