"""Imports: read → normalise → validate → link → write, one chunk of rows per transaction.

A file goes in as a series of short write transactions (one per chunk of rows, committed
before the next chunk is read), so that logins and pages, which write too (audit, login
attempts), never wait for a whole file. One import runs at a time (`import_lock`): a
second one waits for the first instead of interleaving with it. A file killed mid-way
keeps its committed chunks; importing it again completes it (rows already in are
unchanged). Files over the limits (`imports.limits`) are refused before anything is
written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from tumbuh.errors import ImportFileError, InvalidInput
from tumbuh.i18n import Message, dumps
from tumbuh.imports.context import QUARANTINE_FILE, QUARANTINE_ROW, FileImport
from tumbuh.imports.limits import (
    ImportLimits,
    check_rows,
    check_size,
    check_unzipped,
    count_rows,
)
from tumbuh.register.regions import RegionResolver
from tumbuh.tabular.issues import ImportReport
from tumbuh.tabular.readers import TableSource, open_table


class _Runner(Protocol):
    def run(self) -> None: ...


def _importers() -> dict[str, Callable[[FileImport, TableSource], _Runner]]:
    from tumbuh.imports.eppgbm import EppgbmImport
    from tumbuh.imports.families import FamiliesImport
    from tumbuh.imports.screenings import ScreeningsImport

    return {
        "eppgbm": EppgbmImport,
        "families": FamiliesImport,
        "screenings": ScreeningsImport,
    }


KINDS = ("eppgbm", "families", "screenings")
# Rows per chunk, i.e. per write transaction: a few seconds of work at most, far below
# SQLite's 30 s busy timeout that a login or a page waits for the write lock.
CHUNK_ROWS = 5_000
# Rows per chunk when no one else uses the database (`run_import(alone=...)`): the
# per-chunk costs (lookups of existing rows, commit, fsync) over fewer, larger chunks.
ALONE_CHUNK_ROWS = 100_000
# Key of the PostgreSQL advisory locks: per transaction (7301) and per import (7302).
_XACT_LOCK = 7301
_IMPORT_LOCK = 7302
_LOCAL_LOCK = threading.Lock()  # in-memory SQLite: one process, one lock
# Pause between two chunks on SQLite, with the write lock released: a writer waiting for it
# (a login, a page's audit) polls every 100 ms once it has waited a third of a second
# (SQLite's busy handler), so a shorter gap could let the next chunk take the lock again
# before any waiter looks, chunk after chunk, until the waiter's 30 s timeout.
_SQLITE_GAP_S = 0.15

Progress = Callable[[int, int | None], None]  # rows read so far, rows in the file


def _begin(conn: Connection) -> None:
    """Begin a write transaction: SQLite takes the write lock now (BEGIN IMMEDIATE), not at
    the first INSERT (when a read snapshot may already be stale); PostgreSQL an advisory
    lock, so that another writer of the import tables waits instead of failing."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_XACT_LOCK})")


@contextmanager
def import_lock(engine: Engine) -> Iterator[None]:
    """One import at a time across processes (the web's job worker, `tumbuh import`): a
    lock file beside a SQLite database, a session advisory lock on PostgreSQL."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_IMPORT_LOCK})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_IMPORT_LOCK})")
                conn.commit()
        return
    database = url.database
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        import fcntl

        with open(f"{database}.import-lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    with _LOCAL_LOCK:
        yield


def _serving_path(engine: Engine) -> Path | None:
    """`<database>.serving` beside a SQLite database file; None for other databases."""
    url = engine.url
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(f"{database}.serving")


@contextmanager
def serving(engine: Engine) -> Iterator[None]:
    """Held by a web process while it serves (its lifespan): a shared lock on
    `<database>.serving`, so that an import can tell that logins and pages may be waiting
    for SQLite's write lock (`served`). Several web processes share it."""
    path = _serving_path(engine)
    if path is None:
        yield
        return
    import fcntl

    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def served(engine: Engine) -> bool:
    """Does a web process serve this SQLite database now (holds `serving`)? False for an
    in-memory database and for other back-ends (whose readers never wait for an import)."""
    path = _serving_path(engine)
    if path is None or not path.exists():
        return False
    import fcntl

    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def _checkpoints(
    conn: Connection,
    session: Session,
    report: ImportReport,
    progress: Progress | None,
    total: int | None,
    gap_s: float,
) -> tuple[Callable[[], None], Callable[[], None]]:
    """(before, after) a chunk: commit after each chunk; begin again before the next one
    writes, the next one having been read (parsed) with no lock held; on SQLite wait
    `gap_s` between chunks, the write lock released."""

    def before() -> None:
        _begin(conn)

    def after() -> None:
        session.flush()
        conn.commit()
        if progress is not None:
            progress(report.read, total)
        if gap_s and conn.dialect.name == "sqlite":
            time.sleep(gap_s)

    return before, after


