"""`tumbuh coverage`, `tumbuh gaps`, `tumbuh import interventions`, `tumbuh actions ...`,
`tumbuh interventions ...` (catalogue administration, one record, synthetic records)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from tumbuh.cli._app import app, import_app
from tumbuh.cli.db import open_database
from tumbuh.config import get_settings
from tumbuh.db.session import unit_of_work
from tumbuh.errors import InvalidInput
from tumbuh.imports import interventions as importer
from tumbuh.imports.reporting import write_issues
from tumbuh.interventions import service
from tumbuh.interventions.export import write_gaps_xlsx
from tumbuh.interventions.groups import Period
from tumbuh.interventions.schemas import (
    ActionCreate,
    ActionStatus,
    ActionUpdate,
    InterventionCreate,
    KindCreate,
    KindUpdate,
    RecordStatus,
)
from tumbuh.interventions.synthetic import record_synthetic
from tumbuh.reports.periods import COVERAGE_SOURCES, PeriodChoice, resolve_year

Db = Annotated[
    str | None, typer.Option("--db", help="Database URL (overrides settings).")
]
Region = Annotated[
    str | None,
    typer.Option("--region", help="Region code (province, kab/kota, kec, desa)."),
]
Year = Annotated[
    int | None,
    typer.Option(
        "--year",
        "--period",
        help="Calendar year (default: the latest complete year, docs/periods.md).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]

actions_app = typer.Typer(help="Actions agreed at coordination meetings.")
kinds_app = typer.Typer(
    help="Intervention catalogue, single records, synthetic records."
)
app.add_typer(actions_app, name="actions")
app.add_typer(kinds_app, name="interventions")


@contextmanager
def _session(db: str | None) -> Iterator[Session]:
    """A unit of work on the database (opened, upgraded if needed, disposed afterwards)."""
    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            yield session
    finally:
        engine.dispose()


def _period(year: int | None) -> Period:
    today = dt.date.today()
    return Period.year(year or today.year, as_of=today)


def _reporting_period(
    session: Session, year: int | None, region: str | None
) -> tuple[Period, PeriodChoice | None]:
    """An explicit --year, else the latest year whose data are complete."""
    chosen, choice = resolve_year(
        session, year, region=region, sources=COVERAGE_SOURCES
    )
    return Period.year(chosen, as_of=dt.date.today()), choice


def _period_json(period: Period, choice: PeriodChoice | None) -> dict[str, object]:
    return {
        "period_label": str(period.start.year),
        "period_choice": None if choice is None else choice.to_dict(),
        "period_note": None if choice is None else choice.note("en"),
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@app.command("coverage")
def coverage_cmd(
    region: Region = None,
    year: Year = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Also per area: kabkota, kecamatan or desa."),
    ] = None,
    as_json: Json = False,
    db: Db = None,
) -> None:
    """Coverage of every catalogue indicator against its target, and which sector is behind."""
    with _session(db) as session:
        period, choice = _reporting_period(session, year, region)
        reg = service.register_for(session, region=region, period=period)
        result = service.coverage_report(
            session, region=region, period=period, register=reg
        )
        conv = service.convergence_report(
            session,
            region=region,
            period=period,
            register=reg,
            welfare_max_decile=get_settings().welfare_eligible_max_decile,
        )
        areas = (
            service.coverage_by_area_report(
                session, region=region, period=period, level=by, register=reg
            )
            if by is not None
            else None
        )
    if as_json:
        out = result.to_dict()
        out.update(_period_json(period, choice))
        out["convergence"] = conv.to_dict()
        if areas is not None:
            out["by_area"] = json.loads(areas.to_json(orient="records"))
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    p = result.period
    typer.echo(
        f"coverage {region or 'all regions'} {p.start.year} ({p.start} .. {p.end})"
    )
    if choice is not None and choice.note("en"):
        typer.echo(str(choice.note("en")))
    typer.echo(
        f"{'code':<24}{'sector':<13}{'num':>7}{'den':>8}{'cov%':>7}{'target':>8}{'gap':>7}"
    )
    for r in result.rows:
        typer.echo(
            f"{r.code:<24}{r.sector:<13}{r.numerator:>7}{r.denominator:>8}"
            f"{_pct(r.coverage_pct):>7}{_pct(r.target_pct):>8}{_pct(r.gap_pts):>7}"
        )
    typer.echo("sectors (furthest behind first):")
    for s in result.sectors:
        typer.echo(
            f"  {s.sector:<13} below target {s.below_target}/{s.with_target}, "
            f"mean gap {_pct(s.mean_gap_pts)} pts"
        )
    typer.echo(
        f"families at risk: {conv.krs_families}, with the full package: {conv.full_package}"
    )
    if areas is not None:
        typer.echo(f"by {by}:")
        for a in areas.to_dict(orient="records"):
            typer.echo(
                f"  {a['area_code'] or '(no desa)':<16}{a['code']:<24}"
                f"{a['numerator']:>6}/{a['denominator']:<6}{_pct(a['coverage_pct']):>7}"
            )


@app.command("gaps")
def gaps_cmd(
    region: Annotated[str, typer.Option("--region", help="Region code, e.g. a desa.")],
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Write the gap list to FILE.xlsx.")
    ] = None,
    year: Year = None,
    as_json: Json = False,
    db: Db = None,
) -> None:
    """Families at risk with a missing intervention, grouped by the responsible office."""
    with _session(db) as session:
        period, choice = _reporting_period(session, year, region)
        conv = service.convergence_report(
            session,
            region=region,
            period=period,
            welfare_max_decile=get_settings().welfare_eligible_max_decile,
        )
    if xlsx is not None:
        write_gaps_xlsx(conv, xlsx)
    if as_json:
        out = conv.to_dict()
        out.update(_period_json(period, choice))
        # Missing values (a family-level gap has no person id: Int64 <NA>) become null.
        out["gaps"] = json.loads(
            conv.missing.to_json(orient="records", date_format="iso", force_ascii=False)
        )
        typer.echo(json.dumps(out, ensure_ascii=False, default=str))
        return
    typer.echo(
        f"gaps {region} {period.start.year}: {conv.krs_families} families at risk, "
        f"{conv.full_package} with the full package"
    )
    if choice is not None and choice.note("en"):
        typer.echo(str(choice.note("en")))
    for sector, g in conv.missing.groupby("sector"):
        typer.echo(f"{sector}: {len(g)} missing, {g['family_id'].nunique()} families")
        for code, n in g.groupby("code").size().items():
            typer.echo(f"  {code}: {n}")
    if xlsx is not None:
        typer.echo(f"written: {xlsx}")


@import_app.command("interventions")
def import_interventions(
    files: Annotated[list[Path], typer.Argument(help="CSV or XLSX files.")],
    db: Db = None,
    as_json: Json = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write the issues to FILE.csv/.xlsx."),
    ] = None,
) -> None:
    """Intervention records (docs/interventions.md): one row per person or family and date."""
    engine = open_database(db)
    try:
        result = importer.run_import(engine, paths=files)
    finally:
        engine.dispose()
    if report is not None:
        write_issues(result, report)
    if as_json:
        typer.echo(result.to_json())
    else:
        typer.echo(
            f"interventions: read {result.read}, inserted {result.inserted}, updated "
            f"{result.updated}, unchanged {result.unchanged}, rejected {result.rejected}"
        )
        for issue in result.issues[:20]:
            col = f" [{issue.column}]" if issue.column else ""
            typer.echo(
                f"  {issue.file}:{issue.row}{col} {issue.severity} {issue.code}: "
                f"{issue.message_en}"
            )
        if len(result.issues) > 20:
            typer.echo(f"  ... and {len(result.issues) - 20} more (--report FILE.csv)")
    if result.extra.get("failed_files"):
        for failed in result.extra["failed_files"]:
            typer.echo(f"error: {failed['error']}", err=True)
        raise typer.Exit(1)


# ------------------------------------------------------------------------ actions


@actions_app.command("add")
def actions_add(
    title: Annotated[str, typer.Argument(help="What was agreed.")],
    owner: Annotated[str, typer.Option("--owner", help="Owner office, e.g. DPPKB.")],
    region: Annotated[str, typer.Option("--region", help="Region code.")],
    due: Annotated[str, typer.Option("--due", help="Due date YYYY-MM-DD.")],
    meeting: Annotated[
        str | None, typer.Option("--meeting", help="Meeting date (default today).")
    ] = None,
    indicator: Annotated[
        str | None, typer.Option("--indicator", help="Linked catalogue code.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: Db = None,
) -> None:
    """Record an action agreed at a coordination meeting."""
    data = ActionCreate(
        meeting_on=_date(meeting) if meeting else dt.date.today(),
        title=title,
        owner=owner,
        region_code=region,
        due_on=_date(due),
        indicator_code=indicator,
        note=note,
    )
    with _session(db) as session:
        # The baseline is the coverage of the latest complete year (docs/periods.md).
        year, _ = resolve_year(session, None, region=region, sources=COVERAGE_SOURCES)
        action = service.create_action(session, data, year=year)
        typer.echo(f"action {action.id} added (baseline {_pct(action.baseline_pct)}%)")


@actions_app.command("list")
def actions_list(region: Region = None, as_json: Json = False, db: Db = None) -> None:
    """Actions by due date; overdue ones marked, with the indicator's movement since."""
    with _session(db) as session:
        year, _ = resolve_year(session, None, region=region, sources=COVERAGE_SOURCES)
        rows = service.list_actions(session, region=region, year=year)
    if as_json:
        typer.echo(
            json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False)
        )
        return
    for r in rows:
        mark = "OVERDUE " if r.overdue else ""
        move = (
            f" {r.indicator_code} {_pct(r.baseline_pct)}% -> {_pct(r.current_pct)}% "
            f"({'+' if (r.movement_pts or 0) >= 0 else ''}{_pct(r.movement_pts)} pts)"
            if r.indicator_code
            else ""
        )
        typer.echo(
            f"{mark}#{r.id} [{r.status}] due {r.due_on} {r.owner} {r.region_code}: "
            f"{r.title}{move}"
        )


