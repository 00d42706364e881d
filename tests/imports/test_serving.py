"""An import beside a served SQLite database writes short chunks and pauses between them
(logins and pages wait for the write lock); with no server it writes large chunks at once."""

from __future__ import annotations

from pathlib import Path

from tests.imports.builders import EPPGBM_HEADER, eppgbm_row, write_csv

from tumbuh.cli.db import open_database
from tumbuh.imports.service import CHUNK_ROWS, run_import, served, serving

ROWS = 2 * CHUNK_ROWS + 1000


def _file(tmp_path: Path) -> Path:
    rows = [
        eppgbm_row(
            No=str(i + 1), NIK="", Nama=f"Anak {i:05d}", **{"Tgl Lahir": "2023-05-06"}
        )
        for i in range(ROWS)
    ]
    return write_csv(tmp_path / "e.csv", EPPGBM_HEADER, rows)


def _chunks(url: str, path: Path) -> int:
    engine = open_database(url)
    seen: list[int] = []
    try:
        run_import(
            engine,
            kind="eppgbm",
            paths=[path],
            progress=lambda read, _: seen.append(read),
        )
    finally:
        engine.dispose()
    return len([r for r in seen if r > 0])


def test_served_only_while_a_server_holds_the_marker(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 's.db'}")
    try:
        assert not served(engine)
        with serving(engine):
            assert served(engine)
            with serving(engine):  # a second web process shares it
                assert served(engine)
        assert not served(engine)
    finally:
        engine.dispose()
    memory = open_database("sqlite:///:memory:")
    with serving(memory):
        assert not served(memory)  # nobody else can reach an in-memory database
    memory.dispose()


def test_an_import_alone_writes_one_chunk_and_beside_a_server_three(
    tmp_path: Path,
) -> None:
    path = _file(tmp_path)
    assert _chunks(f"sqlite:///{tmp_path / 'alone.db'}", path) == 1
    url = f"sqlite:///{tmp_path / 'served.db'}"
    server = open_database(url)
    try:
        with serving(server):
            assert _chunks(url, path) == 3
    finally:
        server.dispose()
