"""`tumbuh warning`: trends and early warning per region (published figures, the register)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from tumbuh.cli._app import app, cli_lang
from tumbuh.errors import InvalidInput, TumbuhError
from tumbuh.i18n import format_number, translate

if TYPE_CHECKING:
    from tumbuh.reports.warning import WarningResult


def _fmt(value: float | None, digits: int = 1, lang: str = "id") -> str:
    return "-" if value is None else format_number(value, digits, lang)


def _print_table(result: WarningResult, language: str) -> None:
    """The warning as a table and its reasons, every word from the catalogue (cli.warn.*)."""

    def t(key: str, **values: object) -> str:
        return translate(key, language, **values)

    def word(group: str, code: str) -> str:
        """A code's word (survey, kab/kota, primary ...); an unknown one as it is."""
        text = t(f"{group}.{code}")
        return code if text == f"{group}.{code}" else text

    report = result.report
    confidences = ", ".join(word("cli.confidence", c) for c in report.confidences)
    typer.echo(
        f"{word('cli.figure_kind', report.kind)} {word('cli.level', report.level)} "
        f"{result.period} ({t('cli.warn.confidence')}: {confidences or '-'})"
    )
    note = result.note(language)
    if note:
        typer.echo(note)
    # Names whole: the column is as wide as the widest (at least 32).
    wide = max([32, *(len(item.region_name) for item in report.items)])
    header = (
        f"{t('cli.warn.code'):<7} {t('cli.warn.region'):<{wide}} "
        f"{t('cli.warn.status'):<13} "
        f"{t('cli.warn.latest'):>8} {t('cli.warn.prev'):>8} {'ARR %':>7} "
        f"{t('cli.warn.below_national'):>9} {t('cli.warn.target_year'):>11}"
    )
    typer.echo(header)
    typer.echo("-" * len(header))
    for item in report.items:
        prev = item.previous_values[0]["value_pct"] if item.previous_values else None
        below = (
            "-"
            if item.below_national is None
            else t("common.yes" if item.below_national else "common.no")
        )
        projected = (
            str(item.projected_target_year) if item.projected_target_year else "-"
        )
        typer.echo(
            f"{item.region_code:<7} {item.region_name:<{wide}} "
            f"{t(f'status.{item.status}'):<13} "
            f"{_fmt(item.latest_value, 1, language):>8} {_fmt(prev, 1, language):>8} "
            f"{_fmt(item.arr, 1, language):>7} "
            f"{below:>9} {projected:>11}"
        )
    typer.echo("")
    for item in report.items:
        reasons = item.reasons(language)
        typer.echo(
            f"{item.region_code} {item.region_name}: {t(f'status.{item.status}')}"
        )
        for reason in reasons:
            typer.echo(f"  - {reason}")


@app.command("warning")
def warning(
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="survey (SSGI/SKI), routine (e-PPGBM: the register's measurements) or "
            "published_routine (published e-PPGBM figures, province/kab/kota).",
        ),
    ] = "survey",
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="Year to judge (default: the latest with figures)."
        ),
    ] = None,
    level: Annotated[
        str,
        typer.Option("--level", help="kabkota, province, kecamatan, desa or posyandu."),
    ] = "kabkota",
    include_alternatives: Annotated[
        bool,
        typer.Option(
            "--include-alternatives",
            help="Also use figures marked confidence=alternative (averaged).",
        ),
    ] = False,
    include_unverified: Annotated[
        bool,
        typer.Option(
            "--include-unverified", help="Also use figures marked unverified."
        ),
    ] = False,
    rounds: Annotated[
        int, typer.Option("--rounds", help="Rounds used for the ARR (>= 2).")
    ] = 3,
    assumed_n: Annotated[
        int | None,
        typer.Option(
            "--assumed-n",
            help="Assumed children measured per region when a figure has no CI or n "
            "(default: 700 per kab/kota, 7000 per province).",
        ),
    ] = None,
    design_effect: Annotated[
        float,
        typer.Option("--design-effect", help="Assumed survey design effect."),
    ] = 2.0,
    period: Annotated[
        str,
        typer.Option(
            "--period",
            help="Routine: year, quarter or month periods (the last two are "
            "compared), or the one period to judge: 2025, 2025-Q3 or 2025-08 "
            "(default: the latest complete year, docs/periods.md).",
        ),
    ] = "year",
    language: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="id or en (default: `tumbuh --lang`, else settings.language).",
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print a JSON list of regions.")
    ] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: settings).")
    ] = None,
) -> None:
    """Status per region (rising, stalled, falling, on_track, insufficient, no_data) with reasons."""
    # Imported here: `tumbuh --help` and the other commands do not load pandas/scipy.
    from tumbuh.cli.aggregates import open_surveillance_db
    from tumbuh.db.session import unit_of_work
    from tumbuh.reports.warning import early_warning
    from tumbuh.surveillance import service
    from tumbuh.surveillance.models import FigureKind
    from tumbuh.surveillance.trends import SurveyAssumptions

    try:
        published = source in {"published_routine", "published-routine"}
        try:
            kind = FigureKind.routine if published else FigureKind(source)
        except ValueError:
            raise InvalidInput(
                f"unknown --source '{source}' "
                "(expected survey, routine or published_routine)"
            ) from None
        if assumed_n is not None and assumed_n <= 0:
            raise InvalidInput("--assumed-n must be positive")
        if design_effect <= 0:
            raise InvalidInput("--design-effect must be positive")
        lang = cli_lang(language)
        defaults = SurveyAssumptions()
        assumptions = SurveyAssumptions(
            n_kabkota=assumed_n or defaults.n_kabkota,
            n_province=assumed_n or defaults.n_province,
            design_effect=design_effect,
        )
        engine = open_surveillance_db(db)
        with unit_of_work(engine) as session:
            service.ensure_targets(session)
            result = early_warning(
                session,
                kind=kind,
                level=level,
                year=year,
                include_alternatives=include_alternatives,
                include_unverified=include_unverified,
                assumptions=assumptions,
                window=rounds,
                period=period,
                register=False if published else None,
            )
        engine.dispose()
    except TumbuhError as exc:
        from tumbuh.cli import error_line

        typer.echo(error_line(exc), err=True)
        raise typer.Exit(1) from None
    if json_out:
        typer.echo(json.dumps(result.report.to_list(language=lang), ensure_ascii=False))
    else:
        _print_table(result, lang)
