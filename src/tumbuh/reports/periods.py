"""Reporting periods chosen by completeness, never by the date of the newest row.

The default period of an output is the latest *closed* period whose data are *complete*:
at least ``settings.period_completeness_threshold`` (80 % by default) of the desa that
reported in the comparable earlier period have reported in it. The comparable earlier
period of a year is the year before; of a month, the same month a year earlier (weighing
months such as Februari and Agustus are busier than the others, so the month before is
not comparable), or the latest earlier complete month when that month has no data. The first
period with data has nothing to compare with and counts as complete.

Rows dated in a later, incomplete or still open period, or after the reference date
("future" rows), are counted and named in a data-quality note; they never move the
default. A single measurement dated January of next year therefore leaves the default
at this year once this year is over. See docs/periods.md.

Everything here runs on a desa × period table of row counts (one SQL ``GROUP BY``), so
choosing a period costs one aggregate query, not a read of the register.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput
from tumbuh.i18n import Message, neutral

PeriodKind = Literal["year", "month"]
_NOTE_PERIODS = 3  # later periods named one by one in the note; the rest summed
_LABEL = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?\s*$")


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    """A calendar year ("2025") or month ("2025-08")."""

    year: int
    month: int | None = None

    @classmethod
    def parse(cls, text: str | int) -> ReportingPeriod:
        """'2025' -> the year 2025; '2025-08' -> August 2025."""
        m = _LABEL.match(str(text))
        if not m:
            raise InvalidInput(
                f"period {text!r} is not a year (2025) or a month (2025-08)"
            )
        year = int(m.group(1))
        month = int(m.group(2)) if m.group(2) else None
        if not 1900 <= year <= 2999 or (month is not None and not 1 <= month <= 12):
            raise InvalidInput(f"period {text!r} is out of range")
        return cls(year, month)

    @classmethod
    def of(cls, day: dt.date, kind: PeriodKind) -> ReportingPeriod:
        return cls(day.year, day.month if kind == "month" else None)

    @property
    def kind(self) -> PeriodKind:
        return "year" if self.month is None else "month"

    @property
    def label(self) -> str:
        return str(self.year) if self.month is None else f"{self.year}-{self.month:02d}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month or 1, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        if self.month is None or self.month == 12:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, self.month + 1, 1) - dt.timedelta(days=1)

    def comparable(self) -> ReportingPeriod:
        """The comparable earlier period: the year before, or the same month a year earlier."""
        return ReportingPeriod(self.year - 1, self.month)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class PeriodStatus:
    """How complete one period's data are."""

    period: str
    rows: int
    desa_reported: int
    reference_period: str | None
    reference_desa: int
    # Share of the reference period's desa that reported again; None without a reference.
    share: float | None
    closed: bool
    future: bool
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "rows": self.rows,
            "desa_reported": self.desa_reported,
            "reference_period": self.reference_period,
            "reference_desa": self.reference_desa,
            "share": None if self.share is None else round(self.share, 4),
            "closed": self.closed,
            "future": self.future,
            "complete": self.complete,
        }


@dataclass(frozen=True)
class PeriodChoice:
    """The default reporting period and why, with the rows that did not count."""

    period: ReportingPeriod | None
    kind: PeriodKind
    threshold: float
    as_of: dt.date
    statuses: tuple[PeriodStatus, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str | None:
        return None if self.period is None else self.period.label

    @property
    def later(self) -> tuple[PeriodStatus, ...]:
        """Periods after the chosen one (incomplete, open or in the future)."""
        chosen = self.label
        return tuple(s for s in self.statuses if chosen is None or s.period > chosen)

    @property
    def incomplete_rows(self) -> int:
        """Rows dated in a later period that is not yet complete or not yet closed."""
        return sum(s.rows for s in self.later if not s.future)

    @property
    def future_rows(self) -> int:
        """Rows dated after the reference date (``as_of``)."""
        return sum(s.rows for s in self.statuses if s.future)

    def message(self) -> Message | None:
        """A data-quality note naming the rows that did not move the default (catalogue
        ``period.note*`` with its parameters), or None."""
        later = [s for s in self.later if not s.future]
        parts: list[Message] = []
        rest: list[PeriodStatus] = []
        if len(later) > _NOTE_PERIODS:
            rest = later[_NOTE_PERIODS - 1 :]
            later = later[: _NOTE_PERIODS - 1]
        for s in later:
            share: str | tuple[Message, ...] = (
                "-"
                if s.share is None
                else (Message.of("period.note.share", value=neutral(100 * s.share)),)
            )
            parts.append(
                Message.of(
                    "period.note.later",
                    rows=str(s.rows),
                    period=s.period,
                    why=(
                        Message.of(
                            f"period.note.{'incomplete' if s.closed else 'open'}"
                        ),
                    ),
                    desa=str(s.desa_reported),
                    share=share,
                    reference_period=s.reference_period or "-",
                )
            )
        if rest:
            parts.append(
                Message.of(
                    "period.note.rest",
                    rows=str(sum(s.rows for s in rest)),
                    first_period=rest[0].period,
                    last_period=rest[-1].period,
                    count=str(len(rest)),
                )
            )
        if self.future_rows:
            parts.append(
                Message.of(
                    "period.note.future",
                    rows=str(self.future_rows),
                    date=self.as_of.isoformat(),
                )
            )
        if not parts:
            return None
        return Message.of("period.note", period=self.label or "-", parts=tuple(parts))

    def note(self, lang: str = "id") -> str | None:
        """`message` in ``lang``."""
        message = self.message()
        return None if message is None else message.render(lang)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.label,
            "kind": self.kind,
            "threshold": self.threshold,
            "as_of": self.as_of.isoformat(),
            "incomplete_rows": self.incomplete_rows,
            "future_rows": self.future_rows,
            "periods": [s.to_dict() for s in self.statuses],
        }