def import_file(
    session: Session,
    *,
    kind: str,
    path: str | Path,
    report: ImportReport,
    regions: RegionResolver | None = None,
    chunk_rows: int = CHUNK_ROWS,
    checkpoints: tuple[Callable[[], None], Callable[[], None]] | None = None,
) -> None:
    """Import one file into `session` (flushes; commits only through `checkpoints`, the
    (before, after) a chunk that `run_import` passes to commit chunk by chunk); counts
    and issues go to `report`.

    Raises ImportFileError when the file cannot be read at all.
    """
    importers = _importers()
    if kind not in importers:
        raise InvalidInput(f"unknown import kind {kind!r}; expected one of {KINDS}")
    p = Path(path)
    source = open_table(p, chunk_rows=chunk_rows)
    before, after = checkpoints or (None, None)
    ctx = FileImport(
        session=session,
        kind=kind,
        file=p.name,
        report=report,
        regions=regions or RegionResolver.from_session(session),
        before_chunk=before,
        after_chunk=after,
    )
    first_issue = len(report.issues)
    importers[kind](ctx, source).run()
    session.flush()
    # Issues in file order (row, then the order they were found).
    report.issues[first_issue:] = sorted(
        report.issues[first_issue:], key=lambda i: i.row
    )
    if p.name not in report.files:
        report.files.append(p.name)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """A session in one database write transaction (see `_begin`)."""
    with engine.connect() as conn:
        _begin(conn)
        session = Session(bind=conn, autoflush=False, expire_on_commit=False)
        try:
            yield session
            session.flush()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            session.close()


def check_file(
    path: str | Path, limits: ImportLimits, *, name: str | None = None
) -> int:
    """Refuse a file over the limits (ImportLimitError); return its rows (an upper bound
    for XLSX). Nothing is written."""
    p = Path(path)
    shown = name or p.name
    if p.is_file():  # else open_table says the file cannot be read
        check_size(shown, p.stat().st_size, limits)
        check_unzipped(p, limits, file=shown)
    rows = count_rows(open_table(p))
    check_rows(shown, rows, limits)
    return rows


# SQLite page cache of the importing connection, in KiB (SQLite's default is 2 MiB): the
# measurement indexes of a large register do not fit in 2 MiB (1 M measurements: ~130 MB
# of index pages), and every insert into them would read pages back and spill dirty ones
# to the WAL mid-transaction. Pages are allocated as used: a small import stays small.
_IMPORT_CACHE_KIB = 262_144


