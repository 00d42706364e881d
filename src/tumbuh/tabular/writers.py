"""Write Arrow/pandas tables to CSV, XLSX and Parquet, in one go or chunk by chunk."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tumbuh.errors import InvalidInput
from tumbuh.tabular.guard import (
    guard_arrow_text,
    guarded_workbook,
    is_formula_like,
    neutralise,
    quote_prefix_format,
)

__all__ = [
    "XLSX_MAX_ROWS",
    "TableSink",
    "format_from_path",
    "write_table",
]

Format = Literal["csv", "xlsx", "parquet"]

# Excel's sheet limit is 1,048,576 rows, one of which is the header.
XLSX_MAX_ROWS = 1_048_575
_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}
# Text cells written to XLSX as numbers: plain decimals with at most 15 significant
# digits and no leading zero (so NIK/KK numbers and codes like 0012 stay text).
_PLAIN_NUMBER = r"^-?(0|[1-9]\d{0,14})(\.\d{1,15})?$"


def format_from_path(path: str | Path) -> Format:
    """The output format named by a file's extension."""
    suffix = Path(path).suffix.lower()
    try:
        return _EXTENSIONS[suffix]
    except KeyError:
        raise InvalidInput(
            f"{Path(path).name}: unknown output format {suffix or '(no extension)'!r}; "
            "use .csv, .xlsx or .parquet"
        ) from None


def _as_arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if isinstance(table, pa.RecordBatch):
        return pa.Table.from_batches([table])
    return pa.Table.from_pandas(table, preserve_index=False)


def write_table(table: Any, path: str | Path, *, format: Format | None = None) -> None:
    """Write a whole pyarrow Table or pandas DataFrame to CSV, XLSX or Parquet."""
    with TableSink(path, format=format) as sink:
        sink.write(_as_arrow(table))


# --------------------------------------------------------------------------------------
# CSV: vectorised formatting, minimal quoting


