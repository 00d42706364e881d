"""Importing published figures and targets: idempotent, conflicting values kept, bad rows named."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tumbuh.errors import ImportFileError, InvalidInput
from tumbuh.surveillance import service
from tumbuh.surveillance.models import FigureKind, PublishedFigure, Target

HEADER = (
    "region_code,region_name,year,source,kind,indicator,value_pct,ci_low,ci_high,n,"
    "confidence,citation,note\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count(session: Session, model: type[PublishedFigure] | type[Target]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


class TestImportFigures:
    def test_imports_the_packaged_file_once_and_changes_nothing_the_second_time(
        self, session: Session
    ) -> None:
        first = service.import_file(session, path=service.PACKAGED_FIGURES)
        assert (first.read, first.inserted, first.rejected) == (70, 70, 0)
        second = service.import_file(session, path=service.PACKAGED_FIGURES)
        assert (second.inserted, second.updated, second.unchanged) == (0, 0, 70)
        assert count(session, PublishedFigure) == 70

    def test_keeps_conflicting_values_of_one_survey_as_separate_rows(
        self, session: Session
    ) -> None:
        service.import_file(session, path=service.PACKAGED_FIGURES)
        kukar = session.scalars(
            select(PublishedFigure)
            .where(PublishedFigure.region_code == "64.02", PublishedFigure.year == 2024)
            .order_by(PublishedFigure.value_pct)
        ).all()
        assert [(f.value_pct, f.confidence) for f in kukar] == [
            (14.2, "primary"),
            (14.3, "alternative"),
        ]

    def test_rejects_bad_rows_with_reasons_and_keeps_the_good_ones(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write(
            tmp_path,
            "bad.csv",
            HEADER
            + "64.71,Kota Balikpapan,20x4,SSGI,survey,stunting,24.6,,,,primary,c,\n"
            + "64.71,Kota Balikpapan,2024,SSGI,survey,stunting,124.6,,,,primary,c,\n"
            + "64.71,Kota Balikpapan,2024,SSGI,census,stunting,24.6,,,,primary,c,\n"
            + '64.71,Kota Balikpapan,2024,SSGI,survey,stunting,"24,6",,,,primary,c,\n'
            + "64.1,Kabupaten X,2024,SSGI,survey,stunting,20,,,,primary,c,\n"
            + "64.72,Kota Samarinda,2024,SSGI,survey,stunting,20.3,21,25,,primary,c,\n",
        )
        report = service.import_file(session, path=path)
        assert (report.read, report.inserted, report.rejected) == (6, 1, 5)
        where = [(i.file, i.row, i.column, i.code) for i in report.issues]
        assert where == [
            ("bad.csv", 2, "year", "invalid_year"),
            ("bad.csv", 3, "value_pct", "out_of_range"),
            ("bad.csv", 4, "kind", "unknown_kind"),
            ("bad.csv", 6, "region_code", "invalid_region_code"),
            ("bad.csv", 7, "ci_low", "inconsistent_ci"),
        ]
        assert all(i.message_id and i.message_en for i in report.issues)
        stored = session.scalars(select(PublishedFigure)).one()
        assert (stored.region_code, stored.value_pct) == ("64.71", 24.6)

    def test_reads_percent_signs_and_counts_as_the_columns_declare(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write(
            tmp_path,
            "pct.csv",
            HEADER
            + '64.71,Kota Balikpapan,2024,SSGI,survey,stunting,"24,6 %",20,"29,1%",'
            + '"1.234",primary,c,\n'
            + "64.72,Kota Samarinda,2024,SSGI,survey,stunting,-,,,,primary,c,\n"
            + "64.74,Kota Bontang,2024,SSGI,survey,stunting,20,,,2.5,primary,c,\n",
        )
        report = service.import_file(session, path=path)
        assert (report.inserted, report.rejected) == (1, 2)
        assert [(i.row, i.column, i.code) for i in report.issues] == [
            (3, "value_pct", "invalid_number"),
            (4, "n", "invalid_count"),
        ]
        stored = session.scalars(select(PublishedFigure)).one()
        assert (stored.value_pct, stored.ci_low, stored.ci_high, stored.n) == (
            24.6,
            20.0,
            29.1,
            1234,
        )

    def test_updates_a_row_whose_note_changed(
        self, session: Session, tmp_path: Path
    ) -> None:
        row = (
            "64.74,Kota Bontang,2024,SSGI,survey,stunting,20.7,,,,primary,cite,{note}\n"
        )
        first = write(tmp_path, "a.csv", HEADER + row.format(note="old"))
        second = write(tmp_path, "b.csv", HEADER + row.format(note="new"))
        service.import_file(session, path=first)
        report = service.import_file(session, path=second)
        assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
        assert session.scalars(select(PublishedFigure.note)).one() == "new"

    def test_skips_a_repeated_row_in_one_file(
        self, session: Session, tmp_path: Path
    ) -> None:
        row = "64.74,Kota Bontang,2024,SSGI,survey,stunting,20.7,,,,primary,cite,\n"
        report = service.import_file(
            session, path=write(tmp_path, "dup.csv", HEADER + row + row)
        )
        assert (report.inserted, report.rejected) == (1, 1)
        assert report.issues[0].code == "duplicate_row"
        assert "row 2" in report.issues[0].message_en

    def test_reads_an_xlsx_file(self, session: Session, tmp_path: Path) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(HEADER.strip().split(","))
        sheet.append(
            ["64.09", "Kab PPU", 2024, "SSGI", "survey", "stunting", 32.0]
            + [None, None, None, "primary", "cite", None]
        )
        path = tmp_path / "figures.xlsx"
        book.save(path)
        report = service.import_file(session, path=path)
        assert (report.inserted, report.rejected) == (1, 0)
        stored = session.scalars(select(PublishedFigure)).one()
        assert (stored.year, stored.value_pct) == (2024, 32.0)

    def test_refuses_a_file_of_neither_layout_naming_it(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write(tmp_path, "other.csv", "a,b\n1,2\n")
        with pytest.raises(ImportFileError, match=r"other\.csv: neither"):
            service.import_file(session, path=path)

    def test_refuses_a_figures_file_missing_a_required_column(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write(tmp_path, "short.csv", "region_code,value_pct\n64,20\n")
        with pytest.raises(ImportFileError, match="missing column"):
            service.import_file(session, path=path)


class TestImportTargets:
    def test_loads_the_packaged_targets_once(self, session: Session) -> None:
        report = service.ensure_targets(session)
        assert report is not None
        assert (report.read, report.inserted, report.rejected) == (44, 44, 0)
        assert service.ensure_targets(session) is None
        ranged = session.scalars(
            select(Target).where(Target.target_value_text == "17-18")
        ).one()
        assert (ranged.target_value, ranged.year_from, ranged.year_to) == (
            None,
            2023,
            2023,
        )

    def test_picks_the_rpjmn_target_where_a_year_has_several(
        self, session: Session
    ) -> None:
        service.ensure_targets(session)
        refs = {t.year: t.value_pct for t in service.national_stunting_targets(session)}
        assert (refs[2024], refs[2025], refs[2029]) == (14.0, 18.8, 14.2)

    def test_rejects_a_target_that_is_not_a_number(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write(
            tmp_path,
            "t.csv",
            "scope,region_code,indicator,target_value,unit,target_year,basis\n"
            "national,ID,Prevalence of stunting,abc,%,2024,x\n"
            "galaxy,ID,Prevalence of stunting,14,%,2024,x\n"
            "national,ID,Prevalence of stunting,14,%,20-24,x\n",
        )
        report = service.import_file(session, path=path)
        assert report.rejected == 3
        assert [i.code for i in report.issues] == [
            "invalid_number",
            "unknown_scope",
            "invalid_year",
        ]


class TestEarlyWarning:
    def test_refuses_survey_levels_below_kabkota(self, session: Session) -> None:
        with pytest.raises(InvalidInput, match="down to kab/kota"):
            service.early_warning(session, level="desa")

    def test_refuses_an_unknown_period_for_routine_series(
        self, session: Session
    ) -> None:
        with pytest.raises(InvalidInput, match="unknown period 'week'"):
            service.early_warning(
                session, kind=FigureKind.routine, level="desa", period="week"
            )

    def test_asks_for_an_import_when_nothing_is_stored(self, session: Session) -> None:
        with pytest.raises(InvalidInput, match="import aggregates"):
            service.early_warning(session)

    def test_averages_two_primary_routine_figures_and_says_so(
        self, session: Session
    ) -> None:
        service.import_file(session, path=service.PACKAGED_FIGURES)
        service.ensure_targets(session)
        report = service.early_warning(session, kind=FigureKind.routine, year=2024)
        bpp = next(i for i in report.items if i.region_code == "64.71")
        assert bpp.latest_value == pytest.approx((12.4 + 14.68) / 2)
        assert any("12.4 % and 14.68 %" in r for r in bpp.reasons("en"))
        assert bpp.below_national is None  # no national routine figure
