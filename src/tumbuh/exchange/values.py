"""The figures tumbuh sends to other systems: prevalence and coverage per kab/kota.

One function, :func:`routine_figures`, produces them, from the register's routine prevalence
(`tumbuh.surveillance.routine`, the same kernel as the indicator engine); its values and N
equal the engine's ``*_routine`` and ``measured_coverage_any`` items, which pages and
`tumbuh indicators` show (tests/exchange/test_dhis2.py). Severe stunting is exported but is
not a catalogue indicator yet. Exports (DHIS2 JSON/ADX) take its output and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tumbuh.exchange.periods import Period
from tumbuh.surveillance.routine import routine_prevalence

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


@dataclass(frozen=True, slots=True)
class Figure:
    """One value for one kab/kota, period and indicator."""

    region_code: str  # Kemendagri kab/kota code, e.g. 64.72
    region_name: str
    period: Period
    indicator: str  # one of INDICATORS or "coverage"
    value_pct: float
    n: (
        int | None
    )  # denominator: children with a usable z-score (measured, for coverage)


def _inside(code: str, region: str) -> bool:
    return code == region or code.startswith(region + ".")


def routine_figures(
    session: Session, *, region: str, period: Period, small_cell_threshold: int = 5
) -> tuple[list[Figure], int]:
    """Figures per kab/kota inside `region` (a province ``64`` or kab/kota ``64.72``) for
    `period`, and how many cells were withheld because fewer than `small_cell_threshold`
    children stand behind them (the public suppression rule of the routine tables)."""
    rows = routine_prevalence(
        session,
        level="kabkota",
        period=period.tumbuh,
        freq=period.kind,
        indicators=INDICATORS,
        public=True,
        small_cell_threshold=small_cell_threshold,
    )
    figures: list[Figure] = []
    withheld = 0
    covered: set[str] = set()
    for row in rows:
        code = str(row["code"])
        if not _inside(code, region) or row.get("period") != period.tumbuh:
            continue
        if row.get("prevalence") is None:
            withheld += 1
        else:
            figures.append(
                Figure(
                    code,
                    str(row["name"]),
                    period,
                    str(row["indicator"]),
                    round(float(row["prevalence"]), 2),
                    int(row["n"]),
                )
            )
        coverage = row.get("coverage")
        measured = row.get("measured")
        if code not in covered and coverage is not None and measured is not None:
            covered.add(code)
            if int(measured) >= small_cell_threshold:
                figures.append(
                    Figure(
                        code,
                        str(row["name"]),
                        period,
                        "coverage",
                        round(float(coverage), 2),
                        int(measured),
                    )
                )
    figures.sort(key=lambda f: (f.region_code, _order(f.indicator)))
    return figures, withheld


def _order(indicator: str) -> int:
    return (*INDICATORS, "coverage").index(indicator)
