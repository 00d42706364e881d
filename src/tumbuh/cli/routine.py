"""Routine (e-PPGBM) surveillance from the register: prevalence, new cases, survey, faltering."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tumbuh.cli._app import app, echo_table, num, t
from tumbuh.errors import InvalidInput, TumbuhError

LevelOpt = Annotated[
    str,
    typer.Option("--level", help="province, kabkota, kecamatan, desa or posyandu."),
]
PeriodOpt = Annotated[
    str | None,
    typer.Option("--period", help="One period: 2024, 2024-Q3 or 2024-07."),
]
FreqOpt = Annotated[
    str,
    typer.Option("--freq", help="Without --period: year, quarter or month periods."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON list.")]
DbOpt = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: settings).")
]
PublicOpt = Annotated[
    bool,
    typer.Option(
        "--public",
        help="Suppress cells with fewer children than settings.small_cell_threshold.",
    ),
]


def _fmt(v: Any, digits: int = 1) -> str:
    return num(v, digits)


def _fail(exc: TumbuhError) -> typer.Exit:
    from tumbuh.cli import error_line

    typer.echo(error_line(exc), err=True)
    return typer.Exit(1)


def _indicator(code: str) -> str:
    """An indicator's name (stunting, severe stunting ...) in the output language."""
    text = t(f"cli.indicator.{code}")
    return code if text == f"cli.indicator.{code}" else text


@app.command("routine-prevalence")
def routine_prevalence(
    level: LevelOpt = "kabkota",
    period: PeriodOpt = None,
    freq: FreqOpt = "year",
    indicator: Annotated[
        list[str] | None,
        typer.Option(
            "--indicator",
            help="stunting, severe_stunting, wasting, underweight, overweight "
            "(repeat; default stunting).",
        ),
    ] = None,
    json_out: JsonOpt = False,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write the table to this XLSX.")
    ] = None,
    public: PublicOpt = False,
    db: DbOpt = None,
) -> None:
    """Routine prevalence (latest measurement per child in the period) with Wilson 95 % CI."""
    import pandas as pd

    from tumbuh.config import get_settings
    from tumbuh.db.engine import make_engine
    from tumbuh.db.session import unit_of_work
    from tumbuh.surveillance import routine
    from tumbuh.tabular.writers import write_table

    settings = get_settings()
    try:
        engine = make_engine(db or settings.database_url)
        with unit_of_work(engine) as session:
            rows = routine.routine_prevalence(
                session,
                level=level,
                period=period,
                freq=freq,
                indicators=tuple(indicator or ["stunting"]),
                public=public,
                small_cell_threshold=settings.small_cell_threshold,
            )
        engine.dispose()
        if xlsx is not None:
            if xlsx.suffix.lower() != ".xlsx":
                raise InvalidInput(f"--xlsx needs a .xlsx file name (got {xlsx})")
            write_table(pd.DataFrame(rows), xlsx, format="xlsx")
    except TumbuhError as exc:
        raise _fail(exc) from None
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    echo_table(
        [("cli.col.code", -14), ("cli.col.name", -26), ("cli.col.period", -8),
         ("cli.col.indicator", -16), ("cli.col.n", 6), ("cli.col.pct", 6),
         ("cli.col.ci95", 13), ("cli.col.registered", 7), ("cli.col.coverage_pct", 6)],
        [
            (
                r["code"], str(r["name"]), r["period"], _indicator(r["indicator"]),
                num(r["n"], 0),
                _fmt(r["prevalence"]),
                t("cli.suppressed") if r.get("suppressed")
                else f"{_fmt(r['ci_low'])}–{_fmt(r['ci_high'])}",
                "-" if r.get("registered") is None else num(r["registered"], 0),
                _fmt(r.get("coverage")),
            )
            for r in rows
        ],
    )  # fmt: skip


