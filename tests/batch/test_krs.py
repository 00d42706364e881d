"""Batch KRS equals classify_family_table on the concatenated family rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tumbuh.batch import Scheduler, krs_dataset
from tumbuh.errors import InvalidInput
from tumbuh.risk.krs import classify_family_table


def _families(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(values: list[object]) -> list[object]:
        return [values[i] for i in rng.integers(0, len(values), n)]

    return pd.DataFrame(
        {
            "family_id": [f"F{i:05d}" for i in range(n)],
            "wife_age": pick(["17", "24", "31", "38", "", "abc"]),
            "pregnant": pick(["y", "n", "", "maybe"]),
            "children_count": pick(["0", "1", "2", "4", ""]),
            "min_birth_interval_months": pick(["12", "30", "", "48"]),
            "has_child_0_23": pick(["y", "n", ""]),
            "has_child_24_59": pick(["y", "n"]),
            "water_source": pick(["piped", "sungai", "unprotected_well", ""]),
            "latrine": pick(["own_septic", "tidak ada", "no_septic", "?"]),
            "modern_contraception": pick(["y", "n", ""]),
            "welfare_decile": pick(["1", "5", "10", "", "11"]),
        }
    )


def test_batch_krs_equals_classify_family_table(tmp_path: Path) -> None:
    families = _families(3_000, seed=11)
    (tmp_path / "in").mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(families)), 3)):
        families.iloc[part].to_parquet(
            tmp_path / "in" / f"part-{i}.parquet", index=False
        )
    summary = krs_dataset(
        tmp_path / "in", tmp_path / "out", classify_family_table, partition_rows=400
    )
    got = pq.read_table(tmp_path / "out").to_pandas()
    ref = classify_family_table(families)
    for col in ("family_id", "target_family", "krs", "risk_factors", "issues"):
        assert got[col].astype(object).tolist() == ref[col].astype(object).tolist(), col
    assert summary.families == 3_000
    assert summary.krs == int((ref["krs"] == "y").sum()) > 0
    assert summary.target_families == int((ref["target_family"] == "y").sum())
    assert 0 < summary.with_issues < 3_000


def test_missing_required_columns_fail_before_any_task(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    pd.DataFrame({"family_id": ["a"]}).to_parquet(tmp_path / "in" / "a.parquet")
    with pytest.raises(InvalidInput, match=r"a\.parquet: "):
        krs_dataset(
            tmp_path / "in",
            tmp_path / "out",
            classify_family_table,
            scheduler=Scheduler("sync"),
        )
    assert not (tmp_path / "out").exists()
