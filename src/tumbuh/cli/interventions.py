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

from tumbuh.cli._app import (
    app,
    cli_lang,
    echo_import_outcome,
    echo_report,
    echo_table,
    import_app,
    num,
    region_or_register,
    t,
    tn,
)
from tumbuh.cli.db import open_database
from tumbuh.config import get_settings
from tumbuh.db.session import unit_of_work
from tumbuh.errors import InvalidInput
from tumbuh.i18n import format_date
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
    return num(value, 1)


def _note(choice: PeriodChoice | None) -> None:
    """The reporting period's note (why this year), in the output language."""
    if choice is not None and choice.note(cli_lang()):
        typer.echo(str(choice.note(cli_lang())))


def _sector(code: str) -> str:
    """A sector (Dinkes, DPPKB ...) is a name; one without a name says so."""
    return code or t("cli.none")


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
    lang = cli_lang()
    typer.echo(
        t(
            "cli.coverage.title",
            region=region or t("cli.all_regions"),
            year=p.start.year,
            start=format_date(p.start, lang),
            end=format_date(p.end, lang),
        )
    )
    _note(choice)
    echo_table(
        [("cli.col.intervention", -40), ("cli.col.sector", -12), ("cli.col.numerator", 7),
         ("cli.col.denominator", 7), ("cli.col.coverage_pct", 6), ("cli.col.target_pct", 6),
         ("cli.col.gap_pts", 6)],
        [
            (
                (r.name_en if lang == "en" else r.name_id), _sector(r.sector),
                num(r.numerator, 0), num(r.denominator, 0), _pct(r.coverage_pct),
                _pct(r.target_pct), _pct(r.gap_pts),
            )
            for r in result.rows
        ],
    )  # fmt: skip
    typer.echo(t("cli.coverage.sectors"))
    for s in result.sectors:
        typer.echo(
            "  "
            + t(
                "cli.coverage.sector",
                sector=_sector(s.sector),
                below=s.below_target,
                of=s.with_target,
                gap=_pct(s.mean_gap_pts),
            )
        )
    typer.echo(
        t(
            "cli.coverage.convergence",
            krs=num(conv.krs_families, 0),
            full=num(conv.full_package, 0),
        )
    )
    if areas is not None:
        names = {
            r.code: (r.name_en if lang == "en" else r.name_id) for r in result.rows
        }
        typer.echo(t("cli.coverage.by", level=t(f"cli.level.{by}")))
        records = areas.to_dict(orient="records")
        wide = max([40, *(len(names.get(a["code"], a["code"])) for a in records)])
        for a in records:
            typer.echo(
                f"  {a['area_code'] or t('cli.no_desa'):<16}"
                f"{names.get(a['code'], a['code']):<{wide + 1}}"
                f"{num(a['numerator'], 0):>6}/{num(a['denominator'], 0):<6}"
                f"{_pct(a['coverage_pct']):>7}"
            )


