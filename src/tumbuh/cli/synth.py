"""`tumbuh synth`: write a synthetic province (files and ground truth), optionally import it."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine

from tumbuh.cli._app import app, cli_lang, echo_table, failure_text, num, t
from tumbuh.errors import InvalidInput, TumbuhError
from tumbuh.i18n import error_text
from tumbuh.synth import SynthConfig, SynthResult, synthesize

_YEARS = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*$")
_SETTINGS_DB = "default"


def parse_years(text: str) -> tuple[int, int]:
    """'2022-2025' or '2024' -> (first, last)."""
    m = _YEARS.match(text)
    if not m:
        raise InvalidInput(f"--years must look like 2022-2025 (got {text!r})")
    first = int(m.group(1))
    last = int(m.group(2) or first)
    if last < first:
        raise InvalidInput(
            f"--years: the last year {last} comes before the first {first}"
        )
    return first, last


def import_into_db(
    result: SynthResult,
    database_url: str | None,
    *,
    risk_model: Path | None = None,
    alone: bool | None = None,
) -> list[str]:
    """Load a synthetic province into a database the way a real team would, through the
    real services, and return one summary line per step:

    1. the CSV files through the importers (`tumbuh import ...`): families first so that
       children link to their families, then screenings, then the e-PPGBM exports;
    2. the intervention records the generator decided (`interventions.csv`, `tumbuh import
       interventions`), plus invented records for the kinds it does not decide;
    3. the packaged published figures and targets (`tumbuh import aggregates`);
    4. when `risk_model` is given, the model of new cases is trained on the register, saved
       there, and every family is scored for the year after the data (visit lists, forecast).

    `alone=True`: nobody else uses the database yet (`tumbuh demo`), so the importers write
    in large chunks without pausing for waiting logins (default: `run_import` decides).
    """
    from tumbuh.cli.db import open_database
    from tumbuh.db.session import unit_of_work
    from tumbuh.imports.service import run_import
    from tumbuh.register.regions import ensure_regions

    engine = open_database(database_url)
    try:
        with unit_of_work(engine) as session:
            ensure_regions(session)
        out = result.out_dir
        lines: list[str] = []
        plan = [
            ("families", [out / "families.csv"]),
            ("screenings", [out / "screenings.csv"]),
            ("eppgbm", sorted((out / "eppgbm").rglob("*.csv"))),
        ]
        for kind, paths in plan:
            started = time.perf_counter()
            report = run_import(
                engine, kind=kind, paths=[p for p in paths if p.exists()], alone=alone
            )
            lines.append(
                _imported(t(f"cli.kind.{kind}"), report)
                + " "
                + t("cli.demo.seconds", seconds=num(time.perf_counter() - started, 0))
            )
            for failed in report.extra.get("failed_files", []):
                lines.append(
                    t(
                        "cli.demo.failed",
                        file=failed["file"],
                        error=failure_text(failed),
                    )
                )
        started = time.perf_counter()
        lines.append(
            _record_interventions(engine, result)
            + " "
            + t("cli.demo.seconds", seconds=num(time.perf_counter() - started, 0))
        )
        lines.append(_import_published(engine))
        if risk_model is not None:
            started = time.perf_counter()
            lines.extend(_train_and_score(engine, risk_model))
            lines[-1] += " " + t(
                "cli.demo.seconds", seconds=num(time.perf_counter() - started, 0)
            )
    finally:
        engine.dispose()
    return lines


def _imported(what: str, report: Any) -> str:
    """One import's summary line: counts, then the issues by code."""
    codes = Counter(issue.code for issue in report.issues)
    issues = ", ".join(f"{code} {num(n, 0)}" for code, n in sorted(codes.items()))
    return t(
        "cli.demo.imported",
        what=what,
        read=num(report.read, 0),
        inserted=num(report.inserted, 0),
        rejected=num(report.rejected, 0),
        issues=issues or t("cli.demo.no_issues"),
    )


