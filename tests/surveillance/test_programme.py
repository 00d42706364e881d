"""Importing programme aggregates: good rows kept, bad rows named, re-imports change nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tumbuh.errors import ImportFileError
from tumbuh.register.regions import master_codes
from tumbuh.surveillance import programme
from tumbuh.surveillance.models import ProgrammeAggregate
from tumbuh.tabular.issues import ImportReport

HEADER = "kode,kode_wilayah,tahun,pembilang,penyebut,sumber\n"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples/programme_aggregates.csv"
TODAY = dt.date(2026, 6, 1)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(session: Session, path: Path) -> ImportReport:
    return programme.import_file(
        session, path=path, known_regions=master_codes(), today=TODAY
    )


def stored(session: Session) -> dict[tuple[str, str, int], tuple[int | None, int]]:
    rows = session.scalars(select(ProgrammeAggregate))
    return {(r.code, r.region_code, r.year): (r.numerator, r.denominator) for r in rows}


class TestImportFile:
    def test_imports_the_example_then_a_second_run_changes_nothing(
        self, session: Session
    ) -> None:
        first = run(session, EXAMPLE)
        assert (first.read, first.inserted, first.rejected) == (13, 13, 0)
        before = stored(session)
        assert before[("kua_marriages", "64.72.01.1001", 2025)] == (None, 118)
        assert before[("pemahaman_stunting", "64.72", 2025)] == (312, 480)
        second = run(session, EXAMPLE)
        assert (second.inserted, second.updated, second.unchanged) == (0, 0, 13)
        assert stored(session) == before
        n = session.scalar(select(func.count()).select_from(ProgrammeAggregate))
        assert n == 13

    def test_a_changed_count_updates_the_row_in_place(
        self, session: Session, tmp_path: Path
    ) -> None:
        run(
            session,
            write(tmp_path, "a.csv", HEADER + "kua_marriages,64.71,2025,,400,KUA\n"),
        )
        again = run(
            session,
            write(tmp_path, "b.csv", HEADER + "kua_marriages,64.71,2025,,410,KUA\n"),
        )
        assert (again.inserted, again.updated) == (0, 1)
        assert stored(session) == {("kua_marriages", "64.71", 2025): (None, 410)}

    def test_bad_rows_are_named_and_the_good_ones_kept(
        self, session: Session, tmp_path: Path
    ) -> None:
        body = (
            "desa_odf,64.72.01.1001,2025,1,1,STBM\n"  # row 2: good
            "odf,64.72.01.1002,2025,1,1,STBM\n"  # 3: unknown code
            "desa_odf,64.99.99.9999,2025,1,1,STBM\n"  # 4: no such region
            "pemahaman_stunting,64.72,1925,3,10,survei\n"  # 5: year
            "pemahaman_stunting,64.72,2025,-3,10,survei\n"  # 6: negative
            "pemahaman_stunting,64.71,2025,12,10,survei\n"  # 7: num > den
            "kua_marriages,64.71,2025,5,100,KUA\n"  # 8: numerator on a count
            "pemahaman_stunting,64.74,2025,,10,survei\n"  # 9: numerator missing
            "kua_marriages,64.72,2025,,12.5,KUA\n"  # 10: not whole
            "desa_odf,64.72.01.1003,2025,1,3,STBM\n"  # 11: a desa is one desa
            "desa_odf,64.72.01.1001,2025,1,1,STBM\n"  # 12: duplicate of row 2
        )
        report = run(session, write(tmp_path, "mixed.csv", HEADER + body))
        assert (report.read, report.inserted, report.rejected) == (11, 1, 10)
        found = {(i.row, i.column, i.code) for i in report.issues}
        assert found == {
            (3, "kode", "unknown_aggregate"),
            (4, "kode_wilayah", "region_not_found"),
            (5, "tahun", "invalid_year"),
            (6, "pembilang", "negative_count"),
            (7, "pembilang", "numerator_exceeds_denominator"),
            (8, "pembilang", "unexpected_numerator"),
            (9, "pembilang", "missing_value"),
            (10, "penyebut", "invalid_count"),
            (11, "penyebut", "odf_desa_not_one"),
            (12, None, "duplicate_row"),
        }
        for issue in report.issues:
            assert issue.file == "mixed.csv"
            assert issue.message_id
            assert issue.message_en
            assert issue.message_id != issue.message_en
        assert stored(session) == {("desa_odf", "64.72.01.1001", 2025): (1, 1)}

    def test_counts_are_read_as_their_declared_column_says(
        self, session: Session, tmp_path: Path
    ) -> None:
        body = (
            'kua_marriages,64.71,2025,,"1.234",KUA\n'  # a thousand and more
            'kua_marriages,64.72,2025,,"2 345",KUA\n'  # a space groups thousands
            "kua_marriages,64.74,2025,,-,KUA\n"  # not a count
            'kua_marriages,64.01,2025,,"7,5",KUA\n'  # not whole
        )
        report = run(session, write(tmp_path, "counts.csv", HEADER + body))
        assert (report.inserted, report.rejected) == (2, 2)
        assert {(i.row, i.code, i.value) for i in report.issues} == {
            (4, "invalid_count", "-"),
            (5, "invalid_count", "7,5"),
        }
        assert stored(session) == {
            ("kua_marriages", "64.71", 2025): (None, 1234),
            ("kua_marriages", "64.72", 2025): (None, 2345),
        }

    def test_a_year_not_yet_begun_is_refused(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write(tmp_path, "f.csv", HEADER + "kua_marriages,64.71,2027,,400,KUA\n")
        report = run(session, path)
        assert [i.code for i in report.issues] == ["invalid_year"]
        assert "2000-2026" in report.issues[0].message_en

    def test_english_headers_and_an_xlsx_file_are_read(
        self, session: Session, tmp_path: Path
    ) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(
            ["code", "region_code", "year", "numerator", "denominator", "source"]
        )
        sheet.append(["kehamilan_tidak_diinginkan", "64", 2025, 1830, 14200, "PK"])
        path = tmp_path / "agg.xlsx"
        book.save(path)
        report = run(session, path)
        assert (report.inserted, report.rejected) == (1, 0)
        assert stored(session) == {
            ("kehamilan_tidak_diinginkan", "64", 2025): (1830, 14200)
        }

    def test_a_file_without_the_required_columns_stops_naming_them(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write(
            tmp_path, "short.csv", "kode,tahun,penyebut\nkua_marriages,2025,3\n"
        )
        with pytest.raises(ImportFileError, match="short.csv.*kode_wilayah"):
            run(session, path)


def test_the_header_tells_a_programme_file_from_the_others() -> None:
    assert programme.is_programme_header(["Kode", "Kode Wilayah", "Tahun", "Penyebut"])
    assert programme.is_programme_header(["code", "denominator"])
    assert not programme.is_programme_header(["region_code", "value_pct"])
