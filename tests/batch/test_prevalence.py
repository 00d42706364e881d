"""Batch prevalence equals a plain pandas computation of the same rule."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tumbuh.batch import Scheduler, prevalence_dataset, wilson_interval, zscore_dataset
from tumbuh.errors import InvalidInput

REGIONS = (
    Path(__file__).parents[2] / "src/tumbuh/data/regions/wilayah_kemendagri_2025.csv"
)


def _desa_codes(province: str) -> np.ndarray:
    with REGIONS.open(encoding="utf-8") as fh:
        rows = [r["kode"] for r in csv.DictReader(fh) if r["level"] == "4"]
    return np.array(
        sorted(c for c in rows if c.startswith(province + ".")), dtype=object
    )


def _pandas_prevalence(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rule written directly: latest measurement per child-year, unflagged z only."""
    df = rows.dropna(subset=["date"]).copy()
    df["year"] = pd.to_datetime(df["date"]).dt.year
    codes: dict[str, pd.Series] = {}
    for z, f in (("zlen", "flen"), ("zwei", "fwei"), ("zwfl", "fwfl")):
        ok = df[z].notna() & (df[f] == 0)
        code = np.select([df[z] < -3, df[z] < -2], [3, 2], 1)
        if z == "zwfl":
            code = np.where(df[z] > 2, 4, code)
        codes[z] = pd.Series(np.where(ok, code, 0), index=df.index)
        df[f"code_{z}"] = codes[z]
    # Latest day wins; on the same day the worse category (wfl, then wei, then len).
    df = df.sort_values(
        ["child_id", "year", "date", "code_zwfl", "code_zwei", "code_zlen"]
    )
    last = df.groupby(["child_id", "year", *[k for k in keys if k != "year"]]).tail(1)
    rules = {
        "stunting": ("code_zlen", {2, 3}),
        "severe_stunting": ("code_zlen", {3}),
        "underweight": ("code_zwei", {2, 3}),
        "severe_underweight": ("code_zwei", {3}),
        "wasting": ("code_zwfl", {2, 3}),
        "severe_wasting": ("code_zwfl", {3}),
        "overweight": ("code_zwfl", {4}),
    }
    out = []
    for name, (col, cases) in rules.items():
        g = last.assign(n=last[col] > 0, cases=last[col].isin(cases)).groupby(keys)
        part = g[["n", "cases"]].sum().reset_index()
        part["indicator"] = name
        out.append(part)
    return pd.concat(out, ignore_index=True)