@contextmanager
def _import_cache(conn: Connection) -> Iterator[None]:
    """A larger SQLite page cache for the import's connection, restored afterwards (the
    connection goes back to the pool)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{_IMPORT_CACHE_KIB}")
    conn.commit()
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
        conn.commit()


def _import_one(
    engine: Engine,
    *,
    kind: str,
    path: str | Path,
    report: ImportReport,
    chunk_rows: int,
    limits: ImportLimits | None,
    progress: Progress | None,
    gap_s: float,
) -> None:
    total = None if limits is None else check_file(path, limits)
    if progress is not None:
        progress(0, total)
    with engine.connect() as conn, _import_cache(conn):
        _begin(conn)
        session = Session(bind=conn, autoflush=False, expire_on_commit=False)
        try:
            import_file(
                session,
                kind=kind,
                path=path,
                report=report,
                chunk_rows=chunk_rows,
                checkpoints=_checkpoints(conn, session, report, progress, total, gap_s),
            )
            session.flush()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            session.close()


def run_import(
    engine: Engine,
    *,
    kind: str,
    paths: Sequence[str | Path],
    chunk_rows: int | None = None,
    limits: ImportLimits | None = None,
    progress: Progress | None = None,
    lock: bool = True,
    alone: bool | None = None,
) -> ImportReport:
    """Import the files one after the other, each chunk of rows in its own transaction,
    holding the import lock (`lock=False`: a one-row re-import in a request, which must not
    wait for a whole queued file); a file that cannot be read, or is over `limits`, is
    listed under `failed_files` (other files still go in).

    `alone`: nobody else uses the database meanwhile, so no login or page waits for the
    write lock: chunks of `ALONE_CHUNK_ROWS` (unless `chunk_rows` is given) with no pause
    between them. By default (None) a SQLite database is alone when no web process serves
    it (`serving`); every other database takes `CHUNK_ROWS` and, on SQLite, the pause.
    """
    if alone is None:
        alone = engine.dialect.name == "sqlite" and not served(engine)
    if chunk_rows is None:
        chunk_rows = ALONE_CHUNK_ROWS if alone else CHUNK_ROWS
    gap_s = 0.0 if alone else _SQLITE_GAP_S
    report = ImportReport(kind=kind)
    failed: list[dict[str, str]] = []
    with import_lock(engine) if lock else nullcontext():
        for path in paths:
            file_report = ImportReport(kind=kind)
            try:
                _import_one(
                    engine, kind=kind, path=path, report=file_report,
                    chunk_rows=chunk_rows, limits=limits, progress=progress,
                    gap_s=gap_s,
                )  # fmt: skip
            except ImportFileError as exc:
                failed.append(
                    {
                        "file": str(path),
                        "error": exc.message,
                        "code": exc.code,
                        "message_id": getattr(exc, "message_id", exc.message),
                        "message_en": getattr(exc, "message_en", exc.message),
                        # What to say in any language, when the error knows its key.
                        **(
                            {"said": dumps([exc.said])}
                            if isinstance(exc.said, Message)
                            else {}
                        ),
                    }
                )
                merge_report(report, file_report, failed=True)
                continue
            merge_report(report, file_report)
    report.extra["failed_files"] = failed
    if report.inserted or report.updated:
        from tumbuh.db.maintenance import analyze

        analyze(engine)  # planner statistics for the new rows (scale, issue 18)
    return report


def merge_report(
    total: ImportReport, part: ImportReport, *, failed: bool = False
) -> None:
    """Add a file's counts; a failed file's counts are what its committed chunks wrote."""
    if not failed:
        total.files.extend(part.files)
    total.read += part.read
    total.inserted += part.inserted
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.rejected += part.rejected
    total.issues.extend(part.issues)
    for key, value in part.extra.items():
        if isinstance(value, int) and isinstance(total.extra.get(key, 0), int):
            total.extra[key] = int(total.extra.get(key, 0)) + value
        else:
            total.extra[key] = value


def write_quarantine(session: Session, *, kind: str, path: Path) -> int:
    """Write the quarantined rows of `kind` as CSV (their original cells plus the problems),
    to be fixed in a spreadsheet and imported again; return how many rows were written."""
    import csv

    from sqlalchemy import select

    from tumbuh.register.models import QuarantinedRow
    from tumbuh.tabular.guard import neutralise

    held = session.scalars(
        select(QuarantinedRow)
        .where(QuarantinedRow.kind == kind)
        .order_by(QuarantinedRow.file, QuarantinedRow.row)
    ).all()
    columns: list[str] = []
    for q in held:
        columns.extend(c for c in q.raw if c not in columns)
    extra = [QUARANTINE_FILE, QUARANTINE_ROW, "Masalah / Problems"]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([neutralise(c) for c in [*columns, *extra]])
        for q in held:
            problems = "; ".join(
                f"{i.get('column') or ''}: {i.get('message_id')} / {i.get('message_en')}"
                for i in q.issues
            )
            cells = ["" if q.raw.get(c) is None else str(q.raw[c]) for c in columns]
            writer.writerow([neutralise(c) for c in [*cells, q.file, q.row, problems]])
    return len(held)
