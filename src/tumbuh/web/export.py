"""Every table can be downloaded as Excel: `?format=xlsx` on table pages renders through here."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence

from fastapi import Response

from tumbuh.tabular.guard import guarded_workbook, is_formula_like, quote_prefix_format

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = str | int | float | bool | dt.date | dt.datetime | None


def xlsx_bytes(
    sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> bytes:
    """One sheet: a bold header row, then the rows; dates as Excel dates, None as blank."""
    buffer = io.BytesIO()
    book = guarded_workbook(buffer, in_memory=True, remove_timezone=True)
    ws = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", "-", sheet)[:31] or "data")
    bold = book.add_format({"bold": True, "bg_color": "#E8F1EC"})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    datetime_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    quoted = quote_prefix_format(book)
    widths = [len(h) for h in headers]
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, bold)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, col, value, datetime_fmt)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, col, value, date_fmt)
            elif isinstance(value, bool):
                ws.write_boolean(r, col, value)
            elif isinstance(value, int | float):
                ws.write_number(r, col, value)
            else:
                # A string cell, quote-prefixed when it looks like a formula (tabular.guard).
                ws.write_string(
                    r, col, value, quoted if is_formula_like(value) else None
                )
            if col < len(widths):
                widths[col] = max(widths[col], min(len(str(value)), 60))
    for col, width in enumerate(widths):
        ws.set_column(col, col, width + 2)
    ws.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def xlsx_response(
    filename: str, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> Response:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", filename)
    return Response(
        content=xlsx_bytes(sheet, headers, rows),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{safe}.xlsx"'},
    )
