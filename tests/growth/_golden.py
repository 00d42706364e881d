"""Helpers to read the R-generated golden CSV files (tests/data/reference)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"


def read_rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def num(rows: list[dict[str, str]], col: str) -> NDArray[np.float64]:
    """Column as float64: empty → NaN; 'NaN', 'Inf', '-Inf' parsed."""
    vals = [r[col] for r in rows]
    return np.array(
        [np.nan if v == "" else float(v.replace("Inf", "inf")) for v in vals],
        dtype=np.float64,
    )


def text(rows: list[dict[str, str]], col: str) -> list[str | None]:
    """Column as text with empty → None (R NA)."""
    return [r[col] if r[col] != "" else None for r in rows]