def choose_period(
    counts: Iterable[tuple[str | None, ReportingPeriod, int]],
    *,
    kind: PeriodKind,
    threshold: float,
    as_of: dt.date,
) -> PeriodChoice:
    """The latest closed, complete period from (desa code, period, rows) counts.

    ``counts`` may repeat a (desa, period) pair; rows without a desa count as rows but
    not as a reporting desa. Periods of another kind are folded into ``kind`` (a month's
    rows count for its year).
    """
    if not 0.0 < threshold <= 1.0:
        raise InvalidInput(f"completeness threshold must be in (0, 1], got {threshold}")
    rows: dict[ReportingPeriod, int] = {}
    desa: dict[ReportingPeriod, set[str]] = {}
    for code, period, n in counts:
        p = ReportingPeriod(period.year, period.month if kind == "month" else None)
        rows[p] = rows.get(p, 0) + int(n)
        bucket = desa.setdefault(p, set())
        if code and n:
            bucket.add(code)
    statuses: list[PeriodStatus] = []
    chosen: ReportingPeriod | None = None
    ordered = sorted(rows)
    complete_so_far: list[ReportingPeriod] = []
    for p in ordered:
        ref = _reference(p, complete_so_far, desa)
        ref_desa = desa.get(ref, set()) if ref is not None else set()
        share = len(desa[p] & ref_desa) / len(ref_desa) if ref_desa else None
        closed = p.end < as_of
        future = p.start > as_of
        complete = bool(desa[p]) and (share is None or share >= threshold)
        statuses.append(
            PeriodStatus(
                period=p.label,
                rows=rows[p],
                desa_reported=len(desa[p]),
                reference_period=None if ref is None else ref.label,
                reference_desa=len(ref_desa),
                share=share,
                closed=closed,
                future=future,
                complete=complete,
            )
        )
        if complete:
            complete_so_far.append(p)
        if closed and complete:
            chosen = p
    return PeriodChoice(
        period=chosen,
        kind=kind,
        threshold=threshold,
        as_of=as_of,
        statuses=tuple(statuses),
    )


def _reference(
    p: ReportingPeriod,
    complete: list[ReportingPeriod],
    desa: dict[ReportingPeriod, set[str]],
) -> ReportingPeriod | None:
    """The comparable earlier period when it has reporting desa, else the latest earlier
    complete one (an incomplete period never becomes the yardstick of the next)."""
    same = p.comparable()
    if desa.get(same):
        return same
    return complete[-1] if complete else None


Source = Literal["measurements", "interventions"]
COVERAGE_SOURCES: tuple[Source, ...] = ("interventions", "measurements")


def measurement_counts(
    session: Session,
    *,
    kind: PeriodKind,
    region: str | None = None,
    source: Source = "measurements",
) -> list[tuple[str | None, ReportingPeriod, int]]:
    """Rows per desa and year (or month) of the register's measurements (e-PPGBM, the
    default) or intervention records: one aggregate query."""
    from tumbuh.interventions.models import Intervention
    from tumbuh.register.models import Measurement

    desa, day = (
        (Measurement.desa_code, Measurement.measured_on)
        if source == "measurements"
        else (Intervention.desa_code, Intervention.given_on)
    )
    # The period label as text, "2025" or "2025-08": SQLite keeps dates as ISO text, so a
    # substring is ~10x cheaper there than strftime (what extract() compiles to).
    width = 7 if kind == "month" else 4
    if session.get_bind().dialect.name == "sqlite":
        label = func.substr(day, 1, width)
    else:
        label = func.to_char(day, "YYYY-MM" if kind == "month" else "YYYY")
    stmt = (
        select(desa, label, func.count())
        .where(day.is_not(None))
        .group_by(desa, label)
        .order_by(desa, label)
    )
    out: list[tuple[str | None, ReportingPeriod, int]] = []
    for code, text_label, n in session.execute(stmt):
        code = None if code is None else str(code)
        if region and (code is None or not _under(code, region)):
            continue
        out.append((code, ReportingPeriod.parse(str(text_label)), int(n)))
    return out


def _under(code: str, region: str) -> bool:
    return code == region or code.startswith(region + ".")


def default_period(
    session: Session,
    *,
    kind: PeriodKind = "year",
    region: str | None = None,
    as_of: dt.date | None = None,
    threshold: float | None = None,
    source: Source = "measurements",
) -> PeriodChoice:
    """The default reporting period of the register's measurements (see module doc)."""
    if threshold is None:
        from tumbuh.config import get_settings

        threshold = get_settings().period_completeness_threshold
    return choose_period(
        measurement_counts(session, kind=kind, region=region, source=source),
        kind=kind,
        threshold=threshold,
        as_of=as_of or dt.date.today(),
    )


def resolve_year(
    session: Session,
    year: int | None,
    *,
    region: str | None = None,
    as_of: dt.date | None = None,
    fallback: int | None = None,
    sources: tuple[Source, ...] = ("measurements",),
) -> tuple[int, PeriodChoice | None]:
    """An explicit year as given; else the default year by completeness of the first of
    ``sources`` that has a complete closed year (coverage outputs pass
    ``("interventions", "measurements")``: they count intervention records).

    Without any complete closed year (an empty register), ``fallback`` or the year of
    ``as_of`` (today) is used.
    """
    if year is not None:
        return year, None
    choice: PeriodChoice | None = None
    for source in sources:
        choice = default_period(
            session, kind="year", region=region, as_of=as_of, source=source
        )
        if choice.period is not None:
            return choice.period.year, choice
    today = as_of or dt.date.today()
    return (fallback if fallback is not None else today.year), choice