@app.command("routine-incidence")
def routine_incidence(
    level: LevelOpt = "kabkota",
    period: PeriodOpt = None,
    freq: FreqOpt = "year",
    json_out: JsonOpt = False,
    public: PublicOpt = False,
    db: DbOpt = None,
) -> None:
    """New stunting cases among children previously measured not stunted."""
    from tumbuh.config import get_settings
    from tumbuh.db.engine import make_engine
    from tumbuh.db.session import unit_of_work
    from tumbuh.surveillance import routine

    settings = get_settings()
    try:
        engine = make_engine(db or settings.database_url)
        with unit_of_work(engine) as session:
            rows = routine.routine_new_cases(
                session,
                level=level,
                period=period,
                freq=freq,
                public=public,
                small_cell_threshold=settings.small_cell_threshold,
            )
        engine.dispose()
    except TumbuhError as exc:
        raise _fail(exc) from None
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    echo_table(
        [("cli.col.code", -14), ("cli.col.name", -26), ("cli.col.period", -8),
         ("cli.col.at_risk", 7), ("cli.col.new_cases", 5), ("cli.col.pct", 6),
         ("cli.col.ci95", -13)],
        [
            (
                r["code"], str(r["name"]), r["period"], num(r["at_risk"], 0),
                num(r["new_cases"], 0), _fmt(r["incidence"]),
                f"{_fmt(r['ci_low'])}–{_fmt(r['ci_high'])}",
            )
            for r in rows
        ],
    )  # fmt: skip


