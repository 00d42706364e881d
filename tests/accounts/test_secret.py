"""The instance secret: configured, else made once and kept with the instance."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine

from tumbuh.accounts.secret import instance_secret, secret_file
from tumbuh.config import Settings
from tumbuh.db.engine import make_engine


class TestInstanceSecret:
    def test_a_configured_secret_is_used_as_given(self, tmp_path: Path) -> None:
        s = Settings(
            _env_file=None,
            database_url=f"sqlite:///{tmp_path / 'a.db'}",
            secret_key="x" * 40,
        )
        engine = make_engine(s.database_url)
        assert instance_secret(s, engine) == "x" * 40
        assert not secret_file(tmp_path / "a.db").exists()

    def test_sqlite_keeps_it_in_a_0600_file_beside_the_database(
        self, tmp_path: Path
    ) -> None:
        s = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'a.db'}")
        engine = make_engine(s.database_url)
        first = instance_secret(s, engine)
        file = tmp_path / "a.db.secret"
        assert file.read_text().strip() == first
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
        assert instance_secret(s, engine) == first
        assert len(first) >= 43

    def test_workers_starting_together_agree_on_one_secret(
        self, tmp_path: Path
    ) -> None:
        s = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'b.db'}")
        engine = make_engine(s.database_url)
        with ThreadPoolExecutor(8) as pool:
            got = set(pool.map(lambda _: instance_secret(s, engine), range(16)))
        assert len(got) == 1
        assert [p.name for p in tmp_path.iterdir() if "secret" in p.name] == [
            "b.db.secret"
        ]

    def test_every_backend_keeps_the_same_secret_across_starts(
        self, database_url: str, engine: Engine
    ) -> None:
        s = Settings(_env_file=None, database_url=database_url)
        first = instance_secret(s, engine)
        assert instance_secret(s, engine) == first
        assert len(first) >= 43