@app.command("gaps")
def gaps_cmd(
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="Region code, e.g. a desa (default: the register's province).",
        ),
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Write the gap list to FILE.xlsx.")
    ] = None,
    year: Year = None,
    as_json: Json = False,
    db: Db = None,
) -> None:
    """Families at risk with a missing intervention, grouped by the responsible office."""
    with _session(db) as session:
        region = region_or_register(session, region)
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
        t(
            "cli.gaps.title",
            region=region,
            year=period.start.year,
            families=tn("cli.n.families", conv.krs_families),
            full=num(conv.full_package, 0),
        )
    )
    _note(choice)
    lang = cli_lang()
    name_col = "name_en" if lang == "en" else "name_id"
    for sector, g in conv.missing.groupby("sector"):
        typer.echo(
            t(
                "cli.gaps.sector",
                sector=_sector(str(sector)),
                missing=num(len(g), 0),
                families=tn("cli.n.families", int(g["family_id"].nunique())),
            )
        )
        names = (
            dict(zip(g["code"], g[name_col], strict=False))
            if name_col in g.columns
            else {}
        )
        for code, n in g.groupby("code").size().items():
            typer.echo(f"  {names.get(code, code)}: {num(int(n), 0)}")
    if xlsx is not None:
        typer.echo(t("cli.written", path=xlsx))


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
    echo_import_outcome(result, files=len(files), as_json=as_json, show=echo_report)


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
        typer.echo(
            t("cli.actions.added", id=action.id, baseline=_pct(action.baseline_pct))
        )


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
    lang = cli_lang()
    for r in rows:
        mark = t("act.overdue").upper() + " " if r.overdue else ""
        move = (
            " "
            + t(
                "cli.actions.movement",
                indicator=_kind_name(r.indicator_code, lang),
                baseline=_pct(r.baseline_pct),
                current=_pct(r.current_pct),
                movement=num(r.movement_pts, 1, signed=True),
            )
            if r.indicator_code
            else ""
        )
        typer.echo(
            f"{mark}#{r.id} [{t(f'act.status.{r.status}')}] "
            + t("cli.actions.due", date=format_date(r.due_on, lang))
            + f" {r.owner} {r.region_code}: {r.title}{move}"
        )


def _kind_name(code: str | None, lang: str) -> str:
    """An intervention kind's name in ``lang`` (the code when the catalogue lacks it)."""
    if not code:
        return "-"
    with _session(None) as session:
        kind = next((k for k in service.list_kinds(session) if k.code == code), None)
    if kind is None:
        return code
    return str(kind.name_en if lang == "en" else kind.name_id)


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
        typer.echo(
            f"#{action.id}: {t(f'act.status.{action.status}')}, "
            + t("cli.actions.due", date=format_date(action.due_on, cli_lang()))
        )


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
    lang = cli_lang()
    wide = max(
        [48, *(len(str(r["name_en" if lang == "en" else "name_id"])) for r in rows)]
    )
    for r in rows:
        target = (
            t("cli.catalogue.no_target")
            if r["target_pct"] is None
            else num(r["target_pct"], 1) + " %"
        )
        flag = "" if r["active"] else f" ({t('cli.catalogue.inactive')})"
        name = str(r["name_en"] if lang == "en" else r["name_id"])
        kind = t(f"iv.kindof.{r['kind']}")
        group = t(f"target.{r['target_group']}")
        typer.echo(
            f"{name:<{wide + 1}}{kind:<10}{_sector(r['sector']):<13}"
            f"{group:<28}{target:>14}{flag}"
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
    typer.echo(t("cli.catalogue.loaded", n=num(n, 0)))


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
        typer.echo(t("cli.catalogue.updated", code=kind.code))


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
        typer.echo(
            t(
                "cli.record.saved",
                id=rec.id,
                kind=_kind_name(rec.kind_code, cli_lang()),
                status=t(f"iv.state.{rec.status}"),
                date=format_date(rec.given_on, cli_lang()),
            )
        )


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
    typer.echo(t("cli.synthetic.recorded", n=num(n, 0)))


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
    typer.echo(t("cli.outcomes.observational"))
    wide = max([30, *(len(r.region_name) for r in rows)])
    for r in rows:
        rr = (
            f"RR {num(r.rr, 2)} ({num(r.rr_ci_low, 2)}–{num(r.rr_ci_high, 2)})"
            if r.rr is not None and r.rr_ci_low is not None and r.rr_ci_high is not None
            else "RR -"
        )
        typer.echo(
            f"{r.year} {r.region_code:6s} {r.region_name:{wide}s} "
            + t(
                "cli.outcomes.row",
                full_new=num(r.new_cases_full, 0),
                full_at_risk=num(r.at_risk_full, 0),
                full_rate=_pct(r.rate_full_pct),
                missing_new=num(r.new_cases_missing, 0),
                missing_at_risk=num(r.at_risk_missing, 0),
                missing_rate=_pct(r.rate_missing_pct),
            )
            + f" {rr}"
        )
    if not rows:
        typer.echo(t("cli.none_found"))
