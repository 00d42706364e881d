"""Import reports as files: the issues as CSV or Excel."""

from __future__ import annotations

from pathlib import Path

from tumbuh.errors import InvalidInput
from tumbuh.tabular.guard import guarded_workbook
from tumbuh.tabular.issues import ImportReport

_COLUMNS = (
    "file",
    "row",
    "column",
    "code",
    "severity",
    "value",
    "message_id",
    "message_en",
)


def write_issues(report: ImportReport, path: Path) -> None:
    """Write the report's issues to `path` (.csv, or .xlsx with a summary sheet)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.write_text(report.issues_csv(), encoding="utf-8-sig")
        return
    if suffix != ".xlsx":
        raise InvalidInput(f"--report must end in .csv or .xlsx, not {path.name}")
    book = guarded_workbook(path)
    try:
        sheet = book.add_worksheet("issues")
        bold = book.add_format({"bold": True})
        for c, name in enumerate(_COLUMNS):
            sheet.write(0, c, name, bold)
        for r, issue in enumerate(report.issues, start=1):
            d = issue.to_dict()
            for c, name in enumerate(_COLUMNS):
                sheet.write(r, c, d[name])
        summary = book.add_worksheet("summary")
        for r, key in enumerate(
            ("read", "inserted", "updated", "unchanged", "rejected")
        ):
            summary.write(r, 0, key, bold)
            summary.write(r, 1, getattr(report, key))
    finally:
        book.close()
