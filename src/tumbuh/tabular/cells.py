"""A column's cells read as its declaration says (issue 13): values plus the problems.

`read_column(column, cells)` parses the cells of one declared `Column` with the shared
parsers of `tabular.parse` and returns the values and the `Problem`s of the bad cells
(row index, issue code, the value to show, whether the row is rejected). Every reader of
user files uses it: the register importers (`imports.base.ChunkImport` turns problems
into RowIssues from the format's catalogue), the KRS family table and the survey reader
(their own messages, from the same catalogue). The rules, from the declaration:

- number: unreadable → ``invalid_number``; ``zero_is_missing`` → 0 is NaN;
  ``negative=False`` → a negative is ``negative_value`` and left out; ``bounds`` →
  outside is ``out_of_range`` and left out; ``whole`` → counts (``1.234`` is a
  thousand) and a fraction is ``not_whole`` and left out; ``percent`` → a trailing ``%``;
- date: unreadable → ``invalid_date``; after ``today`` → ``future_date`` (rejects);
- sex: unreadable → ``invalid_sex``;
- text: longer than ``width`` → cut, ``text_cut``;
- ``row_required``: an unreadable cell rejects the row, and so does a missing one
  (``required``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from tumbuh.tabular.columns import Cells, Column
from tumbuh.tabular.parse import (
    parse_date,
    parse_number,
    parse_sex,
    text_array,
)

__all__ = ["Problem", "Read", "read_column", "read_row_cells"]


class Problem(NamedTuple):
    """A bad cell: its position in the column, the issue code, what to show, and whether
    the row is rejected."""

    at: int
    code: str
    value: object
    error: bool


class Read(NamedTuple):
    values: (
        Any  # float64 (number, sex), datetime64[D] (date) or list[str | None] (text)
    )
    problems: list[Problem]


def _as_array(cells: Any) -> pa.Array:
    if isinstance(cells, pa.ChunkedArray):
        return cells.combine_chunks()
    if isinstance(cells, pa.Array):
        return cells
    return text_array(cells)


def read_column(column: Column, cells: Any, *, today: dt.date | None = None) -> Read:
    """The cells of `column` (any array-like of text cells) parsed as it declares."""
    arr = _as_array(cells)
    if column.cells == Cells.number:
        return _numbers(column, arr)
    if column.cells == Cells.date:
        return _dates(column, arr, today or dt.date.today())
    if column.cells == Cells.sex:
        return _sexes(column, arr)
    if column.cells == Cells.text:
        return _texts(column, arr)
    raise TypeError(
        f"column {column.field!r}: {column.cells} cells are read by the format"
    )


def read_row_cells(
    table: pa.Table,
    declared: Mapping[str, tuple[Column, str]],
    *,
    today: dt.date | None = None,
) -> dict[str, list[tuple[Any, str | None]]]:
    """For readers that go row by row: each declared column of a chunk (`declared`: field
    → its `Column` and the chunk's column name) read at once, then per row its value and
    the code of its first problem (None when the cell is fine)."""
    out: dict[str, list[tuple[Any, str | None]]] = {}
    for fld, (column, name) in declared.items():
        read = read_column(column, table.column(name), today=today)
        first: dict[int, str] = {}
        for p in read.problems:
            first.setdefault(p.at, p.code)
        values = read.values if isinstance(read.values, list) else read.values.tolist()
        out[fld] = [(v, first.get(i)) for i, v in enumerate(values)]
    return out


def _failed(
    arr: pa.Array, failed: npt.NDArray[np.bool_], code: str, error: bool
) -> list[Problem]:
    return [
        Problem(int(i), code, arr[i].as_py(), error) for i in np.flatnonzero(failed)
    ]


def _required(
    missing: npt.NDArray[np.bool_], column: Column, out: list[Problem]
) -> None:
    if column.row_required:
        out.extend(
            Problem(int(i), "required", None, True) for i in np.flatnonzero(missing)
        )


def _numbers(column: Column, arr: pa.Array) -> Read:
    parsed = parse_number(arr, whole=column.whole, percent=column.percent)
    values = np.array(parsed.values, dtype=np.float64)
    out = _failed(arr, parsed.failed, "invalid_number", column.row_required)
    if column.zero_is_missing:
        values[values == 0] = np.nan
    if not column.negative:
        for i in np.flatnonzero(values < 0).tolist():
            out.append(Problem(i, "negative_value", f"{values[i]:g}", False))
            values[i] = np.nan
    if column.bounds is not None:
        low, high = column.bounds
        outside = (values < low) | (values > high)
        out.extend(
            Problem(int(i), "out_of_range", arr[i].as_py(), False)
            for i in np.flatnonzero(outside)
        )
        values[outside] = np.nan
    if column.whole:
        fraction = values != np.floor(values)  # NaN compares unequal: excluded below
        fraction &= ~np.isnan(values)
        out.extend(
            Problem(int(i), "not_whole", arr[i].as_py(), False)
            for i in np.flatnonzero(fraction)
        )
        values[fraction] = np.nan
    _required(np.isnan(values) & ~parsed.failed, column, out)
    return Read(values, out)


def _dates(column: Column, arr: pa.Array, today: dt.date) -> Read:
    parsed = parse_date(arr, today=today)
    values = np.array(parsed.values, dtype="datetime64[D]")
    out = _failed(arr, parsed.failed, "invalid_date", column.row_required)
    _required(np.isnat(values) & ~parsed.failed, column, out)
    future = values > np.datetime64(today, "D")
    out.extend(
        Problem(int(i), "future_date", arr[i].as_py(), True)
        for i in np.flatnonzero(future)
    )
    return Read(values, out)


def _sexes(column: Column, arr: pa.Array) -> Read:
    parsed = parse_sex(arr)
    values = np.array(parsed.values, dtype=np.float64)
    out = _failed(arr, parsed.failed, "invalid_sex", column.row_required)
    _required(np.isnan(values) & ~parsed.failed, column, out)
    return Read(values, out)


def _texts(column: Column, arr: pa.Array) -> Read:
    values: list[str | None] = text_array(arr).to_pylist()
    out: list[Problem] = []
    width = column.width
    if width is not None:
        lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False)
        # The raw cell's length bounds the cleaned one's: only long raw cells are looked at.
        for i in np.flatnonzero(
            np.nan_to_num(lengths.astype(np.float64)) > width
        ).tolist():
            value = values[i]
            if value is not None and len(value) > width:
                out.append(Problem(i, "text_cut", f"{len(value)} → {width}", False))
                values[i] = value[:width]
    if column.row_required:
        _required(np.array([v is None for v in values], dtype=bool), column, out)
    return Read(values, out)
