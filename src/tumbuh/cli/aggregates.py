"""`tumbuh import aggregates`: published prevalence figures (SSGI, SKI, e-PPGBM), targets and
programme aggregates (KUA marriages, unwanted pregnancies, understanding of stunting, ODF desa)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from tumbuh.cli._app import echo_report, import_app, num, t
from tumbuh.config import get_settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.errors import ImportFileError, TumbuhError
from tumbuh.i18n import error_text, translate
from tumbuh.models import Base
from tumbuh.surveillance import service
from tumbuh.surveillance.models import ProgrammeAggregate, PublishedFigure, Target
from tumbuh.surveillance.service import Layout
from tumbuh.tabular.issues import ImportReport, RowIssue

_MAX_ISSUES_SHOWN = 20


def open_surveillance_db(db: str | None) -> Engine:
    """An engine whose database has the surveillance tables.

    A database without Alembic's bookkeeping (first use, tests) gets the schema from the
    models; a migrated database that lacks the tables is an error: run the migrations.
    """
    engine = make_engine(db or get_settings().database_url)
    tables = set(inspect(engine).get_table_names())
    needed = {
        PublishedFigure.__tablename__,
        Target.__tablename__,
        ProgrammeAggregate.__tablename__,
    }
    if needed <= tables:
        return engine
    if "alembic_version" in tables:
        raise TumbuhError(
            "the database has no published_figures/published_targets/"
            "programme_aggregates tables: "
            "run the database migrations (tumbuh db upgrade) first",
            code="schema_missing",
        )
    create_schema(engine, Base.metadata)
    return engine


def _print_report(report: ImportReport) -> None:
    echo_report(report, label=", ".join(report.files), shown=_MAX_ISSUES_SHOWN)


@import_app.command("aggregates")
def import_aggregates(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILE...",
            help="CSV/XLSX files in the published-figures, targets or programme-"
            "aggregates layout (default: the packaged published_stunting_kaltim.csv).",
        ),
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="auto (detect from the header), figures, targets or programme.",
        ),
    ] = "auto",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object.")
    ] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: settings).")
    ] = None,
) -> None:
    """Import published figures, targets or programme aggregates (one transaction per file).

    Targets come from a targets file when one is given, else from the packaged
    targets.csv the first time (nothing changes when targets are already stored).
    Programme aggregates (kode, kode_wilayah, tahun, pembilang, penyebut, sumber:
    docs/templates.md §5) feed the indicators the register cannot count.
    """
    try:
        layout = service.parse_layout(kind)
        engine = open_surveillance_db(db)
        paths = list(files) if files else [service.PACKAGED_FIGURES]
        reports = []
        failed = False
        for path in paths:
            try:
                with unit_of_work(engine) as session:
                    reports.append(_import_one(session, path, layout))
            except ImportFileError as exc:
                # A file that cannot be read at all does not stop the other files.
                failed = True
                reports.append(_unreadable(path, exc))
        with unit_of_work(engine) as session:
            packaged = service.ensure_targets(session)
        engine.dispose()
    except TumbuhError as exc:
        from tumbuh.cli import error_line

        typer.echo(error_line(exc), err=True)
        raise typer.Exit(1) from None
    report = service.merge_reports(reports)
    report.extra["packaged_targets_loaded"] = packaged.inserted if packaged else 0
    if json_out:
        typer.echo(report.to_json())
    else:
        for single in reports:
            _print_report(single)
        if packaged is not None:
            typer.echo(t("cli.aggregates.targets", n=num(packaged.inserted, 0)))
    if failed:
        raise typer.Exit(1)


def _import_one(session: Session, path: Path, layout: Layout) -> ImportReport:
    from tumbuh.register.regions import master_codes
    from tumbuh.surveillance import programme
    from tumbuh.tabular.readers import open_table

    if layout == Layout.programme or (
        layout == Layout.auto
        and programme.is_programme_header(open_table(path).columns)
    ):
        return programme.import_file(session, path=path, known_regions=master_codes())
    return service.import_file(session, path=path, layout=layout)


def _unreadable(path: Path, exc: ImportFileError) -> ImportReport:
    report = ImportReport(kind="aggregates", files=[path.name])
    report.issues.append(
        RowIssue(
            file=path.name,
            row=0,
            column=None,
            code=exc.code,
            message_id=translate(
                "agg.issue.unreadable_file", "id", reason=error_text(exc, "id")
            ),
            message_en=translate(
                "agg.issue.unreadable_file", "en", reason=error_text(exc, "en")
            ),
        )
    )
    return report
