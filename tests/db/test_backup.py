"""`tumbuh db backup` and `tumbuh db restore`: a restored database holds exactly the rows of
the original (SQLite online backup; pg_dump/pg_restore for PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from tests.conftest import postgres_database
from typer.testing import CliRunner

from tumbuh.accounts import service as accounts
from tumbuh.accounts.security import configure_hasher
from tumbuh.cli import app
from tumbuh.cli.db import upgrade
from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.models import Base
from tumbuh.register.models import Region

configure_hasher(time_cost=1, memory_cost_kib=1024, parallelism=1)
runner = CliRunner()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_urls(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """(a filled database, an empty one) of the same backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'restored.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PostgreSQL
    with (
        postgres_database("tumbuh_bak_") as source,
        postgres_database("tumbuh_res_") as target,
    ):
        yield source, target


def _fill(engine: Engine) -> None:
    upgrade(engine)
    with unit_of_work(engine) as session:
        for code, name, level in [("64", "Kalimantan Timur", 1),
                                  ("64.71", "Kota Balikpapan", 2)]:  # fmt: skip
            session.add(
                Region(code=code, name=name, level=level,
                       parent_code=code.rpartition(".")[0] or None)
            )  # fmt: skip
        for i, (role, region) in enumerate(
            [("province_admin", "64"), ("district_analyst", "64.71")]
        ):
            user = accounts.create_user(
                session, username=f"user{i}", password="rahasia-123", role=role,
                region_code=region,
            )  # fmt: skip
            accounts.record(session, actor=user, action="login", object_type="user")
            accounts.start_session(session, user=user, kind="page", max_age_s=60)


def _contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as conn:
        for name, table in Base.metadata.tables.items():
            rows = conn.execute(select(table)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def test_a_restored_backup_holds_the_same_rows(
    two_urls: tuple[str, str], tmp_path: Path
) -> None:
    source_url, target_url = two_urls
    source = make_engine(source_url)
    try:
        _fill(source)
        before = _contents(source)
    finally:
        source.dispose()
    assert sum(len(rows) for rows in before.values()) >= 8

    out = tmp_path / "backups"
    made = runner.invoke(app, ["db", "backup", "--db", source_url, "--out", str(out)])
    assert made.exit_code == 0, made.output
    (file,) = [p for p in out.iterdir() if not p.name.endswith(".secret")]
    assert file.name.startswith("tumbuh-")
    assert file.stat().st_mode & 0o077 == 0

    done = runner.invoke(app, ["db", "restore", str(file), "--db", target_url])
    assert done.exit_code == 0, done.output
    target = make_engine(target_url)
    try:
        assert _contents(target) == before
    finally:
        target.dispose()

    again = runner.invoke(app, ["db", "restore", str(file), "--db", target_url])
    assert again.exit_code != 0
    assert "already has" in str(again.exception)


def test_the_sqlite_instance_secret_travels_with_the_backup(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    (tmp_path / "live.db.secret").write_text("s" * 64)
    made = runner.invoke(
        app, ["db", "backup", "--db", f"sqlite:///{db}", "--out", str(tmp_path / "b")]
    )
    assert made.exit_code == 0, made.output
    (file,) = (tmp_path / "b").glob("*.sqlite")
    restored = tmp_path / "new" / "restored.db"
    restored.parent.mkdir()
    done = runner.invoke(
        app, ["db", "restore", str(file), "--db", f"sqlite:///{restored}"]
    )
    assert done.exit_code == 0, done.output
    assert (tmp_path / "new" / "restored.db.secret").read_text() == "s" * 64


def test_backup_needs_a_directory(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["db", "backup", "--db", f"sqlite:///{tmp_path / 'x.db'}"]
    )
    assert result.exit_code != 0
    assert "TUMBUH_BACKUP_DIR" in str(result.exception)
