"""Shared column parsing for the importers: every failure becomes a RowIssue on its row."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from tumbuh.imports.context import Chunk, FileImport
from tumbuh.imports.normalise import clean
from tumbuh.tabular.issues import RowIssue, Severity
from tumbuh.tabular.parse import parse_date, parse_number

_ZERO_IS_MISSING = ("weight", "lenhei", "muac", "headc", "birth_weight", "birth_length")


class ChunkImport:
    """Base of the per-kind importers: the file context, header map and column parsers."""

    def __init__(self, ctx: FileImport, columns: dict[str, str]) -> None:
        self.ctx = ctx
        self.session: Session = ctx.session
        self.columns = columns
        self.today = np.datetime64(dt.date.today(), "D")

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
