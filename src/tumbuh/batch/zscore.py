"""`tumbuh batch zscore`: WHO z-scores of every row of a partitioned Parquet dataset.

Each task reads one input file (or a run of its row groups) in slices of at most
``partition_rows`` rows, computes the z-scores of each slice with
:func:`tumbuh.growth.zscores` and streams them to its own output file, so the memory a
worker needs is bounded by the slice size, whatever the size of the dataset.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from dask.delayed import delayed

from tumbuh.batch._columns import kernel_inputs_arrow, needed_for_kernel, resolve
from tumbuh.batch._read import (
    clear_outputs,
    list_parquet,
    partial_path,
    pieces,
    publish,
)
from tumbuh.batch._run import Progress, Scheduler, compute
from tumbuh.errors import InvalidInput
from tumbuh.growth import zscores
from tumbuh.growth.categories import BBTB, BBU, TBU, Categories

__all__ = [
    "ISSUE_COLUMN",
    "ZscoreSummary",
    "list_parquet",
    "zscore_dataset",
    "zscore_table",
]

#: Output column with the kernel's reason for a row it could not score (else null).
ISSUE_COLUMN = "zscore_issue"
DEFAULT_PARTITION_ROWS = 250_000
#: The columns zscore_table adds (anthro's output), besides ISSUE_COLUMN.
ZSCORE_COLUMNS = (
    "clenhei", "cmeasure", "c9mo_flag", "cbmi", "csex", "zlen", "flen", "zwei", "fwei",
    "zwfl", "fwfl", "zbmi", "fbmi", "zhc", "fhc", "zac", "fac", "zts", "fts", "zss",
    "fss", "cat_bbu", "cat_tbu", "cat_bbtb", "cat_imtu",
)  # fmt: skip


@dataclass(frozen=True)
class ZscoreSummary:
    """What a batch z-score run did."""

    rows: int
    rows_with_issue: int
    input_files: int
    output_files: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("nan")


def _arrow_column(values: np.ndarray[Any, Any], nan: list[pa.Array]) -> pa.Array:
    """A kernel output as Arrow: floats without a copy; the read-only all-NaN column of an
    indicator not computed as one shared NaN array (`nan` caches it for the table)."""
    if values.dtype == object:
        return pa.array(values, type=pa.string(), from_pandas=True)
    if values.strides == (0,) and values.shape[0] > 1:
        if not nan:
            nan.append(pa.array(np.full(values.shape[0], np.nan)))
        return nan[0]
    return pa.array(values)


def zscore_table(table: pa.Table, source: str = "input") -> pa.Table:
    """`table` with the anthro output columns (and :data:`ISSUE_COLUMN`) added.

    Input columns of the same name as an output column are replaced. Rows the kernel cannot
    score (bad sex/measure/oedema code, negative age) keep missing z-scores and get a reason
    in :data:`ISSUE_COLUMN`; they are never dropped.
    """
    cols = resolve(table.column_names)
    needed_for_kernel(cols, source)
    # Indicators without their measurement column (no head or arm circumference, never
    # skinfolds) come back all-NaN either way; not asking for them saves ~70 % of the
    # kernel's time on a weight/length file (same output, tested).
    wanted = ["len", "wei", "wfl", "bmi"]
    wanted += [
        ind for ind, col in (("hc", "headc_cm"), ("ac", "armc_cm")) if col in cols
    ]
    z = zscores(**kernel_inputs_arrow(table, cols), indicators=wanted, validate="row")
    out = table
    new: dict[str, Any] = {
        name: getattr(z, name)
        for name in ZSCORE_COLUMNS
        if name not in _CATEGORIES and name != "cmeasure"
    }
    new["cmeasure"] = _CMEASURE_LABELS.take(pa.array(z.cmeasure_code))
    for name, (zcol, fcol, cats) in _CATEGORIES.items():
        new[name] = _category_column(getattr(z, zcol), getattr(z, fcol), cats)
    new[ISSUE_COLUMN] = z.issues
    nan: list[pa.Array] = []
    replaced = [n for n in (*ZSCORE_COLUMNS, ISSUE_COLUMN) if n in out.column_names]
    if replaced:
        out = out.drop_columns(replaced)
    for name in (*ZSCORE_COLUMNS, ISSUE_COLUMN):
        values = new[name]
        column = values if isinstance(values, pa.Array) else _arrow_column(values, nan)
        out = out.append_column(name, column)
    return out


#: ``ZScores.cmeasure`` by its code (0 missing, 1 lying, 2 standing).
_CMEASURE_LABELS = pa.array([None, "l", "h"], pa.string())

#: Permenkes 2/2020 category columns: (z column, flag column, categories), as
#: ``ZScores.cat_*`` label them (same labels, tested), kept as dictionary columns.
_CATEGORIES = {
    "cat_bbu": ("zwei", "fwei", BBU),
    "cat_tbu": ("zlen", "flen", TBU),
    "cat_bbtb": ("zwfl", "fwfl", BBTB),
    "cat_imtu": ("zbmi", "fbmi", BBTB),
}


def _category_column(z: Any, flag: Any, cats: Categories) -> pa.Array:
    """The category labels of `z` as a dictionary array (codes + a handful of labels):
    the rule of :func:`tumbuh.growth.categories.categorize` on codes, so no Python
    string is made per row."""
    z = np.asarray(z, dtype=np.float64)
    code = np.zeros(z.shape, dtype=np.int8)
    for cut, up in zip(cats.cuts, cats.upper, strict=True):
        code += (z >= cut) if up else (z > cut)
    missing = np.isnan(z) | (np.asarray(flag) == 1)
    return pa.DictionaryArray.from_arrays(
        pa.array(code, mask=missing), pa.array(cats.labels, pa.string())
    )


#: Output columns written with dictionary pages: values rounded to 0.01 z or 0.1 cm have
#: a few thousand distinct values at most, so the pages hold small integer codes (cheaper
#: to encode than to compress, and ~2.5x smaller than compressed doubles).
_DICTIONARY_OUTPUTS = frozenset(
    {"clenhei", "zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss"}
)
#: Output columns written without compression: near-random doubles (``cbmi``), two
#: values (``csex``, ``cmeasure``) or dictionary codes, which compression hardly shrinks
#: but costs as much as the rest of their write.
_UNCOMPRESSED_OUTPUTS = frozenset(
    {*_DICTIONARY_OUTPUTS, "cbmi", "csex", "cmeasure", *_CATEGORIES}
)


def _write_options(table: pa.Table) -> dict[str, Any]:
    """Parquet options chosen per column for the CPU time of the write (measured on a
    national round, see docs/batch.md); the values and types are the same whatever the
    options.

    Input columns keep their statistics (they serve filters on child, date and region):
    integers and dates delta-encoded (cheaper than compressing them, and small), other
    numbers with dictionary pages (measurements rounded to 0.1 have a few hundred
    values), text with dictionary pages and snappy. Outputs have no statistics;
    dictionary pages for the rounded values and the categories, no compression where it
    does not pay, snappy for the flags (mostly 0).
    """
    schema = table.schema
    outputs = {*ZSCORE_COLUMNS, ISSUE_COLUMN}
    dictionary: list[str] = []
    compression: dict[str, str] = {}
    encoding: dict[str, str] = {}
    for f in schema:
        name, typ = f.name, f.type
        if name in outputs:
            if name in _DICTIONARY_OUTPUTS or pa.types.is_dictionary(typ):
                dictionary.append(name)
            compression[name] = "none" if name in _UNCOMPRESSED_OUTPUTS else "snappy"
        elif pa.types.is_integer(typ) or pa.types.is_date32(typ):
            encoding[name] = "DELTA_BINARY_PACKED"
            compression[name] = "none"
        elif pa.types.is_floating(typ):
            dictionary.append(name)
            compression[name] = "none"
        else:
            dictionary.append(name)
            compression[name] = "snappy"
    return {
        "use_dictionary": dictionary,
        "compression": compression,
        "column_encoding": encoding,
        "write_statistics": [n for n in schema.names if n not in outputs],
    }


def _zscore_piece(
    path: Path, row_groups: tuple[int, ...], out_path: Path, partition_rows: int
) -> tuple[int, int]:
    rows = issues = 0
    pf = pq.ParquetFile(path)
    partial = partial_path(out_path)
    writer: pq.ParquetWriter | None = None
    try:
        for batch in pf.iter_batches(
            batch_size=partition_rows, row_groups=list(row_groups)
        ):
            scored = zscore_table(pa.Table.from_batches([batch]), str(path))
            if writer is None:
                writer = pq.ParquetWriter(
                    partial, scored.schema, **_write_options(scored)
                )
            writer.write_table(scored)
            rows += scored.num_rows
            issues += scored.num_rows - scored[ISSUE_COLUMN].null_count
        if writer is None:  # an empty file still gives an (empty) output file
            empty = zscore_table(pf.schema_arrow.empty_table(), str(path))
            pq.write_table(empty, partial, **_write_options(empty))
    except BaseException:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
        raise
    if writer is not None:
        writer.close()
    publish(partial, out_path)
    return rows, issues


def zscore_dataset(
    source: str | Path,
    out_dir: Path,
    *,
    scheduler: Scheduler | None = None,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    progress: Progress | None = None,
) -> ZscoreSummary:
    """Z-score every row of the Parquet files at `source` into ``out_dir/part-NNNNN.parquet``.

    Previous ``part-*.parquet`` files in `out_dir` are removed first. Raises
    :class:`~tumbuh.errors.InvalidInput` when no file is found, when `out_dir` holds the
    input, or when a file lacks the columns the kernel needs (named in the message).
    """
    files = list_parquet(source)
    out_dir = Path(out_dir)
    resolved_out = out_dir.resolve()
    if any(resolved_out in p.resolve().parents for p in files):
        raise InvalidInput(f"{out_dir}: the output directory holds input files")
    for path in files:  # fail fast, before any task runs, on a file without the columns
        needed_for_kernel(resolve(pq.read_schema(path).names), str(path))
    out_dir.mkdir(parents=True, exist_ok=True)
    clear_outputs(out_dir)
    parts = pieces(files, partition_rows)
    tasks = [
        delayed(_zscore_piece, pure=False)(
            path, groups, out_dir / f"part-{i:05d}.parquet", partition_rows
        )
        for i, (path, groups) in enumerate(parts)
    ]
    start = time.perf_counter()
    results = compute(tasks, scheduler or Scheduler(), progress)
    seconds = time.perf_counter() - start
    for left in out_dir.glob(".part-*.partial"):  # of tasks killed and run again
        left.unlink(missing_ok=True)
    return ZscoreSummary(
        rows=sum(r for r, _ in results),
        rows_with_issue=sum(i for _, i in results),
        input_files=len(files),
        output_files=len(parts),
        seconds=seconds,
    )
