"""`tumbuh report rakor`: the coordination meeting's pack (PDF, slides, workbook)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from tumbuh.cli._app import app

report_app = typer.Typer(help="Reports for meetings: the Rakor TPPS pack.")
app.add_typer(report_app, name="report")


@report_app.command("rakor")
def rakor_command(
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="Province (64) or kab/kota (64.09) (default: the register's province).",
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "-o", "--out", help="Directory for the files (default: the current one)."
        ),
    ] = Path("."),
    period: Annotated[
        str | None,
        typer.Option("--period", help="2025 (default: the latest complete year)."),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="id or en (default: `tumbuh --lang`, else settings.language).",
        ),
    ] = None,
    audience: Annotated[
        str,
        typer.Option(
            "--audience",
            help="public (aggregates, small cells hidden) or restricted (annex with "
            "names; needs --as a user whose role may see personal data; audited).",
        ),
    ] = "public",
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Username the restricted pack is made for."),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: settings).")
    ] = None,
) -> None:
    """Write rakor-CODE-P.pdf, .pptx and .xlsx for a province or kab/kota."""
    from tumbuh.accounts import service as accounts
    from tumbuh.accounts.roles import policy
    from tumbuh.cli._app import cli_lang, num, region_or_register, t
    from tumbuh.cli.db import open_database
    from tumbuh.config import get_settings
    from tumbuh.db.session import unit_of_work
    from tumbuh.errors import Forbidden
    from tumbuh.reports.rakor.build import build_pack
    from tumbuh.reports.rakor.render import write_pack

    lang = cli_lang(lang)
    started, cpu = time.perf_counter(), _cpu()
    steps: list[tuple[str, float, float]] = []

    def step(name: str) -> None:
        steps.append((name, time.perf_counter(), _cpu()))

    settings = get_settings()
    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            region = region_or_register(session, region)
            if audience == "restricted":
                user = accounts.get_by_username(session, as_user or "")
                if user is None or not policy(user.role).personal_data:
                    raise Forbidden(
                        "a restricted pack needs --as a user whose role may see "
                        "personal data",
                        code="forbidden",
                    )
                accounts.record(
                    session, actor=user, action="export", object_type="rakor_annex",
                    region_code=region, detail=f"rakor restricted pack {region} (CLI)",
                )  # fmt: skip
            pack = build_pack(
                session,
                region=region,
                period=period,
                lang="en" if lang == "en" else "id",
                audience=audience,
                threshold=settings.small_cell_threshold,
                welfare_max_decile=settings.welfare_eligible_max_decile,
                progress=step,
                parallel=True,
            )
    finally:
        engine.dispose()
    step("files")
    for path in write_pack(pack, out):
        typer.echo(t("cli.written", path=path))
    step("end")
    by_step = ", ".join(
        f"{a[0]} {num(b[1] - a[1], 1)}/{num(b[2] - a[2], 1)}"
        for a, b in zip(steps, steps[1:], strict=False)
    )
    typer.echo(t("cli.rakor.steps", steps=by_step))
    typer.echo(
        t(
            "cli.rakor.done",
            sections=len(pack.sections),
            period=pack.period,
            wall=num(time.perf_counter() - started, 1),
            cpu=num(_cpu() - cpu, 1),
        )
    )


def _cpu() -> float:
    """CPU seconds of this process and of the reader processes it has waited for."""
    import resource

    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime
