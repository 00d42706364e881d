"""`tumbuh prevalence`: survey prevalence table exactly like WHO's ``anthro_prevalence``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import typer

from tumbuh.cli._app import app
from tumbuh.errors import InvalidInput, TumbuhError
from tumbuh.growth.prevalence import (
    Grouping,
    PrevalenceResult,
    prevalence,
    wealth_quintile,
)
from tumbuh.growth.zscores import zscores
from tumbuh.i18n import translate
from tumbuh.tabular.cells import read_column
from tumbuh.tabular.columns import Cells, Column
from tumbuh.tabular.issues import RowIssue
from tumbuh.tabular.mapping import map_columns, normalize_header
from tumbuh.tabular.parse import parse_date, parse_measure, parse_oedema
from tumbuh.tabular.readers import ROW_COLUMN, open_table
from tumbuh.tabular.scoring import row_issue
from tumbuh.tabular.writers import format_from_path, write_table

__all__ = ["prevalence_command", "read_survey", "SurveyInput"]

#: A --by grouping with this label gets anthro's wealth quintile rows (values 1-5).
WEALTH_LABEL = "Wealth quintile"
#: How many row problems are printed one by one before summarising the rest.
_SHOWN_ISSUES = 20


class AgeUnitOption(StrEnum):
    days = "days"
    months = "months"


@dataclass
class SurveyInput:
    """Parsed survey rows ready for :func:`tumbuh.growth.prevalence.prevalence`.

    Only rows without problems are kept; ``issues`` says what was wrong with the others.
    """

    n_read: int
    rows: npt.NDArray[np.int64]  # file row numbers of the kept rows
    kernel_args: dict[str, Any]
    oedema: npt.NDArray[np.bool_]
    weights: npt.NDArray[np.float64] | None = None
    cluster: npt.NDArray[np.str_] | None = None
    strata: npt.NDArray[np.str_] | None = None
    groupings: list[Grouping] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    mapping_note: str = ""
    file: str = ""


class _Problems:
    """Collects row issues (catalogue entries ``score.issue.*``, both languages; the first
    problem of a row only) and the mask of rows to leave out."""

    def __init__(self, rows: npt.NDArray[np.int64], file: str) -> None:
        self.rows = rows
        self.file = file
        self.bad = np.zeros(rows.size, dtype=bool)
        self.issues: list[RowIssue] = []

    def add(
        self,
        mask: npt.NDArray[np.bool_],
        column: str | None,
        code: str,
        cells: pa.Array | None = None,
        **fields: object,
    ) -> None:
        where = f"{column}: " if column else ""
        message_id = where + translate(f"score.issue.{code}", "id", **fields)
        message_en = where + translate(f"score.issue.{code}", "en", **fields)
        for i in np.flatnonzero(mask & ~self.bad).tolist():
            value = None if cells is None else cells[i].as_py()
            self.issues.append(
                row_issue(
                    self.file,
                    int(self.rows[i]),
                    column,
                    code,
                    message_id,
                    message_en,
                    value,
                )
            )
        self.bad |= mask

    def read(self, column: Column, cells: pa.Array, **fields: object) -> Any:
        """`column`'s cells read as it declares (tabular.cells); each problem a row issue."""
        read = read_column(column, cells)
        for code in dict.fromkeys(p.code for p in read.problems):
            mask = np.zeros(len(cells), dtype=bool)
            mask[[p.at for p in read.problems if p.code == code]] = True
            self.add(mask, column.aliases[0], code, cells, **fields)
        return read.values


def _find_column(keys: Sequence[str], wanted: str, file: str) -> str:
    if wanted in keys:
        return wanted
    norm = normalize_header(wanted)
    for key in keys:
        if normalize_header(key) == norm:
            return key
    raise InvalidInput(
        f"{file}: no column {wanted!r} (columns: {', '.join(keys)})", code="no_column"
    )


def _numbers(
    table: pa.Table, col: str, what: str, p: _Problems
) -> npt.NDArray[np.float64]:
    """A number column (none negative): unreadable or negative cells leave their row out."""
    cells = table.column(col).combine_chunks()
    declared = Column(col, (col,), cells=Cells.number, negative=False)
    values: npt.NDArray[np.float64] = p.read(declared, cells, what=what)
    return values


def _text(table: pa.Table, col: str) -> npt.NDArray[np.str_]:
    cells = table.column(col).combine_chunks().fill_null("")
    return np.asarray(cells.to_numpy(zero_copy_only=False), dtype=np.str_)


