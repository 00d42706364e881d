"""`tumbuh quality`: data-quality score of routine measurements per region or posyandu."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tumbuh.cli._app import app, cli_lang, echo_table, num, t
from tumbuh.config import get_settings
from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.errors import TumbuhError
from tumbuh.surveillance import routine


@app.command("quality")
def quality(
    level: Annotated[
        str, typer.Option("--level", help="kabkota, kecamatan, desa or posyandu.")
    ] = "posyandu",
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="One period: 2024, 2024-Q3 or 2024-07 (default: every year, plus "
            "an all-period row per desa/posyandu).",
        ),
    ] = None,
    worst: Annotated[
        int | None,
        typer.Option("--worst", help="Show only the N lowest scores (table output)."),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print a JSON list of objects.")
    ] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: settings).")
    ] = None,
) -> None:
    """SMART-style quality score (0-100) and band with the reasons that cost points."""
    try:
        engine = make_engine(db or get_settings().database_url)
        with unit_of_work(engine) as session:
            items = routine.quality_report(session, level=level, period=period)
        engine.dispose()
    except TumbuhError as exc:
        from tumbuh.cli import error_line

        typer.echo(error_line(exc), err=True)
        raise typer.Exit(1) from None
    if json_out:
        typer.echo(json.dumps(items, ensure_ascii=False))
        return
    lang = cli_lang()
    # Groups with too few rows (band "insufficient", no score) come after every score.
    shown = sorted(
        items,
        key=lambda i: (i["score"] is None, i["score"] or 0.0, i["code"], i["period"]),
    )
    if worst is not None:
        shown = shown[:worst]
    # Names whole: the widest shown (a cut "Penajam Paser Utar" reads wrong).
    name_width = max((len(str(i["name"])) for i in shown), default=4)
    columns = [
        ("cli.col.code", -14), ("cli.col.name", -name_width), ("cli.col.period", -8),
        ("cli.col.rows", 6), ("cli.col.score", 6), ("cli.col.band", -4),
    ]  # fmt: skip
    for n, i in enumerate(shown):
        band = i["band_id"] if lang == "id" else i["band_en"]
        period = t("cli.period.all") if i["period"] == "all" else i["period"]
        row = (
            i["code"], str(i["name"]), period, num(i["n_rows"], 0),
            num(i["score"], 1), band,
        )  # fmt: skip
        echo_table(columns, [row], header=n == 0)
        for reason in i["reasons_id"] if lang == "id" else i["reasons_en"]:
            typer.echo(f"    - {reason}")
