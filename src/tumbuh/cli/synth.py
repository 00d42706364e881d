"""`tumbuh synth`: write a synthetic province (files and ground truth), optionally import it."""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from tumbuh.cli._app import app
from tumbuh.errors import InvalidInput
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


def import_into_db(result: SynthResult, database_url: str | None) -> list[str]:
    """Import the written files through the real importers (`tumbuh import ...`), families
    first so that children link to their families; returns one summary line per kind."""
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
            report = run_import(
                engine, kind=kind, paths=[p for p in paths if p.exists()]
            )
            codes = Counter(issue.code for issue in report.issues)
            top = ", ".join(f"{code} {n}" for code, n in sorted(codes.items()))
            lines.append(
                f"{kind}: read {report.read}, inserted {report.inserted}, "
                f"rejected {report.rejected}; issues: {top or 'none'}"
            )
            for failed in report.extra.get("failed_files", []):
                lines.append(f"  failed {failed['file']}: {failed['error']}")
    finally:
        engine.dispose()
    return lines


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
    )
    with tempfile.TemporaryDirectory(prefix="tumbuh-synth-") as tmp:
        target = out if out is not None else Path(tmp)
        result = synthesize(
            cfg, target, "parquet" if format == "parquet" else "csv", workers=workers
        )
        typer.echo(
            f"{result.children} children, {result.families} families, "
            f"{result.visits} visit rows -> {target}"
        )
        prov = result.survey[result.survey["region_code"] == province]
        for rec in prov.to_dict("records"):
            target_pct = str(rec["target_pct"]) or "-"
            typer.echo(
                f"  {rec['year']}: survey {rec['survey_pct']} % (target {target_pct}), "
                f"routine {rec['routine_pct']} %"
            )
        if db is not None:
            for line in import_into_db(result, None if db == _SETTINGS_DB else db):
                typer.echo(line)
