"""`tumbuh zscore`: add WHO z-scores to a CSV / XLSX / Parquet table, streaming."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pyarrow as pa
import typer

from tumbuh.cli._app import app
from tumbuh.errors import InvalidInput
from tumbuh.tabular.mapping import map_columns
from tumbuh.tabular.readers import ROW_COLUMN, TableSource, open_table, to_text
from tumbuh.tabular.scoring import plan_inputs, score_chunk
from tumbuh.tabular.writers import TableSink, format_from_path

if TYPE_CHECKING:
    from rich.progress import Progress


class AgeUnitOption(StrEnum):
    days = "days"
    months = "months"


class StandardOption(StrEnum):
    who2006 = "who2006"
    who2007 = "who2007"


@app.command("zscore")
def zscore_command(
    input: Annotated[
        Path, typer.Argument(help="Table to score: .csv, .xlsx, .xls (HTML), .parquet")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Output file; format from .csv/.xlsx/.parquet"
        ),
    ],
    age_unit: Annotated[
        AgeUnitOption | None,
        typer.Option(
            "--age-unit",
            help="Unit of the age column (default: from its name, else days; "
            "months for who2007)",
        ),
    ] = None,
    standard: Annotated[
        StandardOption,
        typer.Option(
            "--standard", help="who2006 (0-5 years, anthro) or who2007 (5-19 years)"
        ),
    ] = StandardOption.who2006,
    chunk_rows: Annotated[
        int, typer.Option("--chunk-rows", min=1, help="Rows per processing chunk")
    ] = 200_000,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX sheet (default: the first)")
    ] = None,
) -> None:
    """Compute WHO z-scores, flags and Permenkes categories for every row.

    Every input column is kept as it is; the anthro columns (clenhei, cbmi, zlen, flen,
    zwei, ...) and an `issues` column follow. Rows with invalid values keep empty
    outputs and say why in `issues`.
    """
    from tumbuh.cli._app import cli_lang, num, t, tn

    lang = cli_lang()
    fmt = format_from_path(output)
    if output.resolve() == input.resolve():
        raise InvalidInput(f"{output.name}: output would overwrite the input file")
    source = open_table(input, chunk_rows=chunk_rows, sheet=sheet)
    mapping = map_columns(source.keys)
    plan = plan_inputs(
        mapping,
        standard=standard.value,  # type: ignore[arg-type]
        age_unit=age_unit.value if age_unit else None,  # type: ignore[arg-type]
    )
    if plan.missing:
        raise InvalidInput(
            f"{input.name}: no column for {', '.join(plan.missing)} "
            f"(columns: {', '.join(source.columns)})"
        )
    for canon, cols in mapping.ambiguous.items():
        typer.echo(
            t(
                "cli.zscore.ambiguous",
                field=canon,
                columns=", ".join(cols),
                used=cols[0],
            ),
            err=True,
        )
    used = ", ".join(f"{k}={v!r}" for k, v in mapping.fields.items())
    age_note = (
        t("cli.zscore.age_from_dates")
        if plan.age_from_dates
        else t(f"cli.zscore.age_in.{plan.age_unit}")
    )
    typer.echo(
        t("cli.zscore.mapping", file=input.name, used=used, age=age_note), err=True
    )

    needed = list(dict.fromkeys(mapping.fields.values()))  # only these are parsed
    tmp = output.with_name(f".{output.name}.partial-{os.getpid()}")
    rows = bad = flagged = 0
    first_issues: list[str] = []
    progress = _progress()
    try:
        with TableSink(tmp, format=fmt) as sink:
            task = progress.add_task("scoring", total=None) if progress else None
            if progress:
                progress.start()
            for raw in _chunks_or_empty(source):
                text = to_text(raw.select([*needed, ROW_COLUMN]))
                scored = score_chunk(text, plan, file=input.name)
                passthrough = raw.drop_columns([ROW_COLUMN]).rename_columns(
                    source.columns
                )
                out = _concat_columns(passthrough, scored.table)
                sink.write(out)
                rows += raw.num_rows
                bad += scored.bad_rows
                flagged += scored.flagged_rows
                for issue in scored.issues[: max(0, 3 - len(first_issues))]:
                    text = issue.message_en if lang == "en" else issue.message_id
                    first_issues.append(t("cli.row", row=issue.row, text=text))
                if progress and task is not None:
                    progress.update(task, advance=raw.num_rows)
        os.replace(tmp, output)
    finally:
        if progress:
            progress.stop()
        if tmp.exists():
            tmp.unlink()
    typer.echo(
        t(
            "cli.zscore.done",
            output=output.name,
            rows=tn("cli.n.rows", rows),
            issues=num(bad + flagged, 0),
            bad=num(bad, 0),
            flagged=num(flagged, 0),
        ),
        err=True,
    )
    for line in first_issues:
        typer.echo(f"  {line}", err=True)


def _chunks_or_empty(source: TableSource) -> Iterator[pa.Table]:
    """The source's raw chunks; one empty chunk when there are no data rows (header only)."""
    any_rows = False
    for raw in source.chunks(text=False):
        any_rows = True
        yield raw
    if not any_rows:
        empty = [pa.array([], pa.string()) for _ in source.keys]
        yield pa.table(
            [*empty, pa.array([], pa.int64())], names=[*source.keys, ROW_COLUMN]
        )


def _concat_columns(left: pa.Table, right: pa.Table) -> pa.Table:
    arrays = list(left.columns) + list(right.columns)
    names = list(left.column_names) + list(right.column_names)
    return pa.table(arrays, names=names)


def _progress() -> Progress | None:
    """A rich progress display on an interactive stderr, else None."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