def _record_interventions(engine: Engine, result: SynthResult) -> str:
    """The intervention records the generator decided (``interventions.csv``) through the
    real importer; then, for the catalogue kinds the generator does not decide (adolescent
    girls, catin, wasted children), invented records with no effect on outcomes, one pass
    per year (`tumbuh.interventions.synthetic.record_synthetic`)."""
    from tumbuh.db.session import unit_of_work
    from tumbuh.imports.interventions import run_import
    from tumbuh.interventions.groups import Period
    from tumbuh.interventions.synthetic import record_synthetic
    from tumbuh.synth.interventions import FILE_NAME, GENERATED_CODES

    path = result.out_dir / FILE_NAME
    parts: list[str] = []
    if path.exists():
        report = run_import(engine, paths=[path])
        parts.append(_imported(t("cli.kind.interventions"), report))
    counts: list[str] = []
    for year in result.config.years:
        with unit_of_work(engine) as session:
            n = record_synthetic(
                session,
                period=Period.year(year),
                seed=result.config.seed * 10_000 + year,
                exclude=GENERATED_CODES,
            )
        counts.append(f"{year} {num(n, 0)}")
    parts.append(t("cli.demo.invented", counts=", ".join(counts)))
    return "; ".join(parts)


def _import_published(engine: Engine) -> str:
    """The packaged published figures (SSGI/SKI/e-PPGBM) and targets."""
    from tumbuh.db.session import unit_of_work
    from tumbuh.surveillance import service as surveillance

    with unit_of_work(engine) as session:
        report = surveillance.import_file(session, path=surveillance.PACKAGED_FIGURES)
    with unit_of_work(engine) as session:
        targets = surveillance.ensure_targets(session)
    return t(
        "cli.demo.published",
        read=num(report.read, 0),
        inserted=num(report.inserted, 0),
        rejected=num(report.rejected, 0),
        targets=num(targets.inserted if targets is not None else 0, 0),
    )


def _train_and_score(engine: Engine, path: Path) -> list[str]:
    """Train the model of new cases on the register, save it, score every family."""
    from tumbuh.db.session import unit_of_work
    from tumbuh.risk.service import save_model, score_register, train_register

    try:
        with unit_of_work(engine) as session:
            trained = train_register(session)
    except TumbuhError as exc:  # e.g. too few children for a model: the demo still runs
        return [t("cli.demo.risk_not_trained", reason=error_text(exc, cli_lang()))]
    save_model(trained, path)
    with unit_of_work(engine) as session:
        table = score_register(session, model=trained)
    year = int(table["year"].iloc[0]) if not table.empty else None
    return [
        t(
            "cli.demo.risk_trained",
            fit=", ".join(str(y) for y in trained.fit_years),
            calibration=", ".join(str(y) for y in trained.calibration_years),
            path=path,
        ),
        t(
            "cli.demo.risk_scored",
            families=num(len(table), 0),
            year=year if year is not None else "-",
            expected=num(float(table["risk"].sum()) if not table.empty else 0.0, 1),
        ),
    ]


@app.command("synth")
def synth_command(
    children: Annotated[
        int,
        typer.Option(
            help="Number of children (born so as to be 0-59 months in the years)."
        ),
    ] = 50_000,
    province: Annotated[str, typer.Option(help="Kemendagri province code.")] = "64",
    years: Annotated[
        str, typer.Option(help="Calendar years of posyandu data.")
    ] = "2022-2025",
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 1,
    out: Annotated[
        Path | None, typer.Option(help="Directory for the files and truth/.")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            help="Import the files into this database URL ('default': the configured one).",
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format", help="csv (e-PPGBM-style files) or parquet (partitioned)."
        ),
    ] = "csv",
    chunk_size: Annotated[
        int, typer.Option(help="Children generated per chunk (memory bound).")
    ] = 100_000,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes generating chunks (the files do not depend on it)."
        ),
    ] = min(2, os.cpu_count() or 1),
    extrapolate_by: Annotated[
        str,
        typer.Option(
            help="Years after the last survey decline by district_effect (default) or "
            "by risk_factors (see docs/synthetic.md)."
        ),
    ] = "district_effect",
) -> None:
    """Generate a synthetic province calibrated to the published survey figures."""
    if format not in ("csv", "parquet"):
        raise InvalidInput(f"--format must be csv or parquet (got {format!r})")
    if out is None and db is None:
        raise InvalidInput("give --out DIR, --db [URL], or both")
    if db is not None and format != "csv":
        raise InvalidInput("--db imports the CSV files: use --format csv with --db")
    first, last = parse_years(years)
    cfg = SynthConfig(
        province=province,
        children=children,
        first_year=first,
        last_year=last,
        seed=seed,
        chunk_size=chunk_size,
        extrapolate_by=extrapolate_by,
    )
    with tempfile.TemporaryDirectory(prefix="tumbuh-synth-") as tmp:
        target = out if out is not None else Path(tmp)
        result = synthesize(
            cfg, target, "parquet" if format == "parquet" else "csv", workers=workers
        )
        typer.echo(
            t(
                "cli.synth.made",
                children=num(result.children, 0),
                families=num(result.families, 0),
                visits=num(result.visits, 0),
                target=target,
            )
        )
        prov = result.survey[result.survey["region_code"] == province]
        for rec in prov.to_dict("records"):
            given = rec["target_pct"]
            target_pct = "-" if given in (None, "") else num(float(given), 1)
            typer.echo(
                t(
                    "cli.synth.year",
                    year=rec["year"],
                    survey=num(rec["survey_pct"], 1),
                    target=target_pct,
                    routine=num(rec["routine_pct"], 1),
                )
            )
        if db is not None:
            for line in import_into_db(result, None if db == _SETTINGS_DB else db):
                typer.echo(line)


