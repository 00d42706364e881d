"""`tumbuh indicators`: every indicator of a region for a period (table, JSON or XLSX)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tumbuh.cli._app import app, cli_lang, num, region_or_register, t
from tumbuh.config import get_settings
from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work


@app.command("indicators")
def indicators_command(
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="Kemendagri code, e.g. 64 or 64.71 (default: the register's province).",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="2025, 2025-Q3 or 2025-07 (default: the latest ended year with data).",
        ),
    ] = None,
    level: Annotated[
        str | None,
        typer.Option(
            "--level",
            help="province, kabkota, kecamatan, desa or posyandu (default: the region).",
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help='Print {"period": P, "items": [...]}.')
    ] = False,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Write the items to this XLSX file.")
    ] = None,
    public: Annotated[
        bool,
        typer.Option(
            "--public",
            help="Suppress small cells as for viewers (settings.small_cell_threshold).",
        ),
    ] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: settings).")
    ] = None,
) -> None:
    """Indicators of docs/indicators.md for a region (or its areas at --level)."""
    from tumbuh.reports.service import region_indicators
    from tumbuh.tabular.writers import TableSink

    settings = get_settings()
    engine = make_engine(db or settings.database_url)
    try:
        with unit_of_work(engine) as session:
            report = region_indicators(
                session,
                region=region_or_register(session, region),
                period=period,
                level=level,
                suppress_below=settings.small_cell_threshold if public else None,
                welfare_max_decile=settings.welfare_eligible_max_decile,
            )
    finally:
        engine.dispose()
    if xlsx is not None:
        # Codes and periods stay text ("64.71" is not the number 64.71); text cells are
        # written as strings, never as formulas.
        with TableSink(xlsx, sheet="indicators", numbers_from_text=False) as sink:
            sink.write(report.items)
    if json_out:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    if xlsx is not None:
        typer.echo(
            t(
                "cli.indicators.written",
                n=num(len(report.items), 0),
                period=report.period,
                path=xlsx,
            )
        )
        return
    from tumbuh.reports.catalogue import by_code

    lang = cli_lang()
    typer.echo(t("cli.indicators.period", period=report.period))
    rows = []
    for r in report.to_dict()["items"]:
        try:
            known = by_code(r["indicator"])
            name = known.name_en if lang == "en" else known.name_id
        except KeyError:
            name = r["indicator"]
        # A share with its two decimals (3,30 beside 13,68); a count as a whole number.
        value = num(
            r["value"], 2, min_decimals=2 if r["denominator"] is not None else 0
        )
        target = (
            ""
            if r["target"] is None
            else "  "
            + t("cli.indicators.target", target=num(r["target"], 1, min_decimals=0))
        )
        frac = (
            f"  ({num(r['numerator'], 0)}/{num(r['denominator'], 0)})"
            if r["denominator"] is not None
            else ""
        )
        rows.append(
            (t(f"cli.level.{r['level']}"), r["region_code"], name, value, frac, target)
        )
    # Names whole (a terminal wraps a long line; a cut name reads wrong), values aligned.
    wide = [max((len(str(row[i])) for row in rows), default=0) for i in range(4)]
    for level, code, name, value, frac, target in rows:
        typer.echo(
            f"{level:<{wide[0]}}  {code:<{wide[1]}}  {name:<{wide[2]}}  "
            f"{value:>{wide[3]}}{frac}{target}".rstrip()
        )
