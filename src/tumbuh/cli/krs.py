"""`tumbuh krs`: classify a family table as target family / KRS by BKKBN's rule."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from tumbuh.cli._app import app, cli_lang, num, t, tn
from tumbuh.errors import ImportFileError, InvalidInput
from tumbuh.risk.config import JMP_IMPROVED_WATER, KrsRules
from tumbuh.risk.krs import OUTPUT_COLUMNS, classify_family_table, factor_names

_ROW = "__row__"
_MAX_ISSUES_SHOWN = 20
# One entry of the table's ``issues`` column: "column: teks / text 'cell'" (both languages,
# the file's contract); the command line shows the part in the output language.
_ISSUE = re.compile(r"^(?P<column>[^:]+): (?P<id>.*?) / (?P<en>.*?) (?P<cell>'.*')$")


def _issue_text(text: str, lang: str) -> str:
    """The entries of one ``issues`` cell in ``lang`` (an entry of another shape as it is)."""
    out = []
    for part in text.split(" | "):
        match = _ISSUE.match(part)
        out.append(
            f"{match['column']}: {match[lang]} {match['cell']}" if match else part
        )
    return " | ".join(out)


def _read(path: Path) -> pd.DataFrame:
    """The table as text cells, with a ``__row__`` column of file row numbers."""
    try:
        from tumbuh.tabular.readers import ROW_COLUMN, open_table
    except ImportError:  # pragma: no cover - the shared reader is being built alongside
        return _read_with_pandas(path)
    import pyarrow as pa

    source = open_table(path)
    chunks = list(source.chunks(text=True))
    if not chunks:
        frame = pd.DataFrame({k: pd.Series(dtype=object) for k in source.keys})
        frame[_ROW] = pd.Series(dtype="int64")
        return frame
    table: pd.DataFrame = pa.concat_tables(chunks).to_pandas()
    return table.rename(columns={ROW_COLUMN: _ROW})


def _read_with_pandas(path: Path) -> pd.DataFrame:  # pragma: no cover - fallback only
    if not path.exists():
        raise ImportFileError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm"}:
            frame = pd.read_excel(path, dtype=str)
            first_row = 2
        elif suffix in {".parquet", ".pq"}:
            frame = pd.read_parquet(path).astype(object)
            first_row = 1
        else:
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, sep=None, engine="python"
            )
            first_row = 2
    except (ValueError, OSError) as exc:
        raise ImportFileError(f"{path}: {exc}") from None
    frame[_ROW] = range(first_row, first_row + len(frame))
    return frame


def _write(frame: pd.DataFrame, path: Path) -> None:
    from tumbuh.tabular.guard import XLSX_ENGINE_KWARGS, guard_frame

    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            frame.to_excel(
                path, index=False, engine="xlsxwriter", engine_kwargs=XLSX_ENGINE_KWARGS
            )
        elif suffix in {".parquet", ".pq"}:
            frame.to_parquet(path, index=False)
        elif suffix in {".csv", ".txt", ""}:
            guard_frame(frame).to_csv(path, index=False)
        else:
            raise InvalidInput(
                f"{path}: output must be .csv, .xlsx or .parquet, not {suffix}"
            )
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot write ({exc.strerror or exc})") from None


@app.command("krs")
def krs(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="Family table (CSV, XLSX, Parquet).")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the classified table (.csv/.xlsx/.parquet).",
        ),
    ],
    too_old_from: Annotated[
        int | None,
        typer.Option(
            help="Wife age (completed years) from which she is 'too old'. "
            "Default: over 35, i.e. from 36 (BKKBN Dir. Laptik 2024). "
            "BKKBN Sulbar's '35-40' is --too-old-from 35.",
            min=1,
        ),
    ] = None,
    too_many_from: Annotated[
        int | None,
        typer.Option(
            help="Number of children from which there are 'too many'. "
            "Default: more than 3, i.e. from 4 (BKKBN Sulbar, Cimahi).",
            min=1,
        ),
    ] = None,
    with_2024_factors: Annotated[
        bool,
        typer.Option(
            "--with-2024-factors",
            help="Also count the 2024 screening factors: no modern contraception "
            "and welfare decile 1.",
        ),
    ] = False,
    jmp_water: Annotated[
        bool,
        typer.Option(
            "--jmp-water",
            help="Count protected springs and rainwater as improved water (WHO/UNICEF "
            "JMP, BPS) instead of BKKBN's four sources.",
        ),
    ] = False,
) -> None:
    """Classify families: target family (keluarga sasaran), KRS and its risk factors."""
    defaults = KrsRules()
    rules = KrsRules(
        too_old_over=defaults.too_old_over
        if too_old_from is None
        else too_old_from - 1,
        too_many_over=defaults.too_many_over
        if too_many_from is None
        else too_many_from - 1,
        include_2024_factors=with_2024_factors,
        improved_water=JMP_IMPROVED_WATER if jmp_water else defaults.improved_water,
    )
    frame = _read(input_path)
    rows = frame.pop(_ROW).to_numpy()
    stale = [c for c in frame.columns if str(c).strip().lower() in OUTPUT_COLUMNS]
    if stale:
        typer.echo(
            t("cli.krs.replacing", file=input_path.name, columns=", ".join(stale))
        )
    try:
        result = classify_family_table(frame, rules)
    except InvalidInput as exc:
        raise InvalidInput(f"{input_path}: {exc.message}") from None
    _write(result, output)

    is_target = result["target_family"] == "y"
    is_krs = result["krs"] == "y"
    typer.echo(
        t(
            "cli.krs.summary",
            families=tn("cli.n.families", len(result)),
            target=num(int(is_target.sum()), 0),
            krs=num(int(is_krs.sum()), 0),
            output=output,
        )
    )
    factors = result.loc[is_krs, "risk_factors"].str.split(";").explode()
    counts = factors.value_counts()
    for name in factor_names(rules):
        typer.echo(
            f"  {t(f'cli.krs.factor.{name}')}: {num(int(counts.get(name, 0)), 0)}"
        )
    incomplete = int((result["missing_inputs"] != "").sum())
    typer.echo(f"  {t('cli.krs.missing_inputs', n=num(incomplete, 0))}")
    bad = result["issues"] != ""
    if bad.any():
        typer.echo(tn("cli.krs.invalid_rows_n", int(bad.sum())))
        lang = cli_lang()
        for row, text in list(
            zip(rows[bad.to_numpy()], result.loc[bad, "issues"], strict=True)
        )[:_MAX_ISSUES_SHOWN]:
            typer.echo(
                "  "
                + t(
                    "cli.file_row",
                    file=input_path.name,
                    row=row,
                    text=_issue_text(str(text), lang),
                )
            )
