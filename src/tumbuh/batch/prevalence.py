"""`tumbuh batch prevalence`: stunting, wasting, underweight and overweight by region and year.

Rule (per child and calendar year of measurement): the child's latest measurement of the year
counts once; an indicator counts for that child-year when its z-score is present and not
flagged (``f* == 0``). Prevalence = cases / children counted, with a Wilson 95 % interval.

How it scales: each partition is reduced to one ``int64`` per row that packs the measurement
day (high bits) with the category codes of the three indicators (low bits). The latest
measurement of a child-year is then the *maximum* of that number, a plain Dask groupby
``max`` (tree reduction, hash-split over ``split_out`` partitions), and the counts per key a
groupby ``sum``. No task ever holds more than its partition, and ties on the same day are
broken deterministically (the worse category wins).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from tumbuh.batch._columns import desa_codes, kernel_inputs, needed_for_kernel, resolve
from tumbuh.batch._read import list_parquet, read_dataframe
from tumbuh.batch._run import Progress, Scheduler, compute
from tumbuh.batch.zscore import DEFAULT_PARTITION_ROWS
from tumbuh.errors import InvalidInput
from tumbuh.growth import zscores

__all__ = ["INDICATORS", "prevalence_dataset", "wilson_interval"]

Z95 = 1.959963984540054
_DAY_SHIFT = 8  # low 8 bits: len code (2 bits), wei code (2 bits), wfl code (3 bits)
_DAY_OFFSET = 200_000  # days since 1970 are shifted to stay positive

# Indicator -> (z column, code bits, codes that are cases). Codes: 0 not counted (missing or
# flagged); len/wei: 1 z >= -2, 2 -3 <= z < -2, 3 z < -3; wfl: the same, plus 4 z > +2.
INDICATORS: dict[str, tuple[str, int, frozenset[int]]] = {
    "stunting": ("zlen", 0, frozenset({2, 3})),
    "severe_stunting": ("zlen", 0, frozenset({3})),
    "underweight": ("zwei", 2, frozenset({2, 3})),
    "severe_underweight": ("zwei", 2, frozenset({3})),
    "wasting": ("zwfl", 4, frozenset({2, 3})),
    "severe_wasting": ("zwfl", 4, frozenset({3})),
    "overweight": ("zwfl", 4, frozenset({4})),
}
_MASKS = {0: 0b11, 2: 0b11, 4: 0b111}
_REGION_KEYS = {"provinsi": 2, "kabkota": 5, "kecamatan": 8, "desa": 13}


def wilson_interval(cases: Any, n: Any, z: float = Z95) -> tuple[Any, Any]:
    """Wilson score interval of ``cases / n`` (arrays; NaN where n == 0)."""
    x = np.asarray(cases, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / m
        denom = 1.0 + z * z / m
        centre = (p + z * z / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _code(
    z: np.ndarray[Any, Any], f: np.ndarray[Any, Any], wfl: bool
) -> np.ndarray[Any, Any]:
    ok = ~np.isnan(z) & (f == 0)
    code = np.where(z < -3, 3, np.where(z < -2, 2, 1))
    if wfl:
        code = np.where(z > 2, 4, code)
    return np.where(ok, code, 0).astype(np.int64)


def _pack_partition(
    frame: pd.DataFrame, keys: tuple[str, ...], province: str | None
) -> pd.DataFrame:
    cols = resolve(frame.columns)
    if all(
        c in frame.columns for c in ("zlen", "flen", "zwei", "fwei", "zwfl", "fwfl")
    ):
        z = {
            c: frame[c].to_numpy(dtype=np.float64, na_value=np.nan)
            for c in ("zlen", "flen", "zwei", "fwei", "zwfl", "fwfl")
        }
    else:
        res = zscores(**kernel_inputs(frame, cols), validate="row")
        z = {
            c: np.asarray(getattr(res, c))
            for c in ("zlen", "flen", "zwei", "fwei", "zwfl", "fwfl")
        }
    if "date" in cols:
        when = pd.to_datetime(frame[cols["date"]], errors="coerce")
    else:
        when = pd.to_datetime(
            frame[cols["birth_date"]], errors="coerce"
        ) + pd.to_timedelta(
            pd.to_numeric(frame[cols["age_days"]], errors="coerce"), unit="D"
        )
    day = when.to_numpy(dtype="datetime64[D]").astype(np.int64)
    has_day = when.notna().to_numpy()
    packed = (
        ((np.where(has_day, day, 0) + _DAY_OFFSET) << _DAY_SHIFT)
        | (_code(z["zwfl"], z["fwfl"], True) << 4)
        | (_code(z["zwei"], z["fwei"], False) << 2)
        | _code(z["zlen"], z["flen"], False)
    )
    out = pd.DataFrame(
        {"child_id": frame[cols["child_id"]].to_numpy()}, index=frame.index
    )
    out["year"] = when.dt.year.to_numpy(dtype=np.float64, na_value=np.nan)
    for key in keys:
        if key == "year":
            continue
        out[key] = _key_values(frame, cols, key, province)
    out["packed"] = packed
    out = out.loc[has_day & out["child_id"].notna().to_numpy()]
    out["year"] = out["year"].astype(np.int64)
    return out


def _key_values(
    frame: pd.DataFrame, cols: dict[str, str], key: str, province: str | None
) -> np.ndarray[Any, Any]:
    if key in frame.columns:
        return frame[key].astype(object).to_numpy()
    if key in _REGION_KEYS:
        width = _REGION_KEYS[key]
        if "kode_desa" in cols:
            column = frame[cols["kode_desa"]]
            if isinstance(column.dtype, pd.CategoricalDtype):
                # A Parquet dictionary column: cut its (few thousand) codes, not each row.
                cats = [str(c).strip()[:width] for c in column.cat.categories]
                lookup = np.array([*cats, None], dtype=object)
                picked_codes: np.ndarray[Any, Any] = lookup[column.cat.codes.to_numpy()]
                return picked_codes
            text = column.astype(object)
            cut = text.where(text.isna(), text.astype(str).str.strip().str[:width])
            return np.asarray(cut.where(cut.notna(), None), dtype=object)
        # Synthetic visits: an index into the province's desa codes (checked by the caller).
        table = np.array([c[:width] for c in desa_codes(province or "")], dtype=object)
        index = frame[cols["kode_desa_index"]].to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        valid = ~np.isnan(index) & (index >= 0) & (index < len(table))
        picked = table[np.where(valid, index, 0).astype(np.int64)]
        picked[~valid] = None
        return picked
    raise InvalidInput(f"--by {key}: no such column")  # checked earlier


def _counts_partition(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    packed = frame["packed"].to_numpy(dtype=np.int64)
    out = frame[list(keys)].copy()
    for name, (_, shift, cases) in INDICATORS.items():
        code = (packed >> shift) & _MASKS[shift]
        out[f"{name}_n"] = (code > 0).astype(np.int64)
        out[f"{name}_cases"] = np.isin(code, sorted(cases)).astype(np.int64)
    return out


def _check_keys(
    names: Sequence[str], keys: tuple[str, ...], province: str | None, source: str
) -> None:
    cols = resolve(names)
    if "child_id" not in cols:
        raise InvalidInput(
            f"{source}: no child_id (or nik) column to find each child's latest measurement"
        )
    if "date" not in cols and not ("birth_date" in cols and "age_days" in cols):
        raise InvalidInput(
            f"{source}: no measurement date column (date) to take the year from"
        )
    if not all(c in names for c in ("zlen", "flen", "zwei", "fwei", "zwfl", "fwfl")):
        needed_for_kernel(cols, source)
    for key in keys:
        if key == "year" or key in names:
            continue
        if key not in _REGION_KEYS:
            raise InvalidInput(
                f"--by {key}: not a column of {source} nor one of year, "
                + ", ".join(_REGION_KEYS)
            )
        if "kode_desa" not in cols:
            if "kode_desa_index" not in cols:
                raise InvalidInput(f"--by {key}: {source} has no kode_desa column")
            if province is None:
                raise InvalidInput(
                    f"--by {key}: {source} has kode_desa_index (synthetic visits); "
                    "give --province (e.g. 64) to turn it into Kemendagri codes"
                )
            desa_codes(province)


def prevalence_dataset(
    source: str | Path,
    by: Sequence[str] = ("kabkota", "year"),
    *,
    province: str | None = None,
    scheduler: Scheduler | None = None,
    split_out: int | None = None,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Prevalence per group of `by` over the Parquet dataset at `source`.

    `source` holds measurement rows: either ``tumbuh batch zscore`` output (its ``z*``/``f*``
    columns are used) or raw rows (z-scores computed on the fly). `by` may name ``year``,
    ``provinsi``/``kabkota``/``kecamatan``/``desa`` (prefixes of ``kode_desa``; synthetic
    visits carry ``kode_desa_index`` and need `province`) or any other column, which must
    be constant per child and year (a child measured under two values counts in both).

    Returns one row per group and indicator: the keys, ``indicator``, ``n``, ``cases``,
    ``prevalence_pct``, ``ci_low_pct``, ``ci_high_pct`` (Wilson 95 %), sorted.
    """
    keys = tuple(dict.fromkeys(k.strip() for k in by if k.strip()))
    if not keys:
        raise InvalidInput("--by: give at least one key, e.g. kabkota,year")
    files = list_parquet(source)
    names = pq.read_schema(files[0]).names
    _check_keys(names, keys, province, str(files[0]))
    cols = resolve(names)
    wanted = {
        cols[c] for c in ("child_id", "date", "birth_date", "age_days") if c in cols
    }
    if all(c in names for c in ("zlen", "flen", "zwei", "fwei", "zwfl", "fwfl")):
        wanted |= {"zlen", "flen", "zwei", "fwei", "zwfl", "fwfl"}
    else:
        wanted |= set(needed_for_kernel(cols, str(files[0])))
    for key in keys:
        if key in names:
            wanted.add(key)
        elif key in _REGION_KEYS:
            wanted.add(cols.get("kode_desa") or cols["kode_desa_index"])
    columns = [n for n in names if n in wanted]
    for path in files[1:]:  # every part must carry the columns read (metadata only)
        missing = set(columns) - set(pq.read_schema(path).names)
        if missing:
            raise InvalidInput(
                f"{path}: no column {', '.join(sorted(missing))} "
                f"(which {files[0].name} has)"
            )
    ddf = read_dataframe(files, columns, partition_rows)
    group = ["child_id", "year", *[k for k in keys if k != "year"]]
    meta = _pack_partition(ddf._meta, keys, province)
    packed = ddf.map_partitions(  # type: ignore[no-untyped-call]
        _pack_partition, keys, province, meta=meta
    )
    nparts = split_out or max(1, ddf.npartitions // 4)
    latest = (
        packed.groupby(group, sort=False, dropna=False)["packed"]
        .max(split_out=nparts)
        .reset_index()
    )
    counts_meta = _counts_partition(latest._meta, keys)
    counts = latest.map_partitions(_counts_partition, keys, meta=counts_meta)
    totals = counts.groupby(list(keys), dropna=False, sort=False).sum()
    (result,) = compute([totals], scheduler or Scheduler(), progress)
    return _long_table(result.reset_index(), keys)


def _long_table(wide: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    parts = []
    for name in INDICATORS:
        part = wide[list(keys)].copy()
        part["indicator"] = name
        part["n"] = wide[f"{name}_n"].to_numpy(dtype=np.int64)
        part["cases"] = wide[f"{name}_cases"].to_numpy(dtype=np.int64)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    low, high = wilson_interval(out["cases"], out["n"])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["prevalence_pct"] = 100.0 * out["cases"] / out["n"].where(out["n"] > 0)
    out["ci_low_pct"] = 100.0 * low
    out["ci_high_pct"] = 100.0 * high
    order = list(INDICATORS)
    out["_i"] = out["indicator"].map(order.index)
    out = out.sort_values([*keys, "_i"], kind="stable", na_position="last")
    return out.drop(columns="_i").reset_index(drop=True)
