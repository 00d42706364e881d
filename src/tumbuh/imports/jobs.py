"""Import jobs: an uploaded file waits in a queue, then one worker imports it with progress.

The queue is the `import_jobs` table, so it survives a restart and is shared by several web
processes: a job is taken by moving it from queued to running in one UPDATE (only one
taker succeeds), and `service.import_lock` keeps the imports themselves one at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from tumbuh.config import Settings
from tumbuh.db.session import unit_of_work
from tumbuh.i18n import Message, dumps, loads, render_all
from tumbuh.imports.limits import ImportLimitError, ImportLimits, check_size
from tumbuh.imports.models import ImportJob, JobStatus
from tumbuh.imports.service import CHUNK_ROWS, run_import

log = logging.getLogger(__name__)
# A running job whose heartbeat (written with each chunk) is older than this was cut off
# by a stopped server: it is marked failed, never left "running" for ever.
STALE_AFTER = dt.timedelta(minutes=10)
# Issues kept with a finished job for its page (the CLI's --report gives all of them).
KEPT_ISSUES = 500
_COPY_BLOCK = 1 << 20


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def import_dir(settings: Settings) -> Path:
    """Where uploads wait for their job (Settings.import_dir)."""
    if settings.import_dir is not None:
        return settings.import_dir
    db = settings.sqlite_path
    if db is not None:
        return db.expanduser().resolve().parent / "imports"
    return Path(tempfile.gettempdir()) / "tumbuh-imports"


def store_upload(
    stream: BinaryIO, *, file_name: str, folder: Path, limits: ImportLimits
) -> Path:
    """Copy an upload to `folder/<random>/<file_name>`, refusing it (ImportLimitError, and
    nothing kept) once it passes the size limit."""
    target = folder / uuid.uuid4().hex / file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        with target.open("wb") as out:
            while block := stream.read(_COPY_BLOCK):
                size += len(block)
                check_size(file_name, size, limits)
                out.write(block)
    except BaseException:
        shutil.rmtree(target.parent, ignore_errors=True)
        raise
    return target


def discard(stored_path: Path) -> None:
    """Remove a stored upload (and its folder)."""
    shutil.rmtree(stored_path.parent, ignore_errors=True)


def enqueue(
    session: Session,
    *,
    kind: str,
    file_name: str,
    stored_path: Path,
    user_id: int | None,
) -> ImportJob:
    job = ImportJob(
        kind=kind,
        file_name=file_name[:255],
        stored_path=str(stored_path),
        status=JobStatus.queued,
        user_id=user_id,
        rows_read=0,
        inserted=0,
        updated=0,
        rejected=0,
        created_at=_now(),
    )
    session.add(job)
    session.flush()
    return job


def get(session: Session, job_id: int) -> ImportJob | None:
    return session.get(ImportJob, job_id)


def recent(session: Session, *, limit: int = 20) -> list[ImportJob]:
    return list(
        session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(limit))
    )


def waiting_before(session: Session, job: ImportJob) -> int:
    """Jobs queued or running ahead of `job` (its place in the queue)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ImportJob)
            .where(
                ImportJob.id < job.id,
                ImportJob.status.in_([JobStatus.queued, JobStatus.running]),
            )
        )
        or 0
    )


def claim_next(engine: Engine) -> int | None:
    """Take the oldest queued job (queued → running); None when there is none."""
    with unit_of_work(engine) as session:
        job_id = session.scalar(
            select(ImportJob.id)
            .where(ImportJob.status == JobStatus.queued)
            .order_by(ImportJob.id)
            .limit(1)
        )
        if job_id is None:
            return None
        now = _now()
        taken = session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == JobStatus.queued)
            .values(status=JobStatus.running, started_at=now, heartbeat_at=now)
        )
        return job_id if getattr(taken, "rowcount", 0) == 1 else None


def fail_stale(engine: Engine, *, now: dt.datetime | None = None) -> int:
    """Mark running jobs whose heartbeat stopped as failed (interrupted); return how many."""
    said = dumps([Message.of("issue.import_interrupted")])
    cutoff = (now or _now()) - STALE_AFTER
    with unit_of_work(engine) as session:
        res = session.execute(
            update(ImportJob)
            .where(
                ImportJob.status == JobStatus.running,
                ImportJob.heartbeat_at < cutoff,
            )
            .values(
                status=JobStatus.failed,
                error_code="import_interrupted",
                message=said,
                finished_at=_now(),
            )
        )
        return int(getattr(res, "rowcount", 0) or 0)


def _set(engine: Engine, job_id: int, **values: Any) -> None:
    with unit_of_work(engine) as session:
        session.execute(
            update(ImportJob).where(ImportJob.id == job_id).values(**values)
        )


