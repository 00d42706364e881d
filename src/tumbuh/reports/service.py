"""The one function delivery calls for indicators: parse nothing, compute, scope, suppress.

Routes and CLI commands pass the region, period and level they parsed and render what this
returns; the same arguments give the same items through every channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput
from tumbuh.reports import engine, periods

__all__ = [
    "IndicatorReport",
    "default_label",
    "forecast_table",
    "krs_counts",
    "region_indicators",
]


def default_label(
    session: Session, *, region: str | None, today: dt.date | None = None
) -> str:
    """The default period of every indicator output: the latest closed year whose
    measurements are complete (reports.periods, by desa completeness), never the year of
    the newest row."""
    choice = periods.default_period(session, kind="year", region=region, as_of=today)
    if choice.label is None:
        raise InvalidInput(
            "no complete closed year of measurements to default to: pass --period "
            "(e.g. 2025)"
        )
    return choice.label


@dataclass(frozen=True)
class IndicatorReport:
    period: str
    items: pd.DataFrame  # engine.ITEM_COLUMNS

    def to_dict(self) -> dict[str, Any]:
        """``{"period": P, "items": [...]}``, the JSON of the CLI and of the API."""
        return {"period": self.period, "items": engine.to_records(self.items)}


def region_indicators(
    session: Session,
    *,
    region: str,
    period: str | None = None,
    level: str | None = None,
    suppress_below: int | None = None,
    welfare_max_decile: int = engine.WELFARE_ELIGIBLE_MAX_DECILE,
    today: dt.date | None = None,
    computed: engine.IndicatorTable | None = None,
) -> IndicatorReport:
    """Indicators of `region` itself (level None) or of its areas at `level`.

    ``suppress_below``: the small-cell threshold for viewers and public output (None: no
    suppression, for users allowed to see the register's personal data). ``computed``: an
    engine result for `period` over a region containing `region` (e.g. the province's,
    kept per data generation by the web cache), used instead of computing again.
    """
    engine.level_of(region)  # a clear error for a malformed code before any read
    province = region.split(".")[0]
    if period is None and computed is None:
        period = default_label(session, region=province, today=today)
    # Always over the whole province: a child measured in two kab/kota counts where its
    # latest measurement is, whichever region is asked for (one number everywhere).
    table = computed or engine.compute(
        session,
        period=period,
        region=province,
        welfare_max_decile=welfare_max_decile,
        today=today,
    )
    items = engine.select(table, region=region, level=level)
    if suppress_below is not None:
        items = engine.suppress_small(
            items, threshold=suppress_below, posyandu_desa=table.posyandu_desa
        )
    return IndicatorReport(period=table.period, items=items)


def krs_counts(
    session: Session, *, period: str, level: str, within: str | None = None
) -> dict[str, int]:
    """``krs_families`` of the engine per region of `level` (under `within`): the one KRS
    count that every page, command and export shows."""
    from tumbuh.reports import repository

    tables = repository.load_families(
        session, region=within.split(".")[0] if within else None
    )
    table = engine.krs_families(tables, period=period)
    rows = table.loc[table["level"] == level]
    if within:
        rows = rows.loc[rows["region_code"].astype(str).str.startswith(within)]
    return {
        str(c): int(v)
        for c, v in zip(rows["region_code"], rows["krs_families"], strict=True)
    }


def forecast_table(
    session: Session, *, level: str, year: int | None, within: str | None
) -> pd.DataFrame:
    """`tumbuh forecast`'s table with ``krs_families`` read from the engine.

    The forecast of year Y is made from the register before 1 January Y, so its families
    at risk (and its children measured and stunted now) are the engine's for the period Y-1 (ages at 31 December Y-1), the same number
    `tumbuh coverage --year Y-1` and the indicator pages show. The stored risk scores keep
    their own ``krs`` flag for the model; it is not shown as a count.
    """
    from tumbuh.risk.forecast import forecast

    table = forecast(session, level=level, year=year, within=within)
    if table.empty:
        return table
    counts = krs_counts(
        session, period=str(int(table["year"].iloc[0]) - 1), level=level, within=within
    )
    table["krs_families"] = [counts.get(str(c), 0) for c in table["code"]]
    # Children measured and stunted now: the engine's `measured` and `stunting_routine` of
    # the same period (not the forecast's own count), as the region page's headline.
    from tumbuh.reports import repository

    period = str(int(table["year"].iloc[0]) - 1)
    now = engine.measured_counts(
        repository.load_measurements(
            session, region=within.split(".")[0] if within else None
        ),
        period=period,
    )
    now = now.loc[now["level"] == level].set_index("region_code")
    codes = table["code"].astype(str)
    table["current_measured"] = codes.map(now["measured"]).fillna(0).astype(int)
    table["current_stunted"] = codes.map(now["stunted"]).fillna(0).astype(int)
    table["current_prevalence_pct"] = codes.map(now["stunting_pct"]).astype("float64")
    return table
