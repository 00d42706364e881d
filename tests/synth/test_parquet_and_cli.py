"""`tumbuh synth` on the command line, and the partitioned Parquet output."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tumbuh.cli._app import app
from tumbuh.cli.synth import parse_years
from tumbuh.errors import InvalidInput
from tumbuh.synth import SynthConfig, synthesize


class TestParquet:
    def test_parquet_parts_hold_every_child_once(self, tmp_path: Path) -> None:
        result = synthesize(
            SynthConfig(children=2_500, seed=5, chunk_size=1_000), tmp_path, "parquet"
        )
        children = pq.read_table(tmp_path / "children").to_pandas()
        visits = pq.read_table(tmp_path / "visits")
        assert len(list((tmp_path / "children").glob("part-*.parquet"))) == 3
        assert len(children) == 2_500
        assert children["child_id"].is_unique
        assert visits.num_rows == result.visits
        assert set(visits.column("child_id").to_pylist()) <= set(children["child_id"])
        assert (tmp_path / "truth" / "survey_prevalence.csv").exists()
        assert not (tmp_path / "eppgbm").exists()

    @pytest.mark.slow
    def test_two_worker_processes_write_the_same_bytes_as_one(
        self, tmp_path: Path
    ) -> None:
        cfg = SynthConfig(children=1_200, seed=6, chunk_size=400)
        synthesize(cfg, tmp_path / "one", "parquet", workers=1)
        synthesize(cfg, tmp_path / "two", "parquet", workers=2)
        one = sorted(p for p in (tmp_path / "one").rglob("*") if p.is_file())
        two = sorted(p for p in (tmp_path / "two").rglob("*") if p.is_file())
        assert [p.relative_to(tmp_path / "one") for p in one] == [
            p.relative_to(tmp_path / "two") for p in two
        ]
        assert all(
            a.read_bytes() == b.read_bytes() for a, b in zip(one, two, strict=True)
        )


class TestCli:
    def test_synth_writes_files_and_prints_the_provincial_figures(
        self, tmp_path: Path
    ) -> None:
        res = CliRunner().invoke(
            app,
            [
                "--lang",
                "en",
                "synth",
                "--children",
                "400",
                "--seed",
                "2",
                "--out",
                str(tmp_path),
            ],
        )
        assert res.exit_code == 0, res.output
        assert "400 children" in res.output
        assert "2024: survey" in res.output
        assert (tmp_path / "families.csv").exists()

    def test_synth_needs_an_output(self) -> None:
        res = CliRunner().invoke(app, ["synth", "--children", "10"])
        assert res.exit_code != 0
        assert isinstance(res.exception, InvalidInput)

    @pytest.mark.parametrize(
        ("text", "expected"), [("2022-2025", (2022, 2025)), ("2024", (2024, 2024))]
    )
    def test_years_are_parsed(self, text: str, expected: tuple[int, int]) -> None:
        assert parse_years(text) == expected

    @pytest.mark.parametrize("text", ["2025-2022", "22-25", "soon"])
    def test_bad_years_are_refused_with_the_option_name(self, text: str) -> None:
        with pytest.raises(InvalidInput, match="--years"):
            parse_years(text)


@pytest.mark.slow
class TestDb:
    def test_db_imports_the_files_through_the_real_importers(
        self, tmp_path: Path
    ) -> None:
        url = f"sqlite:///{tmp_path / 'synth.db'}"
        res = CliRunner().invoke(
            app,
            ["--lang", "en", "synth", "--children", "300", "--seed", "4",
             "--out", str(tmp_path / "o"), "--db", url],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        lines = {line.split(":")[0]: line for line in res.output.splitlines()}
        family_rows = (tmp_path / "o" / "families.csv").read_text().count("\n") - 1
        assert (
            f"families: read {family_rows:,}, inserted {family_rows:,},"
            in lines["families"]
        )
        assert "e-PPGBM" in lines
        assert (tmp_path / "synth.db").stat().st_size > 100_000

    def test_demo_builds_once_then_reuses_the_database(self, tmp_path: Path) -> None:
        args = ["demo", "--dir", str(tmp_path), "--children", "200", "--no-serve"]
        first = CliRunner().invoke(app, ["--lang", "en", *args])
        assert first.exit_code == 0, first.output
        assert "e-PPGBM: read" in first.output
        assert "admin" in first.output
        lines = {line.split(":")[0]: line for line in first.output.splitlines()}
        # the generator's intervention records through the real importer, then invented
        # records (no effect) for the kinds it does not decide, for each year of the range
        assert "rejected 0" in lines["interventions"]
        others = first.output.split("other kinds (invented, no effect):")[1]
        assert all(f"{year} " in others for year in (2022, 2023, 2024, 2025))
        assert "published figures: read 70, inserted 70" in first.output
        # 200 children are too few for the model of new cases: said, not a crash
        assert "risk model: not trained" in first.output
        again = CliRunner().invoke(app, ["--lang", "id", *args])  # said in Indonesian
        assert again.exit_code == 0, again.output
        assert "memakai lagi basis data demo" in again.output
        assert "Admin provinsi" in again.output
        assert "e-PPGBM: dibaca" not in again.output
