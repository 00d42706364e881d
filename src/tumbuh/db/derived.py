"""Stored derived results: whole-province computations (page panels) kept per key and data
generation, so that a freshly started server reads them instead of recomputing them.

The table holds one row per key (the latest generation computed); `tumbuh.web.cache` writes
and reads it. Values are pickles written by this program only (never user input).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tumbuh.db.base import Base


class DerivedResult(Base):
    __tablename__ = "derived_results"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    generation: Mapped[str] = mapped_column(String(200))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))
    seconds: Mapped[float] = mapped_column(Float)  # time the computation took
    value: Mapped[bytes] = mapped_column(LargeBinary)
