"""`tumbuh export dhis2|fhir|eppgbm` and `tumbuh import dhis2`: data to and from other systems.

Heavy modules (pandas, lxml, the register) load inside the commands, not with the CLI.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from tumbuh.cli._app import app, echo_report, import_app, num, t, tn
from tumbuh.errors import InvalidInput

export_app = typer.Typer(
    help="Export to other systems: DHIS2 (JSON/ADX), FHIR R4 bundles, e-PPGBM upload.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

Db = Annotated[
    str | None, typer.Option("--db", help="Database URL (overrides settings).")
]
Region = Annotated[
    str,
    typer.Option("--region", help="Kemendagri code: province 64 or kab/kota 64.72."),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping", help="CSV type,code,uid: a DHIS2 instance's UIDs for the codes."
    ),
]
User = Annotated[
    str,
    typer.Option(
        "--user", help="Account the export is made as (its role and region decide)."
    ),
]


@export_app.command("dhis2")
def export_dhis2(
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="Kemendagri code: province 64 or kab/kota 64.72 (default: the "
            "register's province).",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="DHIS2 period: 2025, 2025Q3 or 202508 (default: the latest complete "
            "year).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--out",
            help="FILE.json or FILE.xml (ADX) (default: dhis2-REGION-PERIOD.json).",
        ),
    ] = None,
    mapping: MappingOpt = None,
    db: Db = None,
) -> None:
    """Prevalence and coverage per kab/kota as a DHIS2 dataValueSet (JSON) or ADX (XML)."""
    from tumbuh.accounts.scope import parse_region_code
    from tumbuh.cli._app import region_or_register
    from tumbuh.cli.db import open_database
    from tumbuh.config import get_settings
    from tumbuh.db.session import unit_of_work
    from tumbuh.exchange import dhis2
    from tumbuh.exchange.periods import parse_period
    from tumbuh.exchange.values import routine_figures
    from tumbuh.reports.periods import default_period

    if out is not None and out.suffix.lower() not in (".json", ".xml"):
        raise InvalidInput(f"-o {out}: write .json (dataValueSets) or .xml (ADX)")
    m = dhis2.read_mapping(mapping)
    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            code = parse_region_code(region_or_register(session, region))
            if period is None:
                period = default_period(session, kind="year", region=code).label
                if period is None:
                    raise InvalidInput(
                        "no complete year of measurements: give --period",
                        key="cli.dhis2.no_period",
                    )
                typer.echo(t("cli.dhis2.period_default", period=period), err=True)
            p = parse_period(period)
            if out is None:
                out = Path(f"dhis2-{code}-{p.dhis2}.json")
            figures, withheld = routine_figures(
                session,
                region=code,
                period=p,
                small_cell_threshold=get_settings().small_cell_threshold,
            )
    finally:
        engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    write = dhis2.write_json if out.suffix.lower() == ".json" else dhis2.write_adx
    n = write(figures, out, m)
    typer.echo(
        t(
            "cli.dhis2.written",
            n=num(n, 0),
            regions=num(len({f.region_code for f in figures}), 0),
            period=p.dhis2,
            out=out,
            withheld=num(withheld, 0),
            threshold=get_settings().small_cell_threshold,
        )
    )


@import_app.command("dhis2")
def import_dhis2(
    file: Annotated[Path, typer.Argument(help="dataValueSets JSON or ADX XML.")],
    mapping: MappingOpt = None,
    db: Db = None,
) -> None:
    """A DHIS2 dataValueSet (JSON or ADX) as published routine figures (source DHIS2)."""
    from tumbuh.cli.db import open_database
    from tumbuh.db.session import unit_of_work
    from tumbuh.exchange import dhis2

    m = dhis2.read_mapping(mapping)
    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            report = dhis2.import_dhis2(session, path=file, mapping=m)
    finally:
        engine.dispose()
    echo_report(report, label="DHIS2")


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{option} {value!r}: use YYYY-MM-DD") from exc


Since = Annotated[
    str | None,
    typer.Option("--since", help="Only measurements on or after YYYY-MM-DD."),
]


@export_app.command("fhir")
def export_fhir(
    region: Region,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    user: User,
    since: Since = None,
    per_bundle: Annotated[
        int, typer.Option("--children-per-bundle", help="Children in one Bundle file.")
    ] = 500,
    db: Db = None,
) -> None:
    """FHIR R4 transaction Bundles: Patient, RelatedPerson (mother), Observations."""
    from tumbuh.cli.db import open_database
    from tumbuh.db.session import unit_of_work
    from tumbuh.exchange import fhir

    if per_bundle < 1:
        raise InvalidInput("--children-per-bundle must be at least 1")
    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            done = fhir.export_fhir(
                session,
                user=fhir.user_named(session, user),
                region=region.strip(),
                out_dir=out,
                since=_date(since, "--since"),
                children_per_bundle=per_bundle,
            )
    finally:
        engine.dispose()
    typer.echo(
        t(
            "cli.fhir.written",
            children=tn("cli.n.children", done.children),
            observations=num(done.observations, 0),
            bundles=num(len(done.files), 0),
            out=out,
            nik=t("cli.nik.included" if done.with_nik else "cli.nik.not_included"),
        )
    )


@export_app.command("eppgbm")
def export_eppgbm(
    region: Region,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output FILE.csv.")],
    user: User,
    since: Since = None,
    db: Db = None,
) -> None:
    """Measurements in the e-PPGBM upload layout (CSV), for the national system."""
    from tumbuh.cli.db import open_database
    from tumbuh.db.session import unit_of_work
    from tumbuh.exchange import eppgbm, fhir

    if out.suffix.lower() != ".csv":
        raise InvalidInput(f"-o {out}: the e-PPGBM upload file is written as .csv")
    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            done = eppgbm.export_eppgbm(
                session,
                user=fhir.user_named(session, user),
                region=region.strip(),
                path=out,
                since=_date(since, "--since"),
            )
    finally:
        engine.dispose()
    typer.echo(
        t(
            "cli.eppgbm.written",
            rows=num(done.rows, 0),
            out=out,
            nik=t("cli.nik.included" if done.with_nik else "cli.nik.not_included"),
        )
    )
