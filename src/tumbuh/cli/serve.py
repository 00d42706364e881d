"""`tumbuh serve`: run the web application with uvicorn."""

from __future__ import annotations

import os
import socket
from typing import Annotated, Any

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
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        # Forwarded headers are read by the app, from TUMBUH_TRUSTED_PROXIES only.
        "proxy_headers": False,
        "log_level": "info",
    }
    if workers == 1:
        uvicorn.run("tumbuh.web.app:create_app", **options)
        return
    _serve_workers(uvicorn.Config("tumbuh.web.app:create_app", **options))


def _serve_workers(config: uvicorn.Config) -> None:
    """Several worker processes on one listening socket, as `uvicorn.run` does, with
    TCP_NODELAY on that socket: uvicorn binds it with protocol 0, so asyncio never sets
    TCP_NODELAY on the connections it accepts, and every keep-alive response then waits
    ~40 ms (Nagle's algorithm against the client's delayed ACK: measured 44 ms for a 1 ms
    page). Linux gives the accepted connections the listening socket's setting."""
    from uvicorn.supervisors import Multiprocess

    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()
