"""`tumbuh batch ...`: national batch runs on Dask over partitioned Parquet datasets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypedDict

import typer

from tumbuh.cli._app import app
from tumbuh.errors import InvalidInput

if TYPE_CHECKING:  # Dask and pandas load when a command runs, not with the CLI
    from tumbuh.batch import Progress, Scheduler

# Same as tumbuh.batch.zscore.DEFAULT_PARTITION_ROWS (tested), without importing Dask.
DEFAULT_PARTITION_ROWS = 250_000

batch_app = typer.Typer(
    help="National batch work on Dask (partitioned Parquet in and out).",
    no_args_is_help=True,
)
app.add_typer(batch_app, name="batch")

SchedulerOpt = Annotated[
    str,
    typer.Option(
        "--scheduler",
        help="threads (default), processes, sync, or distributed (with ADDRESS).",
    ),
]
AddressArg = Annotated[
    str | None,
    typer.Option("--address", help="dask.distributed scheduler, e.g. tcp://host:8786."),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", help="Local threads/processes (default: cores)."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress on stderr.")]
RowsOpt = Annotated[
    int, typer.Option("--partition-rows", help="Most rows a worker holds at a time.")
]
SourceArg = Annotated[str, typer.Argument(help="Directory or glob of Parquet files.")]


def _scheduler(kind: str, address: str | None, workers: int | None) -> Scheduler:
    from tumbuh.batch import Scheduler

    # `--scheduler tcp://host:8786` is accepted as a shorthand for distributed + address.
    if "://" in kind:
        return Scheduler("distributed", kind, workers)
    return Scheduler(kind, address, workers)


def _progress(quiet: bool) -> Progress | None:
    if quiet:
        return None

    def report(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        sys.stderr.write(f"\r  tasks {done}/{total}{end}")
        sys.stderr.flush()

    return report


class _RunArgs(TypedDict):
    """How every batch command runs: the Dask scheduler, piece size and progress."""

    scheduler: Scheduler
    partition_rows: int
    progress: Progress | None


def _run_args(
    scheduler: str,
    address: str | None,
    workers: int | None,
    partition_rows: int,
    quiet: bool,
) -> _RunArgs:
    return {
        "scheduler": _scheduler(scheduler, address, workers),
        "partition_rows": partition_rows,
        "progress": _progress(quiet),
    }


@batch_app.command("zscore")
def zscore_cmd(
    source: SourceArg,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    scheduler: SchedulerOpt = "threads",
    address: AddressArg = None,
    workers: WorkersOpt = None,
    partition_rows: RowsOpt = DEFAULT_PARTITION_ROWS,
    quiet: QuietOpt = False,
) -> None:
    """WHO z-scores of every measurement row; anthro columns added, partitioned Parquet out."""
    from tumbuh.batch import zscore_dataset

    s = zscore_dataset(
        source,
        out,
        **_run_args(scheduler, address, workers, partition_rows, quiet),
    )
    typer.echo(
        f"{s.rows:,} rows from {s.input_files} file(s) -> {s.output_files} file(s) in "
        f"{out} ({s.seconds:.1f} s, {s.rows_per_second:,.0f} rows/s); "
        f"{s.rows_with_issue:,} row(s) with an issue (column zscore_issue)"
    )


@batch_app.command("prevalence")
def prevalence_cmd(
    source: SourceArg,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV.")],
    by: Annotated[
        str, typer.Option("--by", help="Comma-separated keys, e.g. kabkota,year.")
    ] = "kabkota,year",
    province: Annotated[
        str | None,
        typer.Option(
            "--province", help="Province code for synthetic kode_desa_index (e.g. 64)."
        ),
    ] = None,
    scheduler: SchedulerOpt = "threads",
    address: AddressArg = None,
    workers: WorkersOpt = None,
    partition_rows: RowsOpt = DEFAULT_PARTITION_ROWS,
    quiet: QuietOpt = False,
) -> None:
    """Stunting/wasting/underweight/overweight prevalence with Wilson 95 % CIs."""
    if out.suffix.lower() != ".csv":
        raise InvalidInput(f"-o {out}: the prevalence table is written as .csv")
    from tumbuh.batch import prevalence_dataset

    table = prevalence_dataset(
        source,
        by.split(","),
        province=province,
        **_run_args(scheduler, address, workers, partition_rows, quiet),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    from tumbuh.tabular.guard import guard_frame

    guard_frame(table).to_csv(out, index=False, float_format="%.2f")
    typer.echo(f"{len(table):,} rows ({by} x indicator) written to {out}")


@batch_app.command("krs")
def krs_cmd(
    source: SourceArg,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory.")],
    scheduler: SchedulerOpt = "threads",
    address: AddressArg = None,
    workers: WorkersOpt = None,
    partition_rows: RowsOpt = DEFAULT_PARTITION_ROWS,
    quiet: QuietOpt = False,
) -> None:
    """KRS classification of a partitioned family table (docs/krs.md input columns)."""
    from tumbuh.batch import krs_dataset
    from tumbuh.risk.krs import classify_family_table

    s = krs_dataset(
        source,
        out,
        classify_family_table,
        **_run_args(scheduler, address, workers, partition_rows, quiet),
    )
    typer.echo(
        f"{s.families:,} families -> {out}: {s.target_families:,} target families, "
        f"{s.krs:,} KRS, {s.with_issues:,} with cell issues ({s.seconds:.1f} s)"
    )
