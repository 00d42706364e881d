"""The import framework: a format declares its columns and a chunk transform; the rest is here.

A format is a subclass of `ChunkImport` with
- `KIND` (the import kind, also the quarantine's kind),
- `COLUMNS` (`tabular.columns.Columns`: each column's field, accepted headers, whether a
  file must have it, and what its cells are: `Cells` text/number/date/sex/code with
  `row_required`, `width`, `zero_is_missing`, `negative`),
- `REFUSAL_KEY` (or `check_columns` calling `refusal(key, ...)`): what a file that lacks
  required columns is told, a catalogue message,
- `chunk(chunk)`: parse, validate and write one chunk of rows (`Chunk`), reporting every
  bad cell as a RowIssue on its row (`issue`) and rejecting rows (`Chunk.bad`, then
  `FileImport.reject` puts them in quarantine); or `prepare(chunk)` (no database) and
  `store(chunk, prepared)`, with `READ_AHEAD` to prepare the next chunk in a reader
  thread while this one is stored.

`run` is the one loop over a file: read chunk by chunk (`tabular.readers`, CSV/XLSX/HTML
-xls), count, transform, resolve earlier quarantine entries, write the quarantine. The
transaction around it is the caller's (`imports.service`: one per chunk; interventions:
one per file). The cells of a column are parsed here as its declaration says (`numbers`,
`dates`, `sexes`, `texts`: the issues on the rows, rows rejected); region resolution
(`imports.places`) and linking (`imports.linking`) are their own steps.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from tumbuh.errors import ImportFileError
from tumbuh.i18n import Message
from tumbuh.imports.context import Chunk, FileImport
from tumbuh.imports.normalise import clean
from tumbuh.tabular.cells import read_column
from tumbuh.tabular.columns import Cells, Column, Columns
from tumbuh.tabular.issues import RowIssue, Severity
from tumbuh.tabular.readers import TableSource

# Allocations between two young-generation collections during an import (CPython's
# default is 700): a chunk allocates millions of short-lived tuples and dicts, most freed
# by reference counting, so frequent collections mostly rescan live objects.
_GC_YOUNG = 50_000


class _Imports:
    """Imports running in this process (a one-row re-import may run beside a job)."""

    lock = threading.Lock()
    running = 0
    saved: tuple[int, int, int] = (700, 10, 10)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Fewer garbage-collection passes while files are imported; the thresholds are restored
    and the frozen objects (`gc.freeze` after each chunk) released when the last import of
    the process ends."""
    with _Imports.lock:
        if _Imports.running == 0:
            _Imports.saved = gc.get_threshold()
            gc.set_threshold(_GC_YOUNG, *_Imports.saved[1:])
        _Imports.running += 1
    try:
        yield
    finally:
        with _Imports.lock:
            _Imports.running -= 1
            if _Imports.running == 0:
                gc.set_threshold(*_Imports.saved)
                gc.unfreeze()


