"""Batch z-scores equal the single-process kernel on the same rows, whatever the split."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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


def _arrow_and_pandas_scores(table: pa.Table) -> tuple[dict[str, Any], dict[str, Any]]:
    from tumbuh.batch._columns import kernel_inputs, kernel_inputs_arrow, resolve

    cols = resolve(table.column_names)
    pieces = []
    for kw in (
        kernel_inputs_arrow(table, cols),
        kernel_inputs(table.to_pandas(date_as_object=False), cols),
    ):
        z = zscores(**kw, validate="row")
        pieces.append({**z.to_dict(), ISSUE_COLUMN: z.issues})
    return pieces[0], pieces[1]


def _column_kinds(n: int) -> dict[str, pa.Table]:
    rng = np.random.default_rng(11)
    age = rng.integers(-3, 1900, n)
    birth = np.datetime64("2020-01-01") + rng.integers(0, 1500, n)
    when = birth + age
    gaps = rng.random(n) < 0.05
    weight = np.round(3 + np.abs(age) / 1826 * 14 + rng.normal(0, 1.5, n), 1)
    words = ["L", "P", " l ", "perempuan", "Laki-laki", "", None, "m", "F", "2", "X"]
    return {
        "integer sex with nulls, int16 ages": pa.table(
            {
                "sex": pa.array(
                    np.where(gaps, None, rng.integers(1, 4, n)).tolist(), pa.int64()
                ),
                "age_days": pa.array(age.astype(np.int16)),
                "weight_kg": pa.array(weight.astype(np.float32)),
                "lenhei_cm": pa.array(
                    np.where(gaps, None, rng.integers(45, 120, n)).tolist(), pa.int32()
                ),
                "oedema": pa.array(rng.choice(["y", "n", "N", "1", "x"], n)),
            }
        ),
        "L/P words, date32 dates with gaps, dictionary measure": pa.table(
            {
                "jk": pa.array(rng.choice(np.array(words, dtype=object), n)),
                "tgl_lahir": pa.array(birth.astype("datetime64[D]"), pa.date32()),
                "tgl_ukur": pa.array(
                    np.where(gaps, None, when.astype("datetime64[D]")).tolist(),
                    pa.date32(),
                ),
                "berat": pa.array(weight),
                "cara_ukur": pa.array(
                    rng.choice(["Terlentang", "BERDIRI", "l", "h", "x", None], n)
                ).dictionary_encode(),
            }
        ),
        "timestamps and text ages go through pandas": pa.table(
            {
                "sex": pa.array(rng.choice(["1", "2", "f"], n), pa.large_string()),
                "dob": pa.array(birth.astype("datetime64[ms]")),
                "date": pa.array(when.astype("datetime64[ms]")),
                "weight_kg": pa.array(weight),
                "measure": pa.array(rng.integers(1, 3, n)),  # numbers: not a code
            }
        ),
        "text months, boolean sex": pa.table(
            {
                "sex": pa.array(rng.random(n) < 0.5),
                "age_months": pa.array(rng.choice(["1", "12.5", "x", None, "59"], n)),
                "weight_kg": pa.array(weight),
            }
        ),
        "two chunks with different dictionaries": pa.concat_tables(
            [
                pa.table(
                    {
                        "sex": pa.array(["L", "P"] * (n // 4)).dictionary_encode(),
                        "age_days": pa.array(age[: n // 2]),
                        "weight_kg": pa.array(weight[: n // 2]),
                    }
                ),
                pa.table(
                    {
                        "sex": pa.array(["X", "2"] * (n // 4)).dictionary_encode(),
                        "age_days": pa.array(age[n // 2 :]),
                        "weight_kg": pa.array(weight[n // 2 :]),
                    }
                ),
            ]
        ),
    }


#: Kernel inputs that go through pandas (types other than numbers, date32, text).
_THROUGH_PANDAS = {
    "integer sex with nulls, int16 ages": set(),
    "L/P words, date32 dates with gaps, dictionary measure": set(),
    "timestamps and text ages go through pandas": {"age_days", "measure"},
    "text months, boolean sex": {"sex", "age_months"},
    "two chunks with different dictionaries": set(),
}


@pytest.mark.parametrize("kind", list(_THROUGH_PANDAS))
def test_arrow_inputs_score_as_the_pandas_inputs(kind: str) -> None:
    # The batch reads the kernel's inputs straight from Arrow (codes translated on the
    # dictionary); the pandas route is the reference, whatever the column types.
    from tumbuh.batch._columns import _arrow_input, _kernel_names, resolve

    table = _column_kinds(2_000)[kind]
    cols = resolve(table.column_names)
    through_pandas = {
        name for name in _kernel_names(cols) if _arrow_input(name, table, cols) is None
    }
    assert through_pandas == _THROUGH_PANDAS[kind]
    arrow, pandas = _arrow_and_pandas_scores(table)
    assert arrow.keys() == pandas.keys()
    for name, values in pandas.items():
        if np.asarray(values).dtype == object:
            assert list(arrow[name]) == list(values), name
        else:
            np.testing.assert_array_equal(arrow[name], values, err_msg=name)
    assert sum(v is not None for v in pandas[ISSUE_COLUMN]) > 0  # bad codes included


def test_output_columns_keep_their_types_and_values_through_the_parquet_options(
    tmp_path: Path,
) -> None:
    # The write options (encodings, codecs, statistics per column) change nothing read back.
    from tumbuh.batch import zscore_table

    table = _column_kinds(3_000)[
        "L/P words, date32 dates with gaps, dictionary measure"
    ]
    (tmp_path / "in").mkdir()
    pq.write_table(table, tmp_path / "in" / "a.parquet")
    zscore_dataset(tmp_path / "in", tmp_path / "out", scheduler=Scheduler("sync"))
    back = _read_parts(tmp_path / "out")
    direct = zscore_table(table)
    assert back.schema == direct.schema
    for name in direct.column_names:
        got, want = back[name], direct[name]
        if pa.types.is_dictionary(want.type):
            got, want = got.cast(want.type.value_type), want.cast(want.type.value_type)
        if pa.types.is_floating(want.type):
            np.testing.assert_array_equal(got.to_numpy(), want.to_numpy(), err_msg=name)
        else:
            assert got.combine_chunks().equals(want.combine_chunks()), name
