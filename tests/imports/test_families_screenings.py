"""Family (BKKBN) and screening imports: the shipped examples, relations, re-import, bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.imports.builders import write_csv

from tumbuh.imports.service import import_file
from tumbuh.register.models import Family, Person, Pregnancy, QuarantinedRow, Screening
from tumbuh.tabular.issues import ImportReport

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(session: Session, kind: str, path: Path) -> ImportReport:
    report = ImportReport(kind=kind)
    import_file(session, kind=kind, path=path, report=report)
    return report


class TestFamilies:
    def test_the_example_family_file_imports_with_its_risk_attributes(
        self, db: Session
    ) -> None:
        report = run(db, "families", EXAMPLES / "families.csv")
        assert (report.read, report.inserted, report.rejected) == (7, 7, 0)
        fam = db.scalars(select(Family).where(Family.no_kk == "6402011203180001")).one()
        assert (fam.water_source, fam.latrine, fam.welfare_decile) == (
            "unprotected_well",
            "no_septic",
            2,
        )
        assert fam.wife_modern_contraception is False
        assert fam.wife_pregnant is True
        assert fam.desa_code == "64.02.01.2003"

    def test_the_wife_is_the_mother_of_the_children(self, db: Session) -> None:
        run(db, "families", EXAMPLES / "families.csv")
        mother = db.scalars(select(Person).where(Person.name == "Nur Aisyah")).one()
        children = db.scalars(
            select(Person.name)
            .where(Person.mother_id == mother.id)
            .order_by(Person.name)
        ).all()
        assert children == ["Putri Saputra", "Rudi Saputra"]

    def test_importing_twice_changes_nothing_and_a_change_updates(
        self, db: Session, tmp_path: Path
    ) -> None:
        run(db, "families", EXAMPLES / "families.csv")
        again = run(db, "families", EXAMPLES / "families.csv")
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 7)
        text = (EXAMPLES / "families.csv").read_text(encoding="utf-8")
        changed = tmp_path / "families.csv"
        changed.write_text(
            text.replace("012,004,Jl. Loa Bakung No. 5", "013,004,Jl. Loa Bakung No. 5")
        )
        report = run(db, "families", changed)
        assert (report.inserted, report.updated, report.unchanged) == (0, 3, 4)
        fam = db.scalars(select(Family).where(Family.no_kk == "6472060505150007")).one()
        assert fam.rt == "013"

    def test_a_member_without_no_kk_is_quarantined(
        self, db: Session, tmp_path: Path
    ) -> None:
        header = [
            "No KK",
            "NIK",
            "Nama",
            "Hubungan",
            "JK",
            "Tgl Lahir",
            "Sumber Air Minum",
        ]
        rows = [
            {"No KK": "6402011203180001", "Nama": "Ani", "Hubungan": "kepala", "JK": "P", "Tgl Lahir": "1990-01-01", "Sumber Air Minum": "air hujan"},
            {"No KK": "", "Nama": "Tanpa KK", "Hubungan": "anak", "Tgl Lahir": "2020-01-01"},
            {"No KK": "6402011203180001", "Nama": "Bayu", "Hubungan": "cucu", "Tgl Lahir": "2021-01-01", "Sumber Air Minum": "sungai"},
        ]  # fmt: skip
        report = run(db, "families", write_csv(tmp_path / "f.csv", header, rows))
        assert (report.read, report.inserted, report.rejected) == (3, 2, 1)
        codes = {(i.row, i.code) for i in report.issues}
        assert (3, "required") in codes
        assert (4, "invalid_choice") in codes  # "cucu" is not a known relation
        assert (4, "family_conflict") in codes  # water source differs from the head's
        held = db.scalars(select(QuarantinedRow)).one()
        assert held.raw["Nama"] == "Tanpa KK"


class TestScreenings:
    def test_the_example_screening_file_links_to_families_and_pregnancies(
        self, db: Session
    ) -> None:
        run(db, "families", EXAMPLES / "families.csv")
        report = run(db, "screenings", EXAMPLES / "screenings.csv")
        assert (report.read, report.inserted, report.rejected) == (4, 4, 0)
        assert report.extra["persons_created"] == 2  # the catin and the adolescent
        nur = db.scalars(select(Person).where(Person.name == "Nur Aisyah")).one()
        visits = db.scalars(
            select(Screening)
            .where(Screening.person_id == nur.id)
            .order_by(Screening.screened_on)
        ).all()
        assert [v.anc_visits for v in visits] == [2, 4]
        assert visits[0].pregnancy_id == visits[1].pregnancy_id is not None
        preg = db.get(Pregnancy, visits[0].pregnancy_id)
        assert preg is not None
        assert str(preg.due_date) == "2025-09-26"  # HPHT 2024-12-20 + 280 days

    def test_implausible_values_are_dropped_with_a_warning(
        self, db: Session, tmp_path: Path
    ) -> None:
        header = ["Jenis", "NIK", "Nama", "Tgl Lahir", "Tanggal Skrining", "LiLA", "Hb"]
        rows = [
            {"Jenis": "catin", "Nama": "Ayu", "Tgl Lahir": "2002-03-10", "Tanggal Skrining": "2025-02-01", "LiLA": "2400", "Hb": "11,8"},
            {"Jenis": "tamu", "Nama": "Siapa", "Tgl Lahir": "2002-03-10", "Tanggal Skrining": "2025-02-01"},
        ]  # fmt: skip
        report = run(db, "screenings", write_csv(tmp_path / "s.csv", header, rows))
        assert (report.inserted, report.rejected) == (1, 1)
        s = db.scalars(select(Screening)).one()
        assert s.muac_cm is None
        assert s.hb_g_dl == pytest.approx(11.8)
        assert db.scalar(select(func.count()).select_from(QuarantinedRow)) == 1

    def test_an_unreadable_sex_code_is_a_warning_on_its_row(
        self, db: Session, tmp_path: Path
    ) -> None:
        header = ["Jenis", "Nama", "JK", "Tgl Lahir", "Tanggal Skrining"]
        rows = [
            {"Jenis": "catin", "Nama": "Ayu", "JK": "X", "Tgl Lahir": "2002-03-10", "Tanggal Skrining": "2025-02-01"},
            {"Jenis": "catin", "Nama": "Budi", "JK": "L", "Tgl Lahir": "2001-05-02", "Tanggal Skrining": "2025-02-01"},
        ]  # fmt: skip
        report = run(db, "screenings", write_csv(tmp_path / "s.csv", header, rows))
        assert (report.inserted, report.rejected) == (2, 0)
        assert [(i.row, i.column, i.code, i.value) for i in report.issues] == [
            (2, "JK", "invalid_sex", "X")
        ]


class TestAcrossSources:
    def test_a_child_from_the_family_file_is_the_child_in_eppgbm(
        self, db: Session, tmp_path: Path
    ) -> None:
        from tests.imports.builders import EPPGBM_HEADER, eppgbm_row

        run(db, "families", EXAMPLES / "families.csv")
        row = eppgbm_row(
            NIK="6402014103220005",
            Nama="PUTRI SAPUTRA",
            **{"Tgl Lahir": "01/03/2022", "NIK Ortu": "", "No KK": ""},
            **{
                "Kab/Kota": "Kutai Kartanegara",
                "Kec": "Muara Muntai",
                "Desa/Kel": "Muara Aloh",
            },
        )
        report = run(db, "eppgbm", write_csv(tmp_path / "e.csv", EPPGBM_HEADER, [row]))
        assert report.extra["persons_created"] == 0
        putri = db.scalars(select(Person).where(Person.nik == "6402014103220005")).one()
        mother = db.scalars(select(Person).where(Person.name == "Nur Aisyah")).one()
        assert putri.mother_id == mother.id
        assert putri.family_id is not None


def test_a_family_split_over_two_chunks_keeps_its_head_values_and_mother(
    db: Session, tmp_path: Path
) -> None:
    lines = (EXAMPLES / "families.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "f.csv"
    path.write_text("\n".join(lines[:4] + lines[4:]) + "\n", encoding="utf-8")
    report = ImportReport(kind="families")
    # rows 1-3 (head, wife, first child) in one chunk, the second child in the next
    import_file(db, kind="families", path=path, report=report, chunk_rows=3)
    fam = db.scalars(select(Family).where(Family.no_kk == "6402011203180001")).one()
    assert fam.water_source == "unprotected_well"
    mother = db.scalars(select(Person).where(Person.name == "Nur Aisyah")).one()
    rudi = db.scalars(select(Person).where(Person.name == "Rudi Saputra")).one()
    assert rudi.mother_id == mother.id
