"""`tumbuh meeting`: coordination meetings as records and the actions agreed at them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from tumbuh.cli._app import app, cli_lang, num, t

meeting_app = typer.Typer(help="Coordination meetings and the actions agreed at them.")
app.add_typer(meeting_app, name="meeting")

Db = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: settings).")
]


def _date(text: str) -> dt.date:
    from tumbuh.errors import InvalidInput

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(
            f"{text!r} is not a date like 2025-11-18",
            key="error.not_a_date",
            values={"text": text},
        ) from exc


@meeting_app.command("create")
def create_command(
    region: Annotated[str, typer.Option("--region", help="Region code, e.g. 64.")],
    date: Annotated[str, typer.Option("--date", help="Meeting day, 2025-11-18.")],
    title: Annotated[str, typer.Option("--title", help="Title of the meeting.")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: Db = None,
) -> None:
    """Record a coordination meeting; prints its id."""
    from tumbuh.cli.db import open_database
    from tumbuh.db.session import unit_of_work
    from tumbuh.reports.rakor import meetings

    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            meeting = meetings.create_meeting(
                session, region=region.strip(), held_on=_date(date), title=title,
                note=note,
            )  # fmt: skip
            mid = meeting.id
    finally:
        engine.dispose()
    typer.echo(t("cli.meeting.created", id=mid, region=region, date=date, title=title))


@meeting_app.command("action")
def action_command(
    meeting: Annotated[int, typer.Option("--meeting", help="Meeting id.")],
    title: Annotated[str, typer.Option("--title", help="What was agreed.")],
    office: Annotated[
        str, typer.Option("--office", help="Responsible office (OPD), e.g. Dinkes.")
    ],
    due: Annotated[str, typer.Option("--due", help="Due date, 2026-03-31.")],
    region: Annotated[
        str | None,
        typer.Option("--region", help="Region of the action (default: the meeting's)."),
    ] = None,
    indicator: Annotated[
        str | None,
        typer.Option("--indicator", help="Catalogue code (docs/indicators.md)."),
    ] = None,
    target: Annotated[float | None, typer.Option("--target")] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period", help="Baseline period (default: the latest complete year)."
        ),
    ] = None,
    db: Db = None,
) -> None:
    """Record an action agreed at a meeting, with its indicator's baseline."""
    from tumbuh.cli.db import open_database
    from tumbuh.db.session import unit_of_work
    from tumbuh.interventions import service
    from tumbuh.reports.rakor import meetings

    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            where = region or service.get_meeting(session, meeting).region_code
            action = meetings.add_action(
                session, meeting_id=meeting, title=title, owner=office,
                region=where.strip(), due_on=_date(due), indicator=indicator,
                target=target, period=period,
            )  # fmt: skip
            out = {
                "id": action.id,
                "meeting_id": meeting,
                "region": action.region_code,
                "indicator": action.indicator,
                "baseline_value": action.baseline_value,
                "baseline_period": action.baseline_period,
                "target": action.target_value,
                "due_on": action.due_on.isoformat(),
            }
    finally:
        engine.dispose()
    typer.echo(json.dumps(out, ensure_ascii=False))


@meeting_app.command("list")
def list_command(
    region: Annotated[str | None, typer.Option("--region")] = None,
    db: Db = None,
) -> None:
    """Meetings (latest first) with their actions."""
    from tumbuh.cli.db import open_database
    from tumbuh.db.session import unit_of_work
    from tumbuh.i18n import format_date
    from tumbuh.interventions import service
    from tumbuh.reports.catalogue import by_code

    lang = cli_lang()

    def indicator(code: str | None) -> str:
        if not code:
            return "-"
        try:
            known = by_code(code)
        except KeyError:
            return code
        return known.name_en if lang == "en" else known.name_id

    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            meetings = service.list_meetings(session, region=region)
            for m in meetings:
                held = format_date(m.held_on, lang)
                typer.echo(f"{m.id}  {held}  {m.region_code}  {m.title}")
                pairs = service.meeting_actions_in(session, region=m.region_code[:2])
                for a, owner in pairs:
                    if owner.id == m.id:
                        typer.echo(
                            f"    - {a.owner}: {a.title} ("
                            + t(
                                "cli.meeting.action",
                                region=a.region_code,
                                indicator=indicator(a.indicator),
                                baseline=num(a.baseline_value, 1),
                                period=a.baseline_period or "-",
                                target=num(a.target_value, 1),
                                due=format_date(a.due_on, lang),
                            )
                            + ")"
                        )
            if not meetings:
                typer.echo(t("cli.meeting.none"))
    finally:
        engine.dispose()
