"""`tumbuh risk train|evaluate|score`, `tumbuh visits` and `tumbuh forecast`: the model of new
stunting cases on the register, the visit lists and the forecast of new cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tumbuh.cli._app import app, cli_lang, echo_table, num, risk_app, t, tn
from tumbuh.errors import InvalidInput

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: TUMBUH_DATABASE_URL / settings)."
    ),
]
ModelOption = Annotated[
    Path,
    typer.Option(
        "--model",
        envvar="TUMBUH_RISK_MODEL",
        help="Trained model file (written by `tumbuh risk train`).",
    ),
]
_DEFAULT_MODEL = Path("tumbuh-risk-model.pkl")


def _engine(db: str | None) -> Any:
    from tumbuh.cli.db import open_database

    return open_database(db)


@risk_app.command("train")
def train_cmd(db: DbOption = None, model: ModelOption = _DEFAULT_MODEL) -> None:
    """Train on the register's history (all labelled years) and save the model."""
    from tumbuh.db.session import unit_of_work
    from tumbuh.risk.model import FEATURE_NAMES
    from tumbuh.risk.service import save_model, train_register

    engine = _engine(db)
    try:
        with unit_of_work(engine) as session:
            trained = train_register(session)
    finally:
        engine.dispose()
    save_model(trained, model)
    typer.echo(
        f"trained on {trained.fit_years}, calibrated on {trained.calibration_years} "
        f"({trained.calibration_method}): {trained.info['family_years']} family-years, "
        f"{trained.info['new_cases']} new cases -> {model}"
    )
    typer.echo(
        f"trend of the routine stunting prevalence: {trained.trend_per_year:+.3f} "
        "per year (logit scale)"
    )
    parts = {"pooled": trained.pooled, **trained.segments}
    for name, part in parts.items():
        coefs = sorted(
            zip(FEATURE_NAMES, part.coef, strict=True), key=lambda kv: -abs(kv[1])
        )
        typer.echo(
            f"strongest features, {name} model (standardised coefficient): "
            + ", ".join(f"{n} {c:+.2f}" for n, c in coefs[:6])
        )


@risk_app.command("evaluate")
def evaluate_cmd(
    db: DbOption = None,
    year: Annotated[
        int | None,
        typer.Option(help="Held-out year (default: the last labelled year)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as JSON.")
    ] = False,
    trend: Annotated[
        bool,
        typer.Option(
            "--trend/--no-trend",
            help="Shift the risks by the trend of the routine prevalence (default).",
        ),
    ] = True,
) -> None:
    """Train on the years before YEAR and compare the model with the KRS rule alone on YEAR."""
    from tumbuh.db.session import unit_of_work
    from tumbuh.risk.service import evaluate_register

    engine = _engine(db)
    try:
        with unit_of_work(engine) as session:
            ev = evaluate_register(session, year=year, trend=trend)
    finally:
        engine.dispose()
    m = ev.metrics
    if as_json:
        typer.echo(json.dumps(m, indent=2))
        return
    typer.echo(
        t(
            "cli.risk.held_out",
            year=m["year"],
            families=tn("cli.n.families", int(m["families"])),
            cases=num(m["new_cases"], 0),
            trained=m["trained_on"],
            calibrated=m["calibrated_on"],
        )
    )
    echo_table(
        [("cli.risk.col.measure", -32), ("cli.risk.col.model", 10),
         ("cli.risk.col.krs_rule", 10)],
        [
            (t(f"cli.risk.{key}"), num(m[key], 3), num(m["baseline_" + key], 3))
            for key in ("auc", "average_precision", "capture_top10", "capture_top20")
        ],
    )  # fmt: skip
    typer.echo(
        t(
            "cli.risk.krs_share",
            share=num(100 * m["krs_share"], 1),
            capture=num(100 * m["krs_capture"], 1),
        )
    )
    typer.echo(t("cli.risk.calibration"))
    for r in m["calibration"]:
        typer.echo(
            f"  {r['decile']:>2}: {num(100 * r['predicted'], 1):>5} / "
            f"{num(100 * r['observed'], 1):>5}  "
            f"({tn('cli.n.families', int(r['families']))})"
        )
    typer.echo(
        t(
            "cli.risk.largest_gap",
            gap=num(100 * m["calibration_max_gap"], 1),
            trend=num(m["trend_per_year"], 3, signed=True),
            method=m["calibration_method"],
        )
    )


@risk_app.command("score")
def score_cmd(
    db: DbOption = None,
    model: ModelOption = _DEFAULT_MODEL,
    year: Annotated[
        int | None,
        typer.Option(
            help="Year to predict (default: the year after the last measurement)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Also write the scores (CSV or XLSX)."),
    ] = None,
) -> None:
    """Score every family in the unit and store the scores (for visit lists and forecast)."""
    from tumbuh.db.session import unit_of_work
    from tumbuh.i18n import render_all
    from tumbuh.risk.service import load_model, score_register

    trained = load_model(model)
    engine = _engine(db)
    try:
        with unit_of_work(engine) as session:
            table = score_register(session, model=trained, year=year)
    finally:
        engine.dispose()
    if table.empty:
        typer.echo(t("cli.risk.nothing_scored"))
        return
    top = table["risk"].head(max(1, len(table) // 5)).sum() / table["risk"].sum()
    typer.echo(
        t(
            "cli.risk.scored",
            families=tn("cli.n.families", len(table)),
            year=int(table["year"].iloc[0]),
            expected=num(table["risk"].sum(), 1),
            top=num(100 * top, 0),
        )
    )
    if out is not None:
        cols = [
            "family_id",
            "desa_code",
            "year",
            "risk",
            "krs",
            "n_krs_factors",
            "reasons_id",
            "reasons_en",
        ]
        frame = table.assign(
            reasons_id=table["reasons"].map(lambda m: render_all(m, "id")),
            reasons_en=table["reasons"].map(lambda m: render_all(m, "en")),
        )[cols]
        from tumbuh.tabular.guard import XLSX_ENGINE_KWARGS, guard_frame

        if out.suffix.lower() == ".xlsx":
            frame.to_excel(
                out, index=False, engine="xlsxwriter", engine_kwargs=XLSX_ENGINE_KWARGS
            )
        elif out.suffix.lower() == ".csv":
            guard_frame(frame).to_csv(out, index=False)
        else:
            raise InvalidInput(f"--out: write .csv or .xlsx (got {out.name})")
        typer.echo(t("cli.written", path=out))


def _choose_desa(session: Any, year: int | None, shown: int = 10) -> None:
    """`tumbuh visits` without --desa: how to choose, and the desa with the most expected
    new cases (the summed family risks of the scored year) with their codes."""
    from tumbuh.risk.forecast import forecast

    table = forecast(session, level="desa", year=year, within=None)
    if table.empty:
        typer.echo(
            t("cli.error_plain", message=t("cli.visits.no_scores_anywhere")), err=True
        )
        return
    top = table.sort_values(["expected_new_cases", "code"], ascending=[False, True])
    typer.echo(t("cli.visits.choose", year=int(table["year"].iloc[0])))
    echo_table(
        [("cli.col.code", -14), ("cli.col.name", -20), ("cli.col.expected_new", 13)],
        [
            (r["code"], str(r["name"]), num(r["expected_new_cases"], 1))
            for r in top.head(shown).to_dict("records")
        ],
    )


@app.command("visits")
def visits_cmd(
    desa: Annotated[
        str | None,
        typer.Option(
            "--desa",
            help="Desa/kelurahan code, e.g. 64.72.03.1005 (without it: the desa with "
            "the most expected new cases, to choose from).",
        ),
    ] = None,
    db: DbOption = None,
    year: Annotated[
        int | None, typer.Option(help="Scored year (default: latest).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="Only the first N families.")
    ] = None,
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="Write a printable A4 PDF.")
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Write an Excel workbook.")
    ] = None,
    tpk: Annotated[
        str,
        typer.Option(
            "--tpk",
            help="One list per family-assistance team (TPK): desa (one team, default), "
            "posyandu (where the children were last weighed) or rw. --limit then "
            "applies to each team.",
        ),
    ] = "desa",
) -> None:
    """Families of a desa ranked by risk, with reasons and the next action (`tumbuh --lang`).

    Contains personal data: an admin tool; the web app checks the user's desa first."""
    import datetime as dt

    from tumbuh.db.session import unit_of_work
    from tumbuh.i18n import format_date
    from tumbuh.risk.visits import visit_list as build
    from tumbuh.risk.visits import write_pdf, write_xlsx

    lang = cli_lang()
    engine = _engine(db)
    if desa is None or not desa.strip():
        try:
            with unit_of_work(engine) as session:
                _choose_desa(session, year)
        finally:
            engine.dispose()
        raise typer.Exit(2)
    try:
        with unit_of_work(engine) as session:
            vl = build(
                session, desa_code=desa, year=year, limit=limit, tpk=tpk, lang=lang
            )
    finally:
        engine.dispose()
    krs_date = dt.date(int(vl.krs_period or vl.year - 1), 12, 31)
    typer.echo(
        t(
            "cli.visits.title",
            title=vl.title,
            kecamatan=vl.kecamatan_name,
            kabkota=vl.kabkota_name,
            year=vl.year,
            date=format_date(krs_date, lang),
        )
    )
    signs = t("cli.visits.signals")
    for team, rows in vl.teams():
        if vl.tpk_by != "desa":
            typer.echo(
                t(
                    "cli.visits.team",
                    team=team,
                    families=tn("cli.n.families", len(rows)),
                )
            )
        for rec in rows.head(20 if pdf or xlsx else len(rows)).to_dict("records"):
            typer.echo(
                f"{rec['rank']:>4}. {num(rec['risk_pct'], 1):>5} %  {rec['no_kk']}  "
                f"{rec['head_name']} / {rec['mother_name']}: {rec['reasons']}"
                + (f" [{signs}: {rec['signals']}]" if rec["signals"] else "")
                + f" -> {rec['action']}"
            )
    if pdf is not None:
        write_pdf(vl, pdf)
        typer.echo(f"PDF -> {pdf}")
    if xlsx is not None:
        write_xlsx(vl, xlsx)
        typer.echo(f"Excel -> {xlsx}")


@app.command("forecast")
def forecast_cmd(
    level: Annotated[str, typer.Option(help="desa, kecamatan or kabkota.")] = "kabkota",
    db: DbOption = None,
    year: Annotated[
        int | None, typer.Option(help="Scored year (default: latest).")
    ] = None,
    within: Annotated[
        str | None, typer.Option(help="Only regions under this code (e.g. 64.72).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON records.")
    ] = False,
) -> None:
    """Expected new stunting cases next year (summed family risks) next to today's stock."""
    from tumbuh.db.session import unit_of_work
    from tumbuh.reports.service import forecast_table

    engine = _engine(db)
    try:
        with unit_of_work(engine) as session:
            table = forecast_table(session, level=level, year=year, within=within)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(json.loads(table.to_json(orient="records")), indent=2))
        return
    echo_table(
        [("cli.col.code", -14), ("cli.col.name", -27), ("cli.col.expected_new", 13),
         ("cli.col.range95", 16), ("cli.col.stunted_now", 12), ("cli.col.measured", 10),
         ("cli.col.prevalence_pct", 8)],
        [
            (
                r["code"], str(r["name"]), num(r["expected_new_cases"], 1),
                f"{num(r['expected_low'], 1)}–{num(r['expected_high'], 1)}",
                num(r["current_stunted"], 0), num(r["current_measured"], 0),
                num(r["current_prevalence_pct"], 1),
            )
            for r in table.to_dict("records")
        ],
    )  # fmt: skip
