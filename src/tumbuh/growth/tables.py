"""Packaged WHO LMS tables, loaded once into dense float64 arrays.

Each table becomes three flat arrays ``L``, ``M``, ``S`` laid out as
``[sex 1 block | sex 2 block | sentinel]``; a row is looked up by integer
indexing (``L[index]``) and rows that must not be scored point at the final
sentinel entry, whose L, M and S are NaN, so that NaN propagates without a
separate mask. Tables are read from ``tumbuh/growth/data`` (see ``SOURCE.md``
there); runtime code never reads anything else.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import NDArray

from tumbuh.growth.indicators import INDICATORS, Indicator

__all__ = ["LmsTable", "LengthTables", "length_tables", "lms_table"]

_DATA = "tumbuh.growth.data"


@dataclass(frozen=True)
class LmsTable:
    """Dense LMS arrays of one table.

    ``index = (sex - 1) * stride + (x - first)`` for whole-number ``x`` (days
    or months); ``sentinel`` is the index of the NaN entry.
    """

    L: NDArray[np.float64]
    M: NDArray[np.float64]
    S: NDArray[np.float64]
    #: L * S, precomputed (the same double as computing it per row).
    LS: NDArray[np.float64]
    first: int
    last: int
    stride: int

    @property
    def sentinel(self) -> int:
        return 2 * self.stride

    @functools.cached_property
    def l_is_one(self) -> bool:
        """True when every L is 1 (the z formula needs no power then)."""
        finite = self.L[np.isfinite(self.L)]
        return bool(np.all(finite == 1.0))


def _read_rows(name: str) -> list[list[str]]:
    text = resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    return rows[1:]


@functools.cache
def lms_table(indicator: Indicator) -> LmsTable:
    """Return the dense LMS table of an age-indexed indicator (days or months)."""
    spec = INDICATORS[indicator]
    if spec.x == "length_cm":
        raise ValueError(f"{indicator.value} is indexed by length; use length_tables()")
    rows = _read_rows(spec.table)
    # The 2006 age tables all run to 1826 days so that the day index is the
    # same for every indicator (arm circumference and skinfolds are NaN below
    # 91 days); the 2007 tables start at 60 months.
    first = 0 if spec.x == "age_days" else int(min(float(r[1]) for r in rows))
    last = int(max(float(r[1]) for r in rows))
    stride = last - first + 1
    arrays = [np.full(2 * stride + 1, np.nan) for _ in range(3)]
    for row in rows:
        sex, x = int(row[0]), int(float(row[1]))
        pos = (sex - 1) * stride + (x - first)
        for k in range(3):
            arrays[k][pos] = float(row[2 + k])
    arrays.append(arrays[0] * arrays[2])
    for a in arrays:
        a.flags.writeable = False
    return LmsTable(arrays[0], arrays[1], arrays[2], arrays[3], first, last, stride)


@dataclass(frozen=True, slots=True)
class LengthTables:
    """Weight-for-length (0) and weight-for-height (1) tables in one array.

    The row for table ``t``, sex ``s`` (1/2) and tenth-of-a-centimetre ``k``
    (``k = trunc(10 * length)``) sits at ``offset[2 * t + s - 1] + k``. Each
    block carries one padding entry after its last length (a copy of it) so
    that the "upper" neighbour of the last length exists; its weight in the
    interpolation is then zero.
    """

    L: NDArray[np.float64]
    M: NDArray[np.float64]
    S: NDArray[np.float64]
    offset: NDArray[np.intp]
    sentinel: int
    #: Inclusive length ranges (cm) of the two tables.
    ranges: tuple[tuple[float, float], tuple[float, float]]


@functools.cache
def length_tables() -> LengthTables:
    """Return the weight-for-length and weight-for-height tables."""
    blocks: list[tuple[int, list[list[float]]]] = []
    ranges: list[tuple[float, float]] = []
    for ind in (Indicator.weight_for_length, Indicator.weight_for_height):
        rows = _read_rows(INDICATORS[ind].table)
        ranges.append(INDICATORS[ind].valid_range)
        for sex in (1, 2):
            sub = sorted(
                (float(r[1]), float(r[2]), float(r[3]), float(r[4]))
                for r in rows
                if int(r[0]) == sex
            )
            k0 = round(sub[0][0] * 10)
            if [round(r[0] * 10) for r in sub] != list(range(k0, k0 + len(sub))):
                raise RuntimeError(
                    f"{INDICATORS[ind].table}: lengths are not a 0.1 cm grid"
                )
            blocks.append((k0, [list(r[1:]) for r in sub] + [list(sub[-1][1:])]))
    size = sum(len(b) for _, b in blocks) + 1
    lms = np.full((3, size), np.nan)
    offset = np.empty(4, dtype=np.intp)
    pos = 0
    for i, (k0, block) in enumerate(blocks):
        lms[:, pos : pos + len(block)] = np.array(block).T
        offset[i] = pos - k0
        pos += len(block)
    L, M, S = (np.ascontiguousarray(lms[k]) for k in range(3))
    for a in (L, M, S, offset):
        a.flags.writeable = False
    return LengthTables(L, M, S, offset, size - 1, (ranges[0], ranges[1]))
