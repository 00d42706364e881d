"""Issue 15: the coordination meeting's pack, opened and read, not only written.

A synthetic province (2024-2025) imported the way a team would; a meeting with actions
recorded (baseline 2024); `tumbuh report rakor` for the province and a kab/kota. The PDF's
text, the slides (python-pptx) and the workbook (openpyxl) are checked for content; the
workbook's indicator items equal `tumbuh indicators --json --public`; the public pack holds
no 16-digit number and no child's name.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from tumbuh.accounts import service as accounts
from tumbuh.accounts.models import AuditEvent
from tumbuh.cli import app
from tumbuh.cli.synth import import_into_db
from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.errors import InvalidInput
from tumbuh.register.master import children_of
from tumbuh.register.models import Measurement, Person
from tumbuh.synth import SynthConfig, synthesize

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'is_flag' and 'flag_value' parameters:DeprecationWarning"
)
CHILDREN = 300
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> str:
    synth = synthesize(
        SynthConfig(children=CHILDREN, first_year=2024, last_year=2025, seed=15),
        tmp_path_factory.mktemp("synth15"),
        "csv",
    )
    url = f"sqlite:///{tmp_path_factory.mktemp('p15') / 'p.db'}"
    import_into_db(synth, url)
    return url


@pytest.fixture(scope="module")
def meeting(province: str) -> dict[str, Any]:
    """A meeting of the province with one action for PPU, baseline over 2024."""
    out = invoke(
        "--lang", "en", "meeting", "create", "--region", "64", "--date", "2025-11-18",
        "--title", "Rakor TPPS Kaltim", "--db", province,
    )  # fmt: skip
    mid = re.search(r"meeting (\d+)", out.stdout)
    assert mid is not None
    action = invoke(
        "meeting", "action", "--meeting", mid.group(1), "--title",
        "Turunkan stunting di PPU", "--office", "Dinkes", "--region", "64.09",
        "--indicator", "stunting_routine", "--target", "20", "--due", "2026-06-30",
        "--period", "2024", "--db", province,
    )  # fmt: skip
    return dict(json.loads(action.stdout))


@pytest.fixture(scope="module")
def pack64(
    province: str, meeting: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("rakor64")
    invoke("report", "rakor", "--region", "64", "--period", "2025", "-o", str(out),
           "--db", province)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def pack6409(
    province: str, meeting: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("rakor6409")
    invoke("report", "rakor", "--region", "64.09", "--period", "2025", "-o", str(out),
           "--db", province)  # fmt: skip
    return out


def pdf_pages(path: Path) -> list[str]:
    return [p.extract_text() for p in PdfReader(path).pages]


def flat(text: str) -> str:
    """Table cells wrap inside words' spaces: compare on single-spaced text."""
    return " ".join(text.split())


