"""`tumbuh jobs list|show|run`: the import queue that web uploads and `tumbuh import --queue`
fill; the server's worker runs it, or `tumbuh jobs run` where no server runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tumbuh.cli._app import app, cli_lang, num, t, tn

jobs_app = typer.Typer(
    help="Import jobs: list the queue, show one job, run the queued jobs now.",
    no_args_is_help=True,
)
app.add_typer(jobs_app, name="jobs")

Db = Annotated[
    str | None, typer.Option("--db", help="Database URL (overrides settings).")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def queue_dir(url: str) -> Path:
    """Where a queued file is copied for the database at `url` (the web's upload folder:
    Settings.import_dir, else an `imports` folder beside a SQLite database)."""
    from tumbuh.config import get_settings
    from tumbuh.imports.jobs import import_dir

    settings = get_settings()
    if settings.import_dir is None and url.startswith("sqlite:///"):
        settings = settings.model_copy(update={"database_url": url})
    return import_dir(settings)


def queue_files(kind: str, files: list[Path], url: str) -> list[int]:
    """Copy `files` to the upload folder and queue one job each; return the job ids. A file
    over the size limit is refused (ImportLimitError) before anything is queued for it."""
    from tumbuh.cli.db import open_database
    from tumbuh.config import get_settings
    from tumbuh.db.session import unit_of_work
    from tumbuh.imports import jobs
    from tumbuh.imports.limits import ImportLimits

    limits = ImportLimits.from_settings(get_settings())
    folder = queue_dir(url)
    engine = open_database(url)
    ids: list[int] = []
    try:
        for path in files:
            with path.open("rb") as stream:
                stored = jobs.store_upload(
                    stream, file_name=path.name, folder=folder, limits=limits
                )
            with unit_of_work(engine) as session:
                job = jobs.enqueue(
                    session, kind=kind, file_name=path.name, stored_path=stored,
                    user_id=None,
                )  # fmt: skip
                ids.append(job.id)
    finally:
        engine.dispose()
    return ids


def _row(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "file": job.file_name,
        "status": job.status,
        "rows_read": job.rows_read,
        "rows_total": job.rows_total,
        "inserted": job.inserted,
        "updated": job.updated,
        "rejected": job.rejected,
        "error_code": job.error_code,
        "message": _message(job),
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def _message(job: Any) -> str | None:
    """The job's message in the output language (`tumbuh --lang`)."""
    from tumbuh.imports.jobs import job_message

    return job_message(job, cli_lang())


def _progress(row: dict[str, Any]) -> str:
    total = row["rows_total"]
    if row["status"] == "running" and total:
        return t(
            "cli.jobs.progress_of",
            read=num(row["rows_read"], 0),
            total=num(total, 0),
            pct=num(100 * row["rows_read"] / total, 0),
        )
    return t("cli.progress", read=num(row["rows_read"], 0))


def _line(row: dict[str, Any]) -> str:
    status = t(f"cli.jobs.status.{row['status']}")
    kind = t(f"cli.kind.{row['kind']}")
    text = f"{row['id']:>5}  {status:<10} {kind:<10} {row['file']}: " + t(
        "cli.jobs.counts",
        progress=_progress(row),
        inserted=num(row["inserted"], 0),
        updated=num(row["updated"], 0),
        rejected=num(row["rejected"], 0),
    )
    if row["message"]:
        text += f" — {row['message']}"
    return text


@jobs_app.command("list")
def list_jobs(
    db: Db = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    as_json: Json = False,
) -> None:
    """The newest import jobs, newest first, with their progress."""
    from tumbuh.cli.db import open_database
    from tumbuh.db.session import unit_of_work
    from tumbuh.imports import jobs

    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            rows = [_row(j) for j in jobs.recent(session, limit=limit)]
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        typer.echo(t("cli.jobs.none"))
    for row in rows:
        typer.echo(_line(row))


@jobs_app.command("show")
def show_job(
    job_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1)],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """One import job: progress, counts, its place in the queue, the first issues."""
    from tumbuh.cli.db import open_database
    from tumbuh.db.session import unit_of_work
    from tumbuh.imports import jobs

    engine = open_database(db)
    try:
        with unit_of_work(engine) as session:
            job = jobs.get(session, job_id)
            if job is None:
                typer.echo(
                    t("cli.error_plain", message=t("cli.jobs.unknown", id=job_id)),
                    err=True,
                )
                raise typer.Exit(1)
            row = _row(job) | {"waiting_before": jobs.waiting_before(session, job)}
            issues = (job.report or {}).get("issues", [])
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(row | {"issues": issues}, ensure_ascii=False))
        return
    typer.echo(_line(row))
    if row["status"] == "queued":
        typer.echo("  " + tn("cli.jobs.before_n", int(row["waiting_before"])))
    en = cli_lang() == "en"
    for issue in issues[:20]:
        where = t(
            "cli.issue.where",
            file=issue.get("file") or row["file"],
            row=issue.get("row"),
        )
        if issue.get("column"):
            where = t("cli.issue.where_column", where=where, column=issue["column"])
        text = issue.get("message_en" if en else "message_id")
        typer.echo(f"  {where}: {text}")


@jobs_app.command("run")
def run_jobs(db: Db = None) -> None:
    """Run the queued import jobs now, one after the other, in this process (where no
    server's worker runs them); ends when the queue is empty."""
    from tumbuh.cli.db import open_database
    from tumbuh.config import get_settings
    from tumbuh.db.session import unit_of_work
    from tumbuh.imports import jobs
    from tumbuh.imports.limits import ImportLimits

    limits = ImportLimits.from_settings(get_settings())
    engine = open_database(db)
    done = 0
    try:
        stale = jobs.fail_stale(engine)
        if stale:
            typer.echo(t("cli.jobs.stale", n=stale))
        while (job_id := jobs.claim_next(engine)) is not None:
            typer.echo(
                t("cli.jobs.job", id=job_id, status=t("cli.jobs.status.running")),
                err=True,
            )
            status = jobs.run_job(engine, job_id, limits=limits)
            with unit_of_work(engine) as session:
                job = jobs.get(session, job_id)
                typer.echo(
                    _line(_row(job))
                    if job
                    else t("cli.jobs.job", id=job_id, status=status)
                )
            done += 1
    finally:
        engine.dispose()
    if not done:
        typer.echo(t("cli.jobs.none_queued"))
    sys.stdout.flush()
