"""Column headers → canonical anthropometric inputs (Indonesian, English and WHO names)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from tumbuh.tabular.columns import Column, Columns, header_key

__all__ = [
    "ALIASES",
    "ColumnMapping",
    "map_columns",
    "normalize_header",
]

Canonical = Literal[
    "sex",
    "age",
    "age_is_months",
    "birth_date",
    "measure_date",
    "weight",
    "lenhei",
    "measure",
    "oedema",
    "headc",
    "armc",
    "triskin",
    "subskin",
]

# Header spellings per canonical input, written already normalised (see normalize_header).
# Sources: e-PPGBM exports and Kemenkes templates (Indonesian), WHO anthro / anthroplus
# argument and column names, and common English headers.
ALIASES: dict[str, tuple[str, ...]] = {
    "sex": ("jk", "jenis kelamin", "kelamin", "sex", "gender", "l p"),
    "age": (
        "umur", "usia", "age", "usia bulan", "umur bulan", "usia bln", "umur bln",
        "usia hari", "umur hari", "age days", "age in days", "age months",
        "age in months", "age mo", "agemons", "agedays", "usia dalam bulan",
        "umur dalam bulan", "usia dalam hari", "umur dalam hari",
    ),
    "age_is_months": ("is age in month", "is age in months", "age in month flag"),
    "birth_date": (
        "tgl lahir", "tanggal lahir", "dob", "date of birth", "birth date",
        "birthdate", "tgl lhr", "tanggal lhr",
    ),
    "measure_date": (
        "tanggal pengukuran", "tgl ukur", "tgl pengukuran", "tanggal ukur", "date",
        "measurement date", "date of measurement", "tanggal", "tgl", "visit date",
        "date of visit", "tanggal penimbangan", "tgl penimbangan",
    ),
    "weight": (
        "berat", "bb", "berat badan", "weight", "weight kg", "weight in kg",
        "berat kg", "bb kg", "berat badan kg", "wt",
    ),
    "lenhei": (
        "tinggi", "tb", "pb", "tinggi badan", "panjang badan", "height", "length",
        "lenhei", "height in cm", "height cm", "length cm", "length in cm",
        "tb pb", "pb tb", "tinggi cm", "tb cm", "pb cm", "tinggi badan cm",
        "panjang badan cm", "panjang tinggi badan", "tinggi panjang badan", "length height",
        "height length", "ht",
    ),
    "measure": (
        "cara ukur", "measure", "cara pengukuran", "posisi", "posisi ukur",
        "posisi pengukuran", "loh", "lorh", "measure type", "position",
    ),
    "oedema": ("edema", "oedema", "edema bilateral", "oedema bilateral", "bengkak"),
    "headc": (
        "lingkar kepala", "lk", "headc", "head circumference", "hc",
        "lingkar kepala cm", "lk cm",
    ),
    "armc": (
        "lila", "muac", "armc", "lingkar lengan atas", "arm circumference",
        "lila cm", "lingkar lengan", "lingkar lengan atas cm",
    ),
    "triskin": ("triskin", "triceps", "triceps skinfold", "tebal lipatan kulit trisep"),
    "subskin": (
        "subskin", "subscapular", "subscapular skinfold", "tebal lipatan kulit subskapula",
    ),
}  # fmt: skip

_MONTH_WORDS = re.compile(r"\b(bulan|bln|months?|mo|mons)\b")
_DAY_WORDS = re.compile(r"\b(hari|days?)\b")

# The declaration (one mechanism for every reader: tabular.columns).
COLUMNS = Columns(*(Column(canon, names) for canon, names in ALIASES.items()))


def normalize_header(name: str) -> str:
    """Lower-case, NBSP/underscore/punctuation → space, blanks collapsed (the one header
    vocabulary: `tabular.columns.header_key`)."""
    return header_key(name)


@dataclass
class ColumnMapping:
    """Which file column feeds each canonical input.

    ``fields`` maps canonical name → column name as given. ``ambiguous`` lists canonical
    inputs that more than one column could feed (the first one is used); ``unmatched``
    the columns that feed nothing. ``age_unit`` is ``"months"`` or ``"days"`` when the
    age column's name says so (``Usia (bulan)``, ``age_in_months``), else None.
    """

    fields: dict[str, str] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    age_unit: Literal["days", "months"] | None = None

    def get(self, canonical: str) -> str | None:
        return self.fields.get(canonical)


def map_columns(
    columns: Sequence[str], *, overrides: dict[str, str] | None = None
) -> ColumnMapping:
    """Match headers to canonical inputs, case- and space-insensitively.

    ``overrides`` (canonical → column name) wins over the aliases.
    """
    result = ColumnMapping()
    claimed: dict[str, list[str]] = {}
    for col in columns:
        canon = COLUMNS.field_of(col)
        if canon is None:
            result.unmatched.append(col)
        else:
            claimed.setdefault(canon, []).append(col)
    for canon, cols in claimed.items():
        result.fields[canon] = cols[0]
        if len(cols) > 1:
            result.ambiguous[canon] = cols
            result.unmatched.extend(cols[1:])
    for canon, col in (overrides or {}).items():
        if canon not in ALIASES:
            raise ValueError(f"unknown canonical input {canon!r}")
        if col not in columns:
            raise ValueError(f"no column {col!r} to map to {canon!r}")
        result.fields[canon] = col
        if col in result.unmatched:
            result.unmatched.remove(col)
    age = result.fields.get("age")
    if age is not None:
        norm = normalize_header(age)
        if _MONTH_WORDS.search(norm):
            result.age_unit = "months"
        elif _DAY_WORDS.search(norm):
            result.age_unit = "days"
    result.unmatched = [c for c in columns if c in result.unmatched]
    return result