# Demo log-ins, one per kind of user (printed by `tumbuh demo`; the database is a local demo).
DEMO_PASSWORD = "tumbuh-demo"
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin", "province_admin", "64"),
    ("analis.provinsi", "province_analyst", "64"),
    ("analis.balikpapan", "district_analyst", "64.71"),
    ("puskesmas.balikpapan.barat", "subdistrict_officer", "64.71.02"),
    ("kader.kukar", "village_team", "64.02.01.2001"),
    ("tamu", "viewer", "64"),
)


def _create_demo_users(url: str) -> None:
    from tumbuh.accounts import service as accounts
    from tumbuh.cli.users import open_accounts_db
    from tumbuh.db.session import unit_of_work

    engine = open_accounts_db(url)
    try:
        with unit_of_work(engine) as session:
            for username, role, region in DEMO_USERS:
                if accounts.get_by_username(session, username) is None:
                    accounts.create_user(
                        session,
                        username=username,
                        password=DEMO_PASSWORD,
                        role=role,
                        region_code=region,
                    )
    finally:
        engine.dispose()


@app.command("demo")
def demo_command(
    dir: Annotated[
        Path, typer.Option(help="Where the demo database and files go.")
    ] = Path("demo"),
    children: Annotated[int, typer.Option(help="Synthetic children.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic province.")] = 1,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the web app afterwards.")
    ] = True,
) -> None:
    """Build a synthetic Kaltim into a demo database through the real import path (once),
    create the demo log-ins and serve the app."""
    dir.mkdir(parents=True, exist_ok=True)
    db_path = (dir / "tumbuh.db").resolve()
    url = f"sqlite:///{db_path}"
    stamp = dir / "BUILT"
    model_path = (dir / "risk-model.pkl").resolve()
    wanted = f"children={children} seed={seed} years=2022-2025 steps=4\n"
    if db_path.exists() and stamp.exists() and stamp.read_text() == wanted:
        typer.echo(t("cli.demo.reuse", path=db_path, wanted=wanted.strip()))
        # Built by an earlier version: bring its schema to this version's (migrations).
        from tumbuh.cli.db import open_database

        open_database(url).dispose()
    else:
        stamp.unlink(missing_ok=True)
        db_path.unlink(missing_ok=True)
        cfg = SynthConfig(children=children, seed=seed, first_year=2022, last_year=2025)
        started = time.perf_counter()
        result = synthesize(
            cfg, dir / "synth", "csv", workers=min(2, os.cpu_count() or 1)
        )
        typer.echo(
            t(
                "cli.demo.synth",
                children=num(result.children, 0),
                families=num(result.families, 0),
                visits=num(result.visits, 0),
                dir=dir / "synth",
            )
            + " "
            + t("cli.demo.seconds", seconds=num(time.perf_counter() - started, 0))
        )
        for line in import_into_db(result, url, risk_model=model_path, alone=True):
            typer.echo(line)
        _create_demo_users(url)
        stamp.write_text(wanted)
    # The pages' panels, stored for the data as built (read back when already current), so
    # the server answers every region page at once (no warm-up).
    from tumbuh.cli.db import refresh_panels

    refresh_panels(url)
    typer.echo(t("cli.demo.serving", host=host, port=port, password=DEMO_PASSWORD))
    echo_table(
        [("cli.col.username", -28), ("cli.col.role", -20), ("cli.col.region", -13)],
        [(u, t(f"role.{role}"), region) for u, role, region in DEMO_USERS],
        header=False,
    )
    if serve:
        from tumbuh.cli.serve import serve as serve_app

        serve_app(host=host, port=port, db=url, workers=1)
