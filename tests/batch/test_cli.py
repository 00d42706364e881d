"""`tumbuh batch ...` end to end on the small synthetic province."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tumbuh.cli import app
from tumbuh.errors import InvalidInput

runner = CliRunner()


def test_zscore_then_prevalence(synth_dir: Path, tmp_path: Path) -> None:
    z = runner.invoke(
        app,
        [
            "batch",
            "zscore",
            str(synth_dir / "visits"),
            "-o",
            str(tmp_path / "z"),
            "--partition-rows",
            "3000",
            "--scheduler",
            "processes",
            "--workers",
            "2",
        ],
    )
    assert z.exit_code == 0, z.output
    assert "rows from 3 file(s)" in z.output
    assert (
        pq.read_table(tmp_path / "z").num_rows
        == pq.read_table(synth_dir / "visits").num_rows
    )
    out = tmp_path / "prev.csv"
    p = runner.invoke(
        app,
        [
            "batch",
            "prevalence",
            str(tmp_path / "z"),
            "-o",
            str(out),
            "--by",
            "kabkota,year",
            "--province",
            "64",
            "--quiet",
        ],
    )
    assert p.exit_code == 0, p.output
    table = pd.read_csv(out, dtype={"kabkota": str})
    assert list(table.columns) == [
        "kabkota",
        "year",
        "indicator",
        "n",
        "cases",
        "prevalence_pct",
        "ci_low_pct",
        "ci_high_pct",
    ]
    stunting = table[table["indicator"] == "stunting"]
    assert (stunting["ci_low_pct"] <= stunting["prevalence_pct"]).all()
    assert (stunting["prevalence_pct"] <= stunting["ci_high_pct"]).all()


def test_krs_command(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    pd.DataFrame(
        {
            "family_id": ["a", "b"],
            "wife_age": ["17", "30"],
            "pregnant": ["y", "n"],
            "children_count": ["0", "2"],
            "min_birth_interval_months": ["", "36"],
            "has_child_0_23": ["n", "y"],
            "has_child_24_59": ["n", "n"],
            "water_source": ["sungai", "piped"],
            "latrine": ["none", "own_septic"],
        }
    ).to_parquet(tmp_path / "in" / "f.parquet")
    r = runner.invoke(
        app, ["batch", "krs", str(tmp_path / "in"), "-o", str(tmp_path / "o")]
    )
    assert r.exit_code == 0, r.output
    assert "2 families" in r.output
    out = pq.read_table(tmp_path / "o").to_pandas()
    assert out["krs"].tolist() == ["y", "n"]


def test_errors_are_tumbuh_errors(synth_dir: Path, tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        [
            "batch",
            "prevalence",
            str(synth_dir / "visits"),
            "-o",
            str(tmp_path / "p.csv"),
        ],
    )
    assert isinstance(r.exception, InvalidInput)
    assert "--province" in r.exception.message
    r = runner.invoke(
        app,
        [
            "batch",
            "zscore",
            str(synth_dir / "visits"),
            "-o",
            str(tmp_path),
            "--scheduler",
            "gpu",
        ],
    )
    assert isinstance(r.exception, InvalidInput)


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1"])
def test_scheduler_address_shorthand(address: str) -> None:
    from tumbuh.cli.batch import _scheduler

    s = _scheduler(address, None, None)
    assert (s.kind, s.address) == ("distributed", address)


def test_the_cli_default_piece_size_is_the_engine_default() -> None:
    from tumbuh.batch.zscore import DEFAULT_PARTITION_ROWS
    from tumbuh.cli.batch import DEFAULT_PARTITION_ROWS as CLI_DEFAULT

    assert CLI_DEFAULT == DEFAULT_PARTITION_ROWS
