"""Import jobs: one file = one transaction (read → normalise → validate → link → write)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tumbuh.errors import ImportFileError, InvalidInput
from tumbuh.imports.context import QUARANTINE_FILE, QUARANTINE_ROW, FileImport
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


def import_file(
    session: Session,
    *,
    kind: str,
    path: str | Path,
    report: ImportReport,
    regions: RegionResolver | None = None,
    chunk_rows: int = 50_000,
) -> None:
    """Import one file into `session` (flushes, never commits); counts and issues go to `report`.

    Raises ImportFileError when the file cannot be read at all.
    """
    importers = _importers()
    if kind not in importers:
        raise InvalidInput(f"unknown import kind {kind!r}; expected one of {KINDS}")
    p = Path(path)
    source = open_table(p, chunk_rows=chunk_rows)
    ctx = FileImport(
        session=session,
        kind=kind,
        file=p.name,
        report=report,
        regions=regions or RegionResolver.from_session(session),
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
    """A session in one database transaction. SQLite takes the write lock at the start
    (BEGIN IMMEDIATE) and PostgreSQL an advisory lock, so a concurrent import waits
    instead of failing half-way."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            # One import at a time, like SQLite's write lock (released at commit/rollback).
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7301)")
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


def run_import(
    engine: Engine,
    *,
    kind: str,
    paths: Sequence[str | Path],
    chunk_rows: int = 50_000,
) -> ImportReport:
    """Import each file in its own transaction; an unreadable file leaves the database as it was
    and is listed under `failed_files` (other files still go in)."""
    report = ImportReport(kind=kind)
    failed: list[dict[str, str]] = []
    for path in paths:
        file_report = ImportReport(kind=kind)
        try:
            with write_transaction(engine) as session:
                import_file(
                    session,
                    kind=kind,
                    path=path,
                    report=file_report,
                    chunk_rows=chunk_rows,
                )
        except ImportFileError as exc:
            failed.append({"file": str(path), "error": exc.message})
            continue
        _merge(report, file_report)
    report.extra["failed_files"] = failed
    if report.inserted or report.updated:
        from tumbuh.db.maintenance import analyze

        analyze(engine)  # planner statistics for the new rows (scale, issue 18)
    return report


def _merge(total: ImportReport, part: ImportReport) -> None:
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
