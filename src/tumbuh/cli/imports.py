"""`tumbuh import eppgbm|families|screenings FILE...`: each file chunk by chunk (short
write transactions, so that the served app keeps answering), one import at a time, with a
report; files over the limits (TUMBUH_IMPORT_MAX_*) are refused."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from tumbuh.cli._app import echo_import_outcome, echo_report, import_app, num, t
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
            from tumbuh.cli._app import cli_lang

            message = exc.message_en if cli_lang() == "en" else exc.message_id
            typer.echo(t("cli.error_plain", message=message), err=True)
            raise typer.Exit(1) from exc
        except OSError as exc:
            name = Path(exc.filename).name if exc.filename else ""
            typer.echo(
                t("cli.error_plain", message=t("cli.cannot_read", file=name))
                + f" ({exc.strerror})",
                err=True,
            )
            raise typer.Exit(1) from exc
        for job_id, path in zip(ids, files, strict=True):
            typer.echo(t("cli.jobs.queued", file=path.name, job=job_id))
        typer.echo(t("cli.jobs.follow"))
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
    echo_import_outcome(report, files=len(files), as_json=as_json, show=_print)


def _progress_printer() -> Callable[[int, int | None], None] | None:
    """A progress line on a terminal's stderr, rewritten after each chunk (None elsewhere:
    logs and pipes get the report only)."""
    if not sys.stderr.isatty():
        return None

    def show(read: int, total: int | None) -> None:
        text = (
            t("cli.progress_of", read=num(read, 0), total=num(total, 0))
            if total
            else t("cli.progress", read=num(read, 0))
        )
        sys.stderr.write(f"\r  {text}")
        if total and read >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _print(report: ImportReport) -> None:
    echo_report(report, shown=_SHOWN)
    typer.echo(
        "  " + t("cli.report.to_review", n=num(report.extra.get("link_review", 0), 0))
    )
    for written, chosen in report.extra.get("region_choices", {}).items():
        # Kabupaten and kota of one name: which one the rows' kecamatan/desa pointed to.
        typer.echo(f"  kab/kota {written!r} → {', '.join(chosen)}")


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
    typer.echo(
        t("cli.quarantine.written", n=num(n, 0), kind=t(f"cli.kind.{kind}"), out=out)
    )
