"""The figures tumbuh sends to other systems: prevalence and coverage per kab/kota.

One function, :func:`routine_figures`, produces them, and it reads them from the indicator
engine (`tumbuh.reports.engine`): what DHIS2 receives for a kab/kota is the catalogue's
``*_routine`` and ``measured_coverage_any`` items that pages, `tumbuh indicators`, the API
and the Rakor pack show, value and N alike (tests/exchange/test_dhis2.py). Exports (DHIS2
JSON/ADX) take its output and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from tumbuh.exchange.periods import Period
from tumbuh.reports import repository
from tumbuh.reports.engine import compute_from, suppress_small

__all__ = ["INDICATORS", "Figure", "routine_figures"]

#: Prevalence indicators exported (WHO cut-offs, latest measurement per child and period),
#: plus ``coverage``: children measured / children registered, per cent.
INDICATORS: tuple[str, ...] = (
    "stunting",
    "severe_stunting",
    "wasting",
    "underweight",
    "overweight",
)
#: The catalogue indicator behind each exported one.
CATALOGUE_CODE: dict[str, str] = {
    **{i: f"{i}_routine" for i in INDICATORS},
    "coverage": "measured_coverage_any",
}


@dataclass(frozen=True, slots=True)
class Figure:
    """One value for one kab/kota, period and indicator."""

    region_code: str  # Kemendagri kab/kota code, e.g. 64.72
    region_name: str
    period: Period
    indicator: str  # one of INDICATORS or "coverage"
    value_pct: float
    n: int | None  # children with a usable z-score (children measured, for coverage)


def _inside(code: str, region: str) -> bool:
    return code == region or code.startswith(region + ".")


def routine_figures(
    session: Session, *, region: str, period: Period, small_cell_threshold: int = 5
) -> tuple[list[Figure], int]:
    """Figures per kab/kota inside `region` (a province ``64`` or kab/kota ``64.72``) for
    `period`, and how many cells were withheld because fewer than `small_cell_threshold`
    children stand behind them (the engine's viewer suppression, secondary included; a
    coverage cell also needs that many children measured)."""
    tables = repository.load(session, region=region)
    table = compute_from(tables, period=period.tumbuh)
    items = suppress_small(
        table.items, threshold=small_cell_threshold, posyandu_desa=table.posyandu_desa
    )
    wanted = {v: k for k, v in CATALOGUE_CODE.items()}
    rows = items.loc[
        (items["level"] == "kabkota")
        & items["indicator"].isin(list(wanted))
        & items["region_code"].map(lambda c: _inside(str(c), region))
    ]
    names = repository.region_names(tables)
    figures: list[Figure] = []
    withheld = 0
    for row in rows.to_dict("records"):
        indicator = wanted[str(row["indicator"])]
        value = _float_or_none(row["value"])
        count = _float_or_none(
            row["numerator" if indicator == "coverage" else "denominator"]
        )
        if (
            bool(row["suppressed"])
            or value is None
            or count is None
            or count < small_cell_threshold
        ):
            withheld += 1
            continue
        code = str(row["region_code"])
        figures.append(
            Figure(
                code,
                str(names.get(code, code)),
                period,
                indicator,
                round(value, 2),
                int(count),
            )
        )
    figures.sort(key=lambda f: (f.region_code, _order(f.indicator)))
    return figures, withheld


def _float_or_none(value: Any) -> float | None:
    """An engine figure (a float, NaN when not computed) as a float or None; no text to
    parse here, file cells go through tumbuh.tabular.parse."""
    return None if value is None or pd.isna(value) else float(value)


def _order(indicator: str) -> int:
    return (*INDICATORS, "coverage").index(indicator)
