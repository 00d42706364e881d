"""The import framework: a format declares its columns and a chunk transform; the rest is here.

A format is a subclass of `ChunkImport` with
- `KIND` (the import kind, also the quarantine's kind),
- `COLUMNS` (`tabular.columns.Columns`: each column's field, accepted headers, whether a
  file must have it, and how its cells are read),
- `refusal(missing)`: the message of a file that lacks required columns,
- `chunk(chunk)`: parse, validate and write one chunk of rows (`Chunk`), reporting every
  bad cell as a RowIssue on its row (`issue`) and rejecting rows (`Chunk.bad`, then
  `FileImport.reject` puts them in quarantine).

`run` is the one loop over a file: read chunk by chunk (`tabular.readers`, CSV/XLSX/HTML
-xls), count, transform, resolve earlier quarantine entries, write the quarantine. The
transaction around it is the caller's (`imports.service`: one per chunk; interventions:
one per file). Cell parsers (numbers, dates) are shared here; region resolution
(`imports.places`) and linking (`imports.linking`) are their own steps.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from tumbuh.errors import ImportFileError
from tumbuh.imports.context import Chunk, FileImport
from tumbuh.imports.normalise import clean
from tumbuh.tabular.columns import Column, Columns
from tumbuh.tabular.issues import RowIssue, Severity
from tumbuh.tabular.parse import parse_date, parse_number
from tumbuh.tabular.readers import TableSource

_ZERO_IS_MISSING = ("weight", "lenhei", "muac", "headc", "birth_weight", "birth_length")


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
        self.today = np.datetime64(dt.date.today(), "D")

    # ------------------------------------------------------------ the format

    def check_columns(self, columns: dict[str, str]) -> None:
        """Refuse a file without the required columns (ImportFileError, nothing written)."""
        missing = self.COLUMNS.missing(columns)
        if missing:
            raise ImportFileError(self.refusal(missing))

    def refusal(self, missing: list[Column]) -> str:
        """The message of a file that lacks `missing` (file name first, both languages)."""
        names = ", ".join(c.shown for c in missing)
        return f"{self.ctx.file}: missing column(s) {names} / kolom tidak ada: {names}"

    def begin(self) -> None:
        """Before the first chunk (after the file's earlier quarantine is cleared)."""

    def chunk(self, chunk: Chunk) -> None:
        """Parse, validate and write one chunk of rows."""
        raise NotImplementedError

    def finish(self) -> None:
        """After the last chunk."""

    # -------------------------------------------------------------- the loop

    def run(self) -> None:
        """Import the file: every chunk transformed, then its quarantine written."""
        self.ctx.start()
        self.begin()
        with _few_collections():
            for table in self.source.chunks():
                chunk = Chunk(table, self.columns)
                self.ctx.report.read += len(chunk)
                self.chunk(chunk)
                self.ctx.resolve_refs(chunk)
                self.ctx.flush_quarantine()
                # What outlives a chunk (the person index, caches) is not scanned again by
                # every later collection: O(rows) work per pass on a large file.
                gc.freeze()
        self.finish()

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

    # --------------------------------------------------------- cell parsers

    def _number(
        self, chunk: Chunk, fld: str, per_row: dict[int, list[RowIssue]]
    ) -> npt.NDArray[np.float64]:
        parsed = parse_number(chunk.arrow(fld))
        values = np.array(parsed.values, dtype=np.float64)
        for i in np.flatnonzero(parsed.failed).tolist():
            self._issue(
                per_row, chunk, int(i), fld, "invalid_number", chunk.arrow(fld)[i]
            )
        if fld in _ZERO_IS_MISSING:
            values[values == 0] = np.nan  # e-PPGBM writes 0 for "not measured"
        return values

    def _date(
        self,
        chunk: Chunk,
        fld: str,
        per_row: dict[int, list[RowIssue]],
        *,
        required: bool = True,
    ) -> npt.NDArray[np.datetime64]:
        arr = chunk.arrow(fld)
        parsed = parse_date(arr)
        values = np.array(parsed.values, dtype="datetime64[D]")
        for i in np.flatnonzero(parsed.failed).tolist():
            self._issue(
                per_row, chunk, int(i), fld, "invalid_date", arr[i], error=required
            )
        if required:
            for i in np.flatnonzero(np.isnat(values) & ~parsed.failed).tolist():
                self._issue(per_row, chunk, int(i), fld, "required", error=True)
        for i in np.flatnonzero(values > self.today).tolist():
            self._issue(per_row, chunk, int(i), fld, "future_date", arr[i], error=True)
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
