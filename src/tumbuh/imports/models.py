"""Import jobs: one uploaded (or queued) file waiting for, going through or done with its import."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tumbuh.db.base import Base


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ImportJob(Base):
    """A file to import in the background; one job runs at a time, in the order queued."""

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # eppgbm | families | screenings
    file_name: Mapped[str] = mapped_column(String(255))  # as the user named it
    stored_path: Mapped[str] = mapped_column(String(1024))  # the server's copy
    status: Mapped[str] = mapped_column(String(8), default=JobStatus.queued)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Progress: rows read so far, of the file's rows (counted before the import starts).
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    # A failed job: a stable code, and what to say as catalogue keys with their parameters
    # (`tumbuh.i18n.dumps`), rendered in the reader's language; a job finished before
    # migration 0016 holds its sentences ("teks / text"), shown as they are.
    error_code: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    # The finished report (counts and the first issues), as ImportReport.to_dict() gives it.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Written with each progress step: a running job whose heartbeat stopped was interrupted.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
