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

import dask.dataframe as dd
import pandas as pd

from tumbuh.batch._run import Progress, Scheduler, compute
from tumbuh.batch.zscore import list_parquet
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


def _classify_partition(frame: pd.DataFrame, classify: Classifier) -> pd.DataFrame:
    out = classify(frame.reset_index(drop=True))
    out.index = frame.index
    return out


def _tally(frame: pd.DataFrame) -> pd.DataFrame:
    issues = frame["issues"].astype(object)
    return pd.DataFrame(
        {
            "families": [len(frame)],
            "target_families": [int((frame["target_family"] == "y").sum())],
            "krs": [int((frame["krs"] == "y").sum())],
            "with_issues": [int((issues.notna() & (issues != "")).sum())],
        }
    )


def krs_dataset(
    source: str | Path,
    out_dir: Path,
    classify: Classifier,
    *,
    scheduler: Scheduler | None = None,
    progress: Progress | None = None,
) -> KrsSummary:
    """Classify the family rows at `source`; writes ``out_dir/part.N.parquet``.

    Every input column is kept and the classifier's columns are added; bad cells are
    reported in ``issues`` by the classifier and never drop a family.
    """
    files = list_parquet(source)
    out_dir = Path(out_dir)
    if any(out_dir.resolve() in p.resolve().parents for p in files):
        raise InvalidInput(f"{out_dir}: the output directory holds input files")
    ddf = dd.read_parquet([str(f) for f in files])
    try:
        meta = _classify_partition(ddf._meta, classify)
    except InvalidInput as exc:
        raise InvalidInput(f"{files[0]}: {exc.message}") from exc
    classified = ddf.map_partitions(_classify_partition, classify, meta=meta)
    write = classified.to_parquet(str(out_dir), write_index=False, compute=False)
    tallies = classified.map_partitions(_tally, meta=_tally(meta)).sum()
    start = time.perf_counter()
    _, totals = compute([write, tallies], scheduler or Scheduler(), progress)
    return KrsSummary(
        families=int(totals["families"]),
        target_families=int(totals["target_families"]),
        krs=int(totals["krs"]),
        with_issues=int(totals["with_issues"]),
        seconds=time.perf_counter() - start,
    )