class ChunkImport:
    """Base of the formats: header matching, the run loop, row issues and cell parsers."""

    KIND: ClassVar[str]
    COLUMNS: ClassVar[Columns]

    def __init__(self, ctx: FileImport, source: TableSource) -> None:
        self.ctx = ctx
        self.session: Session = ctx.session
        self.source = source
        self.columns = self.COLUMNS.match(source.keys)
        self.check_columns(self.columns)
        self.today_date = dt.date.today()

    # ------------------------------------------------------------ the format

    #: The catalogue key that says a file of this format lacks columns (``{columns}``).
    REFUSAL_KEY: ClassVar[str] = "imp.refusal.missing"

    def check_columns(self, columns: dict[str, str]) -> None:
        """Refuse a file without the required columns (ImportFileError, nothing written)."""
        missing = self.COLUMNS.missing(columns)
        if missing:
            raise self.refusal(self.REFUSAL_KEY, columns=[c.shown for c in missing])

    def refusal(self, key: str, **values: Any) -> ImportFileError:
        """The error that refuses this file: "FILE: what key says", a catalogue message
        said in the reader's language (its English text is the error's own message). A
        list value is a list of column names; a tuple of messages stays one."""
        said = Message.of(
            "imp.job.in_file",
            file=self.ctx.file,
            text=(
                Message.of(
                    key,
                    **{
                        k: ", ".join(v) if isinstance(v, list) else v
                        for k, v in values.items()
                    },
                ),
            ),
        )
        return ImportFileError(said.render("en"), said=said)

    def begin(self) -> None:
        """Before the first chunk (after the file's earlier quarantine is cleared)."""

    def chunk(self, chunk: Chunk) -> None:
        """Parse, validate and write one chunk of rows."""
        raise NotImplementedError

    #: Whether `prepare` runs for the next chunk while this one is stored (a format whose
    #: `prepare` touches no database and no state `store` changes).
    READ_AHEAD: ClassVar[bool] = False

    def prepare(self, chunk: Chunk) -> Any:
        """What can be made of a chunk without the database (parsing, checks, z-scores);
        passed to `store`. With `READ_AHEAD` it runs in a reader thread, for the next
        chunk while this one is written, so it must not touch the session."""
        return None

    def store(self, chunk: Chunk, prepared: Any) -> None:
        """The database part of a chunk (linking, writes, quarantine)."""
        self.chunk(chunk)

    def finish(self) -> None:
        """After the last chunk."""

    # -------------------------------------------------------------- the loop

    def run(self) -> None:
        """Import the file: every chunk transformed, then its quarantine written."""
        self.ctx.start()
        self.begin()
        before, after = self.ctx.before_chunk, self.ctx.after_chunk
        with _few_collections():
            for n, (chunk, prepared) in enumerate(self._prepared()):
                if n and before is not None:
                    before()
                self.ctx.report.read += len(chunk)
                self.store(chunk, prepared)
                self.ctx.resolve_refs(chunk)
                self.ctx.flush_quarantine()
                # What outlives a chunk (the person index, caches) is not scanned again by
                # every later collection: O(rows) work per pass on a large file.
                gc.freeze()
                if after is not None:
                    after()
        self.finish()

    def _prepared(self) -> Iterator[tuple[Chunk, Any]]:
        """The chunks with what `prepare` made of them. With `READ_AHEAD` a reader thread
        reads and prepares the next chunk while the caller stores this one: the two
        overlap where either leaves Python (SQLite's inserts, Arrow's parsing, numpy), at
        most two chunks are in memory, and an error in the reader is raised here, in file
        order."""
        tables = iter(self.source.chunks())

        def next_one() -> tuple[Chunk, Any] | None:
            table = next(tables, None)
            if table is None:
                return None
            chunk = Chunk(table, self.columns)
            return chunk, self.prepare(chunk)

        if not self.READ_AHEAD:
            while (got := next_one()) is not None:
                yield got
            return
        with ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="tumbuh-read"
        ) as pool:
            pending = pool.submit(next_one)
            while (got := pending.result()) is not None:
                pending = pool.submit(next_one)
                yield got

    # ---------------------------------------------------------- row issues

    def _col(self, fld: str) -> str | None:
        return self.columns.get(fld)

    def _issue(
        self,
        per_row: dict[int, list[RowIssue]],
        chunk: Chunk,
        i: int,
        fld: str | None,
        code: str,
        value: object = None,
        *,
        error: bool = False,
    ) -> None:
        item = self.ctx.issue(
            int(chunk.rows[i]),
            self._col(fld) if fld else None,
            code,
            value=value,
            severity=Severity.error if error else Severity.warning,
        )
        per_row.setdefault(i, []).append(item)
        if error:
            chunk.bad[i] = True

    def units(
        self,
        chunk: Chunk,
        per_row: dict[int, list[RowIssue]],
        fld: str,
        values: npt.NDArray[np.float64],
        plausible: tuple[float, float],
        factors: tuple[tuple[float, str], ...],
        implausible: str,
        unit: str,
    ) -> npt.NDArray[np.float64]:
        """Values outside `plausible` read in another unit when exactly one factor brings
        them in (reported with the factor's code), else dropped (reported as `implausible`)."""
        lo, hi = plausible
        out = values.copy()
        odd = np.flatnonzero(~np.isnan(values) & ((values < lo) | (values > hi)))
        for i in odd.tolist():
            raw = float(values[i])
            fits = [(f, code) for f, code in factors if lo <= raw * f <= hi]
            if len(fits) == 1:
                factor, code = fits[0]
                out[i] = round(raw * factor, 6)
                shown = f"{raw:g} → {out[i]:g} {unit}"
                self._issue(per_row, chunk, int(i), fld, code, shown)
            else:
                out[i] = np.nan
                self._issue(per_row, chunk, int(i), fld, implausible, f"{raw:g}")
        return out

    # --------------------------------------------------------- cell parsers
    #
    # A column is parsed as its `Column` declares (`tabular.columns.Cells` and options) by
    # `tabular.cells.read_column`; reading a column as another kind is a programming error.
    # Issue codes: invalid_number, negative_value, out_of_range, not_whole, invalid_date,
    # future_date, invalid_sex, required, text_cut (the format's catalogue has those its
    # declarations can raise).

    def _declared(self, fld: str, cells: Cells) -> Column:
        col = self.COLUMNS[fld]
        if col.cells != cells:
            raise TypeError(
                f"{self.KIND}: column {fld!r} is declared {col.cells}, read as {cells}"
            )
        return col

    def _read(
        self,
        chunk: Chunk,
        fld: str,
        cells: Cells,
        per_row: dict[int, list[RowIssue]],
    ) -> Any:
        """`tabular.cells.read_column` on the chunk's column; its problems as RowIssues."""
        col = self._declared(fld, cells)
        read = read_column(col, chunk.arrow(fld), today=self.today_date)
        for p in read.problems:
            self._issue(per_row, chunk, p.at, fld, p.code, p.value, error=p.error)
        return read.values

    def numbers(
        self, chunk: Chunk, fld: str, per_row: dict[int, list[RowIssue]]
    ) -> npt.NDArray[np.float64]:
        """A number column (NaN where missing or unreadable; unreadable cells reported,
        rejecting the row when the column is `row_required`)."""
        values: npt.NDArray[np.float64] = self._read(chunk, fld, Cells.number, per_row)
        return values

    def dates(
        self, chunk: Chunk, fld: str, per_row: dict[int, list[RowIssue]]
    ) -> npt.NDArray[np.datetime64]:
        """A date column (NaT where missing or unreadable); a date after today rejects the
        row, and so does a missing or unreadable one in a `row_required` column."""
        values: npt.NDArray[np.datetime64] = self._read(chunk, fld, Cells.date, per_row)
        return values

    def sexes(
        self, chunk: Chunk, fld: str, per_row: dict[int, list[RowIssue]]
    ) -> npt.NDArray[np.float64]:
        """A sex column: 1 male, 2 female, NaN missing or unreadable (reported)."""
        values: npt.NDArray[np.float64] = self._read(chunk, fld, Cells.sex, per_row)
        return values

    def texts(
        self, chunk: Chunk, fld: str, per_row: dict[int, list[RowIssue]]
    ) -> list[str | None]:
        """A text column, cleaned (missing markers as None) and cut to the declared width
        (a cut is reported on the row); a `row_required` column's blank rejects the row."""
        if not chunk.has(fld):
            self._declared(fld, Cells.text)
            return chunk.clean(fld)
        values: list[str | None] = self._read(chunk, fld, Cells.text, per_row)
        return values

    def _desa_codes(
        self, chunk: Chunk, per_row: dict[int, list[RowIssue]]
    ) -> list[str | None]:
        """Kemendagri desa codes of the `Kode Desa` column; unknown codes are warnings."""
        out: list[str | None] = []
        for i, raw in enumerate(chunk.text("desa_code")):
            code = clean(raw)
            if code is not None and not self.ctx.regions.is_code(code, 4):
                self._issue(per_row, chunk, i, "desa_code", "region_not_found", code)
                code = None
            out.append(code)
        return out
