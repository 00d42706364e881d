"""Row-level problems and import reports: bad data is data, only unreadable files raise."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from tumbuh.i18n import catalogue, translate
from tumbuh.tabular.guard import neutralise


class Severity(StrEnum):
    error = "error"  # the row was rejected (quarantined)
    warning = "warning"  # the row went in, but something is suspicious


class IssueTexts(Mapping[str, tuple[str, str]]):
    """code -> (Bahasa Indonesia, English) text of an issue, read from the catalogue
    (``<prefix><code>``, e.g. ``issue.invalid_date``): each sentence is written once, in
    the .po files, and a report still carries both (``message_id``/``message_en``, its
    JSON and CSV contract). ``{value}`` and ``{col}`` are filled in by the importer."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __getitem__(self, code: str) -> tuple[str, str]:
        key = self.prefix + code
        if key not in catalogue("id"):
            raise KeyError(code)
        return translate(key, "id"), translate(key, "en")

    def __iter__(self) -> Iterator[str]:
        n = len(self.prefix)
        return (k[n:] for k in catalogue("id") if k.startswith(self.prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True, slots=True)
class RowIssue:
    """One problem in one row: where (file, row, column), what (code) and why, in id and en."""

    file: str
    row: int  # 1-based line/row number as a person sees it in the file or spreadsheet
    column: str | None
    code: str  # stable machine code, e.g. "invalid_date", "nik_truncated"
    message_id: str  # Bahasa Indonesia
    message_en: str
    severity: Severity = Severity.error
    value: str | None = None  # the offending cell, as read

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = str(self.severity)
        return d


@dataclass(slots=True)
class ImportReport:
    """What an import did. `rejected` rows are kept in quarantine for fixing and re-importing."""

    kind: str
    files: list[str] = field(default_factory=list)
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "files": self.files,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "issues": [i.to_dict() for i in self.issues],
            **self.extra,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def issues_csv(self) -> str:
        """The issues as CSV text (one row per issue), for people who live in Excel."""
        buf = io.StringIO()
        cols = [
            "file",
            "row",
            "column",
            "code",
            "severity",
            "value",
            "message_id",
            "message_en",
        ]
        writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        for issue in self.issues:
            writer.writerow({k: neutralise(v) for k, v in issue.to_dict().items()})
        return buf.getvalue()
