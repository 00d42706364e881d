"""Issue 15 in the app: the "Unduh bahan rapat" button returns the CLI's pack; the meeting
page records meetings and actions with a region picker and indicator names (no codes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from tests.web.conftest import csrf_of, login, make_user
from typer.testing import CliRunner

from tumbuh.accounts.roles import Role
from tumbuh.cli import app as cli
from tumbuh.cli.synth import import_into_db
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.register.master import children_of
from tumbuh.synth import SynthConfig, synthesize
from tumbuh.web.app import create_app

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'is_flag' and 'flag_value' parameters:DeprecationWarning"
)


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> str:
    synth = synthesize(
        SynthConfig(children=200, first_year=2024, last_year=2025, seed=16),
        tmp_path_factory.mktemp("synth15w"),
        "csv",
    )
    url = f"sqlite:///{tmp_path_factory.mktemp('w15') / 'p.db'}"
    import_into_db(synth, url)
    return url


@pytest.fixture(scope="module")
def client(province: str) -> Iterator[TestClient]:
    settings = Settings(
        environment="test",
        database_url=province,
        secret_key="test-secret-meeting",
        session_max_age_s=3600,
    )
    application = create_app(settings)
    with TestClient(application) as c:
        yield c
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def analyst(province: str) -> str:
    engine = make_engine(province)
    try:
        return make_user(engine, Role.province_analyst, "64").username
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def viewer(province: str) -> str:
    engine = make_engine(province)
    try:
        return make_user(engine, Role.viewer, "64.09").username
    finally:
        engine.dispose()


def pdf_text(data: bytes, tmp: Path) -> list[str]:
    path = tmp / "x.pdf"
    path.write_bytes(data)
    return [p.extract_text() for p in PdfReader(path).pages]


class TestDownloadButton:
    def test_the_kabkota_page_offers_the_meeting_pack(
        self, client: TestClient, analyst: str
    ) -> None:
        login(client, analyst)
        page = client.get("/regions/64.09")
        assert page.status_code == 200
        assert "Unduh bahan rapat" in page.text
        assert 'href="/regions/64.09/rakor.pdf"' in page.text
        english = client.get("/regions/64.09?lang=en")
        assert "Download meeting pack" in english.text
        client.get("/regions/64.09?lang=id")  # the language sticks (cookie): back

    def test_the_button_returns_the_same_pdf_text_as_the_cli(
        self, client: TestClient, analyst: str, province: str, tmp_path: Path
    ) -> None:
        login(client, analyst)
        response = client.get("/regions/64.09/rakor.pdf?period=2025&lang=id")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert (
            'filename="rakor-64.09-2025.pdf"' in response.headers["content-disposition"]
        )
        out = tmp_path / "cli"
        result = CliRunner().invoke(
            cli, ["report", "rakor", "--region", "64.09", "--period", "2025",
                  "-o", str(out), "--db", province],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        web = pdf_text(response.content, tmp_path)
        made = pdf_text((out / "rakor-64.09-2025.pdf").read_bytes(), tmp_path)
        assert web == made
        assert any("Kabupaten Penajam Paser Utara (64.09)" in p for p in web)

    def test_slides_and_workbook_download_too(
        self, client: TestClient, analyst: str
    ) -> None:
        login(client, analyst)
        for ext, magic in (("pptx", b"PK"), ("xlsx", b"PK")):
            response = client.get(f"/regions/64.09/rakor.{ext}?period=2025")
            assert response.status_code == 200
            assert response.content[:2] == magic

    def test_a_viewer_gets_no_restricted_annex(
        self, client: TestClient, viewer: str
    ) -> None:
        login(client, viewer)
        response = client.get("/regions/64.09/rakor.pdf?audience=restricted")
        assert response.status_code == 403


class TestMeetingPage:
    def test_a_meeting_and_an_action_are_recorded_with_indicator_names(
        self, client: TestClient, analyst: str
    ) -> None:
        login(client, analyst)
        page = client.get("/meetings?region=64&lang=id")
        assert page.status_code == 200
        # The pickers name regions and indicators; nobody types a code.
        assert (
            '<option value="64.09">Kabupaten Penajam Paser Utara</option>' in page.text
        )
        made = client.post(
            "/meetings",
            data={"region_code": "64", "held_on": "2025-11-18",
                  "title": "Rakor TPPS November", "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )  # fmt: skip
        assert made.status_code == 303
        page = client.get("/meetings?region=64&lang=id")
        assert (
            ">Prevalensi stunting (data rutin, pengukuran terakhir)</option>"
            in page.text
        )
        found = re.search(r'action="/meetings/(\d+)/actions"', page.text)
        assert found is not None
        added = client.post(
            f"/meetings/{found.group(1)}/actions",
            data={"title": "Pendampingan KRS di PPU", "owner": "DPPKB",
                  "region_code": "64.09", "indicator": "pendampingan_krs",
                  "target": "90", "due_on": "2026-01-31",
                  "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )  # fmt: skip
        assert added.status_code == 303, added.text
        page = client.get("/meetings?region=64&lang=id")
        assert "Rakor TPPS November" in page.text
        row = page.text[page.text.index("Pendampingan KRS di PPU") :]
        assert "KRS mendapat pendampingan" in row[:800]
        assert re.search(r"\d+,\d \(20\d\d\)", row[:800])  # baseline with its period

    def test_a_viewer_cannot_record_a_meeting(
        self, client: TestClient, viewer: str
    ) -> None:
        login(client, viewer)
        response = client.post(
            "/meetings",
            data={"region_code": "64.09", "held_on": "2025-11-18", "title": "x",
                  "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )  # fmt: skip
        assert response.status_code == 403


class TestSmallCellsOnRegionPages:
    def test_a_coverage_percentage_is_hidden_wherever_its_count_is(
        self, client: TestClient, viewer: str
    ) -> None:
        login(client, viewer)
        suppressed = 0
        for kec in children_of("64.09"):
            page = client.get(f"/regions/{kec.code}?lang=id")
            assert page.status_code == 200
            if 'id="coverage-table"' not in page.text:
                continue
            table = page.text[page.text.index('id="coverage-table"') :]
            table = table[: table.index("</table>")]
            for row in re.findall(r"<tr><td.*?</tr>", table, flags=re.S):
                cells = re.findall(r'<td class="num"[^>]*>(.*?)</td>', row, flags=re.S)
                reached, pct = cells[0], cells[1]
                if "&lt;5" in reached:
                    suppressed += 1
                    assert not re.search(r"\d,\d", pct), row
        assert suppressed > 0
