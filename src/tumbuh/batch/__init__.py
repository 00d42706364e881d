"""National batch engine on Dask: z-scores, prevalence and KRS over partitioned Parquet.

* :func:`zscore_dataset` - WHO z-scores of every measurement row, streamed file by file.
* :func:`prevalence_dataset` - prevalence with Wilson 95 % CIs by region/year (groupby
  tree reductions; the latest measurement per child and year, flagged z-scores excluded).
* :func:`krs_dataset` - KRS classification of a partitioned family table.
* :class:`Scheduler` - local threads/processes (default: threads) or a
  ``dask.distributed`` scheduler address (needs the optional ``distributed`` package).

See ``docs/batch.md``.
"""

from tumbuh.batch._run import Progress, Scheduler
from tumbuh.batch.krs import Classifier, KrsSummary, krs_dataset
from tumbuh.batch.prevalence import INDICATORS, prevalence_dataset, wilson_interval
from tumbuh.batch.zscore import (
    ISSUE_COLUMN,
    ZscoreSummary,
    zscore_dataset,
    zscore_table,
)

__all__ = [
    "INDICATORS",
    "ISSUE_COLUMN",
    "Classifier",
    "KrsSummary",
    "Progress",
    "Scheduler",
    "ZscoreSummary",
    "krs_dataset",
    "prevalence_dataset",
    "wilson_interval",
    "zscore_dataset",
    "zscore_table",
]
