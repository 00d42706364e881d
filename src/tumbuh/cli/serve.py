"""`tumbuh serve`: run the web application with uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from tumbuh.cli._app import app
from tumbuh.cli.users import open_accounts_db
from tumbuh.config import get_settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: TUMBUH_DATABASE_URL)"),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the web app (pages at /, API at /api/v1, API docs at /api/docs)."""
    if db is not None:
        # The app is built by uvicorn from an import string (the CLI never imports the web
        # layer); settings reach it through the environment, as in any deployment.
        os.environ["TUMBUH_DATABASE_URL"] = db
        get_settings.cache_clear()
    open_accounts_db(db).dispose()
    typer.echo(f"tumbuh: serving on http://{host}:{port}/ (API docs: /api/docs)")
    uvicorn.run(
        "tumbuh.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Forwarded headers are read by the app, from TUMBUH_TRUSTED_PROXIES only.
        proxy_headers=False,
        log_level="info",
    )
