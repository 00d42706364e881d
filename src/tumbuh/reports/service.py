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

from tumbuh.reports import engine

__all__ = ["IndicatorReport", "region_indicators"]


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
) -> IndicatorReport:
    """Indicators of `region` itself (level None) or of its areas at `level`.

    ``suppress_below``: the small-cell threshold for viewers and public output (None: no
    suppression, for users allowed to see the register's personal data).
    """
    engine.level_of(region)  # a clear error for a malformed code before any read
    table = engine.compute(
        session,
        period=period,
        region=region,
        welfare_max_decile=welfare_max_decile,
        today=today,
    )
    items = engine.select(table, region=region, level=level)
    if suppress_below is not None:
        items = engine.suppress_small(
            items, threshold=suppress_below, posyandu_desa=table.posyandu_desa
        )
    return IndicatorReport(period=table.period, items=items)