@pytest.fixture(scope="module")
def scored(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("z")
    zscore_dataset(synth_dir / "visits", out)
    return out


def _merge(batch: pd.DataFrame, ref: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    both = batch.merge(ref, on=[*keys, "indicator"], how="outer", suffixes=("", "_ref"))
    assert len(both) == len(batch) == len(ref)
    return both


def test_prevalence_by_kabkota_year_equals_pandas(scored: Path) -> None:
    batch = prevalence_dataset(scored, ["kabkota", "year"], province="64", split_out=3)
    rows = pq.read_table(scored).to_pandas()
    rows["kabkota"] = [c[:5] for c in _desa_codes("64")[rows["kode_desa_index"]]]
    ref = _pandas_prevalence(rows, ["kabkota", "year"])
    both = _merge(batch, ref, ["kabkota", "year"])
    assert (both["n"] == both["n_ref"]).all()
    assert (both["cases"] == both["cases_ref"]).all()
    assert both["n"].sum() > 10_000
    assert set(batch["kabkota"]) <= {c[:5] for c in _desa_codes("64")}
    assert len(set(batch["kabkota"])) > 5


def test_raw_visits_give_the_same_table_as_scored_rows(
    synth_dir: Path, scored: Path
) -> None:
    a = prevalence_dataset(scored, ["kabkota", "year"], province="64")
    b = prevalence_dataset(
        synth_dir / "visits",
        ["kabkota", "year"],
        province="64",
        scheduler=Scheduler("sync"),
    )
    pd.testing.assert_frame_equal(a, b)


def test_any_column_can_be_a_key(scored: Path) -> None:
    batch = prevalence_dataset(scored, ["sex"])
    ref = _pandas_prevalence(pq.read_table(scored).to_pandas(), ["sex"])
    both = _merge(batch, ref, ["sex"])
    assert (both["n"] == both["n_ref"]).all()
    assert (both["cases"] == both["cases_ref"]).all()


def test_latest_measurement_counts_and_flags_are_excluded(tmp_path: Path) -> None:
    # Child 1: stunted in March, normal in June 2024 -> counted once, not stunted.
    # Child 2: implausible length in 2024 (flagged) -> not counted for stunting.
    # Child 3: no measurement date -> no year, not counted.
    frame = pd.DataFrame(
        {
            "child_id": [1, 1, 2, 3],
            "kode_desa": ["64.01.01.2001"] * 4,
            "date": pd.to_datetime(["2024-03-01", "2024-06-01", "2024-05-01", None]),
            "sex": [1, 1, 2, 2],
            "age_days": [400, 492, 300, 300],
            "weight_kg": [8.0, 10.0, 8.0, 8.0],
            "lenhei_cm": [69.0, 78.0, 30.0, 66.0],
            "measure": ["l", "l", "l", "l"],
        }
    )
    (tmp_path / "in").mkdir()
    frame.to_parquet(tmp_path / "in" / "a.parquet")
    out = prevalence_dataset(tmp_path / "in", ["kabkota", "year"]).set_index(
        "indicator"
    )
    assert out.loc["stunting", "n"] == 1
    assert out.loc["stunting", "cases"] == 0
    assert out.loc["underweight", "n"] == 2  # both children have a weight-for-age
    assert out.loc["stunting", "kabkota"] == "64.01"
    assert out.loc["stunting", "year"] == 2024


def test_wilson_interval_solves_the_score_equation() -> None:
    x = np.array([0, 3, 50, 99, 100])
    n = np.array([100, 100, 100, 100, 100])
    low, high = wilson_interval(x, n)
    z = 1.959963984540054
    for xi, ni, lo, hi in zip(x, n, low, high, strict=True):
        # (p - x/n)^2 = z^2 p (1 - p) / n  <=>  (n + z^2) p^2 - (2x + z^2) p + x^2/n = 0
        roots = np.sort(np.roots([ni + z * z, -(2 * xi + z * z), xi * xi / ni]).real)
        np.testing.assert_allclose([lo, hi], np.clip(roots, 0, 1), atol=1e-12)
    assert np.isnan(wilson_interval([0], [0])[0][0])


def test_bad_keys_are_named(scored: Path) -> None:
    with pytest.raises(InvalidInput, match="give --province"):
        prevalence_dataset(scored, ["kabkota"])
    with pytest.raises(InvalidInput, match="--by colour: not a column"):
        prevalence_dataset(scored, ["colour"])
    with pytest.raises(InvalidInput, match="at least one key"):
        prevalence_dataset(scored, [" "])


def test_a_part_without_a_needed_column_is_named(scored: Path, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    first = sorted(scored.glob("*.parquet"))[0]
    (tmp_path / "in" / "a.parquet").write_bytes(first.read_bytes())
    pq.write_table(
        pq.read_table(first).drop_columns(["zwfl"]), tmp_path / "in" / "b.parquet"
    )
    with pytest.raises(InvalidInput, match=r"b\.parquet: no column zwfl"):
        prevalence_dataset(tmp_path / "in", ["year"])


def test_a_dictionary_kode_desa_column_gives_the_pandas_table(
    scored: Path, tmp_path: Path
) -> None:
    import pyarrow as pa

    rows = pq.read_table(scored)
    codes = _desa_codes("64")[rows["kode_desa_index"].to_numpy()]
    codes[::97] = None  # some rows without a desa
    for name, column in (
        ("dict", pa.array(codes, pa.string()).dictionary_encode()),
        ("text", pa.array(codes, pa.string())),
    ):
        (tmp_path / name).mkdir()
        table = rows.drop_columns(["kode_desa_index"]).append_column(
            "kode_desa", column
        )
        pq.write_table(table, tmp_path / name / "part.parquet")
    by_dict = prevalence_dataset(tmp_path / "dict", ["kabkota", "year"])
    by_text = prevalence_dataset(tmp_path / "text", ["kabkota", "year"])
    pd.testing.assert_frame_equal(by_dict, by_text)
    frame = rows.to_pandas()
    frame["kabkota"] = [None if c is None else c[:5] for c in codes]
    ref = _pandas_prevalence(frame.dropna(subset=["kabkota"]), ["kabkota", "year"])
    both = _merge(by_dict.dropna(subset=["kabkota"]), ref, ["kabkota", "year"])
    assert (both["n"] == both["n_ref"]).all()
    assert (both["cases"] == both["cases_ref"]).all()
