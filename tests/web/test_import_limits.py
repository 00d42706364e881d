"""The import limits on the web: an upload over the size limit or an XLSX unpacking past its
limit is refused at once (413) with the file and the limit named in the page's language;
a file over the row limit fails its job, whose page says why."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.imports.builders import EPPGBM_HEADER, many_eppgbm_rows, write_csv
from tests.web.conftest import csrf_of, login, wait_for_job

from tumbuh.config import Settings
from tumbuh.db.session import unit_of_work
from tumbuh.imports.models import ImportJob
from tumbuh.web.app import create_app


@pytest.fixture
def limited_app(figures_db: Engine, tmp_path: Path) -> Iterator[FastAPI]:
    settings = Settings(
        environment="test",
        database_url=str(figures_db.url),
        secret_key="test-secret-limits",
        import_max_upload_mb=0.01,  # 10 KiB
        import_max_rows=5,
        import_max_unzipped_mb=0.05,
        import_dir=tmp_path / "uploads",
    )
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


def _upload(
    client: TestClient, name: str, body: bytes, *, lang: str = "id"
) -> tuple[int, str, str]:
    r = client.post(
        f"/imports?lang={lang}",
        data={"kind": "eppgbm", "csrf_token": csrf_of(client)},
        files={"file": (name, body, "application/octet-stream")},
        follow_redirects=False,
    )
    return r.status_code, r.text, r.headers.get("location", "")


def _jobs(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return int(session.scalar(select(func.count()).select_from(ImportJob)) or 0)


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("id", "besar.csv: Berkas lebih besar dari batas 0.01 MB"),
        ("en", "besar.csv: File larger than the limit of 0.01 MB"),
    ],
    ids=["id", "en"],
)
def test_an_upload_over_the_size_limit_is_refused_naming_file_and_limit(
    limited_app: FastAPI, figures_db: Engine, tmp_path: Path, lang: str, message: str
) -> None:
    before = _jobs(figures_db)
    with TestClient(limited_app) as client:
        login(client, "fig_admin")
        status, html, _ = _upload(client, "besar.csv", b"No,Nama\n" * 3000, lang=lang)
    assert status == 413
    assert message in html
    assert _jobs(figures_db) == before  # nothing queued
    assert not list((tmp_path / "uploads").glob("*/*"))  # nothing kept


def test_an_xlsx_unpacking_past_the_limit_is_refused_unopened(
    limited_app: FastAPI, figures_db: Engine
) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 20_000)  # 120 kB
    assert len(buf.getvalue()) < 10_000  # small enough to upload
    with TestClient(limited_app) as client:
        login(client, "fig_admin")
        status, html, _ = _upload(client, "bom.xlsx", buf.getvalue(), lang="en")
    assert status == 413
    assert (
        "bom.xlsx: XLSX contents unpacked are larger than the limit of 0.05 MB" in html
    )


def test_a_file_over_the_row_limit_fails_its_job_with_the_reason(
    limited_app: FastAPI, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "baris.csv", EPPGBM_HEADER, many_eppgbm_rows(6))
    with TestClient(limited_app) as client:
        login(client, "fig_admin")
        status, _, job_url = _upload(client, "baris.csv", path.read_bytes())
        assert status == 303
        page = wait_for_job(client, job_url)
        assert 'data-status="failed"' in page.text
        assert "baris.csv: Berkas berisi lebih dari 5 baris (batas)" in page.text
        english = client.get(f"{job_url}?lang=en").text
    assert "baris.csv: File has more than 5 rows (the limit)" in english
