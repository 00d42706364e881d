"""Read CSV, XLSX, HTML-in-.xls and Parquet files as streams of all-text Arrow chunks.

Every chunk carries a ``__row__`` column with the row number a person sees in the file
(CSV line number or spreadsheet row), so that problems can be reported where they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tumbuh.errors import ImportFileError
from tumbuh.i18n import Message

__all__ = [
    "ROW_COLUMN",
    "TableSource",
    "open_table",
    "to_text",
]

ROW_COLUMN = "__row__"

# Blanks trimmed from every cell and header: ASCII whitespace plus the non-breaking
# spaces that Excel and web exports leave behind.
_TRIM = " \t\r\n\xa0\u2007\u202f\ufeff"
_SNIFF_BYTES = 256 * 1024
_BLOCK_BYTES = 8 * 1024 * 1024
_HEADER_SCAN_ROWS = 60
_NUMBERISH = re.compile(
    r"^[+-]?[\d.,:/ -]+$|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"  # numbers, dates, times
)


def _trim(value: str) -> str:
    return value.strip(_TRIM)


def _file_error(path: Path, reason: str, key: str, **values: str) -> ImportFileError:
    """`path` cannot be read: `reason` in English (logs, --json) and the catalogue's
    ``read.KEY`` with `values`, said in the reader's language ("FILE: ...")."""
    said = Message.of(
        "imp.job.in_file",
        file=path.name,
        text=(Message.of(f"read.{key}", **values),),
    )
    return ImportFileError(f"{path.name}: cannot read file: {reason}", said=said)


# --------------------------------------------------------------------------------------
# Header detection (shared by CSV, XLSX and HTML tables)


def _looks_like_names(cells: Sequence[str]) -> bool:
    """Header cells are mostly words, not numbers or dates."""
    filled = [c for c in cells if c]
    wordy = sum(1 for c in filled if not _NUMBERISH.match(c))
    return bool(filled) and wordy * 2 > len(filled)


def _find_header(rows: Sequence[Sequence[str]]) -> int:
    """Index of the header among the first rows: the first name-like row as wide as the data.

    Preamble lines (``Data Tanggal : 01-11-2025``, a title, blank lines) are narrow or
    mostly empty, so the header is the first row with at least half as many filled cells
    as the table is wide (the largest width shared by two or more rows) whose cells look
    like names.
    """
    widths = [sum(1 for c in r if c) for r in rows]
    common = Counter(w for w in widths if w > 0)
    if not common:
        return 0
    repeated = [w for w, n in common.items() if n >= 2]
    table_width = max(repeated) if repeated else max(common)
    for i, row in enumerate(rows):
        if widths[i] * 2 >= table_width and _looks_like_names(row):
            return i
    return next(i for i, w in enumerate(widths) if w > 0)


def _header_names(cells: Sequence[str]) -> list[str]:
    """Header cells trimmed; trailing unnamed columns are kept as ``column_<n>``."""
    names = [_trim(c) for c in cells]
    while names and not names[-1]:
        names.pop()
    return [n if n else f"column_{i + 1}" for i, n in enumerate(names)]


# --------------------------------------------------------------------------------------
# Public types


@dataclass
class TableSource:
    """An opened table: header names, where the header is, and a way to stream its rows.

    ``chunks()`` yields ``pyarrow.Table`` chunks with one column per header name (in file
    order; internal names are the header names, made unique with ``#n`` suffixes when a
    header repeats) and a final ``__row__`` int64 column with the person-visible row
    number. With ``text=True`` (default) every column is a trimmed string column, empty
    cells null; with ``text=False`` CSV/XLSX cells are raw untrimmed text (empty is
    ``""``) and Parquet columns keep their native types.
    """

    path: Path
    format: str  # "csv" | "xlsx" | "html" | "xls" | "parquet"
    columns: list[str]
    header_line: int
    chunk_rows: int = 200_000
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    _reader: Any = field(default=None, repr=False)

    @property
    def keys(self) -> list[str]:
        """Unique column keys used in the chunks (header names, ``#2``… for repeats)."""
        return _unique(self.columns)

    def chunks(self, *, text: bool = True) -> Iterator[pa.Table]:
        """Stream the data rows in chunks of at most ``chunk_rows`` rows."""
        for chunk in self._reader(self):
            yield to_text(chunk) if text else chunk


