"""`tumbuh import eppgbm|families|screenings FILE...`: each file chunk by chunk (short
write transactions, so that the served app keeps answering), one import at a time, with a
report; files over the limits (TUMBUH_IMPORT_MAX_*) are refused."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from tumbuh.cli._app import import_app
from tumbuh.cli.db import open_database
from tumbuh.db.session import unit_of_work
from tumbuh.imports.reporting import write_issues
from tumbuh.imports.service import KINDS, run_import, write_quarantine
from tumbuh.tabular.issues import ImportReport

_SHOWN = 20

Files = Annotated[
    list[Path], typer.Argument(help="CSV, XLSX, HTML-.xls or Parquet files.")
]
Db = Annotated[
    str | None, typer.Option("--db", help="Database URL (overrides settings).")
]
Json = Annotated[
    bool, typer.Option("--json", help="Print the report as one JSON object.")
]
Report = Annotated[
    Path | None,
    typer.Option("--report", help="Write the issues to FILE.csv or FILE.xlsx."),
]
Queue = Annotated[
    bool,
    typer.Option(
        "--queue",
        help="Queue the files as import jobs (run by the server's worker or "
        "`tumbuh jobs run`; follow them with `tumbuh jobs list`) instead of importing now.",
    ),
]


def _run(
    kind: str,
    files: list[Path],
    db: str | None,
    as_json: bool,
    report_path: Path | None,
    queue: bool = False,
) -> None:
    from tumbuh.config import get_settings
    from tumbuh.imports.limits import ImportLimitError, ImportLimits

    if queue:
        from tumbuh.cli.jobs import queue_files

        try:
            ids = queue_files(kind, files, db or get_settings().database_url)
        except ImportLimitError as exc:
            typer.echo(f"error: {exc.message_en}", err=True)
            raise typer.Exit(1) from exc
        except OSError as exc:
            name = Path(exc.filename).name if exc.filename else ""
            typer.echo(f"error: {name}: cannot read file: {exc.strerror}", err=True)
            raise typer.Exit(1) from exc
        for job_id, path in zip(ids, files, strict=True):
            typer.echo(f"{path.name}: queued as import job {job_id}")
        typer.echo(
            "follow: tumbuh jobs list (run now without a server: tumbuh jobs run)"
        )
        return
    engine = open_database(db)
    try:
        report = run_import(
            engine,
            kind=kind,
            paths=files,
            limits=ImportLimits.from_settings(get_settings()),
            progress=_progress_printer(),
        )
    finally:
        engine.dispose()
    if report_path is not None:
        write_issues(report, report_path)
    if as_json:
        typer.echo(report.to_json())
    else:
        _print(report)
    if report.extra.get("failed_files"):
        for failed in report.extra["failed_files"]:
            typer.echo(f"error: {failed['error']}", err=True)
        raise typer.Exit(1)


def _progress_printer() -> Callable[[int, int | None], None] | None:
    """A progress line on a terminal's stderr, rewritten after each chunk (None elsewhere:
    logs and pipes get the report only)."""
    if not sys.stderr.isatty():
        return None

    def show(read: int, total: int | None) -> None:
        of = f" of {total:,}" if total else ""
        sys.stderr.write(f"\r  read {read:,}{of} rows")
        if total and read >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _print(report: ImportReport) -> None:
    typer.echo(
        f"{report.kind}: read {report.read}, inserted {report.inserted}, updated "
        f"{report.updated}, unchanged {report.unchanged}, rejected {report.rejected}, "
        f"to review {report.extra.get('link_review', 0)}"
    )
    for written, chosen in report.extra.get("region_choices", {}).items():
        # Kabupaten and kota of one name: which one the rows' kecamatan/desa pointed to.
        typer.echo(f"  kab/kota {written!r} → {', '.join(chosen)}")
    for issue in report.issues[:_SHOWN]:
        col = f" [{issue.column}]" if issue.column else ""
        typer.echo(
            f"  {issue.file}:{issue.row}{col} {issue.severity} {issue.code}: {issue.message_en}"
        )
    if len(report.issues) > _SHOWN:
        typer.echo(f"  ... and {len(report.issues) - _SHOWN} more (--report FILE.csv)")


@import_app.command("eppgbm")
def eppgbm(
    files: Files,
    db: Db = None,
    as_json: Json = False,
    report: Report = None,
    queue: Queue = False,
) -> None:
    """e-PPGBM measurement exports: children, mothers, families, z-scored measurements."""
    _run("eppgbm", files, db, as_json, report, queue)


@import_app.command("families")
def families(
    files: Files,
    db: Db = None,
    as_json: Json = False,
    report: Report = None,
    queue: Queue = False,
) -> None:
    """BKKBN family files (one row per member; docs/templates.md §2)."""
    _run("families", files, db, as_json, report, queue)


@import_app.command("screenings")
def screenings(
    files: Files,
    db: Db = None,
    as_json: Json = False,
    report: Report = None,
    queue: Queue = False,
) -> None:
    """Screenings of pregnant women, catin and adolescents (docs/templates.md §3)."""
    _run("screenings", files, db, as_json, report, queue)


@import_app.command("quarantine")
def quarantine(
    out: Annotated[Path, typer.Argument(help="CSV file to write.")],
    kind: Annotated[
        str, typer.Option("--kind", help=f"One of {', '.join(KINDS)}.")
    ] = "eppgbm",
    db: Db = None,
) -> None:
    """Write the rejected (quarantined) rows to a CSV to fix and import again."""
    if kind not in KINDS:
        raise typer.BadParameter(f"--kind must be one of {', '.join(KINDS)}")
    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            n = write_quarantine(session, kind=kind, path=out)
    finally:
        engine.dispose()
    typer.echo(f"{n} quarantined {kind} rows written to {out}")
