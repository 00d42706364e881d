"""Reading partitioned Parquet into bounded pieces (runs of row groups) with pyarrow."""

from __future__ import annotations

import glob
import os
import uuid
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tumbuh.errors import InvalidInput

__all__ = [
    "Piece",
    "clear_outputs",
    "list_parquet",
    "partial_path",
    "pieces",
    "publish",
    "read_dataframe",
    "read_piece",
]

#: One file and the row groups of it a task reads.
Piece = tuple[Path, tuple[int, ...]]


def list_parquet(source: str | Path) -> list[Path]:
    """The Parquet files of a directory (recursively) or a glob, in name order."""
    src = Path(source)
    if src.is_dir():
        files = sorted(p for p in src.rglob("*.parquet") if p.is_file())
    elif src.is_file():
        files = [src]
    else:
        found = sorted(Path(p) for p in glob.glob(str(source), recursive=True))
        files = [p for p in found if p.is_file()]
    if not files:
        raise InvalidInput(f"{source}: no Parquet files found")
    return files


def pieces(files: list[Path], partition_rows: int) -> list[Piece]:
    """Split files into runs of row groups of at most `partition_rows` rows (>= 1 group)."""
    if partition_rows < 1:
        raise InvalidInput(f"--partition-rows must be at least 1, got {partition_rows}")
    out: list[Piece] = []
    for path in files:
        meta = pq.ParquetFile(path).metadata
        run: list[int] = []
        run_rows = 0
        for i in range(meta.num_row_groups):
            n = meta.row_group(i).num_rows
            if run and run_rows + n > partition_rows:
                out.append((path, tuple(run)))
                run, run_rows = [], 0
            run.append(i)
            run_rows += n
        out.append((path, tuple(run)))
    return out


def _plain(table: pa.Table) -> pd.DataFrame:
    """To pandas with dictionary columns decoded and dates as datetime64."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(
                i, field.name, table.column(i).cast(field.type.value_type)
            )
    frame: pd.DataFrame = table.to_pandas(date_as_object=False)
    return frame


def read_piece(piece: Piece, columns: list[str] | None = None) -> pd.DataFrame:
    """The rows of one piece as a pandas frame."""
    path, groups = piece
    pf = pq.ParquetFile(path)
    if not groups:  # an empty file
        return _plain(
            pf.schema_arrow.empty_table().select(columns or pf.schema_arrow.names)
        )
    return _plain(pf.read_row_groups(list(groups), columns=columns))


def read_dataframe(
    files: list[Path], columns: list[str] | None, partition_rows: int
) -> dd.DataFrame:
    """A Dask frame with one partition per piece (pyarrow reads, no pandas-side copies)."""
    parts = pieces(files, partition_rows)
    schema = pq.read_schema(files[0])
    meta = _plain(schema.empty_table().select(columns or schema.names))
    ddf: dd.DataFrame = dd.from_map(  # type: ignore[no-untyped-call]
        read_piece, parts, columns=columns, meta=meta, enforce_metadata=False
    )
    return ddf


def partial_path(out_path: Path) -> Path:
    """Where a task writes `out_path` before :func:`publish` renames it into place.

    A task killed half-way (a lost ``dask.distributed`` worker) leaves only this hidden
    file, never a truncated ``part-*.parquet``; the rerun of the task writes its own.
    """
    return out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex}.partial")


def publish(partial: Path, out_path: Path) -> None:
    """Rename a finished partial file to `out_path` (atomic on one file system)."""
    os.replace(partial, out_path)


def clear_outputs(out_dir: Path) -> None:
    """Remove earlier ``part-*.parquet`` outputs and partial files left by killed tasks."""
    for old in [*out_dir.glob("part-*.parquet"), *out_dir.glob(".part-*.partial")]:
        old.unlink(missing_ok=True)