@app.command("routine-vs-survey")
def routine_vs_survey(
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            help="Calendar year (default: the latest with a survey figure and data).",
        ),
    ] = None,
    json_out: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Per kab/kota: routine stunting % and coverage next to the survey %, and adjusted %."""
    from tumbuh.config import get_settings
    from tumbuh.db.engine import make_engine
    from tumbuh.db.session import unit_of_work
    from tumbuh.surveillance import routine

    try:
        engine = make_engine(db or get_settings().database_url)
        with unit_of_work(engine) as session:
            if year is None:
                year = routine.latest_survey_year(session)
                if year is None:
                    raise InvalidInput(
                        "no year has both a survey figure and measurements: "
                        "give --year",
                        key="cli.routine.no_survey_year",
                    )
                typer.echo(t("cli.routine.year_default", year=year), err=True)
            rows = routine.routine_vs_survey(session, year=year)
        engine.dispose()
    except TumbuhError as exc:
        raise _fail(exc) from None
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    echo_table(
        [("cli.col.code", -6), ("cli.col.name", -28), ("cli.col.routine_pct", 8),
         ("cli.col.coverage_pct", 6), ("cli.col.survey_pct", 7),
         ("cli.col.adjusted_pct", 9)],
        [
            (
                r["code"], str(r["name"]), _fmt(r["routine_pct"]),
                _fmt(r["coverage_pct"]), _fmt(r["survey_pct"]), _fmt(r["adjusted_pct"]),
            )
            for r in rows
        ],
    )  # fmt: skip
    typer.echo("")
    typer.echo(t("cli.routine.adjustment_note"))


@app.command("faltering")
def faltering(
    posyandu: Annotated[
        int | None,
        typer.Option(
            "--posyandu",
            help="Posyandu (facility) id (without it: the busiest posyandu, to choose "
            "from).",
        ),
    ] = None,
    period: PeriodOpt = None,
    json_out: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Weight faltering list of one posyandu: N/T/2T, BGM, falling HAZ.

    Children weighed in the period (default: the posyandu's latest month), judged at their
    latest weighing in it.
    """
    import numpy as np
    import pandas as pd

    from tumbuh.cli._app import cli_lang
    from tumbuh.config import get_settings
    from tumbuh.db.engine import make_engine
    from tumbuh.db.session import unit_of_work
    from tumbuh.i18n import format_date, render_all
    from tumbuh.risk.signals import weight_faltering
    from tumbuh.surveillance import routine

    if posyandu is None:
        from tumbuh.register.read import busiest_posyandu

        engine = make_engine(db or get_settings().database_url)
        with unit_of_work(engine) as session:
            busiest = busiest_posyandu(session)
        engine.dispose()
        typer.echo(t("cli.faltering.choose"))
        echo_table(
            [("cli.col.posyandu_id", 11), ("cli.col.name", -20),
             ("cli.col.desa", -13), ("cli.col.children_weighed", 8)],
            [(i, name, desa or "-", num(n, 0)) for i, name, desa, n in busiest],
        )  # fmt: skip
        raise typer.Exit(2)
    try:
        engine = make_engine(db or get_settings().database_url)
        with unit_of_work(engine) as session:
            table = routine.faltering_input(
                session, posyandu_id=posyandu, period=period
            )
        engine.dispose()
    except TumbuhError as exc:
        raise _fail(exc) from None
    signals = weight_faltering(table)
    latest = signals.sort_values("date").drop_duplicates("child_id", keep="last")
    # Only children weighed in the period (default: the posyandu's latest month with data).
    dates = pd.to_datetime(latest["date"])
    ym = dates.dt.strftime("%Y-%m")
    if period is None:
        keep = np.asarray(ym == ym.max(), dtype=bool)
    else:
        year = dates.dt.strftime("%Y")
        label = (
            {4: year, 7: ym}[len(period)]
            if "Q" not in period.upper()
            else (year + "-Q" + dates.dt.quarter.astype(str))
        )
        keep = np.asarray(label == period.upper(), dtype=bool)
    latest = latest.loc[keep]
    # The export's own judgement (`Naik Berat Badan`) beside ours: children either marks as
    # not gaining are listed; a disagreement is a weighing both judged N vs T/2T.
    judged = ["N", "T", "2T"]
    export_nt = latest["export_nt"].where(latest["export_nt"].notna(), None)
    own_t = latest["nt"].isin(["T", "2T"])
    export_t = export_nt.isin(["T", "2T"])
    both = latest["nt"].isin(judged) & export_nt.isin(judged)
    disagree = both & (own_t != export_t)
    ours = latest["reasons"].map(len) > 0
    flagged = latest[ours | export_t].sort_values("name")
    lang = cli_lang()
    rows: list[dict[str, Any]] = []
    for idx, rec in zip(flagged.index, flagged.to_dict("records"), strict=True):
        weight = rec["weight_kg"]
        export = rec["export_nt"]
        rows.append(
            {
                "child_id": int(rec["child_id"]),
                "name": rec["name"],
                "date": pd.Timestamp(rec["date"]).date().isoformat(),
                "weight_kg": None if pd.isna(weight) else float(weight),
                "nt": rec["nt"],
                "export_nt": None if export is None or pd.isna(export) else export,
                "disagree": bool(disagree.loc[idx]),
                "bgm": bool(rec["bgm"]),
                "haz_falling": bool(rec["haz_falling"]),
                "reason": render_all(rec["reasons"], lang),
            }
        )
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    typer.echo(
        t(
            "cli.faltering.flagged",
            posyandu=posyandu,
            flagged=num(int(ours.sum()), 0),
            weighed=num(len(latest), 0),
        )
    )
    typer.echo(
        t(
            "cli.faltering.export",
            export=num(int(export_t.sum()), 0),
            both=num(int(both.sum()), 0),
            disagree=num(int(disagree.sum()), 0),
        )
    )
    echo_table(
        [("cli.col.date", -17), ("cli.col.name", -30), ("cli.col.nt", -2),
         ("cli.col.export_nt", -6), ("cli.col.reason", -6)],
        [
            (
                format_date(dt.date.fromisoformat(r["date"]), lang),
                str(r["name"]), r["nt"], r["export_nt"] or "-", r["reason"],
            )
            for r in rows
        ],
    )  # fmt: skip
