"""Quirks of real e-PPGBM exports (issue 13), each reproduced by a small file written here.

No real personal data: names, NIKs and numbers are made up; only the shapes are real
(names removed, pseudonymised names, kab and kota of one name, units, the export's flags).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.imports.builders import EPPGBM_HEADER, eppgbm_row, write_csv

from tumbuh.errors import ImportFileError
from tumbuh.i18n import error_text
from tumbuh.imports.service import import_file
from tumbuh.register.models import LinkReview, Measurement, Person
from tumbuh.tabular.issues import ImportReport, Severity

NAMELESS = [h for h in EPPGBM_HEADER if h != "Nama"]
NO_IDS = {"NIK": "", "NIK Ortu": "", "No KK": ""}


def run(session: Session, path: Path) -> ImportReport:
    report = ImportReport(kind="eppgbm")
    import_file(session, kind="eppgbm", path=path, report=report)
    return report


def count(session: Session, model: type[Person] | type[Measurement]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def codes(report: ImportReport) -> set[str]:
    return {i.code for i in report.issues}


def child_rows(session: Session) -> set[tuple[str, str, str, float]]:
    """(name, birth date, measurement date, weight) of every stored measurement."""
    rows = session.execute(
        select(
            Person.name,
            Person.birth_date,
            Measurement.measured_on,
            Measurement.weight_kg,
        ).join(Person, Person.id == Measurement.person_id)
    ).all()
    return {(r[0], str(r[1]), str(r[2]), round(r[3], 3)) for r in rows}


# ------------------------------------------------------------------ nameless exports


def nameless_visits() -> list[dict[str, str]]:
    """Two children without names, two visits each, in one posyandu."""
    rows = []
    for visit, month in enumerate(("10/09/2024", "10/10/2024")):
        rows.append(
            eppgbm_row(
                **NO_IDS,
                JK="P",
                **{"Tanggal Pengukuran": month, "Berat": f"{9.5 + visit * 0.3:.1f}"},
            )
        )
        rows.append(
            eppgbm_row(
                **NO_IDS,
                JK="L",
                **{"Tgl Lahir": "01/02/2023", "BB Lahir": "2.9", "TB Lahir": "48"},
                **{"Tanggal Pengukuran": month, "Berat": f"{10.5 + visit * 0.2:.1f}"},
            )
        )
    return rows


class TestNamelessExports:
    def test_a_file_without_a_name_column_goes_in_whole(
        self, db: Session, tmp_path: Path
    ) -> None:
        report = run(db, write_csv(tmp_path / "n.csv", NAMELESS, nameless_visits()))
        assert (report.read, report.inserted, report.rejected) == (4, 4, 0)
        children = db.scalars(select(Person).where(Person.mother_id.is_(None))).all()
        assert sorted((p.sex, str(p.birth_date), p.name) for p in children) == [
            ("F", "2023-07-05", ""),
            ("M", "2023-02-01", ""),
        ]
        assert "name_missing" not in codes(report)  # no column: nothing to say per row

    def test_each_child_keeps_its_visits_and_a_second_import_changes_nothing(
        self, db: Session, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "n.csv", NAMELESS, nameless_visits())
        run(db, path)
        per_child = db.execute(
            select(Person.sex, func.count(Measurement.id))
            .join(Measurement, Measurement.person_id == Person.id)
            .group_by(Person.sex)
        ).all()
        assert sorted(per_child) == [("F", 2), ("M", 2)]
        persons, measurements = count(db, Person), count(db, Measurement)
        again = run(db, path)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
        assert (count(db, Person), count(db, Measurement)) == (persons, measurements)

    def test_same_sex_and_birth_date_in_another_posyandu_goes_to_review(
        self, db: Session, tmp_path: Path
    ) -> None:
        first = eppgbm_row(**NO_IDS)
        other = eppgbm_row(**NO_IDS, Posyandu="Melati 3", RT="07")
        report = run(db, write_csv(tmp_path / "n.csv", NAMELESS, [first, other]))
        assert count(db, Measurement) == 2
        assert report.extra["link_review"] == 1
        review = db.scalars(select(LinkReview)).one()
        assert review.reason == "sex/birth date/desa match without a name"

    def test_a_valid_nik_identifies_a_nameless_child_and_a_named_export_names_it(
        self, db: Session, tmp_path: Path
    ) -> None:
        run(db, write_csv(tmp_path / "n.csv", NAMELESS, [eppgbm_row()]))
        child = db.scalars(
            select(Person).where(Person.sex == "F", Person.nik.is_not(None))
        )
        assert [p.name for p in child if p.mother_id is not None] == [""]
        later = eppgbm_row(**{"Tanggal Pengukuran": "10/11/2024", "Berat": "10.1"})
        run(db, write_csv(tmp_path / "named.csv", EPPGBM_HEADER, [later]))
        siti = db.scalars(select(Person).where(Person.name == "Siti Aminah")).one()
        assert count(db, Person) == 2  # the child and her mother
        assert (
            len(
                db.scalars(
                    select(Measurement).where(Measurement.person_id == siti.id)
                ).all()
            )
            == 2
        )

    def test_a_blank_name_cell_is_a_warning_not_a_rejection(
        self, db: Session, tmp_path: Path
    ) -> None:
        report = run(
            db, write_csv(tmp_path / "b.csv", EPPGBM_HEADER, [eppgbm_row(Nama="")])
        )
        assert (report.inserted, report.rejected) == (1, 0)
        issue = next(i for i in report.issues if i.code == "name_missing")
        assert (issue.row, issue.column, issue.severity) == (
            2,
            "Nama",
            Severity.warning,
        )

    @pytest.mark.parametrize(
        ("dropped", "reason_en", "reason_id"),
        [
            (
                "Tanggal Pengukuran",
                "computed from the measurement date",
                "dihitung dari tanggal pengukuran",
            ),
            ("JK", "sex is needed to compute z-scores", "jenis kelamin diperlukan"),
        ],
    )
    def test_a_file_without_dates_or_sex_is_refused_saying_what_it_lacks(
        self,
        db: Session,
        tmp_path: Path,
        dropped: str,
        reason_en: str,
        reason_id: str,
    ) -> None:
        header = [h for h in NAMELESS if h != dropped]
        path = write_csv(tmp_path / "partial.csv", header, [eppgbm_row()])
        with pytest.raises(ImportFileError) as err:
            run(db, path)
        # Said in the reader's language (the English one is also the error's message).
        said_en, said_id = error_text(err.value, "en"), error_text(err.value, "id")
        assert said_en == err.value.message
        assert said_en.startswith("partial.csv: ")
        assert said_id.startswith("partial.csv: ")
        assert "missing column(s)" in said_en
        assert "kolom tidak ada" in said_id
        assert reason_en in said_en
        assert reason_id in said_id
        assert count(db, Person) == 0


# ---------------------------------------------------------- order-independent linking


def three_boys() -> list[dict[str, str]]:
    """Three boys born the same day in one posyandu, one mother and household, with
    pseudonymised names that differ by one or two digits; each weighed twice."""
    rows = []
    family = {"NIK": "", "NIK Ortu": "6472015003950002", "No KK": "6472010101200001"}
    for n, name in enumerate(("ANAK 05710", "ANAK 05910", "ANAK 09100")):
        for month in ("10/09/2024", "10/10/2024"):
            rows.append(
                eppgbm_row(
                    **family,
                    Nama=name,
                    JK="L",
                    **{"Tgl Lahir": "12/03/2023", "Tanggal Pengukuran": month},
                    Berat=f"{9.0 + n:.1f}",
                )
            )
    return rows


EXPECTED_BOYS = {
    (name, "2023-03-12", day, 9.0 + n)
    for n, name in enumerate(("ANAK 05710", "ANAK 05910", "ANAK 09100"))
    for day in ("2024-09-10", "2024-10-10")
}


class TestLinkingOrder:
    @pytest.mark.parametrize("seed", [None, 1, 2])
    def test_three_boys_are_three_children_in_any_row_order(
        self, db: Session, tmp_path: Path, seed: int | None
    ) -> None:
        rows = three_boys()
        if seed is not None:
            random.Random(seed).shuffle(rows)
        report = run(db, write_csv(tmp_path / "boys.csv", EPPGBM_HEADER, rows))
        assert report.inserted == 6
        assert child_rows(db) == EXPECTED_BOYS
        assert report.extra["link_review"] == 0

    def test_three_boys_imported_twice_and_shuffled_store_each_row_once(
        self, db: Session, tmp_path: Path
    ) -> None:
        rows = three_boys()
        run(db, write_csv(tmp_path / "boys.csv", EPPGBM_HEADER, rows))
        again = run(db, write_csv(tmp_path / "boys.csv", EPPGBM_HEADER, rows))
        random.Random(7).shuffle(rows)
        shuffled = run(db, write_csv(tmp_path / "boys2.csv", EPPGBM_HEADER, rows))
        for report in (again, shuffled):
            assert (report.inserted, report.updated, report.unchanged) == (0, 0, 6)
        assert child_rows(db) == EXPECTED_BOYS
        assert count(db, Person) == 4  # three boys and their mother
        assert count(db, Measurement) == 6

    @pytest.mark.parametrize("reverse", [False, True])
    def test_close_names_in_one_file_are_two_children_and_one_review(
        self, db: Session, tmp_path: Path, reverse: bool
    ) -> None:
        twins = [
            eppgbm_row(**NO_IDS, Nama="Muhammad Rizky", JK="L"),
            eppgbm_row(**NO_IDS, Nama="Muhammad Rizal", JK="L"),
        ]
        if reverse:
            twins.reverse()
        report = run(db, write_csv(tmp_path / "t.csv", EPPGBM_HEADER, twins))
        names = db.scalars(select(Person.name).where(Person.sex == "M")).all()
        assert sorted(names) == ["Muhammad Rizal", "Muhammad Rizky"]
        assert report.extra["link_review"] == 1
        again = run(db, write_csv(tmp_path / "t.csv", EPPGBM_HEADER, twins[::-1]))
        assert (again.inserted, again.extra["link_review"]) == (0, 0)

    def test_a_boy_and_a_girl_with_the_same_name_and_birth_date_are_two_children(
        self, db: Session, tmp_path: Path
    ) -> None:
        rows = [
            eppgbm_row(**NO_IDS, Nama="Nur Hidayah", JK="P"),
            eppgbm_row(**NO_IDS, Nama="Nur Hidayah", JK="L"),
        ]
        run(db, write_csv(tmp_path / "s.csv", EPPGBM_HEADER, rows))
        sexes = db.scalars(select(Person.sex).where(Person.name == "Nur Hidayah")).all()
        assert sorted(sexes) == ["F", "M"]


# ------------------------------------------------------------------ region resolution


def place(**values: str) -> dict[str, str]:
    return eppgbm_row(**NO_IDS, Nama=f"Anak {values.pop('Nama', 'A')}", **values)


class TestKabupatenAndKotaOfOneName:
    def test_tegal_with_kecamatan_of_the_kota_lands_in_kota_tegal(
        self, db: Session, tmp_path: Path
    ) -> None:
        rows = [
            place(
                Nama="Satu",
                Prov="JAWA TENGAH",
                **{"Kab/Kota": "TEGAL", "Kec": "TEGAL BARAT", "Desa/Kel": "KRATON"},
                Pukesmas="Tegal Barat",
            ),
            place(
                Nama="Dua",
                Prov="JAWA TENGAH",
                **{"Kab/Kota": "TEGAL", "Kec": "TEGAL TIMUR", "Desa/Kel": "SLEROK"},
                Pukesmas="Slerok",
            ),
        ]
        report = run(db, write_csv(tmp_path / "tegal.csv", EPPGBM_HEADER, rows))
        desa = db.scalars(select(Person.desa_code).order_by(Person.name)).all()
        assert desa == ["33.76.02.1002", "33.76.01.1005"]  # Anak Dua, Anak Satu
        assert report.extra["region_choices"] == {"TEGAL": ["Kota Tegal (33.76)"]}
        assert not {"region_not_found", "region_ambiguous"} & codes(report)

    def test_tegal_with_a_kecamatan_of_the_kabupaten_lands_in_kabupaten_tegal(
        self, db: Session, tmp_path: Path
    ) -> None:
        row = place(
            Prov="JAWA TENGAH",
            **{"Kab/Kota": "TEGAL", "Kec": "MARGASARI", "Desa/Kel": "PRUPUK SELATAN"},
        )
        report = run(db, write_csv(tmp_path / "kab.csv", EPPGBM_HEADER, [row]))
        assert db.scalars(select(Person.desa_code)).one() == "33.28.01.2001"
        assert report.extra["region_choices"] == {"TEGAL": ["Kabupaten Tegal (33.28)"]}

    def test_bekasi_without_a_province_column_is_decided_by_the_kecamatan(
        self, db: Session, tmp_path: Path
    ) -> None:
        header = [h for h in EPPGBM_HEADER if h != "Prov"]
        row = place(
            **{"Kab/Kota": "BEKASI", "Kec": "BEKASI TIMUR", "Desa/Kel": "BEKASIJAYA"}
        )
        run(db, write_csv(tmp_path / "bekasi.csv", header, [row]))
        assert db.scalars(select(Person.desa_code)).one() == "32.75.01.1001"

    @pytest.mark.parametrize("kab", ["KOTABARU", "KOTA BARU", "Kab. Kota Baru"])
    def test_kotabaru_written_apart_or_together_is_kabupaten_kotabaru(
        self, db: Session, tmp_path: Path, kab: str
    ) -> None:
        row = place(
            Prov="KALIMANTAN SELATAN",
            **{"Kab/Kota": kab, "Kec": "PULAU LAUT UTARA", "Desa/Kel": "KOTABARU HULU"},
        )
        report = run(db, write_csv(tmp_path / "kb.csv", EPPGBM_HEADER, [row]))
        assert db.scalars(select(Person.desa_code)).one() == "63.02.06.1001"
        assert not {"region_not_found", "region_fuzzy"} & codes(report)

    def test_a_name_the_hierarchy_cannot_decide_is_an_issue_on_the_row(
        self, db: Session, tmp_path: Path
    ) -> None:
        row = place(
            Prov="JAWA TENGAH", **{"Kab/Kota": "TEGAL", "Kec": "", "Desa/Kel": ""}
        )
        report = run(db, write_csv(tmp_path / "t.csv", EPPGBM_HEADER, [row]))
        issue = next(i for i in report.issues if i.code == "region_ambiguous")
        assert (issue.column, issue.severity) == ("Kab/Kota", Severity.warning)
        assert "Kabupaten Tegal (33.28)" in issue.message_en

    def test_an_unknown_kecamatan_is_an_issue_on_its_column_not_a_silent_blank(
        self, db: Session, tmp_path: Path
    ) -> None:
        row = place(
            Prov="JAWA TENGAH",
            **{"Kab/Kota": "KOTA TEGAL", "Kec": "ENTAH DIMANA", "Desa/Kel": "KRATON"},
        )
        report = run(db, write_csv(tmp_path / "u.csv", EPPGBM_HEADER, [row]))
        issue = next(i for i in report.issues if i.code == "region_not_found")
        assert (issue.column, issue.value) == ("Kec", "ENTAH DIMANA")
        assert report.inserted == 1


# -------------------------------------------------------------- units and plausibility


def sized(name: str, weight: str = "3.1", length: str = "49") -> dict[str, str]:
    return place(Nama=name, **{"BB Lahir": weight, "TB Lahir": length})


class TestUnitsAndPlausibility:
    @pytest.mark.parametrize(
        ("written", "kg", "code"),
        [
            ("3300", 3.3, "birth_weight_grams"),
            ("2200", 2.2, "birth_weight_grams"),
            ("28", 2.8, "birth_weight_hectograms"),
            ("16", 1.6, "birth_weight_hectograms"),
            ("2.9", 2.9, None),
            ("350", None, "birth_weight_implausible"),
        ],
    )
    def test_birth_weight_in_grams_or_hectograms_is_read_as_kg_and_reported(
        self,
        db: Session,
        tmp_path: Path,
        written: str,
        kg: float | None,
        code: str | None,
    ) -> None:
        report = run(
            db, write_csv(tmp_path / "bw.csv", EPPGBM_HEADER, [sized("Bw", written)])
        )
        stored = db.scalars(
            select(Person.birth_weight_kg).where(Person.name == "Anak Bw")
        ).one()
        assert stored == (None if kg is None else pytest.approx(kg))
        found = {i.code for i in report.issues if i.column == "BB Lahir"}
        assert found == ({code} if code else set())
        assert report.inserted == 1

    @pytest.mark.parametrize(
        ("written", "code"),
        [
            ("4.9", "birth_length_dm"),
            ("4,900", "birth_length_dm"),  # a decimal comma: 4.9 dm
            ("490", "birth_length_mm"),
            ("4900", "birth_length_decimal_lost"),
            ("49", None),
        ],
    )
    def test_birth_length_in_mm_or_dm_is_read_as_cm_and_reported(
        self, db: Session, tmp_path: Path, written: str, code: str | None
    ) -> None:
        report = run(
            db,
            write_csv(
                tmp_path / "bl.csv", EPPGBM_HEADER, [sized("Bl", length=written)]
            ),
        )
        stored = db.scalars(
            select(Person.birth_length_cm).where(Person.name == "Anak Bl")
        ).one()
        assert stored == pytest.approx(49.0)
        found = {i.code for i in report.issues if i.column == "TB Lahir"}
        assert found == ({code} if code else set())

    def test_negative_weight_and_muac_are_reported_and_not_stored(
        self, db: Session, tmp_path: Path
    ) -> None:
        row = place(Nama="Neg", Berat="-5", LiLA="-1")
        report = run(db, write_csv(tmp_path / "neg.csv", EPPGBM_HEADER, [row]))
        m = db.scalars(select(Measurement)).one()
        assert (m.weight_kg, m.muac_cm, m.lenhei_cm) == (
            None,
            None,
            pytest.approx(76.5),
        )
        neg = {(i.column, i.value) for i in report.issues if i.code == "negative_value"}
        assert neg == {("Berat", "-5"), ("LiLA", "-1")}

    def test_age_of_60_months_or_more_and_measuring_on_the_birth_date_are_reported(
        self, db: Session, tmp_path: Path
    ) -> None:
        rows = [
            # 60 months and 14 days: still scored by anthro, outside the under-five standard
            place(
                Nama="Lima",
                **{"Tgl Lahir": "01/01/2019", "Tanggal Pengukuran": "15/01/2024"},
            ),
            place(
                Nama="Baru",
                **{"Tgl Lahir": "01/06/2024", "Tanggal Pengukuran": "01/06/2024"},
                Berat="3.2",
                Tinggi="49",
            ),
        ]
        report = run(db, write_csv(tmp_path / "age.csv", EPPGBM_HEADER, rows))
        found = {
            (i.row, i.code) for i in report.issues if i.column == "Tanggal Pengukuran"
        }
        assert found == {(2, "age_over_60_months"), (3, "measured_on_birth_date")}
        assert report.inserted == 2

    def test_an_overlong_name_is_cut_and_the_cut_is_reported(
        self, db: Session, tmp_path: Path
    ) -> None:
        row = place(Nama="X" * 100_000)
        report = run(db, write_csv(tmp_path / "long.csv", EPPGBM_HEADER, [row]))
        cut = next(i for i in report.issues if i.code == "text_cut")
        assert (cut.row, cut.column, cut.value) == (2, "Nama", "100005 → 160")
        assert (
            len(
                db.scalars(select(Person.name).where(Person.name.like("Anak X%"))).one()
            )
            == 160
        )


# ---------------------------------------------------------------- what the export says


def test_the_exports_z_scores_labels_and_growth_flag_are_kept_under_real_headers(
    db: Session, tmp_path: Path
) -> None:
    rename = {
        "ZS BB/U": "z-core bb/u",
        "ZS TB/U": "z-core tb/u",
        "ZS BB/TB": "z-core bb/tb",
        "BB/U": "Status BB/U",
    }
    header = [rename.get(h, h) for h in EPPGBM_HEADER]
    row = eppgbm_row(**{"Naik Berat Badan": "T"})
    for old, new in rename.items():
        row[new] = row.pop(old)
    run(db, write_csv(tmp_path / "z.csv", header, [row]))
    m = db.scalars(select(Measurement)).one()
    assert (m.src_zwei, m.src_zlen, m.src_zwfl) == (-0.5, -1.2, 0.1)
    assert (m.src_cat_bbu, m.src_weight_gain) == ("Berat Badan Normal", "T")


def test_a_second_import_writes_nothing_at_all(db: Session, tmp_path: Path) -> None:
    """Not only the counts: no INSERT or UPDATE reaches the database on a re-import."""
    from sqlalchemy import event

    rows = [*three_boys(), eppgbm_row(), *nameless_visits()[:1]]
    path = write_csv(tmp_path / "all.csv", EPPGBM_HEADER, rows)
    run(db, path)
    writes: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        verb = statement.lstrip().split(" ", 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "COPY") and "quarantine" not in statement:
            writes.append(statement[:60])

    bind = db.connection()
    event.listen(bind, "before_cursor_execute", seen)
    try:
        again = run(db, path)
    finally:
        event.remove(bind, "before_cursor_execute", seen)
    assert (again.inserted, again.updated) == (0, 0)
    assert writes == []
