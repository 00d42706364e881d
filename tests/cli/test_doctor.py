"""`tumbuh doctor` says what is unsafe in a deployment and exits 1 when something is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.conftest import postgres_database
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.cli.db import upgrade
from tumbuh.db.engine import make_engine

runner = CliRunner()
GOOD_SECRET = "nR4u0J2mXzq8c1VfYp7KtLwB3sHdGe9A-oTiUyQ5"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    backups = tmp_path / "backups"
    backups.mkdir(exist_ok=True)
    env = {
        "TUMBUH_ENVIRONMENT": "production",
        "TUMBUH_DATABASE_URL": "postgresql+psycopg://tumbuh@127.0.0.1:1/none",
        "TUMBUH_SECRET_KEY": GOOD_SECRET,
        "TUMBUH_TRUSTED_PROXIES": "127.0.0.1",
        "TUMBUH_BACKUP_DIR": str(backups),
    }
    env.update(extra)
    return env


def _doctor(env: dict[str, str]) -> tuple[int, str]:
    result = runner.invoke(app, ["--lang", "en", "doctor"], env=env)
    return result.exit_code, result.output


class TestDoctor:
    def test_flags_a_short_configured_secret(self, tmp_path: Path) -> None:
        code, out = _doctor(_env(tmp_path, TUMBUH_SECRET_KEY="s3cr3t-value"))
        assert code == 1
        assert "[unsafe] secret: TUMBUH_SECRET_KEY is weak (12 characters" in out

    def test_flags_a_long_secret_of_few_characters(self, tmp_path: Path) -> None:
        code, out = _doctor(_env(tmp_path, TUMBUH_SECRET_KEY="ab" * 30))
        assert code == 1
        assert "[unsafe] secret: TUMBUH_SECRET_KEY is weak" in out

    def test_refuses_the_old_placeholder_secret(self, tmp_path: Path) -> None:
        code, out = _doctor(_env(tmp_path, TUMBUH_SECRET_KEY="change-me"))
        assert code == 1
        assert "[unsafe] settings:" in out
        assert "placeholder" in out

    def test_flags_sqlite_in_production(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'prod.db'}"
        code, out = _doctor(_env(tmp_path, TUMBUH_DATABASE_URL=url))
        assert code == 1
        assert "[unsafe] database: SQLite in production" in out

    def test_flags_a_development_environment(self, tmp_path: Path) -> None:
        code, out = _doctor(_env(tmp_path, TUMBUH_ENVIRONMENT="development"))
        assert code == 1
        assert "[unsafe] environment: TUMBUH_ENVIRONMENT is 'development'" in out

    def test_flags_missing_trusted_proxies_and_trusting_everyone(
        self, tmp_path: Path
    ) -> None:
        code, out = _doctor(_env(tmp_path, TUMBUH_TRUSTED_PROXIES=""))
        assert code == 1
        assert "[unsafe] proxies: TUMBUH_TRUSTED_PROXIES is empty" in out
        code, out = _doctor(_env(tmp_path, TUMBUH_TRUSTED_PROXIES="0.0.0.0/0"))
        assert code == 1
        assert "trusts every address" in out

    def test_flags_a_missing_backup_directory(self, tmp_path: Path) -> None:
        env = _env(tmp_path)
        del env["TUMBUH_BACKUP_DIR"]
        code, out = _doctor(env)
        assert code == 1
        assert "[unsafe] backups: TUMBUH_BACKUP_DIR is not set" in out
        code, out = _doctor(_env(tmp_path, TUMBUH_BACKUP_DIR=str(tmp_path / "no")))
        assert "does not exist" in out

    def test_flags_a_database_that_does_not_answer_in_one_line(
        self, tmp_path: Path
    ) -> None:
        code, out = _doctor(_env(tmp_path))
        assert code == 1
        line = next(x for x in out.splitlines() if x.startswith("[unsafe] database"))
        assert "127.0.0.1:1/none does not answer: OperationalError" in line
        assert "Traceback" not in out

    def test_flags_an_instance_secret_file_others_can_read(
        self, tmp_path: Path
    ) -> None:
        db = tmp_path / "dev.db"
        (tmp_path / "dev.db.secret").write_text("y" * 64)
        os.chmod(tmp_path / "dev.db.secret", 0o644)
        env = _env(tmp_path, TUMBUH_DATABASE_URL=f"sqlite:///{db}")
        del env["TUMBUH_SECRET_KEY"]
        code, out = _doctor(env)
        assert "[unsafe] secret:" in out
        assert "chmod 600" in out

    @pytest.mark.postgres
    def test_a_safe_postgresql_deployment_passes(
        self, tmp_path: Path, postgres_url: str
    ) -> None:
        (tmp_path / "backups").mkdir()
        (tmp_path / "backups" / "tumbuh-20261206.dump").write_bytes(b"x")
        with postgres_database("tumbuh_doc_") as url:
            eng = make_engine(url)
            upgrade(eng)
            eng.dispose()
            code, out = _doctor(_env(tmp_path, TUMBUH_DATABASE_URL=url))
        assert code == 0, out
        assert "no unsafe setting found" in out
