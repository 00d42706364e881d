"""A file goes in chunk by chunk, each chunk one transaction: a SIGKILL mid-file leaves
whole chunks only, and importing the file again gives the database an uninterrupted
import gives."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.imports.builders import (
    EPPGBM_HEADER,
    eppgbm_row,
    many_eppgbm_rows,
    write_csv,
)

from tumbuh.db.engine import make_engine
from tumbuh.db.schema import create_schema
from tumbuh.imports.service import run_import
from tumbuh.models import Base

TABLES = (
    "persons",
    "measurements",
    "families",
    "facilities",
    "quarantine",
    "link_review",
)


def snapshot(url: str) -> dict[str, object]:
    """Row counts of the register tables and a checksum of every measurement and person."""
    eng = create_engine(url)
    out: dict[str, object] = {}
    with eng.connect() as conn:
        for table in TABLES:
            out[table] = conn.execute(
                text(f"SELECT count(*) FROM {table}")
            ).scalar_one()
        digest = hashlib.sha256()
        for table in ("persons", "measurements"):
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")):
                digest.update(repr(tuple(row)).encode())
        out["checksum"] = digest.hexdigest()
    eng.dispose()
    return out


def contents(url: str) -> dict[str, object]:
    """Row counts and a digest of every person and measurement without their ids (which
    differ between two databases filled in different steps)."""
    eng = create_engine(url)
    out: dict[str, object] = {}
    with eng.connect() as conn:
        for table in TABLES:
            out[table] = conn.execute(
                text(f"SELECT count(*) FROM {table}")
            ).scalar_one()
        rows = conn.execute(
            text(
                "SELECT p.nik, p.name, p.birth_date, m.measured_on, m.weight_kg, "
                "m.lenhei_cm, m.zlen, m.zwei, m.source_file, m.source_row "
                "FROM measurements m JOIN persons p ON p.id = m.person_id"
            )
        )
        out["digest"] = hashlib.sha256(
            repr(sorted(repr(tuple(r)) for r in rows)).encode()
        ).hexdigest()
    eng.dispose()
    return out


def _database_with_one_row(tmp_path: Path, name: str) -> str:
    url = f"sqlite:///{tmp_path / name}"
    engine = make_engine(url)
    create_schema(engine, Base.metadata)
    small = write_csv(tmp_path / "small.csv", EPPGBM_HEADER, [eppgbm_row()])
    assert run_import(engine, kind="eppgbm", paths=[small]).inserted == 1
    engine.dispose()
    return url


@pytest.mark.slow
def test_sigkill_mid_file_keeps_whole_chunks_and_a_rerun_completes_it(
    tmp_path: Path,
) -> None:
    url = _database_with_one_row(tmp_path, "t.db")
    db = Path(url.removeprefix("sqlite:///"))
    before = snapshot(url)

    big = write_csv(tmp_path / "big.csv", EPPGBM_HEADER, many_eppgbm_rows(30_000))
    script = textwrap.dedent(
        f"""
        from tumbuh.db.engine import make_engine
        from tumbuh.imports.service import run_import
        run_import(make_engine({url!r}), kind="eppgbm", paths=[{str(big)!r}], chunk_rows=500)
        """
    )
    wal = Path(f"{db}-wal")
    start_size = wal.stat().st_size if wal.exists() else 0
    proc = subprocess.Popen([sys.executable, "-c", script], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 120
        # Mid-file: the import has written well over a megabyte of pages.
        while time.monotonic() < deadline and proc.poll() is None:
            if wal.exists() and wal.stat().st_size > start_size + 1_000_000:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the import finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    killed = snapshot(url)
    written = int(killed["measurements"]) - int(before["measurements"])  # type: ignore[call-overload]
    assert 0 < written < 30_000
    assert written % 500 == 0  # whole chunks of 500 rows, never part of one

    engine = make_engine(url)
    run_import(engine, kind="eppgbm", paths=[big], chunk_rows=500)
    engine.dispose()
    reference = _database_with_one_row(tmp_path, "reference.db")
    engine = make_engine(reference)
    run_import(engine, kind="eppgbm", paths=[big], chunk_rows=500)
    engine.dispose()
    assert contents(url) == contents(reference)
