"""Import jobs and limits: files over a limit are refused before anything is written, with a
message naming the file and the limit in both languages; the queue runs jobs oldest first,
one at a time; a job cut off by a stopped server is marked failed. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from tests.conftest import postgres_database
from tests.imports.builders import (
    EPPGBM_HEADER,
    eppgbm_row,
    many_eppgbm_rows,
    write_csv,
)

from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.imports import jobs
from tumbuh.imports.limits import (
    MB,
    ImportLimitError,
    ImportLimits,
    check_size,
    check_unzipped,
    count_rows,
)
from tumbuh.imports.models import ImportJob, JobStatus
from tumbuh.imports.service import check_file, run_import
from tumbuh.models import Base
from tumbuh.register.models import Measurement
from tumbuh.tabular.readers import open_table


@pytest.fixture
def fresh(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (these tests commit), on the backend of `database_url`."""
    with ExitStack() as stack:
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / 'jobs.db'}"
        else:
            url = stack.enter_context(postgres_database("tumbuh_jobs_"))
        engine = make_engine(url)
        try:
            create_schema(engine, Base.metadata)
            yield engine
        finally:
            engine.dispose()


def _measurements(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Measurement)) or 0)


def _bomb(path: Path, *, unpacked_mb: int) -> Path:
    """An XLSX-shaped zip whose sheet unpacks to `unpacked_mb` MB of repeated rows."""
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(
            "xl/worksheets/sheet1.xml", row * (unpacked_mb * MB // len(row) + 1)
        )
    return path


class TestLimitMessages:
    def test_a_file_over_the_size_limit_names_the_file_and_the_limit(self) -> None:
        with pytest.raises(ImportLimitError) as err:
            check_size("maret.csv", 3 * MB, ImportLimits(max_upload_bytes=2 * MB))
        assert err.value.code == "file_too_large"
        assert err.value.message_id == "maret.csv: Berkas lebih besar dari batas 2 MB"
        assert err.value.message_en == "maret.csv: File larger than the limit of 2 MB"
        assert err.value.status == 413

    def test_a_file_at_the_size_limit_passes(self) -> None:
        check_size("maret.csv", 2 * MB, ImportLimits(max_upload_bytes=2 * MB))

    def test_an_xlsx_unpacking_past_the_limit_is_refused_unopened(
        self, tmp_path: Path
    ) -> None:
        bomb = _bomb(tmp_path / "bom.xlsx", unpacked_mb=30)
        assert bomb.stat().st_size < MB  # small on disk: a zip bomb
        with pytest.raises(ImportLimitError) as err:
            check_unzipped(bomb, ImportLimits(max_unzipped_bytes=20 * MB))
        assert err.value.code == "unzipped_too_large"
        assert err.value.message_id.startswith("bom.xlsx: Isi XLSX")
        assert "20 MB" in err.value.message_id
        assert err.value.message_en == (
            "bom.xlsx: XLSX contents unpacked are larger than the limit of 20 MB"
        )

    def test_a_csv_is_not_a_zip_and_passes_the_unpacked_check(
        self, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "a.csv", EPPGBM_HEADER, [eppgbm_row()])
        check_unzipped(path, ImportLimits(max_unzipped_bytes=1))

    def test_too_many_rows_names_the_file_and_the_limit(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "rows.csv", EPPGBM_HEADER, many_eppgbm_rows(12))
        with pytest.raises(ImportLimitError) as err:
            check_file(path, ImportLimits(max_rows=10))
        assert err.value.code == "too_many_rows"
        assert (
            err.value.message_id
            == "rows.csv: Berkas berisi lebih dari 10 baris (batas)"
        )
        assert (
            err.value.message_en == "rows.csv: File has more than 10 rows (the limit)"
        )
        assert check_file(path, ImportLimits(max_rows=12)) == 12

    def test_xlsx_rows_are_counted_from_the_sheet_without_reading_it(
        self, tmp_path: Path
    ) -> None:
        from tests.imports.builders import write_xlsx

        path = write_xlsx(tmp_path / "r.xlsx", EPPGBM_HEADER, many_eppgbm_rows(7))
        assert count_rows(open_table(path)) == 7

    def test_a_zero_limit_is_no_limit(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "r.csv", EPPGBM_HEADER, many_eppgbm_rows(3))
        check_file(path, ImportLimits(max_upload_bytes=0, max_rows=0))


class TestRefusedFiles:
    def test_a_file_over_the_row_limit_writes_nothing(
        self, fresh: Engine, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "big.csv", EPPGBM_HEADER, many_eppgbm_rows(40))
        before = _measurements(fresh)
        report = run_import(
            fresh, kind="eppgbm", paths=[path], chunk_rows=10,
            limits=ImportLimits(max_rows=39),
        )  # fmt: skip
        assert report.extra["failed_files"][0]["code"] == "too_many_rows"
        assert _measurements(fresh) == before


class TestQueue:
    def _queue(self, engine: Engine, tmp_path: Path, names: list[str]) -> list[int]:
        ids = []
        for name in names:
            stored = tmp_path / name / f"{name}.csv"
            stored.parent.mkdir()
            write_csv(stored, EPPGBM_HEADER, [eppgbm_row(Nama=f"Anak {name}")])
            with unit_of_work(engine) as session:
                job = jobs.enqueue(
                    session, kind="eppgbm", file_name=f"{name}.csv",
                    stored_path=stored, user_id=None,
                )  # fmt: skip
                ids.append(job.id)
        return ids

    def test_jobs_run_oldest_first_and_report_their_counts(
        self, fresh: Engine, tmp_path: Path
    ) -> None:
        first, second = self._queue(fresh, tmp_path, ["satu", "dua"])
        assert jobs.claim_next(fresh) == first
        status = jobs.run_job(fresh, first, limits=ImportLimits())
        assert status == JobStatus.done
        assert jobs.claim_next(fresh) == second
        jobs.run_job(fresh, second, limits=ImportLimits())
        with unit_of_work(fresh) as session:
            done = session.get(ImportJob, first)
            assert done is not None
            assert (done.status, done.rows_read, done.rows_total) == ("done", 1, 1)
            assert done.finished_at is not None
            assert not Path(done.stored_path).exists()  # the upload is not kept
        assert jobs.claim_next(fresh) is None

    def test_a_job_is_claimed_once(self, fresh: Engine, tmp_path: Path) -> None:
        (job_id,) = self._queue(fresh, tmp_path, ["sekali"])
        assert jobs.claim_next(fresh) == job_id
        assert jobs.claim_next(fresh) is None
        jobs.run_job(fresh, job_id, limits=ImportLimits())

    def test_a_job_over_a_limit_fails_with_a_message_said_in_either_language(
        self, fresh: Engine, tmp_path: Path
    ) -> None:
        (job_id,) = self._queue(fresh, tmp_path, ["batas"])
        assert jobs.claim_next(fresh) == job_id
        status = jobs.run_job(fresh, job_id, limits=ImportLimits(max_rows=0))
        assert status == JobStatus.done  # 0 is no limit
        (job_id,) = self._queue(fresh, tmp_path, ["batas2"])
        jobs.claim_next(fresh)
        status = jobs.run_job(fresh, job_id, limits=ImportLimits(max_upload_bytes=10))
        assert status == JobStatus.failed
        with unit_of_work(fresh) as session:
            job = session.get(ImportJob, job_id)
            assert job is not None
            assert job.error_code == "file_too_large"
            # Stored as catalogue keys and parameters, not as sentences.
            assert job.message is not None
            assert '"issue.file_too_large"' in job.message
            assert "Berkas" not in job.message
            assert "File larger" not in job.message
            said_id = jobs.job_message(job, "id")
            said_en = jobs.job_message(job, "en")
            assert said_id is not None
            assert said_en is not None
            assert said_id.startswith("batas2.csv: Berkas lebih besar")
            assert said_en.startswith("batas2.csv: File larger than the limit")

    def test_a_job_whose_file_cannot_be_read_says_why_in_either_language(
        self, fresh: Engine, tmp_path: Path
    ) -> None:
        (job_id,) = self._queue(fresh, tmp_path, ["kosong"])
        (tmp_path / "kosong" / "kosong.csv").write_text("", encoding="utf-8")
        jobs.claim_next(fresh)
        assert jobs.run_job(fresh, job_id, limits=ImportLimits()) == JobStatus.failed
        with unit_of_work(fresh) as session:
            job = session.get(ImportJob, job_id)
            assert job is not None
            assert job.message is not None
            assert '"read.empty"' in job.message
            assert jobs.job_message(job, "id") == "kosong.csv: berkas kosong"
            assert jobs.job_message(job, "en") == "kosong.csv: the file is empty"

    def test_a_running_job_whose_heartbeat_stopped_is_marked_failed(
        self, fresh: Engine, tmp_path: Path
    ) -> None:
        (job_id,) = self._queue(fresh, tmp_path, ["putus"])
        jobs.claim_next(fresh)
        old = dt.datetime.now(dt.UTC) - jobs.STALE_AFTER - dt.timedelta(minutes=1)
        with unit_of_work(fresh) as session:
            session.execute(
                update(ImportJob).where(ImportJob.id == job_id).values(heartbeat_at=old)
            )
        assert jobs.fail_stale(fresh) >= 1
        with unit_of_work(fresh) as session:
            job = session.get(ImportJob, job_id)
            assert job is not None
            assert (job.status, job.error_code) == ("failed", "import_interrupted")


class TestImportLock:
    def test_a_second_import_waits_for_the_first(self, fresh: Engine) -> None:
        import threading

        from tumbuh.imports.service import import_lock

        order: list[str] = []
        first_in = threading.Event()
        release = threading.Event()

        def first() -> None:
            with import_lock(fresh):
                order.append("first in")
                first_in.set()
                release.wait(30)
                order.append("first out")

        def second() -> None:
            first_in.wait(30)
            with import_lock(fresh):
                order.append("second in")

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        first_in.wait(30)
        threads[1].join(0.5)  # the second is blocked on the lock meanwhile
        assert order == ["first in"]
        release.set()
        for t in threads:
            t.join(30)
        assert order == ["first in", "first out", "second in"]
