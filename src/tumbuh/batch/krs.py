"""`tumbuh batch krs`: KRS (keluarga berisiko stunting) over a partitioned family table.

Each partition is classified on its own (the rule looks at one family at a time), so the
70 M families of the country need no shuffle and a worker holds one partition. The
classifier is passed in (the CLI gives :func:`tumbuh.risk.krs.classify_family_table`):
``tumbuh.batch`` sits beside ``tumbuh.risk`` in the domain layer and does not import it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dask.delayed import delayed

from tumbuh.batch._read import (
    Piece,
    clear_outputs,
    list_parquet,
    partial_path,
    pieces,
    publish,
    read_piece,
)
from tumbuh.batch._run import Progress, Scheduler, compute
from tumbuh.batch.zscore import DEFAULT_PARTITION_ROWS
from tumbuh.errors import InvalidInput

__all__ = ["Classifier", "KrsSummary", "krs_dataset"]

#: A family frame in, the same rows with ``target_family``/``krs`` (``y``/``n``) ... out.
Classifier = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class KrsSummary:
    """Families classified, and how many are target families and at risk (KRS)."""

    families: int
    target_families: int
    krs: int
    with_issues: int
    seconds: float


def _classify_piece(
    piece: Piece, out_path: Path, classify: Classifier
) -> tuple[int, int, int, int]:
    frame = read_piece(piece)
    try:
        out = classify(frame)
    except InvalidInput as exc:
        raise InvalidInput(f"{piece[0]}: {exc.message}") from exc
    partial = partial_path(out_path)
    try:
        pq.write_table(pa.Table.from_pandas(out, preserve_index=False), partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    publish(partial, out_path)
    issues = out["issues"].astype(object)
    return (
        len(out),
        int((out["target_family"] == "y").sum()),
        int((out["krs"] == "y").sum()),
        int((issues.notna() & (issues != "")).sum()),
    )


def krs_dataset(
    source: str | Path,
    out_dir: Path,
    classify: Classifier,
    *,
    scheduler: Scheduler | None = None,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    progress: Progress | None = None,
) -> KrsSummary:
    """Classify the family rows at `source` into ``out_dir/part-NNNNN.parquet``.

    Every input column is kept and the classifier's columns are added; bad cells are
    reported in ``issues`` by the classifier and never drop a family. Previous
    ``part-*.parquet`` files in `out_dir` are removed first.
    """
    files = list_parquet(source)
    out_dir = Path(out_dir)
    if any(out_dir.resolve() in p.resolve().parents for p in files):
        raise InvalidInput(f"{out_dir}: the output directory holds input files")
    # Missing required columns fail here, before any task runs.
    seen: set[tuple[str, ...]] = set()
    for path in files:
        schema = pq.read_schema(path)
        if tuple(schema.names) not in seen:
            seen.add(tuple(schema.names))
            _classify_piece_check(schema, classify, path)
    out_dir.mkdir(parents=True, exist_ok=True)
    clear_outputs(out_dir)
    parts = pieces(files, partition_rows)
    tasks = [
        delayed(_classify_piece, pure=False)(
            piece, out_dir / f"part-{i:05d}.parquet", classify
        )
        for i, piece in enumerate(parts)
    ]
    start = time.perf_counter()
    results = compute(tasks, scheduler or Scheduler(), progress)
    for left in out_dir.glob(".part-*.partial"):  # of tasks killed and run again
        left.unlink(missing_ok=True)
    return KrsSummary(
        families=sum(r[0] for r in results),
        target_families=sum(r[1] for r in results),
        krs=sum(r[2] for r in results),
        with_issues=sum(r[3] for r in results),
        seconds=time.perf_counter() - start,
    )


def _classify_piece_check(schema: pa.Schema, classify: Classifier, path: Path) -> None:
    try:
        classify(schema.empty_table().to_pandas())
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}") from exc
