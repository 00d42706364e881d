"""DHIS2 period identifiers (``2025``, ``202508``, ``2025Q3``) and their ADX/ISO 8601 and
tumbuh forms (``2025-08-01/P1M``; ``2025-08``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tumbuh.errors import InvalidInput

__all__ = ["Period", "parse_period"]

_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_ADX = re.compile(r"^(\d{4})-(\d{2})-01/P(1Y|1M|3M)$")


@dataclass(frozen=True, slots=True)
class Period:
    """One reporting period: a year, a quarter or a month."""

    year: int
    kind: str  # "year" | "quarter" | "month"
    number: int = 0  # quarter 1-4 or month 1-12 (0 for a year)

    @property
    def dhis2(self) -> str:
        """The DHIS2 identifier: ``2025``, ``2025Q3``, ``202508``."""
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}Q{self.number}"
        return f"{self.year}{self.number:02d}"

    @property
    def tumbuh(self) -> str:
        """The label tumbuh's routine figures use: ``2025``, ``2025-Q3``, ``2025-08``."""
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    @property
    def adx(self) -> str:
        """ADX (ISO 8601 start/duration): ``2025-01-01/P1Y``, ``2025-07-01/P3M``."""
        if self.kind == "year":
            return f"{self.year}-01-01/P1Y"
        if self.kind == "quarter":
            return f"{self.year}-{3 * self.number - 2:02d}-01/P3M"
        return f"{self.year}-{self.number:02d}-01/P1M"


def parse_period(text: str) -> Period:
    """A DHIS2 period (``2025``, ``2025Q3``, ``202508``) or an ADX one
    (``2025-08-01/P1M``); raises :class:`InvalidInput` naming the accepted forms."""
    t = text.strip().upper()
    if m := _YEAR.match(t):
        return Period(int(m[1]), "year")
    if m := _MONTH.match(t):
        return Period(int(m[1]), "month", int(m[2]))
    if m := _QUARTER.match(t):
        return Period(int(m[1]), "quarter", int(m[2]))
    if m := _ADX.match(t):
        month = int(m[2])
        if m[3] == "1Y" and month == 1:
            return Period(int(m[1]), "year")
        if m[3] == "1M" and 1 <= month <= 12:
            return Period(int(m[1]), "month", month)
        if m[3] == "3M" and month in (1, 4, 7, 10):
            return Period(int(m[1]), "quarter", (month + 2) // 3)
    raise InvalidInput(
        f"period {text!r}: use DHIS2 period syntax, a year (2025), a quarter (2025Q3) "
        "or a month (202508)"
    )