def _unique(names: Sequence[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for n in names:
        seen[n] += 1
        out.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return out


def to_text(table: pa.Table) -> pa.Table:
    """The string view of a chunk: every column as trimmed text, empty → null.

    Numbers keep their shortest round-trip text, dates become ISO ``YYYY-MM-DD``.
    The ``__row__`` column is left as it is.
    """
    cols = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        if name == ROW_COLUMN:
            cols.append(col)
            continue
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
            col = pc.replace_substring_regex(col, pattern=" 00:00:00$", replacement="")
        elif not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            col = pc.cast(col, pa.string())
        col = pc.utf8_trim(col, characters=_TRIM)
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        if pa.types.is_floating(table.schema.field(name).type):
            nan = pc.is_in(col, value_set=pa.array(["nan", "NaN"]))
            col = pc.if_else(nan, pa.scalar(None, pa.string()), col)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def open_table(
    path: str | Path, *, chunk_rows: int = 200_000, sheet: str | None = None
) -> TableSource:
    """Open a CSV, XLSX, HTML-table ``.xls``, legacy ``.xls`` or Parquet file.

    The format is decided by content, then extension. Raises ``ImportFileError`` naming
    the file when it cannot be read at all.
    """
    p = Path(path)
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be >= 1")
    try:
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise _file_error(p, "file not found", "not_found") from None
    except IsADirectoryError:
        raise _file_error(p, "is a directory", "directory") from None
    except OSError as exc:
        raise _file_error(
            p, reason := exc.strerror or str(exc), "os_error", detail=reason
        ) from None
    if not head:
        raise _file_error(p, "file is empty", "empty")
    suffix = p.suffix.lower()
    if head.startswith(b"PAR1"):
        return _open_parquet(p, chunk_rows)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(p, chunk_rows, sheet)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _open_legacy_xls(p, chunk_rows, sheet)
    if _looks_like_html(head):
        return _open_html(p, chunk_rows)
    if suffix in {".xlsx", ".xlsm", ".parquet", ".pq"}:
        raise _file_error(p, f"not a valid {suffix} file", "not_valid", suffix=suffix)
    return _open_csv(p, head, chunk_rows)


# --------------------------------------------------------------------------------------
# CSV


def _decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM optional), else cp1252, else Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of a sniffed sample is still UTF-8.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8"), "utf-8"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter among , ; tab | that splits the sample into the most regular table."""
    best, best_score = ",", -1.0
    sample = "\n".join(lines)
    for delim in [",", ";", "\t", "|"]:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delim))
        except csv.Error:
            continue
        if not rows:
            continue
        widths = Counter(len(r) for r in rows if any(_trim(c) for c in r))
        if not widths:
            continue
        width, count = widths.most_common(1)[0]
        if width < 2:
            continue
        score = count * math.log2(width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _open_csv(p: Path, head: bytes, chunk_rows: int) -> TableSource:
    if b"\x00" in head[:4096]:
        raise _file_error(p, "binary content, not a text table", "binary")
    text, encoding = _decode(head)
    lines = re.split(r"\r\n|\n|\r", text)
    if len(head) == _SNIFF_BYTES and lines:
        lines = lines[:-1]  # the last sampled line may be cut
    lines = lines[: _HEADER_SCAN_ROWS * 4]
    delimiter = _sniff_delimiter(lines)
    rows = list(
        csv.reader(
            io.StringIO("\n".join(lines[:_HEADER_SCAN_ROWS])), delimiter=delimiter
        )
    )
    if not rows:
        raise _file_error(p, "no header line found", "no_header")
    # csv.reader rows map one-to-one to lines only without quoted newlines; find the
    # header's physical line by re-reading with line numbers.
    rows_trim = [[_trim(c) for c in r] for r in rows]
    idx = _find_header(rows_trim)
    reader = csv.reader(
        io.StringIO("\n".join(lines[:_HEADER_SCAN_ROWS])), delimiter=delimiter
    )
    header_line = 1
    for i, _row in enumerate(reader):
        if i == idx:
            header_line = reader.line_num
            break
    columns = _header_names(rows[idx])
    if not columns:
        raise _file_error(p, "no header line found", "no_header")
    return TableSource(
        path=p,
        format="csv",
        columns=columns,
        header_line=header_line,
        chunk_rows=chunk_rows,
        delimiter=delimiter,
        encoding=encoding,
        _reader=_read_csv_chunks,
    )


def _csv_blocks(src: TableSource) -> Iterator[tuple[bytes, int]]:
    """Raw byte blocks cut at line ends outside quotes, each with its first line number."""
    with src.path.open("rb") as fh:
        # Skip the BOM, the preamble and the header line.
        first = fh.read(3)
        if first != b"\xef\xbb\xbf":
            fh.seek(0)
        for _ in range(src.header_line):
            fh.readline()
        line = src.header_line + 1
        rest = b""
        while True:
            data = fh.read(_BLOCK_BYTES)
            buf = rest + data
            if not data:
                if buf.strip():
                    yield buf, line
                return
            cut = _block_cut(buf)
            if cut < 0:
                rest = buf
                continue
            block, rest = buf[: cut + 1], buf[cut + 1 :]
            yield block, line
            line += block.count(b"\n")


def _block_cut(buf: bytes) -> int:
    """Index of the last line end that is outside quotes, or -1.

    A stray quote inside a field (``Jl. Mawar "B``) would keep the quote count odd for
    the rest of the file; past a few blocks we cut at the last line end anyway, so that
    memory stays bounded (the parsers treat such quotes as text).
    """
    data = np.frombuffer(buf, dtype=np.uint8)
    newlines = np.flatnonzero(data == 10)
    if newlines.size == 0:
        return -1
    quotes = np.flatnonzero(data == 34)
    if quotes.size == 0:
        return int(newlines[-1])
    even = newlines[(np.searchsorted(quotes, newlines) & 1) == 0]
    if even.size:
        return int(even[-1])
    if len(buf) > 4 * _BLOCK_BYTES:
        return int(newlines[-1])
    return -1


def _read_csv_chunks(src: TableSource) -> Iterator[pa.Table]:
    keys = src.keys
    ncol = len(keys)
    pending: list[pa.Table] = []
    pending_rows = 0
    for block, first_line in _csv_blocks(src):
        table = _parse_block(src, block, first_line, keys, ncol)
        if table.num_rows == 0:
            continue
        pending.append(table)
        pending_rows += table.num_rows
        while pending_rows >= src.chunk_rows:
            merged = pa.concat_tables(pending)
            yield merged.slice(0, src.chunk_rows)
            rest = merged.slice(src.chunk_rows)
            pending, pending_rows = (
                ([rest], rest.num_rows) if rest.num_rows else ([], 0)
            )
    if pending_rows:
        yield pa.concat_tables(pending)


def _parse_block(
    src: TableSource, block: bytes, first_line: int, keys: list[str], ncol: int
) -> pa.Table:
    """Parse one block with Arrow's fast reader, or the exact slow path when it is irregular."""
    enc = src.encoding or "utf-8"
    if enc != "utf-8":
        block = block.decode(enc, errors="replace").encode("utf-8")
    invalid: list[Any] = []

    def handler(row: Any) -> str:
        invalid.append(row)
        return "skip"

    nlines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
    try:
        table = pacsv.read_csv(
            io.BytesIO(block),
            read_options=pacsv.ReadOptions(column_names=keys, use_threads=False),
            parse_options=pacsv.ParseOptions(
                delimiter=src.delimiter or ",",
                ignore_empty_lines=False,
                newlines_in_values=False,
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(keys, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        table = None
    if table is None or invalid or table.num_rows != nlines:
        return _parse_block_slow(src, block, first_line, keys, ncol)
    rows = pa.array(range(first_line, first_line + nlines), pa.int64())
    table = table.append_column(ROW_COLUMN, rows)
    return _drop_blank_rows(table)


def _parse_block_slow(
    src: TableSource, block: bytes, first_line: int, keys: list[str], ncol: int
) -> pa.Table:
    """Python csv path: exact line numbers, quoted newlines, short rows padded."""
    text, _ = _decode(block)
    reader = csv.reader(io.StringIO(text), delimiter=src.delimiter or ",")
    columns: list[list[str]] = [[] for _ in range(ncol)]
    rownums: list[int] = []
    start = 1
    for row in reader:
        if any(_trim(c) for c in row):
            width = len(row)
            for j in range(ncol):
                columns[j].append(row[j] if j < width else "")
            rownums.append(first_line + start - 1)
        start = reader.line_num + 1
    arrays = [pa.array(c, pa.string()) for c in columns]
    arrays.append(pa.array(rownums, pa.int64()))
    return pa.table(arrays, names=[*keys, ROW_COLUMN])


def _drop_blank_rows(table: pa.Table) -> pa.Table:
    keep = None
    for name in table.column_names[:-1]:
        filled = pc.not_equal(pc.utf8_trim(table[name], characters=_TRIM), "")
        keep = filled if keep is None else pc.or_(keep, filled)
    if keep is None:
        return table
    if pc.all(keep).as_py():
        return table
    return table.filter(keep)


# --------------------------------------------------------------------------------------
# XLSX


def _cell_text(value: Any) -> str:
    """A cell value as a person sees it: integers without ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def _open_xlsx(p: Path, chunk_rows: int, sheet: str | None) -> TableSource:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise _file_error(
            p, f"not a readable XLSX workbook ({exc})", "bad_xlsx", detail=str(exc)
        ) from None
    try:
        ws = _pick_sheet(p, wb, sheet)
        head: list[list[str]] = []
        for row in ws.iter_rows(values_only=True, max_row=_HEADER_SCAN_ROWS):
            head.append([_trim(_cell_text(v)) for v in row])
        sheet_name = ws.title
    finally:
        wb.close()
    if not any(any(r) for r in head):
        raise _file_error(
            p, f"sheet {sheet_name!r} is empty", "sheet_empty", sheet=sheet_name
        )
    idx = _find_header(head)
    return TableSource(
        path=p,
        format="xlsx",
        columns=_header_names(head[idx]),
        header_line=idx + 1,
        chunk_rows=chunk_rows,
        sheet=sheet_name,
        _reader=_read_xlsx_chunks,
    )


def _pick_sheet(p: Path, wb: Any, sheet: str | None) -> Any:
    if sheet is None:
        return wb.worksheets[0]
    if sheet in wb.sheetnames:
        return wb[sheet]
    raise _file_error(
        p,
        f"no sheet named {sheet!r} (sheets: {', '.join(wb.sheetnames)})",
        "no_sheet",
        sheet=sheet,
        sheets=", ".join(wb.sheetnames),
    )


def _read_xlsx_chunks(src: TableSource) -> Iterator[pa.Table]:
    import openpyxl

    wb = openpyxl.load_workbook(src.path, read_only=True, data_only=True)
    try:
        ws = wb[src.sheet] if src.sheet else wb.worksheets[0]
        rows_iter = ws.iter_rows(values_only=True, min_row=src.header_line + 1)
        yield from _rows_to_chunks(
            src, ((src.header_line + 1 + i, r) for i, r in enumerate(rows_iter))
        )
    finally:
        wb.close()


def _rows_to_chunks(
    src: TableSource, rows: Iterator[tuple[int, Sequence[Any]]]
) -> Iterator[pa.Table]:
    keys = src.keys
    ncol = len(keys)
    columns: list[list[str]] = [[] for _ in range(ncol)]
    rownums: list[int] = []

    def flush() -> pa.Table:
        arrays = [pa.array(c, pa.string()) for c in columns]
        arrays.append(pa.array(rownums, pa.int64()))
        return pa.table(arrays, names=[*keys, ROW_COLUMN])

    for rownum, row in rows:
        cells = [_cell_text(v) for v in row[:ncol]]
        if not any(_trim(c) for c in cells):
            continue
        cells += [""] * (ncol - len(cells))
        for j in range(ncol):
            columns[j].append(cells[j])
        rownums.append(rownum)
        if len(rownums) >= src.chunk_rows:
            yield flush()
            columns = [[] for _ in range(ncol)]
            rownums = []
    if rownums:
        yield flush()


# --------------------------------------------------------------------------------------
# HTML tables saved as .xls (old e-PPGBM downloads) and legacy .xls


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    return start.startswith(b"<") or b"<table" in head[:65536].lower()


def _open_html(p: Path, chunk_rows: int) -> TableSource:
    from lxml import html as lxml_html

    try:
        doc = lxml_html.fromstring(p.read_bytes())
    except Exception as exc:  # lxml raises parser-specific types
        raise _file_error(
            p, f"not a readable HTML table ({exc})", "bad_html", detail=str(exc)
        ) from None
    tables = doc.xpath("//table")
    if not tables:
        raise _file_error(p, "HTML file without a <table>", "no_table")
    # The biggest table is the data (exports sometimes put a title table first).
    table = max(tables, key=lambda t: len(t.xpath(".//tr")))
    rows: list[list[str]] = []
    for tr in table.xpath(".//tr"):
        cells = []
        for td in tr.xpath("./td|./th"):
            text = " ".join(td.text_content().split(None)) if td is not None else ""
            cells.append(text)
            span = td.get("colspan")
            if span and span.isdigit():
                cells.extend([""] * (int(span) - 1))
        rows.append(cells)
    trimmed = [[_trim(c) for c in r] for r in rows]
    idx = _find_header(trimmed[:_HEADER_SCAN_ROWS])
    data = rows[idx + 1 :]
    return TableSource(
        path=p,
        format="html",
        columns=_header_names(rows[idx]),
        header_line=idx + 1,
        chunk_rows=chunk_rows,
        _reader=lambda src: _rows_to_chunks(
            src, ((idx + 2 + i, r) for i, r in enumerate(data))
        ),
    )


def _open_legacy_xls(p: Path, chunk_rows: int, sheet: str | None) -> TableSource:
    try:
        import xlrd  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        raise _file_error(
            p,
            "legacy Excel 97-2003 .xls needs the optional package xlrd; "
            "save the file as .xlsx or CSV, or install xlrd",
            "legacy_xls",
        ) from None
    try:
        book = xlrd.open_workbook(str(p), on_demand=True)
        ws = book.sheet_by_name(sheet) if sheet else book.sheet_by_index(0)
    except Exception as exc:  # xlrd raises its own error types
        raise _file_error(
            p, f"not a readable .xls workbook ({exc})", "bad_xls", detail=str(exc)
        ) from None

    def cell_value(c: Any) -> Any:
        if c.ctype == 3:  # XL_CELL_DATE
            return xlrd.xldate.xldate_as_datetime(c.value, book.datemode)
        if c.ctype == 4:  # XL_CELL_BOOLEAN
            return bool(c.value)
        if c.ctype in (0, 5, 6):  # empty, error, blank
            return None
        return c.value

    all_rows = [[cell_value(c) for c in ws.row(i)] for i in range(ws.nrows)]
    head = [[_trim(_cell_text(v)) for v in r] for r in all_rows[:_HEADER_SCAN_ROWS]]
    idx = _find_header(head)
    return TableSource(
        path=p,
        format="xls",
        columns=_header_names(head[idx]),
        header_line=idx + 1,
        chunk_rows=chunk_rows,
        sheet=ws.name,
        _reader=lambda src: _rows_to_chunks(
            src, ((idx + 2 + i, r) for i, r in enumerate(all_rows[idx + 1 :]))
        ),
    )


# --------------------------------------------------------------------------------------
# Parquet


def _open_parquet(p: Path, chunk_rows: int) -> TableSource:
    try:
        pf = pq.ParquetFile(p)
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError for damaged files
        raise _file_error(
            p, f"not a readable Parquet file ({exc})", "bad_parquet", detail=str(exc)
        ) from None
    names = list(pf.schema_arrow.names)
    return TableSource(
        path=p,
        format="parquet",
        columns=names,
        header_line=1,
        chunk_rows=chunk_rows,
        _reader=_read_parquet_chunks,
    )


def _read_parquet_chunks(src: TableSource) -> Iterator[pa.Table]:
    pf = pq.ParquetFile(src.path)
    keys = src.keys
    start = 0
    for batch in pf.iter_batches(batch_size=src.chunk_rows):
        table = pa.Table.from_batches([batch]).rename_columns(keys)
        # Row 1 is the header, as in a spreadsheet view of the table.
        rows = pa.array(range(start + 2, start + 2 + table.num_rows), pa.int64())
        start += table.num_rows
        yield table.append_column(ROW_COLUMN, rows)