def _csv_text(col: pa.ChunkedArray | pa.Array, delimiter: str) -> pa.Array:
    """One column as CSV-ready text: shortest number repr, ISO dates, quoted when needed."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    t = col.type
    if pa.types.is_floating(t):
        finite = pc.is_finite(col)
        col = pc.if_else(pc.or_(finite, pc.is_inf(col)), col, pa.scalar(None, t))
    if pa.types.is_timestamp(t):
        col = pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
        col = pc.replace_substring_regex(col, pattern=" 00:00:00$", replacement="")
    elif pa.types.is_dictionary(t):
        col = guard_arrow_text(pc.cast(col, pa.string()))
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        col = guard_arrow_text(col)
    else:
        col = pc.cast(col, pa.string())
    col = pc.fill_null(col, "")
    if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_boolean(t):
        return col  # digits, signs, dots and letters only: never needs quoting
    special = "[" + ("\\t" if delimiter == "\t" else delimiter) + '"\\r\\n]'
    needs = pc.match_substring_regex(col, special)
    if pc.any(needs).as_py():
        quoted = pc.binary_join_element_wise(
            '"', pc.replace_substring(col, '"', '""'), '"', ""
        )
        col = pc.if_else(needs, quoted, col)
    return col


def _csv_line(values: list[str], delimiter: str) -> str:
    out = []
    special = {delimiter, '"', "\r", "\n"}
    for v in values:
        if any(ch in v for ch in special):
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return delimiter.join(out) + "\n"


class _CsvWriter:
    def __init__(self, path: Path, delimiter: str, bom: bool) -> None:
        self.fh = path.open("wb")
        self.delimiter = delimiter
        self.header_done = False
        if bom:
            self.fh.write(b"\xef\xbb\xbf")

    def write(self, table: pa.Table) -> None:
        if not self.header_done:
            names = [neutralise(n) for n in table.column_names]
            self.fh.write(_csv_line(names, self.delimiter).encode("utf-8"))
            self.header_done = True
        if table.num_rows == 0:
            return
        cols = [_csv_text(c, self.delimiter) for c in table.columns]
        lines = pc.binary_join_element_wise(*cols, self.delimiter)
        lines = pc.binary_join_element_wise(lines, "", "\n")
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        if lines.type != pa.large_string():
            lines = pc.cast(lines, pa.large_string())
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
        start, stop = offsets[lines.offset], offsets[lines.offset + len(lines)]
        data = lines.buffers()[2]
        self.fh.write(memoryview(data)[start:stop])

    def close(self) -> None:
        self.fh.close()


# --------------------------------------------------------------------------------------
# XLSX


class _XlsxWriter:
    def __init__(self, path: Path, sheet: str, numbers_from_text: bool) -> None:
        self.path = path
        self.book = guarded_workbook(path, constant_memory=True)
        self.sheet = self.book.add_worksheet(sheet[:31])
        self.bold = self.book.add_format({"bold": True})
        self.quoted = quote_prefix_format(self.book)
        self.bold_quoted = quote_prefix_format(self.book, bold=True)
        self.date_fmt = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.numbers_from_text = numbers_from_text
        self.row = 0

    def write(self, table: pa.Table) -> None:
        ws = self.sheet
        if self.row == 0:
            for j, name in enumerate(table.column_names):
                fmt = self.bold_quoted if is_formula_like(name) else self.bold
                ws.write_string(0, j, name, fmt)
            self.row = 1
        n = table.num_rows
        if self.row - 1 + n > XLSX_MAX_ROWS:
            raise InvalidInput(
                f"{self.path.name}: XLSX holds at most {XLSX_MAX_ROWS:,} data rows; "
                f"this table has more. Write .csv or .parquet instead."
            )
        columns: list[list[Any]] = []
        kinds: list[str] = []
        for col in table.columns:
            t = col.type
            if (
                pa.types.is_floating(t)
                or pa.types.is_integer(t)
                or pa.types.is_decimal(t)
            ):
                vals = pc.cast(col, pa.float64()).to_pylist()
                columns.append(vals)
                kinds.append("num")
            elif pa.types.is_boolean(t):
                columns.append(col.to_pylist())
                kinds.append("bool")
            elif pa.types.is_date(t) or pa.types.is_timestamp(t):
                columns.append(col.to_pylist())
                kinds.append("date")
            else:
                text = pc.cast(col, pa.string()) if not pa.types.is_string(t) else col
                vals = text.to_pylist()
                if self.numbers_from_text:
                    plain = pc.fill_null(
                        pc.match_substring_regex(text, _PLAIN_NUMBER), False
                    )
                    if pc.any(plain).as_py():
                        nums = pc.cast(
                            pc.if_else(plain, text, pa.scalar(None, pa.string())),
                            pa.float64(),
                        ).to_pylist()
                        vals = [
                            v if x is None else x
                            for v, x in zip(vals, nums, strict=True)
                        ]
                columns.append(vals)
                kinds.append("text")
        for i in range(n):
            r = self.row + i
            for j, vals in enumerate(columns):
                v = vals[i]
                if v is None or v == "":
                    continue
                kind = kinds[j]
                if isinstance(v, float):
                    if math.isfinite(v):
                        ws.write_number(r, j, v)
                    elif v == v:  # infinities have no Excel number
                        ws.write_string(r, j, "Inf" if v > 0 else "-Inf")
                elif kind == "bool":
                    ws.write_boolean(r, j, bool(v))
                elif isinstance(v, dt.datetime | dt.date):
                    ws.write_datetime(r, j, v, self.date_fmt)
                else:
                    text = str(v)
                    if is_formula_like(text):
                        ws.write_string(r, j, text, self.quoted)
                    else:
                        ws.write_string(r, j, text)
        self.row += n

    def close(self) -> None:
        if self.row == 0:
            self.sheet.write_string(0, 0, "")
        self.book.close()


# --------------------------------------------------------------------------------------
# Parquet


class _ParquetWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None

    def write(self, table: pa.Table) -> None:
        if self.writer is None:
            schema = pa.schema(
                [
                    f.with_type(pa.string()) if pa.types.is_null(f.type) else f
                    for f in table.schema
                ]
            )
            self.schema = schema
            self.writer = pq.ParquetWriter(str(self.path), schema)
        assert self.schema is not None
        if table.schema != self.schema:
            try:
                table = table.cast(self.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
                raise InvalidInput(
                    f"{self.path.name}: a later chunk does not fit the first chunk's columns ({exc})"
                ) from None
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class TableSink:
    """Streaming table writer: ``with TableSink(path) as sink: sink.write(chunk)``.

    The format comes from ``format`` or the file extension (.csv/.xlsx/.parquet). CSV is
    UTF-8 with minimal quoting, numbers in shortest round-trip form and NaN as an empty
    cell; XLSX writes a bold header, numbers as numbers (also plain-number text cells when
    ``numbers_from_text``) and stops with a clear error past Excel's row limit; Parquet
    appends one row group per chunk.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        format: Format | None = None,
        delimiter: str = ",",
        bom: bool = False,
        sheet: str = "data",
        numbers_from_text: bool = True,
    ) -> None:
        self.path = Path(path)
        self.format: Format = format or format_from_path(self.path)
        self._impl: _CsvWriter | _XlsxWriter | _ParquetWriter
        try:
            if self.format == "csv":
                self._impl = _CsvWriter(self.path, delimiter, bom)
            elif self.format == "xlsx":
                self._impl = _XlsxWriter(self.path, sheet, numbers_from_text)
            else:
                self._impl = _ParquetWriter(self.path)
        except OSError as exc:
            raise InvalidInput(
                f"{self.path.name}: cannot write file: {exc.strerror or exc}"
            ) from None
        self.rows = 0

    def write(self, chunk: Any) -> None:
        """Append a chunk (pyarrow Table/RecordBatch or pandas DataFrame)."""
        table = _as_arrow(chunk)
        self._impl.write(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._impl.close()

    def __enter__(self) -> TableSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
