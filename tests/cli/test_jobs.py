"""`tumbuh import ... --queue` and `tumbuh jobs list|show|run`: a CLI import as a background
job, with progress and the report kept with the job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.imports.builders import EPPGBM_HEADER, eppgbm_row, write_csv
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.db.engine import make_engine
from tumbuh.register.models import Measurement

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jobs.db'}"


def _jobs(db_url: str) -> list[dict[str, object]]:
    result = runner.invoke(
        app, ["--lang", "en", "jobs", "list", "--db", db_url, "--json"]
    )
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def test_a_queued_import_waits_then_runs_once(db_url: str, tmp_path: Path) -> None:
    rows = [eppgbm_row(), eppgbm_row(No="2", Nama="Dewi", NIK="", **{"Tgl Lahir": ""})]
    path = write_csv(tmp_path / "e.csv", EPPGBM_HEADER, rows)
    queued = runner.invoke(
        app, ["--lang", "en", "import", "eppgbm", str(path), "--db", db_url, "--queue"]
    )
    assert queued.exit_code == 0, queued.output
    assert "queued as import job 1" in queued.stdout
    # the file was copied beside the database: the original may go away
    path.unlink()
    [job] = _jobs(db_url)
    assert (job["status"], job["kind"], job["file"]) == ("queued", "eppgbm", "e.csv")
    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Measurement)) == 0

    ran = runner.invoke(app, ["--lang", "en", "jobs", "run", "--db", db_url])
    assert ran.exit_code == 0, ran.output
    [job] = _jobs(db_url)
    assert (job["status"], job["rows_read"], job["inserted"], job["rejected"]) == (
        "done", 2, 1, 1,
    )  # fmt: skip
    shown = runner.invoke(
        app, ["--lang", "en", "jobs", "show", "1", "--db", db_url, "--json"]
    )
    detail = json.loads(shown.stdout)
    assert [(i["row"], i["column"], i["code"]) for i in detail["issues"]] == [
        (3, "Tgl Lahir", "required")
    ]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Measurement)) == 1
    # nothing is left to run: a second run imports nothing again
    again = runner.invoke(app, ["--lang", "en", "jobs", "run", "--db", db_url])
    assert "no queued import jobs" in again.stdout
    engine.dispose()


def test_unknown_job_and_empty_queue_answer_plainly(db_url: str) -> None:
    assert (
        "no import jobs"
        in runner.invoke(app, ["--lang", "en", "jobs", "list", "--db", db_url]).stdout
    )
    missing = runner.invoke(app, ["--lang", "en", "jobs", "show", "7", "--db", db_url])
    assert missing.exit_code == 1
    assert "no import job 7" in missing.output


def test_a_file_over_the_size_limit_is_not_queued(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tumbuh.config import get_settings

    path = write_csv(tmp_path / "big.csv", EPPGBM_HEADER, [eppgbm_row()] * 50)
    monkeypatch.setenv("TUMBUH_IMPORT_MAX_UPLOAD_MB", "0.001")
    get_settings.cache_clear()
    try:
        result = runner.invoke(
            app,
            ["--lang", "en", "import", "eppgbm", str(path), "--db", db_url, "--queue"],
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "big.csv" in result.output
    assert _jobs(db_url) == []