def read_survey(
    path: Path,
    *,
    age_unit: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    weight: str | None = None,
    by: Sequence[tuple[str, str]] = (),
) -> SurveyInput:
    """Read a survey table (anthro column names or their aliases) for prevalence.

    ``by`` holds (label, column) pairs for extra groupings. Raises
    ``ImportFileError``/``InvalidInput`` when the file cannot be used at all; bad
    cells become row issues and their rows are left out.
    """
    source = open_table(path)
    chunks = list(source.chunks())
    keys = source.keys
    if chunks:
        table = pa.concat_tables(chunks)
    else:
        table = pa.table({k: pa.array([], pa.string()) for k in [*keys, ROW_COLUMN]})
    rows = np.asarray(table.column(ROW_COLUMN).to_numpy(), dtype=np.int64)
    name = path.name
    p = _Problems(rows, name)
    mapping = map_columns(keys)
    m = mapping.fields

    missing = []
    if "sex" not in m:
        missing.append("sex")
    has_dates = "birth_date" in m and "measure_date" in m
    if "age" not in m and not has_dates:
        missing.append("age (or birth date + measurement date)")
    if "weight" not in m and "lenhei" not in m:
        missing.append("weight or length/height")
    if missing:
        raise InvalidInput(
            f"{name}: no column for {', '.join(missing)} (columns: {', '.join(keys)})",
            code="no_column",
        )

    sex_cells = table.column(m["sex"]).combine_chunks()
    sex = p.read(Column("sex", (m["sex"],), cells=Cells.sex), sex_cells)
    kernel: dict[str, Any] = {"sex": np.asarray(sex, dtype=np.float64)}

    if "age" in m:
        unit = age_unit or mapping.age_unit or "days"
        age = _numbers(table, m["age"], f"age in {unit}", p)
        kernel["age_months" if unit == "months" else "age_days"] = age
        age_note = f"age {m['age']!r} in {unit}"
    else:
        dates = []
        for canon in ("birth_date", "measure_date"):
            cells = table.column(m[canon]).combine_chunks()
            # A survey's dates may be any day (no check against today's date).
            parsed = parse_date(cells)
            p.add(parsed.failed, m[canon], "invalid_date", cells)
            dates.append(parsed.values)
        delta = (dates[1] - dates[0]).astype("m8[D]")
        age = np.where(np.isnat(delta), np.nan, delta.astype(np.float64))
        p.add(age < 0, m["measure_date"], "measured_before_birth")
        kernel["age_days"] = age
        age_note = "age in days from the two dates"

    for canon, arg, what in (
        ("weight", "weight_kg", "weight"),
        ("lenhei", "lenhei_cm", "length/height"),
    ):
        if canon in m:
            kernel[arg] = _numbers(table, m[canon], what, p)
    for canon, parser, code in (
        ("measure", parse_measure, "invalid_measure"),
        ("oedema", parse_oedema, "invalid_oedema"),
    ):
        if canon in m:
            cells = table.column(m[canon]).combine_chunks()
            parsed = parser(cells)
            p.add(parsed.failed, m[canon], code, cells)
            kernel[canon] = parsed.values
    oedema = (
        np.asarray(kernel["oedema"] == "y", dtype=bool)
        if "oedema" in kernel
        else np.zeros(rows.size, dtype=bool)
    )

    out = SurveyInput(
        n_read=rows.size, rows=rows, kernel_args=kernel, oedema=oedema, file=name
    )
    if weight is not None:
        col = _find_column(keys, weight, name)
        out.weights = _numbers(table, col, "sampling weight", p)
    if cluster is not None:
        out.cluster = _text(table, _find_column(keys, cluster, name))
    if strata is not None:
        out.strata = _text(table, _find_column(keys, strata, name))
    for label, col in by:
        values = _text(table, _find_column(keys, col, name))
        if (
            label == WEALTH_LABEL
        ):  # anthro's quintile labels, Q1: Poorest ... Q5: Richest
            out.groupings.append(wealth_quintile(values, label))
        else:
            out.groupings.append(Grouping(label, values))

    used = ", ".join(f"{k}={v!r}" for k, v in m.items())
    out.mapping_note = f"{name}: {used}; {age_note}"
    keep = ~p.bad
    out.issues = p.issues
    _keep_rows(out, keep)
    return out


def _keep_rows(s: SurveyInput, keep: npt.NDArray[np.bool_]) -> None:
    s.rows = s.rows[keep]
    s.kernel_args = {k: np.asarray(v)[keep] for k, v in s.kernel_args.items()}
    s.oedema = s.oedema[keep]
    if s.weights is not None:
        s.weights = s.weights[keep]
    if s.cluster is not None:
        s.cluster = s.cluster[keep]
    if s.strata is not None:
        s.strata = s.strata[keep]
    s.groupings = [
        Grouping(g.label, np.asarray(g.values)[keep], g.levels, g.names)
        for g in s.groupings
    ]


@dataclass(frozen=True)
class _Scores:
    zlen: npt.NDArray[np.float64]
    flen: npt.NDArray[np.float64]
    zwei: npt.NDArray[np.float64]
    fwei: npt.NDArray[np.float64]
    zbmi: npt.NDArray[np.float64]
    fbmi: npt.NDArray[np.float64]
    zwfl: npt.NDArray[np.float64]
    fwfl: npt.NDArray[np.float64]
    csex: npt.NDArray[np.float64]


