"""`tumbuh import eppgbm|families|screenings FILE...`: each file chunk by chunk (short
write transactions, so that the served app keeps answering), one import at a time, with a
report; files over the limits (TUMBUH_IMPORT_MAX_*) are refused."""

from __future__ import annotations

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


def _run(
    kind: str,
    files: list[Path],
    db: str | None,
    as_json: bool,
    report_path: Path | None,
) -> None:
    from tumbuh.config import get_settings
    from tumbuh.imports.limits import ImportLimits

    engine = open_database(db)
    try:
        report = run_import(
            engine,
            kind=kind,
            paths=files,
            limits=ImportLimits.from_settings(get_settings()),
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
    files: Files, db: Db = None, as_json: Json = False, report: Report = None
) -> None:
    """e-PPGBM measurement exports: children, mothers, families, z-scored measurements."""
    _run("eppgbm", files, db, as_json, report)


@import_app.command("families")
def families(
    files: Files, db: Db = None, as_json: Json = False, report: Report = None
) -> None:
    """BKKBN family files (one row per member; docs/templates.md §2)."""
    _run("families", files, db, as_json, report)


@import_app.command("screenings")
def screenings(
    files: Files, db: Db = None, as_json: Json = False, report: Report = None
) -> None:
    """Screenings of pregnant women, catin and adolescents (docs/templates.md §3)."""
    _run("screenings", files, db, as_json, report)


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
