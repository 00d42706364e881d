"""Early warning with its period: routine series judge the period chosen by completeness."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tumbuh.reports.periods import PeriodChoice, default_period
from tumbuh.surveillance import service
from tumbuh.surveillance.models import FigureKind
from tumbuh.surveillance.service import WarningReport

_FREQS = ("year", "quarter", "month")
_REGISTER_ONLY = (
    "kecamatan",
    "desa",
    "posyandu",
)  # no published figures below kab/kota
_LABEL = re.compile(r"^\s*\d{4}(-(\d{2}|Q[1-4]))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class WarningResult:
    """The report, the period it judges and how that period was chosen."""

    report: WarningReport
    period: str
    choice: PeriodChoice | None

    def note(self, lang: str = "id") -> str | None:
        return None if self.choice is None else self.choice.note(lang)

    def to_dict(self, *, language: str = "id") -> dict[str, Any]:
        return {
            "period": self.period,
            "period_choice": None if self.choice is None else self.choice.to_dict(),
            "note": self.note(language),
            "items": self.report.to_list(language=language),
        }


def split_period(period: str) -> tuple[str, str | None]:
    """``--period``: a frequency (year, quarter, month) or one period (2025, 2025-Q3,
    2025-08) -> (frequency, period judged or None)."""
    text = period.strip().lower()
    if text in _FREQS:
        return text, None
    if _LABEL.match(text):
        freq = "year" if len(text) == 4 else ("quarter" if "q" in text else "month")
        return freq, text.upper()
    return text, None  # the service names the unknown frequency


def early_warning(
    session: Session,
    *,
    kind: FigureKind,
    level: str,
    year: int | None = None,
    period: str = "year",
    **options: Any,
) -> WarningResult:
    """`surveillance.service.early_warning`, with the routine period chosen by completeness.

    Routine figures from the register judge, without ``year`` or an explicit period, the
    latest complete year (or month, with ``period="month"``); see docs/periods.md.
    """
    freq, judge = split_period(period)
    choice: PeriodChoice | None = None
    published = options.get("register") is False and level not in _REGISTER_ONLY
    routine = (
        kind == FigureKind.routine and not published and service.has_register(session)
    )
    if routine and judge is None:
        if year is not None:
            judge = str(year) if freq == "year" else None
        elif freq in {"year", "month"}:
            choice = default_period(
                session, kind="month" if freq == "month" else "year"
            )
            judge = choice.label
        else:
            choice = default_period(session, kind="year")
            year = None if choice.period is None else choice.period.year
    report = service.early_warning(
        session,
        kind=kind,
        level=level,
        year=year,
        period=freq,
        judge=judge,
        **options,
    )
    judged = judge or _latest_period(report)
    return WarningResult(report=report, period=judged, choice=choice)


def _latest_period(report: WarningReport) -> str:
    periods = [str(i.extra["period"]) for i in report.items if i.extra.get("period")]
    return max(periods) if periods else str(report.year)