def compute_prevalence(s: SurveyInput) -> PrevalenceResult:
    """Score the kept rows with the WHO kernel and estimate the prevalence table.

    Rows the kernel refuses (``validate="row"``) are added to ``s.issues`` and left out.
    """
    scored = zscores(**s.kernel_args, validate="row")
    refused = np.asarray([v is not None for v in scored.issues.tolist()], dtype=bool)
    for i in np.flatnonzero(refused).tolist():
        msg = str(scored.issues[i])
        s.issues.append(
            row_issue(s.file, int(s.rows[i]), None, "invalid_input", msg, msg)
        )
    keep = ~refused
    scores = _Scores(
        *(np.asarray(getattr(scored, a))[keep] for a in _Scores.__dataclass_fields__)
    )
    if not keep.all():
        _keep_rows(s, keep)
    age = (
        {"age_months": s.kernel_args["age_months"]}
        if "age_months" in s.kernel_args
        else {"age_days": s.kernel_args.get("age_days")}
    )
    return prevalence(
        scores,
        sex=scores.csex,
        oedema=s.oedema,
        weights=s.weights,
        cluster=s.cluster,
        strata=s.strata,
        groupings=s.groupings,
        **age,
    )


def result_table(result: PrevalenceResult) -> pa.Table:
    """The result as an Arrow table: ``Group`` then the WHO columns, NaN as null."""
    arrays = [pa.array(list(result.groups), pa.string())]
    for j in range(len(result.columns)):
        col = result.values[:, j]
        arrays.append(pa.array(col, pa.float64(), mask=np.isnan(col)))
    return pa.table(arrays, names=["Group", *result.columns])


@app.command("prevalence")
def prevalence_command(
    input: Annotated[
        Path, typer.Argument(help="Survey table: .csv, .xlsx, .xls (HTML), .parquet")
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Output file: .csv or .xlsx (or .parquet)"),
    ],
    age_unit: Annotated[
        AgeUnitOption | None,
        typer.Option(
            "--age-unit",
            help="Unit of the age column (default: from its name, else days)",
        ),
    ] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Column with the cluster (PSU)")
    ] = None,
    strata: Annotated[
        str | None, typer.Option("--strata", help="Column with the stratum")
    ] = None,
    weight: Annotated[
        str | None, typer.Option("--weight", help="Column with the sampling weight")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Extra groupings, comma-separated: COL or LABEL=COL "
            "(rows 'LABEL: value'; the label defaults to the column name). "
            "'Wealth quintile=COL' gives anthro's Q1: Poorest ... Q5: Richest rows",
        ),
    ] = None,
) -> None:
    """Prevalence of stunting, wasting, underweight and overweight, like WHO anthro.

    Writes one row per group (All, age groups, sex, age + sex, then each --by value)
    with WHO Anthro's columns (HAZ_pop, HA_2_r, HA_2_se, HA_2_ll, HA_2_ul, ...,
    HA_2_WH2_ul). Rows with invalid values are reported on stderr and left out.
    """
    try:
        fmt = format_from_path(output)
        by_cols = [
            _label_and_column(item) for item in (by or "").split(",") if item.strip()
        ]
        survey = read_survey(
            input,
            age_unit=age_unit.value if age_unit else None,
            cluster=cluster,
            strata=strata,
            weight=weight,
            by=by_cols,
        )
        typer.echo(survey.mapping_note, err=True)
        if survey.rows.size == 0:
            _report_issues(survey)
            raise InvalidInput(f"{input.name}: no usable rows", code="no_rows")
        try:
            result = compute_prevalence(survey)
        except ValueError as exc:
            raise InvalidInput(f"{input.name}: {exc}") from None
        finally:
            _report_issues(survey)
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
        write_table(result_table(result), output, format=fmt)
    except TumbuhError as exc:
        from tumbuh.cli import error_line

        typer.echo(error_line(exc), err=True)
        raise typer.Exit(1) from None
    from tumbuh.cli._app import num, t

    all_row = result.row("All")
    typer.echo(
        t(
            "cli.prevalence.done",
            output=output,
            groups=num(len(result.groups), 0),
            used=num(result.n_used, 0),
            read=num(survey.n_read, 0),
            method=t(f"cli.prevalence.method.{result.method}"),
            stunting=num(all_row["HA_2_r"], 1),
            wasting=num(all_row["WH_2_r"], 1),
            underweight=num(all_row["WA_2_r"], 1),
            overweight=num(all_row["WH2_r"], 1),
        ),
        err=True,
    )


def _label_and_column(item: str) -> tuple[str, str]:
    label, _, col = item.partition("=")
    return (label.strip(), col.strip()) if col else (label.strip(), label.strip())


def _report_issues(survey: SurveyInput) -> None:
    from tumbuh.cli._app import cli_lang, num, t, tn

    issues = survey.issues
    if not issues:
        return
    en = cli_lang() == "en"
    for issue in issues[:_SHOWN_ISSUES]:
        text = issue.message_en if en else issue.message_id
        typer.echo(t("cli.row", row=issue.row, text=text), err=True)
    if len(issues) > _SHOWN_ISSUES:
        more = num(len(issues) - _SHOWN_ISSUES, 0)
        typer.echo(t("cli.report.more", n=more), err=True)
    n_bad = len({i.row for i in issues})
    typer.echo(tn("cli.prevalence.left_out_n", n_bad), err=True)
