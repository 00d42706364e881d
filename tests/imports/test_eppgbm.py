"""e-PPGBM import: messy files in, every readable row in, every unreadable row reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.imports.builders import (
    EPPGBM_HEADER,
    KK_1,
    NIK_RINA,
    NIK_SITI,
    eppgbm_row,
    write_csv,
    write_html_xls,
    write_xlsx,
)

from tumbuh import growth
from tumbuh.errors import ImportFileError
from tumbuh.imports.service import import_file
from tumbuh.register.models import (
    Facility,
    Family,
    LinkReview,
    Measurement,
    Person,
    QuarantinedRow,
)
from tumbuh.tabular.issues import ImportReport, Severity


def run(session: Session, path: Path) -> ImportReport:
    report = ImportReport(kind="eppgbm")
    import_file(session, kind="eppgbm", path=path, report=report)
    return report


def codes(report: ImportReport) -> set[str]:
    return {i.code for i in report.issues}


def messy_rows() -> list[dict[str, str]]:
    return [
        # grams, NIK with .0, RT "O4", RW in Roman numerals
        eppgbm_row(NIK=NIK_SITI + ".0", Berat="9855", RT="O4", RW="IV"),
        # another child, no NIK, Kabupaten written "Kab.", desa as "Kel. ...", 0 = missing
        eppgbm_row(
            No="2",
            NIK="",
            Nama="Budi Santoso",
            JK="L",
            **{"Tgl Lahir": "15/01/2022", "NIK Ortu": "", "No KK": ""},
            **{"Kab/Kota": "Kab. Kutai Barat", "Kec": "Barong Tongkok"},
            **{"Desa/Kel": "Kel. Barong Tongkok", "Posyandu": "Melati"},
            **{"Tanggal Pengukuran": "2024-03-15", "Berat": "12.4", "Tinggi": "88"},
            **{"Cara Ukur": "Berdiri", "LiLA": "0", "Lingkar Kepala": "-"},
        ),
        # unreadable birth date: rejected
        eppgbm_row(No="3", NIK="", Nama="Tanpa Tanggal", **{"Tgl Lahir": "xx"}),
        # measured before birth: rejected
        eppgbm_row(
            No="4", NIK="", Nama="Salah Tanggal", **{"Tanggal Pengukuran": "01/01/2023"}
        ),
    ]


class TestMessyCsv:
    def test_reads_every_row_and_rejects_only_the_unreadable(
        self, db: Session, tmp_path: Path
    ) -> None:
        path = write_csv(
            tmp_path / "e.csv",
            EPPGBM_HEADER,
            messy_rows(),
            sep=";",
            bom=True,
            decimal_comma=True,
            preamble="Data Tanggal : 01-11-2025",
            nbsp=True,
        )
        report = run(db, path)
        assert (report.read, report.inserted, report.rejected) == (4, 2, 2)
        errors = [
            (i.row, i.code) for i in report.issues if i.severity == Severity.error
        ]
        assert errors == [(5, "invalid_date"), (6, "measured_before_birth")]
        assert {"weight_grams", "nik_float_suffix", "rt_rw_repaired"} <= codes(report)
        issue = next(i for i in report.issues if i.code == "weight_grams")
        assert (issue.file, issue.row, issue.column) == ("e.csv", 3, "Berat")
        assert issue.message_id
        assert issue.message_en
        assert issue.message_id != issue.message_en

    def test_repairs_grams_rt_rw_and_nik(self, db: Session, tmp_path: Path) -> None:
        run(db, write_csv(tmp_path / "e.csv", EPPGBM_HEADER, messy_rows()))
        siti = db.scalars(select(Person).where(Person.nik == NIK_SITI)).one()
        assert (siti.rt, siti.rw, siti.sex) == ("004", "004", "F")
        m = db.scalars(
            select(Measurement).where(Measurement.person_id == siti.id)
        ).one()
        assert m.weight_kg == pytest.approx(9.855)
        assert m.measure == "l"
        assert m.src_zwei == pytest.approx(-0.5)
        assert m.src_cat_bbu == "Berat Badan Normal"

    def test_resolves_region_names_to_kemendagri_codes(
        self, db: Session, tmp_path: Path
    ) -> None:
        run(db, write_csv(tmp_path / "e.csv", EPPGBM_HEADER, messy_rows()))
        budi = db.scalars(select(Person).where(Person.name == "Budi Santoso")).one()
        assert budi.desa_code is not None
        assert budi.desa_code.startswith("64.07.")
        siti = db.scalars(select(Person).where(Person.nik == NIK_SITI)).one()
        assert siti.desa_code is not None
        assert siti.desa_code.startswith("64.72.")
        posyandu = db.scalars(
            select(Facility).where(
                Facility.kind == "posyandu", Facility.name == "Melati"
            )
        ).one()
        assert posyandu.region_code == budi.desa_code

    def test_zero_and_dash_mean_missing(self, db: Session, tmp_path: Path) -> None:
        run(db, write_csv(tmp_path / "e.csv", EPPGBM_HEADER, messy_rows()))
        budi = db.scalars(select(Person).where(Person.name == "Budi Santoso")).one()
        m = db.scalars(
            select(Measurement).where(Measurement.person_id == budi.id)
        ).one()
        assert m.muac_cm is None
        assert m.headc_cm is None

    def test_zscores_are_the_kernels_on_recomputed_age(
        self, db: Session, tmp_path: Path
    ) -> None:
        run(db, write_csv(tmp_path / "e.csv", EPPGBM_HEADER, messy_rows()))
        rows = db.execute(
            select(
                Person.sex,
                Measurement.age_days,
                Measurement.weight_kg,
                Measurement.lenhei_cm,
                Measurement.measure,
                Measurement.zlen,
                Measurement.zwei,
                Measurement.zwfl,
                Measurement.cat_tbu,
            )
            .join(Person, Person.id == Measurement.person_id)
            .order_by(Measurement.id)
        ).all()
        # 05/07/2023 → 10/10/2024 is 463 days (the export's "1 th 3 bl" is ignored).
        assert rows[0].age_days == 463
        z = growth.zscores(
            sex=[1 if r.sex == "M" else 2 for r in rows],
            age_days=[r.age_days for r in rows],
            weight_kg=[r.weight_kg for r in rows],
            lenhei_cm=[r.lenhei_cm for r in rows],
            measure=[r.measure for r in rows],
        )
        np.testing.assert_allclose([r.zlen for r in rows], z.zlen)
        np.testing.assert_allclose([r.zwei for r in rows], z.zwei)
        np.testing.assert_allclose([r.zwfl for r in rows], z.zwfl)
        assert [r.cat_tbu for r in rows] == list(z.cat_tbu)

    def test_links_mother_and_family(self, db: Session, tmp_path: Path) -> None:
        run(db, write_csv(tmp_path / "e.csv", EPPGBM_HEADER, messy_rows()))
        siti = db.scalars(select(Person).where(Person.nik == NIK_SITI)).one()
        mother = db.scalars(select(Person).where(Person.nik == NIK_RINA)).one()
        family = db.scalars(select(Family).where(Family.no_kk == KK_1)).one()
        assert siti.mother_id == mother.id
        assert siti.family_id == family.id == mother.family_id
        assert mother.sex == "F"


class TestReimport:
    def test_importing_the_same_file_twice_changes_nothing(
        self, db: Session, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "e.csv", EPPGBM_HEADER, messy_rows())
        run(db, path)
        counts = _counts(db)
        again = run(db, path)
        assert (again.inserted, again.updated, again.unchanged, again.rejected) == (
            0,
            0,
            2,
            2,
        )
        assert _counts(db) == counts

    def test_a_corrected_export_updates_what_changed(
        self, db: Session, tmp_path: Path
    ) -> None:
        run(db, write_csv(tmp_path / "e.csv", EPPGBM_HEADER, messy_rows()))
        fixed = messy_rows()
        fixed[1]["Berat"] = "12.9"
        report = run(db, write_csv(tmp_path / "e2.csv", EPPGBM_HEADER, fixed))
        assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
        budi = db.scalars(select(Person).where(Person.name == "Budi Santoso")).one()
        m = db.scalars(
            select(Measurement).where(Measurement.person_id == budi.id)
        ).one()
        assert m.weight_kg == pytest.approx(12.9)

    def test_rejected_rows_are_quarantined_and_a_fixed_file_clears_them(
        self, db: Session, tmp_path: Path
    ) -> None:
        run(db, write_csv(tmp_path / "e.csv", EPPGBM_HEADER, messy_rows()))
        held = db.scalars(select(QuarantinedRow).order_by(QuarantinedRow.row)).all()
        assert [(q.file, q.row) for q in held] == [("e.csv", 4), ("e.csv", 5)]
        assert held[0].raw["Tgl Lahir"] == "xx"
        assert held[0].issues[0]["code"] == "invalid_date"
        fixed = messy_rows()
        fixed[2]["Tgl Lahir"] = "01/02/2023"
        fixed[3]["Tanggal Pengukuran"] = "01/06/2024"
        report = run(db, write_csv(tmp_path / "e_fixed.csv", EPPGBM_HEADER, fixed))
        assert report.rejected == 0
        assert report.inserted == 2
        assert db.scalar(select(func.count()).select_from(QuarantinedRow)) == 0


class TestLinking:
    def test_same_child_without_nik_across_files_is_one_person(
        self, db: Session, tmp_path: Path
    ) -> None:
        base = {"NIK": "", "NIK Ortu": "", "No KK": ""}
        first = eppgbm_row(**base, Nama="Muhammad Rizky", JK="L")
        later = eppgbm_row(
            **base,
            Nama="MUHAMAD RIZKI",
            JK="L",
            Posyandu="Mawar 2",
            **{"Tanggal Pengukuran": "10/11/2024", "Berat": "10.1"},
        )
        run(db, write_csv(tmp_path / "a.csv", EPPGBM_HEADER, [first]))
        report = run(db, write_csv(tmp_path / "b.csv", EPPGBM_HEADER, [later]))
        assert report.extra["persons_created"] == 0
        n = db.scalar(
            select(func.count()).select_from(Person).where(Person.nik.is_(None))
        )
        assert n == 1
        assert db.scalar(select(func.count()).select_from(Measurement)) == 2

    def test_uncertain_match_goes_to_review(self, db: Session, tmp_path: Path) -> None:
        base = {"NIK": "", "NIK Ortu": "", "No KK": ""}
        run(
            db,
            write_csv(
                tmp_path / "a.csv",
                EPPGBM_HEADER,
                [eppgbm_row(**base, Nama="Siti Aminah")],
            ),
        )
        other = eppgbm_row(
            **base, Nama="Siti Aminu", **{"Tanggal Pengukuran": "10/11/2024"}
        )
        report = run(db, write_csv(tmp_path / "b.csv", EPPGBM_HEADER, [other]))
        assert report.extra["link_review"] == 1
        assert "link_review" in codes(report)
        review = db.scalars(select(LinkReview)).one()
        assert review.status == "open"
        assert 80 <= review.score < 90

    def test_a_truncated_nik_is_kept_as_suspect_not_as_key(
        self, db: Session, tmp_path: Path
    ) -> None:
        row = eppgbm_row(NIK="6472014507230000", **{"NIK Ortu": ""})
        report = run(db, write_csv(tmp_path / "a.csv", EPPGBM_HEADER, [row]))
        assert "nik_truncated" in codes(report)
        person = db.scalars(select(Person).where(Person.name == "Siti Aminah")).one()
        assert person.nik is None
        assert person.nik_suspect == "6472014507230000"


class TestFormats:
    @pytest.mark.parametrize("fmt", ["latin1", "html", "xlsx"])
    def test_every_format_gives_the_same_measurements(
        self, db: Session, tmp_path: Path, fmt: str
    ) -> None:
        rows = messy_rows()[:2]
        rows[1]["Nama"] = "Budi Séptian"
        if fmt == "latin1":
            path = write_csv(
                tmp_path / "e.csv", EPPGBM_HEADER, rows, sep=";", encoding="latin-1"
            )
        elif fmt == "html":
            path = write_html_xls(tmp_path / "e.xls", EPPGBM_HEADER, rows)
        else:
            path = write_xlsx(tmp_path / "e.xlsx", EPPGBM_HEADER, rows)
        report = run(db, path)
        assert (report.read, report.inserted, report.rejected) == (2, 2, 0)
        weights = db.scalars(
            select(Measurement.weight_kg).order_by(Measurement.id)
        ).all()
        assert weights == pytest.approx([9.855, 12.4])
        assert (
            db.scalars(select(Person.name).where(Person.name.like("Budi%"))).one()
            == "Budi Séptian"
        )

    def test_a_file_without_the_required_columns_is_unreadable(
        self, db: Session, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "x.csv", ["a", "b"], [{"a": "1", "b": "2"}])
        with pytest.raises(ImportFileError, match="Tgl Lahir"):
            run(db, path)


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(m)) or 0
        for m in (Person, Measurement, Family, Facility, QuarantinedRow)
    )


def test_a_file_without_a_province_column_resolves_by_the_kabupaten(
    db: Session, tmp_path: Path
) -> None:
    header = [h for h in EPPGBM_HEADER if h != "Prov"]
    run(db, write_csv(tmp_path / "e.csv", header, [eppgbm_row()]))
    siti = db.scalars(select(Person).where(Person.nik == NIK_SITI)).one()
    assert siti.desa_code == "64.72.06.1001"


def test_duplicates_across_chunks_update_the_row_written_earlier(
    db: Session, tmp_path: Path
) -> None:
    rows = [eppgbm_row(No=str(i), Nama=f"Anak {i}", NIK="") for i in range(3)]
    rows.append(eppgbm_row(No="9", Nama="Anak 0", NIK="", Berat="10.2"))
    path = write_csv(tmp_path / "d.csv", EPPGBM_HEADER, rows)
    report = ImportReport(kind="eppgbm")
    import_file(db, kind="eppgbm", path=path, report=report, chunk_rows=2)
    assert (report.inserted, report.updated) == (3, 1)
    assert "duplicate_in_file" not in codes(report)  # different chunks: a plain update
    weights = db.scalars(select(Measurement.weight_kg).order_by(Measurement.id)).all()
    assert weights == pytest.approx([10.2, 9.8, 9.8])


def test_overlong_cells_are_cut_to_the_columns_not_fatal(
    db: Session, tmp_path: Path
) -> None:
    row = eppgbm_row(
        NIK="belum punya NIK, menunggu dukcapil setempat",
        Nama="Siti " + "A" * 300,
        **{"Usia Saat Ukur": "x" * 80, "BB/U": "y" * 80, "Naik Berat Badan": "z" * 50},
        Alamat="Jl. " + "B" * 400,
        **{
            "Kab/Kota": "",
            "Kec": "",
            "Desa/Kel": "",
            "Prov": "",
            "Kode Desa": "6472061001",
        },
    )
    report = run(
        db, write_csv(tmp_path / "long.csv", [*EPPGBM_HEADER, "Kode Desa"], [row])
    )
    assert report.inserted == 1
    person = db.scalars(select(Person).where(Person.name.like("Siti A%"))).one()
    assert len(person.name) == 160
    assert person.nik_suspect is not None
    assert len(person.nik_suspect) == 24
    assert person.desa_code == "64.72.06.1001"  # Kode Desa without dots


def test_a_later_export_corrects_the_birth_date_of_a_child_with_a_nik(
    db: Session, tmp_path: Path
) -> None:
    run(db, write_csv(tmp_path / "a.csv", EPPGBM_HEADER, [eppgbm_row()]))
    fixed = eppgbm_row(**{"Tgl Lahir": "04/07/2023"})
    report = run(db, write_csv(tmp_path / "b.csv", EPPGBM_HEADER, [fixed]))
    assert "nik_conflict" in codes(report)
    assert report.updated == 1  # the age, hence the z-scores, changed
    siti = db.scalars(select(Person).where(Person.nik == NIK_SITI)).one()
    assert str(siti.birth_date) == "2023-07-04"
    m = db.scalars(select(Measurement).where(Measurement.person_id == siti.id)).one()
    assert m.age_days == 464
