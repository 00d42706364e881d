"""The meeting pack as data: sections with one message each, tables and an optional map.

Renderers (PDF, slides, workbook) read this and add nothing: every number they show is here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from tumbuh.reports.rakor.words import Lang

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    key: str  # the workbook's sheet name
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    message: str  # the one message of the slide
    tables: list[Table] = field(default_factory=list)
    image: bytes | None = None  # PNG (the map)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Pack:
    region: str
    region_name: str
    level: str  # province | kabkota
    child_level: str
    period: str
    lang: Lang
    audience: str  # public | restricted
    made_on: dt.date
    threshold: int | None  # small-cell threshold applied (None: restricted)
    sections: list[Section]
    own_items: pd.DataFrame  # engine.ITEM_COLUMNS of the region itself
    child_items: pd.DataFrame  # of the regions one level down

    @property
    def stem(self) -> str:
        return f"rakor-{self.region}-{self.period}"
