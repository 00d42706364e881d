"""A real server for the tests that need one (browsers, concurrent clients): the app under
uvicorn in a thread, on a free loopback port, and the sample database they serve."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from tests.web.conftest import FIGURES_CSV, PASSWORD, add_register_sample

from tumbuh.accounts import service as accounts
from tumbuh.accounts.security import configure_hasher
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.surveillance import service as surveillance


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI, *, start_timeout_s: float = 30) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL (``http://127.0.0.1:PORT``)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def sample_database(
    folder: Path, *, secret: str, users: Sequence[tuple[str, str, str]]
) -> tuple[Settings, Engine]:
    """Settings and engine of a SQLite file in `folder` holding the published figures and
    targets, the sample register (tests/web/conftest.py) and `users` as (username, role,
    region code), each with the tests' PASSWORD."""
    configure_hasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{folder / 'tumbuh.db'}",
        secret_key=secret,
    )
    engine = make_engine(settings.database_url)
    create_schema(engine, Base.metadata)
    with unit_of_work(engine) as session:
        surveillance.import_file(session, path=FIGURES_CSV)
        surveillance.ensure_targets(session)
        add_register_sample(session)
        for username, role, region in users:
            accounts.create_user(
                session, username=username, password=PASSWORD, role=role,
                region_code=region,
            )  # fmt: skip
    return settings, engine


def log_in(
    client: httpx.Client, username: str, password: str = PASSWORD
) -> httpx.Client:
    """Log `client` (an httpx client on a served app) in through the login form."""
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": username, "password": password,
              "csrf_token": client.cookies["tumbuh_csrf"]},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:300]
    return client


def upload(client: httpx.Client, path: Path, kind: str = "eppgbm") -> str:
    """Upload an import file through the imports page; the URL of its job page."""
    with path.open("rb") as fh:
        r = client.post(
            "/imports",
            data={"kind": kind, "csrf_token": client.cookies["tumbuh_csrf"]},
            files={"file": (path.name, fh, "text/csv")},
            follow_redirects=False,
        )
    assert r.status_code == 303, r.text[:500]
    return str(r.headers["location"])