@actions_app.command("set")
def actions_set(
    action_id: Annotated[int, typer.Argument(help="Action id.")],
    status: Annotated[
        ActionStatus | None,
        typer.Option("--status", help="open/in_progress/done/dropped"),
    ] = None,
    due: Annotated[str | None, typer.Option("--due", help="New due date.")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: Db = None,
) -> None:
    """Change an action's status, due date or note."""
    with _session(db) as session:
        action = service.update_action(
            session,
            action_id,
            ActionUpdate(status=status, due_on=_date(due) if due else None, note=note),
        )
        typer.echo(f"action {action.id}: {action.status}, due {action.due_on}")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"not a date (YYYY-MM-DD): {text!r}") from None


# ------------------------------------------------------------------------ catalogue


@kinds_app.command("catalogue")
def catalogue_cmd(as_json: Json = False, db: Db = None) -> None:
    """List the catalogue (seeded from the packaged CSV on first use)."""
    with _session(db) as session:
        kinds = service.list_kinds(session)
        rows = [{c: getattr(k, c) for c in KindCreate.model_fields} for k in kinds]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        target = "NOT FOUND" if r["target_pct"] is None else f"{r['target_pct']:g}%"
        flag = "" if r["active"] else " (inactive)"
        typer.echo(
            f"{r['code']:<24}{r['kind']:<10}{r['sector']:<13}{r['target_group']:<24}"
            f"{target:>10}{flag}  {r['name_en']}"
        )


