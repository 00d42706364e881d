"""The gap list of a desa as Excel: opens (LibreOffice when installed, else openpyxl) and lists
each family at risk with its missing interventions and the responsible office."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.orm import Session
from tests.interventions.builders import DESA_1, PERIOD, World

from tumbuh.errors import InvalidInput
from tumbuh.interventions import service
from tumbuh.interventions.export import FAMILY_HEADERS, sheet_name, write_gaps_xlsx

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _expected(session: Session) -> dict[str, tuple[set[str], set[str]]]:
    """No KK -> (missing intervention names, offices), from the convergence result."""
    conv = service.convergence_report(session, region=DESA_1, period=PERIOD)
    out: dict[str, tuple[set[str], set[str]]] = {
        str(kk): (set(), set()) for kk in conv.families["no_kk"]
    }
    for rec in conv.missing.to_dict(orient="records"):
        who = f" ({rec['person_name']})" if rec["person_name"] else ""
        out[rec["no_kk"]][0].add(f"{rec['name_id']}{who}")
        out[rec["no_kk"]][1].add(rec["sector"])
    return out


def _check_rows(
    rows: list[list[str]], expected: dict[str, tuple[set[str], set[str]]]
) -> None:
    assert tuple(rows[0]) == FAMILY_HEADERS
    body = rows[1:]
    assert {r[2] for r in body} == set(expected)  # every family at risk, once
    assert len(body) == len(expected)
    for r in body:
        names, offices = expected[r[2]]
        assert set(filter(None, r[7].split("; "))) == names
        assert set(filter(None, r[8].split("; "))) == offices
        assert r[0] == DESA_1
        assert r[3]  # the head's name


class TestSheetName:
    @pytest.mark.parametrize(
        ("sector", "expected"),
        [
            ("Dinkes", "Dinkes"),
            ("PUPR/Perkim", "PUPR-Perkim"),
            ("a[b]:c*?", "a-b--c--"),
        ],
    )
    def test_sector_names_become_valid_sheet_names(
        self, sector: str, expected: str
    ) -> None:
        assert sheet_name(sector, set()) == expected

    def test_long_and_repeated_names_stay_unique_and_short(self) -> None:
        taken: set[str] = set()
        names = [sheet_name("x" * 40, taken) for _ in range(3)]
        assert len(set(names)) == 3
        assert all(len(n) <= 31 for n in names)


class TestGapWorkbook:
    def test_reread_with_openpyxl_lists_families_missing_items_and_offices(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        conv = service.convergence_report(session, region=DESA_1, period=PERIOD)
        path = tmp_path / "gaps.xlsx"
        write_gaps_xlsx(conv, path)
        book = openpyxl.load_workbook(path, read_only=True)
        offices = sorted(set(conv.missing["sector"]))
        assert book.sheetnames == ["keluarga", "gaps"] + [
            o.replace("/", "-") for o in offices
        ] + ["desa"]
        for office in offices:
            sheet = book[office.replace("/", "-")]
            assert sheet.max_row - 1 == int((conv.missing["sector"] == office).sum())
        rows = [
            ["" if c is None else str(c) for c in row]
            for row in book["keluarga"].iter_rows(values_only=True)
        ]
        _check_rows(rows, _expected(session))
        gaps = list(book["gaps"].iter_rows(values_only=True))
        assert len(gaps) == len(conv.missing) + 1
        assert {g[0] for g in gaps[1:]} == set(conv.missing["sector"])
        book.close()

    @pytest.mark.skipif(
        SOFFICE is None and os.environ.get("TUMBUH_REQUIRE_LIBREOFFICE") != "1",
        reason="LibreOffice (soffice) not on PATH: the openpyxl re-read test checks the content",
    )
    def test_libreoffice_opens_it_and_reads_the_same_rows(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        # In CI (TUMBUH_REQUIRE_LIBREOFFICE=1, .ci/run installs it) a missing soffice fails here.
        assert SOFFICE is not None, "LibreOffice (soffice) is required but not on PATH"
        conv = service.convergence_report(session, region=DESA_1, period=PERIOD)
        path = tmp_path / "gaps.xlsx"
        write_gaps_xlsx(conv, path)
        subprocess.run(
            [
                SOFFICE,
                "--headless",
                f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76,1",
                "--outdir",
                str(tmp_path / "out"),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        with (tmp_path / "out" / "gaps.csv").open(encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        _check_rows(rows, _expected(session))

    def test_a_name_that_looks_like_a_formula_stays_text(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        from tumbuh.register.models import Person

        head = session.get(Person, world.ids["a_head"])
        assert head is not None
        head.name = '=HYPERLINK("http://x")'
        session.flush()
        conv = service.convergence_report(session, region=DESA_1, period=PERIOD)
        path = tmp_path / "gaps.xlsx"
        write_gaps_xlsx(conv, path)
        book = openpyxl.load_workbook(path)
        cells = [c for row in book["keluarga"].iter_rows() for c in row]
        assert any(c.value == head.name and c.data_type == "s" for c in cells)
        assert not any(
            c.data_type == "f" for s in book for row in s.iter_rows() for c in row
        )

    def test_only_xlsx_is_written(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        conv = service.convergence_report(session, region=DESA_1, period=PERIOD)
        with pytest.raises(InvalidInput, match="xlsx"):
            write_gaps_xlsx(conv, tmp_path / "gaps.csv")
