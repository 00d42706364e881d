"""Declared columns of a tabular format and the one header vocabulary (issue 13).

Every reader of user files (the importers in `tumbuh.imports`, the z-score and prevalence
commands, the published-figure import) compares a file's headers with the spellings it
accepts through `header_key`, so `Tgl. Lahir`, `tgl_lahir`, `TGL LAHIR` and `Kab / Kota`
mean the same to all of them. A format declares its columns once, as `Column`s in a
`Columns`: the field it fills, the header spellings it accepts (the first is the one named
in messages), whether a file without it is refused, and what its cells are (`Cells`:
text cut to a width, numbers, dates, sex codes; whether every row needs a value; for
numbers whether 0 means "not measured" and whether a negative is allowed). The import
framework (`imports.base.ChunkImport`) parses a column and reports its bad cells from
this declaration with the shared parsers (`tabular.parse`).

This module lives in `tumbuh.tabular` (below the domains in the layer contract) so that
the CLI's survey reader and the surveillance import use it as the importers do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Cells", "Column", "Columns", "header_key"]

# Punctuation that people and exports put between the words of a header.
_PUNCT = re.compile(r"[_\-/().:,\[\]#*]+")
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")


def header_key(name: str) -> str:
    """The header as compared: lower case, punctuation and blanks (NBSP too) as one space.

    `  Tgl. Lahir ` → `tgl lahir`; `Kab / Kota` → `kab kota`; `tgl_lahir` → `tgl lahir`.
    """
    text = name.replace("\ufeff", "").lower()
    text = _PUNCT.sub(" ", text)
    return " ".join(_SPACES.split(text)).strip()


class Cells(StrEnum):
    """What a column's cells are, hence how they are parsed (`tabular.parse`)."""

    text = "text"  # kept as written (trimmed; blank, `-`, `NA` are missing)
    number = "number"  # parse_number: decimal comma or point, thousands separators
    date = "date"  # parse_date: ISO, d/m/y, month names, Excel serials
    sex = "sex"  # parse_sex: L/P, Laki-laki/Perempuan, M/F, 1/2
    code = "code"  # read by the format (a code list, NIK, No KK, RT/RW...)


@dataclass(frozen=True)
class Column:
    """One declared column: the field it fills, its accepted headers (the first is the
    one shown in messages), whether a file must have it, and what its cells are.

    ``row_required``: every row needs a readable value; a row without one is rejected
    (elsewhere an unreadable cell is a warning and the value is left out).
    ``width``: text longer than this is cut (and the cut reported).
    ``zero_is_missing``: a number 0 means "not measured" (e-PPGBM's measurements).
    ``negative``: whether a negative number is a value (else reported and left out).
    ``bounds``: (low, high) of a number; outside is reported and left out.
    ``whole``: a count (whole numbers; ``1.234`` and ``1,234`` are thousands).
    ``percent``: a percentage; a trailing ``%`` is allowed.
    """

    field: str
    aliases: tuple[str, ...]
    required: bool = False
    cells: Cells = Cells.text
    row_required: bool = False
    width: int | None = None
    zero_is_missing: bool = False
    negative: bool = True
    bounds: tuple[float, float] | None = None
    whole: bool = False
    percent: bool = False

    @property
    def shown(self) -> str:
        return self.aliases[0]


class Columns:
    """A format's declared columns; `match` maps a file's headers onto them."""

    def __init__(self, *columns: Column) -> None:
        self.columns = columns
        self.by_field: dict[str, Column] = {}
        owner: dict[str, str] = {}
        self._field_of = owner
        for col in columns:
            if col.field in self.by_field:
                raise ValueError(f"column {col.field!r} declared twice")
            self.by_field[col.field] = col
            for alias in col.aliases:
                key = header_key(alias)
                if owner.setdefault(key, col.field) != col.field:
                    raise ValueError(
                        f"header {alias!r} declared for {owner[key]!r} and {col.field!r}"
                    )

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    def __getitem__(self, fld: str) -> Column:
        return self.by_field[fld]

    def __contains__(self, fld: object) -> bool:
        return fld in self.by_field

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:
        """{field: accepted headers} (the alias table, for documentation and tests)."""
        return {c.field: c.aliases for c in self.columns}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns if c.required)

    def field_of(self, header: str) -> str | None:
        """The declared field whose aliases include `header` (None: not declared)."""
        return self._field_of.get(header_key(header))

    def match(self, headers: Iterable[str]) -> dict[str, str]:
        """{field: header as written in the file} for each declared field the file has.

        A field takes its first alias found among the headers; of two headers with the
        same key, the first in the file.
        """
        by_key: dict[str, str] = {}
        for header in headers:
            by_key.setdefault(header_key(header), header)
        found: dict[str, str] = {}
        for col in self.columns:
            for alias in col.aliases:
                hit = by_key.get(header_key(alias))
                if hit is not None:
                    found[col.field] = hit
                    break
        return found

    def missing(self, found: Iterable[str]) -> list[Column]:
        """The required columns that are not among `found` (fields), in declared order."""
        have = set(found)
        return [c for c in self.columns if c.required and c.field not in have]