@kinds_app.command("load")
def catalogue_load(
    path: Annotated[Path, typer.Argument(help="CSV with the catalogue columns.")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace existing kinds too.")
    ] = False,
    db: Db = None,
) -> None:
    """Add kinds from a CSV (columns of src/tumbuh/data/interventions/catalogue.csv)."""
    with _session(db) as session:
        service.ensure_catalogue(session)
        n = service.load_catalogue(session, path=path, overwrite=overwrite)
    typer.echo(f"catalogue: {n} kinds added or changed")


@kinds_app.command("set")
def catalogue_set(
    code: Annotated[str, typer.Argument(help="Catalogue code.")],
    target: Annotated[float | None, typer.Option("--target", help="Target %.")] = None,
    target_year: Annotated[int | None, typer.Option("--target-year")] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Target source.")
    ] = None,
    sector: Annotated[str | None, typer.Option("--sector")] = None,
    package: Annotated[
        str | None,
        typer.Option("--package", help="in_package_for groups, ';'-separated."),
    ] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    db: Db = None,
) -> None:
    """Edit one catalogue kind (administrator)."""
    fields: dict[str, object] = {
        "target_pct": target,
        "target_year": target_year,
        "target_source": source,
        "sector": sector,
        "active": active,
    }
    if package is not None:
        fields["in_package_for"] = [g.strip() for g in package.split(";") if g.strip()]
    data = KindUpdate.model_validate({k: v for k, v in fields.items() if v is not None})
    with _session(db) as session:
        kind = service.update_kind(session, code, data)
        typer.echo(f"{kind.code}: updated")


