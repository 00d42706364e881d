"""`tumbuh export dhis2|fhir|eppgbm` and `tumbuh import dhis2`: data to and from other systems.

Heavy modules (pandas, lxml, the register) load inside the commands, not with the CLI.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from tumbuh.cli._app import app, import_app
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
    region: Region,
    period: Annotated[
        str, typer.Option("--period", help="DHIS2 period: 2025, 2025Q3 or 202508.")
    ],
    out: Annotated[
        Path, typer.Option("-o", "--out", help="FILE.json or FILE.xml (ADX).")
    ],
    mapping: MappingOpt = None,
    db: Db = None,
) -> None:
    """Prevalence and coverage per kab/kota as a DHIS2 dataValueSet (JSON) or ADX (XML)."""
    from tumbuh.cli.db import open_database
    from tumbuh.config import get_settings
    from tumbuh.db.session import unit_of_work
    from tumbuh.exchange import dhis2
    from tumbuh.exchange.periods import parse_period
    from tumbuh.exchange.values import routine_figures

    suffix = out.suffix.lower()
    if suffix not in (".json", ".xml"):
        raise InvalidInput(f"-o {out}: write .json (dataValueSets) or .xml (ADX)")
    from tumbuh.accounts.scope import parse_region_code

    p = parse_period(period)
    code = parse_region_code(region)
    m = dhis2.read_mapping(mapping)
    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            figures, withheld = routine_figures(
                session,
                region=code,
                period=p,
                small_cell_threshold=get_settings().small_cell_threshold,
            )
    finally:
        engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    write = dhis2.write_json if suffix == ".json" else dhis2.write_adx
    n = write(figures, out, m)
    typer.echo(
        f"{n} data values ({len({f.region_code for f in figures})} kab/kota, period "
        f"{p.dhis2}) written to {out}; {withheld} cell(s) withheld (fewer than "
        f"{get_settings().small_cell_threshold} children)"
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
    typer.echo(
        f"dhis2: read {report.read}, inserted {report.inserted}, updated "
        f"{report.updated}, unchanged {report.unchanged}, rejected {report.rejected}"
    )
    for issue in report.issues[:20]:
        typer.echo(
            f"  {issue.file}:{issue.row} [{issue.column}] {issue.code}: {issue.message_en}"
        )


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
        f"{done.children} children, {done.observations} observations in "
        f"{len(done.files)} bundle(s) in {out} (NIK "
        f"{'included' if done.with_nik else 'not included: role'}); audited"
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
        f"{done.rows} measurements written to {out} (NIK "
        f"{'included' if done.with_nik else 'not included: role'}); audited"
    )
