"""Routine (e-PPGBM) surveillance from the register: prevalence, new cases, survey, faltering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tumbuh.cli._app import app
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
    return "-" if v is None else f"{v:.{digits}f}"


def _fail(exc: TumbuhError) -> typer.Exit:
    typer.echo(f"error [{exc.code}]: {exc.message}", err=True)
    return typer.Exit(1)


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
    header = (
        f"{'code':<14} {'name':<26} {'period':<8} {'indicator':<16} {'n':>6} "
        f"{'%':>6} {'95% CI':>13} {'regist.':>7} {'cover%':>6}"
    )
    typer.echo(header)
    typer.echo("-" * len(header))
    for r in rows:
        ci = (
            "suppressed"
            if r.get("suppressed")
            else f"{_fmt(r['ci_low'])}-{_fmt(r['ci_high'])}"
        )
        reg = "-" if r.get("registered") is None else str(r["registered"])
        typer.echo(
            f"{r['code']:<14} {str(r['name'])[:26]:<26} {r['period']:<8} "
            f"{r['indicator']:<16} {r['n']:>6} {_fmt(r['prevalence']):>6} {ci:>13} "
            f"{reg:>7} {_fmt(r.get('coverage')):>6}"
        )


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
    header = f"{'code':<14} {'name':<26} {'period':<8} {'at risk':>7} {'new':>5} {'%':>6} 95% CI"
    typer.echo(header)
    typer.echo("-" * len(header))
    for r in rows:
        typer.echo(
            f"{r['code']:<14} {str(r['name'])[:26]:<26} {r['period']:<8} "
            f"{r['at_risk']:>7} {r['new_cases'] if r['new_cases'] is not None else '-':>5} "
            f"{_fmt(r['incidence']):>6} {_fmt(r['ci_low'])}-{_fmt(r['ci_high'])}"
        )


@app.command("routine-vs-survey")
def routine_vs_survey(
    year: Annotated[int, typer.Option("--year", help="Calendar year.")],
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
            rows = routine.routine_vs_survey(session, year=year)
        engine.dispose()
    except TumbuhError as exc:
        raise _fail(exc) from None
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    header = (
        f"{'code':<6} {'name':<28} {'routine%':>8} {'cover%':>6} {'survey%':>7} "
        f"{'adjusted%':>9}"
    )
    typer.echo(header)
    typer.echo("-" * len(header))
    for r in rows:
        typer.echo(
            f"{r['code']:<6} {str(r['name'])[:28]:<28} {_fmt(r['routine_pct']):>8} "
            f"{_fmt(r['coverage_pct']):>6} {_fmt(r['survey_pct']):>7} "
            f"{_fmt(r['adjusted_pct']):>9}"
        )
    typer.echo("")
    typer.echo(routine.ADJUSTMENT_NOTE)


@app.command("faltering")
def faltering(
    posyandu: Annotated[
        int, typer.Option("--posyandu", help="Posyandu (facility) id.")
    ],
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

    from tumbuh.config import get_settings
    from tumbuh.db.engine import make_engine
    from tumbuh.db.session import unit_of_work
    from tumbuh.i18n import render_all
    from tumbuh.risk.signals import weight_faltering
    from tumbuh.surveillance import routine

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
    lang = get_settings().language
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
        f"posyandu {posyandu}: {int(ours.sum())} of {len(latest)} children flagged"
    )
    typer.echo(
        f"export (Naik Berat Badan): {int(export_t.sum())} T/2T; judged by both "
        f"{int(both.sum())}, disagree {int(disagree.sum())}"
    )
    typer.echo(f"{'date':<10} {'name':<30} {'nt':<2} {'export':<6} reason")
    for r in rows:
        typer.echo(
            f"{r['date']} {str(r['name'])[:30]:<30} {r['nt']:<2} "
            f"{r['export_nt'] or '-':<6} {r['reason']}"
        )