def run_job(
    engine: Engine,
    job_id: int,
    *,
    limits: ImportLimits,
    chunk_rows: int = CHUNK_ROWS,
) -> JobStatus:
    """Import a claimed job's file, writing its progress between chunks; the outcome (counts,
    report, or the reason it failed) goes to the job, and the stored file is removed."""
    with unit_of_work(engine) as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            return JobStatus.failed
        kind, path = job.kind, Path(job.stored_path)

    def progress(read: int, total: int | None) -> None:
        _set(engine, job_id, rows_read=read, rows_total=total, heartbeat_at=_now())

    try:
        report = run_import(
            engine,
            kind=kind,
            paths=[path],
            chunk_rows=chunk_rows,
            limits=limits,
            progress=progress,
        )
    except Exception as exc:  # the worker must go on with the next job
        log.exception("import job %d failed", job_id)
        what = f"{type(exc).__name__}: {exc}"[:500]
        _set(
            engine, job_id, status=JobStatus.failed, error_code="import_crashed",
            message=dumps([Message.of("issue.import_crashed", value=what)]),
            finished_at=_now(),
        )  # fmt: skip
        shutil.rmtree(path.parent, ignore_errors=True)
        return JobStatus.failed
    failed = report.extra.get("failed_files") or []
    summary = report.to_dict()
    summary["issues"] = summary["issues"][:KEPT_ISSUES]
    values: dict[str, Any] = {
        "rows_read": report.read,
        "inserted": report.inserted,
        "updated": report.updated,
        "rejected": report.rejected,
        "report": summary,
        "finished_at": _now(),
        "status": JobStatus.failed if failed else JobStatus.done,
    }
    if failed:
        first = failed[0]
        values |= {
            "error_code": first.get("code", "unreadable_file"),
            # A catalogue message when the error has one; else its sentences as given.
            "message": first.get("said") or _sentences(first),
        }
    _set(engine, job_id, **values)
    shutil.rmtree(path.parent, ignore_errors=True)
    return JobStatus(values["status"])


def _child(url: str, job_id: int, limits: ImportLimits, chunk_rows: int) -> None:
    """The job in a process of its own (multiprocessing target)."""
    from tumbuh.db.engine import make_engine

    engine = make_engine(url)
    try:
        run_job(engine, job_id, limits=limits, chunk_rows=chunk_rows)
    finally:
        engine.dispose()


def run_job_in_child(
    engine: Engine, job_id: int, *, limits: ImportLimits, chunk_rows: int = CHUNK_ROWS
) -> None:
    """`run_job` in a fresh process, so that the import's Python work does not compete with
    the web's request threads for this process's GIL (which would stretch the import's
    write transactions, and the logins waiting for them). A child that dies leaves the job
    failed, not running."""
    import multiprocessing

    url = engine.url.render_as_string(hide_password=False)
    proc = multiprocessing.get_context("spawn").Process(
        target=_child,
        args=(url, job_id, limits, chunk_rows),
        name=f"import-job-{job_id}",
    )
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        what = f"exit code {proc.exitcode}"
        with unit_of_work(engine) as session:
            session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id, ImportJob.status == JobStatus.running)
                .values(
                    status=JobStatus.failed, error_code="import_crashed",
                    message=dumps([Message.of("issue.import_crashed", value=what)]),
                    finished_at=_now(),
                )
            )  # fmt: skip


def _shared(engine: Engine) -> bool:
    """Whether another process can open the database (not an in-memory SQLite one)."""
    url = engine.url
    return url.get_backend_name() != "sqlite" or url.database not in (
        None,
        "",
        ":memory:",
    )


class JobWorker:
    """One thread that runs the queued jobs one by one, oldest first, each in a child
    process (`in_process=False`, the default); `wake()` after queueing one starts it at
    once (else the queue is looked at every `poll_s`)."""

    def __init__(
        self,
        engine: Engine,
        *,
        limits: ImportLimits,
        chunk_rows: int = CHUNK_ROWS,
        after: Callable[[int], None] | None = None,
        poll_s: float = 2.0,
        in_process: bool = False,
    ) -> None:
        self.engine = engine
        self.limits = limits
        self.chunk_rows = chunk_rows
        self.after = after
        self.poll_s = poll_s
        self.in_process = in_process
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="tumbuh-import-jobs", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current job (a job cut off here is marked failed later)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        try:
            fail_stale(self.engine)
        except Exception:  # e.g. a database without the table yet
            log.exception("import jobs: checking for interrupted jobs failed")
        while not self._stop.is_set():
            try:
                job_id = claim_next(self.engine)
            except Exception:
                log.exception("import jobs: reading the queue failed")
                job_id = None
            if job_id is None:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            if self.in_process or not _shared(self.engine):
                run_job(
                    self.engine, job_id, limits=self.limits, chunk_rows=self.chunk_rows
                )
            else:
                run_job_in_child(
                    self.engine, job_id, limits=self.limits, chunk_rows=self.chunk_rows
                )
            if self.after is not None:
                try:
                    self.after(job_id)
                except Exception:
                    log.exception("import jobs: after job %d", job_id)


__all__ = [
    "ImportLimitError",
    "JobWorker",
    "claim_next",
    "discard",
    "enqueue",
    "fail_stale",
    "get",
    "import_dir",
    "recent",
    "run_job",
    "run_job_in_child",
    "store_upload",
    "waiting_before",
]


def _sentences(failed: dict[str, Any]) -> str:
    """An error without a catalogue key: its Indonesian and English sentences as given."""
    said_id, said_en = str(failed["message_id"]), str(failed["message_en"])
    return said_en if said_id == said_en else f"{said_id} / {said_en}"


def job_message(job: ImportJob, lang: str) -> str | None:
    """The job's message (why it failed, what was refused) in ``lang``: its catalogue
    messages rendered, or the sentence stored before they were (shown as it is)."""
    if not job.message:
        return None
    messages = loads(job.message)
    return job.message if messages is None else render_all(messages, lang)