@kinds_app.command("record")
def record_cmd(
    code: Annotated[str, typer.Argument(help="Catalogue code.")],
    date: Annotated[str, typer.Option("--date", help="Date given YYYY-MM-DD.")],
    nik: Annotated[str | None, typer.Option("--nik")] = None,
    no_kk: Annotated[str | None, typer.Option("--kk")] = None,
    status: Annotated[RecordStatus, typer.Option("--status")] = RecordStatus.given,
    unit: Annotated[str | None, typer.Option("--unit")] = None,
    db: Db = None,
) -> None:
    """Record one intervention for a person (--nik) or a family (--kk)."""
    data = InterventionCreate(
        kind_code=code,
        nik=nik,
        no_kk=no_kk,
        given_on=_date(date),
        status=status,
        unit=unit,
    )
    with _session(db) as session:
        rec = service.record(session, data)
        typer.echo(f"record {rec.id}: {rec.kind_code} {rec.status} on {rec.given_on}")


@kinds_app.command("synthetic")
def synthetic_cmd(
    seed: Annotated[int, typer.Option("--seed")] = 1,
    year: Year = None,
    region: Region = None,
    db: Db = None,
) -> None:
    """Generate synthetic records for the register in the database (demo province)."""
    with _session(db) as session:
        n = record_synthetic(session, period=_period(year), seed=seed, region=region)
    typer.echo(f"synthetic interventions recorded: {n}")


@kinds_app.command("outcomes")
def outcomes_cmd(
    region: Region = None,
    year: Annotated[
        int | None,
        typer.Option("--year", help="One calendar year (default: every year)."),
    ] = None,
    as_json: Json = False,
    db: Db = None,
) -> None:
    """New-case rate of children with the full effective package (TTD, PMT if KEK, MP-ASI)
    against those missing part of it, per kab/kota: OBSERVATIONAL (docs/interventions.md)."""
    from tumbuh.interventions.outcomes import new_cases_by_package

    with _session(db) as session:
        rows = new_cases_by_package(session, region=region, year=year)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False))
        return
    typer.echo(
        "observational: children who miss a service differ in other ways too; "
        "not the effect of the package"
    )
    for r in rows:
        rr = (
            f"RR {r.rr:.2f} ({r.rr_ci_low:.2f}-{r.rr_ci_high:.2f})"
            if r.rr is not None and r.rr_ci_low is not None and r.rr_ci_high is not None
            else "RR -"
        )
        typer.echo(
            f"{r.year} {r.region_code:6s} {r.region_name[:30]:30s} "
            f"full {r.new_cases_full}/{r.at_risk_full} ({_pct(r.rate_full_pct)}) "
            f"missing {r.new_cases_missing}/{r.at_risk_missing} "
            f"({_pct(r.rate_missing_pct)}) {rr}"
        )