def slide_texts(path: Path) -> list[str]:
    out = []
    for slide in Presentation(str(path)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [c.text for row in shape.table.rows for c in row.cells]
        out.append("\n".join(parts))
    return out


def workbook_cells(path: Path) -> list[Any]:
    book = load_workbook(path, read_only=True)
    cells = [
        v
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
    ]
    book.close()
    return cells


def sheet_records(path: Path, sheet: str) -> list[dict[str, Any]]:
    book = load_workbook(path, read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    book.close()
    head = [str(h) for h in rows[0]]
    return [dict(zip(head, r, strict=True)) for r in rows[1:]]


class TestProvincePack:
    def test_writes_the_three_files_named_by_region_and_period(
        self, pack64: Path
    ) -> None:
        names = sorted(p.name for p in pack64.iterdir())
        assert names == [
            "rakor-64-2025.pdf",
            "rakor-64-2025.pptx",
            "rakor-64-2025.xlsx",
        ]

    def test_every_page_names_region_period_date_and_page_number(
        self, pack64: Path
    ) -> None:
        pages = pdf_pages(pack64 / "rakor-64-2025.pdf")
        assert len(pages) >= 8
        for n, text in enumerate(pages, start=1):
            assert "Kalimantan Timur (64)" in text
            assert "Periode 2025" in text
            assert re.search(r"Dibuat \d{4}-\d{2}-\d{2}", text)
            assert f"Halaman {n} dari {len(pages)}" in text

    def test_the_pdf_names_every_kabkota_with_its_status(self, pack64: Path) -> None:
        text = flat("\n".join(pdf_pages(pack64 / "rakor-64-2025.pdf")))
        status = text[text.rindex("3. Status per wilayah") :]
        status = status[: status.index("4. Survei")]
        words = "naik|stagnan|turun|sesuai target|data kurang|tidak ada data"
        for region in children_of("64"):
            assert re.search(rf"{re.escape(region.name)} ({words})", status), (
                region.name
            )

    def test_sections_come_in_the_order_a_chair_speaks(self, pack64: Path) -> None:
        text = flat("\n".join(pdf_pages(pack64 / "rakor-64-2025.pdf")))
        body = text[text.index("1. Angka utama", text.index("10. Tindak") + 5) :]
        heads = ["1. Angka utama", "2. Peta wilayah", "3. Status per wilayah",
                 "4. Survei, data rutin", "5. Titik rawan", "6. Keluarga berisiko",
                 "7. Kartu skor", "8. Kesenjangan", "9. Kualitas data",
                 "10. Tindak lanjut"]  # fmt: skip
        at = [body.index(h) for h in heads]
        assert at == sorted(at)

    def test_the_slides_open_with_one_message_each(self, pack64: Path) -> None:
        prs = Presentation(str(pack64 / "rakor-64-2025.pptx"))
        assert len(prs.slides) >= 8
        titles = [s.shapes.title.text for s in prs.slides]
        assert all(t.strip() for t in titles)
        assert len(set(titles)) == len(titles)
        texts = "\n".join(slide_texts(pack64 / "rakor-64-2025.pptx"))
        assert "Kota Balikpapan" in texts
        assert any(
            s.shapes[i].shape_type == 13
            for s in prs.slides
            for i in range(len(s.shapes))
        )  # the map picture

    def test_the_workbook_items_equal_tumbuh_indicators_json(
        self, pack64: Path, province: str
    ) -> None:
        book = pack64 / "rakor-64-2025.xlsx"
        for sheet, level in (("indikator", None), ("indikator_kabkota", "kabkota")):
            args = ["indicators", "--region", "64", "--period", "2025", "--json",
                    "--public", "--db", province]  # fmt: skip
            if level:
                args += ["--level", level]
            expected = json.loads(invoke(*args).stdout)["items"]
            got = sheet_records(book, sheet)
            assert len(got) == len(expected) > 0
            for g, e in zip(got, expected, strict=True):
                for key, value in e.items():
                    if isinstance(value, float):
                        assert g[key] == pytest.approx(value, rel=1e-12), (key, e)
                    elif isinstance(value, bool):
                        assert bool(g[key]) is value
                    else:
                        assert g[key] == value, (key, e)

    def test_the_workbook_holds_every_table_of_the_pack(self, pack64: Path) -> None:
        book = load_workbook(pack64 / "rakor-64-2025.xlsx", read_only=True)
        names = set(book.sheetnames)
        book.close()
        assert {"headline", "map", "status", "sources", "hotspots", "krs_factors",
                "krs_where", "scorecard", "gaps", "quality_desa", "actions"} <= names  # fmt: skip


class TestPrivacy:
    def test_the_public_pack_holds_no_16_digit_number_and_no_child_name(
        self, pack64: Path, pack6409: Path, province: str
    ) -> None:
        eng = make_engine(province)
        try:
            with unit_of_work(eng) as session:
                names = {
                    str(n)
                    for n in session.scalars(
                        select(Person.name)
                        .join(Measurement, Measurement.person_id == Person.id)
                        .distinct()
                    )
                    if n and len(str(n).split()) >= 2
                }
        finally:
            eng.dispose()
        assert len(names) > 100
        for folder in (pack64, pack6409):
            stem = f"rakor-{'64' if folder == pack64 else '64.09'}-2025"
            texts = [
                flat("\n".join(pdf_pages(folder / f"{stem}.pdf"))),
                "\n".join(slide_texts(folder / f"{stem}.pptx")),
                "\n".join(str(c) for c in workbook_cells(folder / f"{stem}.xlsx")),
            ]
            for text in texts:
                assert not SIXTEEN_DIGITS.search(text.replace(".", "").replace(" ", ""))
                assert not [n for n in names if n in text]
            status = sheet_records_at(folder / f"{stem}.xlsx", "status")
            for row in status:
                # "3 dari 12 balita pendek" would give a small count away.
                assert not re.search(r"(?<![\d.,])[1-4] dari \d", str(row[4])), row

    def test_a_small_count_hides_its_percentage_too(self, pack6409: Path) -> None:
        rows = sheet_records(pack6409 / "rakor-64.09-2025.xlsx", "indikator_kecamatan")
        hidden = [r for r in rows if r["suppressed"]]
        assert hidden, "a kecamatan of a 300-child province has small cells"
        for r in hidden:
            assert r["value"] is None
            assert r["numerator"] is None

    def test_a_restricted_pack_needs_a_user_allowed_to_see_names(
        self, province: str, tmp_path: Path
    ) -> None:
        result = runner.invoke(
            app, ["report", "rakor", "--region", "64", "--audience", "restricted",
                  "-o", str(tmp_path), "--db", province],
        )  # fmt: skip
        assert result.exit_code != 0
        assert not list(tmp_path.iterdir())


class TestRestrictedPack:
    def test_the_annex_names_families_for_an_allowed_role_and_is_audited(
        self, province: str, tmp_path: Path
    ) -> None:
        eng = make_engine(province)
        try:
            with unit_of_work(eng) as session:
                accounts.create_user(
                    session, username="analis15", password="rahasia-12345",
                    role="province_analyst", region_code="64",
                )  # fmt: skip
        finally:
            eng.dispose()
        invoke("report", "rakor", "--region", "64.09", "--period", "2025",
               "--audience", "restricted", "--as", "analis15", "-o", str(tmp_path),
               "--db", province)  # fmt: skip
        text = flat("\n".join(pdf_pages(tmp_path / "rakor-64.09-2025.pdf")))
        assert "TERBATAS" in text
        assert "11. Lampiran terbatas" in text
        rows = sheet_records_at(tmp_path / "rakor-64.09-2025.xlsx", "annex")
        assert rows
        named = [str(r[2]) for r in rows if r[2]]
        assert named  # heads of family are named (where the register has the name)
        assert named[0] in text
        eng = make_engine(province)
        try:
            with unit_of_work(eng) as session:
                events = list(
                    session.scalars(
                        select(AuditEvent).where(
                            AuditEvent.object_type == "rakor_annex",
                            AuditEvent.username == "analis15",
                        )
                    )
                )
        finally:
            eng.dispose()
        assert len(events) == 1
        assert events[0].region_code == "64.09"


class TestKabkotaPackAndActions:
    def test_the_kabkota_pack_goes_one_level_down_to_kecamatan(
        self, pack6409: Path
    ) -> None:
        text = flat("\n".join(pdf_pages(pack6409 / "rakor-64.09-2025.pdf")))
        assert "Kabupaten Penajam Paser Utara (64.09)" in text
        for kec in children_of("64.09"):
            assert kec.name in text

    def test_an_action_of_the_last_meeting_shows_its_movement(
        self, pack6409: Path, province: str, meeting: dict[str, Any]
    ) -> None:
        now = json.loads(
            invoke("indicators", "--region", "64.09", "--period", "2025", "--json",
                   "--public", "--db", province).stdout
        )["items"]  # fmt: skip
        current = next(i["value"] for i in now if i["indicator"] == "stunting_routine")
        before = json.loads(
            invoke("indicators", "--region", "64.09", "--period", "2024", "--json",
                   "--db", province).stdout
        )["items"]  # fmt: skip
        base = next(i["value"] for i in before if i["indicator"] == "stunting_routine")
        assert meeting["baseline_value"] == pytest.approx(base)
        assert meeting["baseline_period"] == "2024"
        rows = sheet_records_at(pack6409 / "rakor-64.09-2025.xlsx", "actions")
        row = next(r for r in rows if r[1] == "Turunkan stunting di PPU")
        assert row[5] == pytest.approx(round(base, 1))
        assert row[6] == "2024"
        assert row[7] == pytest.approx(round(current, 1))
        assert row[8] == pytest.approx(round(current - base, 2))
        text = flat("\n".join(pdf_pages(pack6409 / "rakor-64.09-2025.pdf")))
        assert "Turunkan stunting di PPU" in text
        # Due 2026-06-30: overdue when the pack is made after that day.
        overdue = dt.date.today() > dt.date(2026, 6, 30)
        assert (row[11] == "TERLAMBAT") is overdue


def sheet_records_at(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    """Rows under the title and header lines of a pack table's sheet."""
    book = load_workbook(path, read_only=True)
    rows = [r for r in book[sheet].iter_rows(min_row=3, values_only=True) if r[0]]
    book.close()
    return rows


class TestEnglish:
    def test_the_english_pack_speaks_english_on_every_page(
        self, province: str, tmp_path: Path
    ) -> None:
        invoke("report", "rakor", "--region", "64.09", "--period", "2025", "--lang",
               "en", "-o", str(tmp_path), "--db", province)  # fmt: skip
        pages = pdf_pages(tmp_path / "rakor-64.09-2025.pdf")
        for n, text in enumerate(pages, start=1):
            assert f"Page {n} of {len(pages)}" in text
            assert "Period 2025" in text
            assert "Halaman" not in text
        text = flat("\n".join(pages))
        assert "3. Status per region" in text
        titles = [
            s.shapes.title.text
            for s in Presentation(str(tmp_path / "rakor-64.09-2025.pptx")).slides
        ]
        assert titles[0] == "TPPS coordination meeting pack"


class TestMeetingCommands:
    def test_an_unknown_indicator_is_refused_by_name(
        self, province: str, meeting: dict[str, Any]
    ) -> None:
        result = runner.invoke(
            app, ["meeting", "action", "--meeting", str(meeting["meeting_id"]),
                  "--title", "x", "--office", "Dinkes", "--due", "2026-01-31",
                  "--indicator", "stunting_rate", "--db", province],
        )  # fmt: skip
        assert result.exit_code == 1
        assert isinstance(result.exception, InvalidInput)
        assert "stunting_rate" in str(result.exception)


def test_the_quality_step_in_a_second_process_gives_the_same_pack(
    province: str, meeting: dict[str, Any]
) -> None:
    """`parallel=True` (CLI, web button) computes data quality in a child process on its
    own connection: the pack is the same as when every step runs here."""
    from tumbuh.db.engine import make_engine
    from tumbuh.db.session import unit_of_work
    from tumbuh.reports.rakor.build import build_pack

    bind = make_engine(province)
    try:
        packs = []
        for parallel in (False, True):
            with unit_of_work(bind) as session:
                pack = build_pack(
                    session, region="64", period="2025", today=dt.date(2026, 1, 15),
                    parallel=parallel,
                )  # fmt: skip
            packs.append(pack)
    finally:
        bind.dispose()
    sequential, parallel_pack = packs
    quality = [s for s in sequential.sections if s.key == "quality"]
    assert quality
    assert any(t.rows for t in quality[0].tables)  # something to compare
    assert parallel_pack.sections == sequential.sections
