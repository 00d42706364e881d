"""Limits on a file before it is imported: its size, its rows and (XLSX) its unpacked size.

A 30 KB XLSX can unpack to hundreds of MB of sheet XML (a "zip bomb"); the declared sizes
in the zip's directory are checked before any member is opened. Python's zipfile never
inflates a member past its declared size (it fails the CRC check instead), so the declared
sizes bound the work. Rows are counted before the import writes anything, so a refused
file leaves the database as it was.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from tumbuh.config import Settings
from tumbuh.errors import ImportFileError
from tumbuh.i18n import Message
from tumbuh.imports.normalise import MESSAGES
from tumbuh.tabular.readers import TableSource

MB = 1024 * 1024
_ROW_TAG = b"<row"


@dataclass(frozen=True)
class ImportLimits:
    """The limits (0 turns one off); defaults are those of `tumbuh.config.Settings`."""

    max_upload_bytes: int = 100 * MB
    max_rows: int = 1_000_000
    max_unzipped_bytes: int = 200 * MB

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        return cls(
            max_upload_bytes=int(settings.import_max_upload_mb * MB),
            max_rows=settings.import_max_rows,
            max_unzipped_bytes=int(settings.import_max_unzipped_mb * MB),
        )


class ImportLimitError(ImportFileError):
    """A file over one of the limits: names the file and the limit, in both languages."""

    def __init__(self, file: str, code: str, limit: str) -> None:
        msg_id, msg_en = MESSAGES[code]
        self.file = file
        self.limit = limit
        self.message_id = f"{file}: {msg_id.format(value=limit)}"
        self.message_en = f"{file}: {msg_en.format(value=limit)}"
        super().__init__(
            f"{self.message_id} / {self.message_en}",
            code=code,
            status=413,
            # The same, as a catalogue message (stored with an import job, said at
            # display).
            said=file_message(file, f"issue.{code}", value=limit),
        )


def file_message(file: str, key: str, **values: str) -> Message:
    """'FILE: text of key' as a catalogue message (``imp.job.in_file``)."""
    return Message.of("imp.job.in_file", file=file, text=(Message.of(key, **values),))


def megabytes(n: int) -> str:
    return f"{n / MB:.3g} MB"


def check_size(file: str, size: int, limits: ImportLimits) -> None:
    if limits.max_upload_bytes and size > limits.max_upload_bytes:
        raise ImportLimitError(
            file, "file_too_large", megabytes(limits.max_upload_bytes)
        )


def check_unzipped(
    path: Path, limits: ImportLimits, *, file: str | None = None
) -> None:
    """An XLSX whose members unpack to more than the limit is refused unopened."""
    name = file or path.name
    if not limits.max_unzipped_bytes or not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as zf:
        total = sum(info.file_size for info in zf.infolist())
    if total > limits.max_unzipped_bytes:
        raise ImportLimitError(
            name, "unzipped_too_large", megabytes(limits.max_unzipped_bytes)
        )


def _xlsx_rows(path: Path, sheet_member: str) -> int:
    """`<row` elements of a sheet, counted while inflating the member (no XML parsing)."""
    count = 0
    tail = b""
    with zipfile.ZipFile(path) as zf, zf.open(sheet_member) as fh:
        while block := fh.read(1 << 20):
            data = tail + block
            count += data.count(_ROW_TAG)
            # Keep the last bytes: a tag cut by the block boundary is counted once.
            keep = len(_ROW_TAG) - 1
            tail = data[-keep:]
            count -= tail.count(_ROW_TAG)
    return count + tail.count(_ROW_TAG)


def _sheets(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]


def count_rows(source: TableSource) -> int:
    """Data rows of an opened table (an upper bound for XLSX: every row element counts)."""
    if source.format == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(source.path).metadata.num_rows)
    if source.format == "xlsx":
        try:
            # The largest sheet: an upper bound whichever sheet the reader took.
            rows = max(
                (_xlsx_rows(source.path, m) for m in _sheets(source.path)), default=0
            )
            return max(0, rows - source.header_line)
        except (zipfile.BadZipFile, zlib.error, KeyError):
            pass  # the reader reports the damage
    return sum(chunk.num_rows for chunk in source.chunks(text=False))


def check_rows(file: str, rows: int, limits: ImportLimits) -> None:
    if limits.max_rows and rows > limits.max_rows:
        raise ImportLimitError(file, "too_many_rows", f"{limits.max_rows:,}")
