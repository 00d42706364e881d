"""Batch z-scores equal the single-process kernel on the same rows, whatever the split."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tumbuh.batch import ISSUE_COLUMN, Scheduler, zscore_dataset
from tumbuh.errors import InvalidInput
from tumbuh.growth import zscores


def _read_parts(directory: Path) -> pa.Table:
    return pa.concat_tables(
        pq.read_table(p) for p in sorted(directory.glob("*.parquet"))
    )


def _assert_same(out: pa.Table, expected: dict[str, np.ndarray]) -> None:
    for name, values in expected.items():
        col = out[name]
        if pa.types.is_dictionary(col.type):  # category labels: codes + labels
            col = col.cast(pa.string())
        got = col.to_numpy(zero_copy_only=False)
        if np.asarray(values).dtype == object:
            assert got.tolist() == [None if v is None else v for v in values], name
        else:
            np.testing.assert_array_equal(got, values, err_msg=name)


@pytest.mark.parametrize("partition_rows", [2_500, 1_000_000])
def test_batch_zscore_equals_kernel_on_concatenated_rows(
    synth_dir: Path, tmp_path: Path, partition_rows: int
) -> None:
    summary = zscore_dataset(
        synth_dir / "visits", tmp_path / "z", partition_rows=partition_rows
    )
    rows = _read_parts(synth_dir / "visits")
    out = _read_parts(tmp_path / "z")
    assert summary.rows == rows.num_rows == out.num_rows > 10_000
    assert summary.output_files == 3  # one row group per synth part
    ref = zscores(
        sex=rows["sex"].to_numpy(),
        age_days=rows["age_days"].to_numpy(),
        weight_kg=rows["weight_kg"].to_numpy(zero_copy_only=False),
        lenhei_cm=rows["lenhei_cm"].to_numpy(zero_copy_only=False),
        measure=rows["measure"].cast(pa.string()).to_numpy(zero_copy_only=False),
        validate="row",
    )
    _assert_same(out, {**ref.to_dict(), ISSUE_COLUMN: ref.issues})
    # Input columns pass through unchanged and in order.
    assert out.select(rows.column_names).equals(rows)


def test_row_groups_are_split_into_bounded_pieces(tmp_path: Path) -> None:
    n = 1_000
    rng = np.random.default_rng(3)
    table = pa.table(
        {
            "sex": rng.integers(1, 3, n),
            "age_days": rng.integers(0, 1800, n),
            "weight_kg": rng.uniform(3, 20, n),
        }
    )
    (tmp_path / "in").mkdir()
    pq.write_table(table, tmp_path / "in" / "a.parquet", row_group_size=100)
    summary = zscore_dataset(
        tmp_path / "in",
        tmp_path / "out",
        partition_rows=250,
        scheduler=Scheduler("sync"),
    )
    assert summary.output_files == 5  # 10 groups of 100 rows, at most 250 rows a piece
    out = _read_parts(tmp_path / "out")
    ref = zscores(
        sex=table["sex"].to_numpy(),
        age_days=table["age_days"].to_numpy(),
        weight_kg=table["weight_kg"].to_numpy(),
    )
    np.testing.assert_array_equal(out["zwei"].to_numpy(), ref.zwei)


def test_bad_codes_keep_the_row_with_an_issue_and_dates_give_the_age(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame(
        {
            "JK": ["L", "P", "X", "L"],
            "Tgl Lahir": pd.to_datetime(["2023-01-01"] * 4),
            "Tanggal Pengukuran": pd.to_datetime(
                ["2024-01-01", "2024-06-01", "2024-01-01", "2024-01-01"]
            ),
            "Berat": [9.5, 10.0, 9.0, 9.0],
            "Tinggi": [75.0, 80.0, 76.0, 76.0],
            "Cara Ukur": ["Terlentang", "berdiri", "Terlentang", "sideways"],
        }
    )
    (tmp_path / "in").mkdir()
    frame.to_parquet(tmp_path / "in" / "x.parquet")
    summary = zscore_dataset(tmp_path / "in", tmp_path / "out")
    out = _read_parts(tmp_path / "out").to_pandas()
    assert summary.rows == 4
    assert summary.rows_with_issue == 2
    assert out["zscore_issue"].isna().tolist() == [True, True, False, False]
    assert "sex" in out["zscore_issue"][2]
    assert "measure" in out["zscore_issue"][3]
    ref = zscores(
        sex=["m", "f"],
        age_days=[365, 517],
        weight_kg=[9.5, 10.0],
        lenhei_cm=[75.0, 80.0],
        measure=["l", "h"],
    )
    np.testing.assert_array_equal(out["zlen"][:2], ref.zlen)
    assert np.isnan(out["zlen"][2])


def test_missing_columns_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    pq.write_table(
        pa.table({"age_days": [1], "weight_kg": [3.0]}), tmp_path / "in" / "a.parquet"
    )
    with pytest.raises(InvalidInput, match=r"a\.parquet: no sex column"):
        zscore_dataset(tmp_path / "in", tmp_path / "out")
    with pytest.raises(InvalidInput, match="no Parquet files"):
        zscore_dataset(tmp_path / "nothing-*.parquet", tmp_path / "out")
    with pytest.raises(InvalidInput, match="holds input files"):
        zscore_dataset(tmp_path, tmp_path)


def test_scheduler_choices_are_checked() -> None:
    with pytest.raises(InvalidInput, match="not one of"):
        Scheduler("gpu")
    with pytest.raises(InvalidInput, match="needs an ADDRESS"):
        Scheduler("distributed")


def test_distributed_without_the_package_says_what_to_install(
    synth_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(InvalidInput, match=r"tumbuh\[cluster\]"):
        zscore_dataset(
            synth_dir / "visits",
            tmp_path / "z",
            scheduler=Scheduler("distributed", "tcp://127.0.0.1:1"),
        )


@pytest.mark.slow
def test_process_scheduler_gives_the_same_files(
    synth_dir: Path, tmp_path: Path
) -> None:
    zscore_dataset(
        synth_dir / "visits", tmp_path / "t", scheduler=Scheduler("threads", workers=2)
    )
    zscore_dataset(
        synth_dir / "visits",
        tmp_path / "p",
        scheduler=Scheduler("processes", workers=2),
    )
    pd.testing.assert_frame_equal(
        _read_parts(tmp_path / "t").to_pandas(), _read_parts(tmp_path / "p").to_pandas()
    )


def test_head_and_arm_circumference_and_dictionary_words_score_as_the_kernel() -> None:
    from tumbuh.batch import zscore_table

    rng = np.random.default_rng(8)
    n = 2_000
    age = rng.integers(0, 1826, n)
    words = np.array(["Terlentang", "BERDIRI", "l", "h", "x", None], dtype=object)
    table = pa.table(
        {
            "jk": pa.array(rng.choice(["L", "P", "l", "Perempuan", "?"], n)),
            "age_days": pa.array(age),
            "weight_kg": pa.array(
                np.round(3 + age / 1826 * 14 + rng.normal(0, 1, n), 1)
            ),
            "lenhei_cm": pa.array(
                np.round(50 + age / 1826 * 55 + rng.normal(0, 3, n), 1)
            ),
            "headc_cm": pa.array(
                np.round(35 + age / 1826 * 14 + rng.normal(0, 1, n), 1)
            ),
            "lila": pa.array(np.round(11 + age / 1826 * 5 + rng.normal(0, 1, n), 1)),
            "cara_ukur": pa.array(
                rng.choice(words, n), pa.string()
            ).dictionary_encode(),
        }
    )
    out = zscore_table(table)
    sex_words = {"l": "1", "p": "2", "perempuan": "2"}
    measure_words = {"terlentang": "l", "berdiri": "h"}
    ref = zscores(
        sex=np.array(
            [sex_words.get(s.lower(), s) for s in table["jk"].to_pylist()], dtype=object
        ),
        age_days=age.astype(np.float64),
        weight_kg=table["weight_kg"].to_numpy(),
        lenhei_cm=table["lenhei_cm"].to_numpy(),
        headc_cm=table["headc_cm"].to_numpy(),
        armc_cm=table["lila"].to_numpy(),
        measure=np.array(
            [
                None if m is None else measure_words.get(m.lower(), m)
                for m in table["cara_ukur"].to_pylist()
            ],
            dtype=object,
        ),
        validate="row",
    )
    assert np.isfinite(out["zhc"].to_numpy(zero_copy_only=False)).sum() > n // 2
    assert np.isfinite(out["zac"].to_numpy(zero_copy_only=False)).sum() > n // 2
    _assert_same(out, {**ref.to_dict(), ISSUE_COLUMN: ref.issues})
