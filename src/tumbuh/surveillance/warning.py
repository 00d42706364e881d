"""Early warning per region from a published prevalence series, with reasons in words.

Statuses, decided in this order for the chosen year Y:

``no_data``
    The region has no figure for Y, or only one round (no trend can be judged).
``insufficient``
    Routine series only: too few children measured in one of the two periods
    (:data:`tumbuh.analytics.smallarea.MIN_CHILDREN`) for the change to mean anything.
``rising``
    The Y figure is above the region's previous round (any rise; the reasons say whether
    the rise exceeds its 95 % uncertainty).
``on_track``
    Not rising, and at or below the target, or projected to reach it by the target year at
    the ARR of the last rounds.
``falling``
    Lower than the previous round by more than the 95 % uncertainty of the change.
``stalled``
    Lower (or equal), but not by more than that uncertainty, and not on track.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tumbuh.i18n import Message, neutral
from tumbuh.surveillance import trends
from tumbuh.surveillance.trends import StandardError, SurveyAssumptions


class Status(StrEnum):
    rising = "rising"
    stalled = "stalled"
    falling = "falling"
    on_track = "on_track"
    insufficient = "insufficient"
    no_data = "no_data"


@dataclass(frozen=True)
class Round:
    """One region's figure for one year (several figures of that year averaged, if need be)."""

    year: int
    source: str
    value_pct: float
    se: StandardError
    values: tuple[float, ...] = ()  # the figures averaged, when more than one
    excluded: tuple[float, ...] = ()  # figures of that year left out by confidence


@dataclass(frozen=True)
class TargetRef:
    year: int
    value_pct: float
    basis: str


@dataclass(frozen=True)
class RegionSeries:
    region_code: str
    region_name: str
    rounds: tuple[Round, ...]  # sorted by year


@dataclass
class RegionWarning:
    region_code: str
    region_name: str
    level: str
    kind: str
    year: int
    status: Status
    latest_value: float | None = None
    latest_source: str | None = None
    previous_values: list[dict[str, Any]] = field(default_factory=list)
    change_pct_points: float | None = None
    change_uncertainty_pct_points: float | None = None
    rise_exceeds_uncertainty: bool | None = None
    arr: float | None = None  # % per year, positive = falling prevalence
    arr_interval: tuple[float, float] | None = None
    arr_period: tuple[int, int] | None = None
    national_value: float | None = None
    province_value: float | None = None
    below_national: bool | None = None
    below_province: bool | None = None
    target: float | None = None
    target_year: int | None = None
    target_basis: str | None = None
    projected_target_year: int | None = None
    uncertainty_basis: str | None = None
    # What the reasons say: catalogue keys (``warning.*``) and neutral parameters,
    # rendered in the reader's language by `reasons`.
    messages: list[Message] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. routine: n, raw_value

    def say(self, key: str, **values: str | tuple[Message, ...]) -> None:
        """Add the reason ``warning.<key>`` with its neutral parameters."""
        self.messages.append(Message.of(f"warning.{key}", **values))

    def reasons(self, lang: str = "id") -> list[str]:
        """The reasons in ``lang``."""
        return [m.render(lang) for m in self.messages]

    def to_dict(self, *, language: str = "id") -> dict[str, Any]:
        return {
            "region_code": self.region_code,
            "region_name": self.region_name,
            "level": self.level,
            "kind": self.kind,
            "year": self.year,
            "status": str(self.status),
            "latest_value": self.latest_value,
            "latest_source": self.latest_source,
            "previous_values": self.previous_values,
            "change_pct_points": _r(self.change_pct_points, 2),
            "change_uncertainty_pct_points": _r(self.change_uncertainty_pct_points, 2),
            "rise_exceeds_uncertainty": self.rise_exceeds_uncertainty,
            "arr": _r(self.arr, 2),
            "arr_interval": (
                [_r(v, 2) for v in self.arr_interval] if self.arr_interval else None
            ),
            "arr_period": list(self.arr_period) if self.arr_period else None,
            "national_value": self.national_value,
            "province_value": self.province_value,
            "below_national": self.below_national,
            "below_province": self.below_province,
            "target": self.target,
            "target_year": self.target_year,
            "target_basis": self.target_basis,
            "projected_target_year": self.projected_target_year,
            "uncertainty_basis": self.uncertainty_basis,
            "reasons": self.reasons(language),
            "reasons_id": self.reasons("id"),
            "reasons_en": self.reasons("en"),
            **self.extra,
        }


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# --------------------------------------------------------------------------------------
# Words and numbers: reasons are catalogue keys ``warning.*`` with neutral parameters


def num(value: float, *, min_decimals: int = 1) -> str:
    """A published figure as given: up to two decimals, at least ``min_decimals``."""
    return neutral(value, 2, min_decimals=min_decimals)


def _one(value: float) -> str:
    """A derived quantity (change, uncertainty, ARR) to one decimal, without its sign."""
    return neutral(abs(value), 1)


def _sign(value: float) -> str:
    return "+" if value > 0 else "−" if value < 0 else "±"


def _fig(rnd: Round) -> Message:
    return Message.of(
        "warning.figure",
        source=rnd.source,
        year=str(rnd.year),
        value=num(rnd.value_pct),
    )


def _figs(rounds: Sequence[Round]) -> tuple[Message, ...]:
    return tuple(_fig(r) for r in rounds)


def _percents(values: Sequence[float]) -> tuple[Message, ...]:
    return tuple(Message.of("warning.percent", value=num(v)) for v in values)


def word(key: str) -> tuple[Message, ...]:
    """A catalogue word as a parameter (a kind, a level, a count)."""
    return (Message.of(f"warning.{key}"),)


_COUNTED = 6  # streaks up to six rounds are said in words ("two rounds in a row")


def _rising_streak(rounds: Sequence[Round]) -> int:
    streak = 0
    for before, after in zip(reversed(rounds[:-1]), reversed(rounds[1:]), strict=True):
        if after.value_pct > before.value_pct:
            streak += 1
        else:
            break
    return streak


# --------------------------------------------------------------------------------------
# The assessment


def assess_region(
    series: RegionSeries,
    *,
    year: int,
    kind: str,
    level: str,
    national: Round | None,
    province: Round | None,
    targets: Sequence[TargetRef],
    assumptions: SurveyAssumptions,
    window: int = 3,
    horizon_years: int = 5,
) -> RegionWarning:
    """Status and reasons for one region's series, judged at ``year``."""
    out = RegionWarning(
        region_code=series.region_code,
        region_name=series.region_name,
        level=level,
        kind=kind,
        year=year,
        status=Status.no_data,
    )
    upto = [r for r in series.rounds if r.year <= year]
    current = upto[-1] if upto and upto[-1].year == year else None
    earlier = [r for r in upto if r.year < year]
    out.previous_values = [
        {"year": r.year, "source": r.source, "value_pct": r.value_pct}
        for r in reversed(earlier)
    ]
    if current is None:
        if earlier:
            out.say(
                "no_figure_last", kind=word(f"kind.{kind}"), year=str(year),
                last=(_fig(earlier[-1]),),
            )  # fmt: skip
        else:
            out.say("no_figure", kind=word(f"kind.{kind}"), year=str(year))
        return out

    out.latest_value = current.value_pct
    out.latest_source = current.source

    main_target, same_year = _pick_targets(targets, year, horizon_years)
    if not earlier:
        out.say("one_round", figure=(_fig(current),))
        _compare(out, current, national, province, kind)
        _describe_duplicates(out, current)
        _describe_targets(out, current, main_target, same_year, arr=None)
        return out

    previous = earlier[-1]
    streak = _rising_streak(upto)
    shown = upto[-max(window, streak + 1) :]
    change = current.value_pct - previous.value_pct
    spread = trends.Z95 * float((current.se.se_pct**2 + previous.se.se_pct**2) ** 0.5)
    out.change_pct_points = change
    out.change_uncertainty_pct_points = spread
    exceeds = abs(change) > spread
    since = {"source": previous.source, "year": str(previous.year)}
    if streak >= 2:
        count = word(f"count.{streak}") if streak <= _COUNTED else str(streak)
        verdict = Message.of("warning.verdict.rose_rounds", count=count)
    elif streak == 1:
        verdict = Message.of("warning.verdict.rose", change=num(change), **since)
    elif change < 0:
        verdict = Message.of("warning.verdict.fell", change=num(-change), **since)
    else:
        verdict = Message.of("warning.verdict.unchanged", **since)
    out.say(
        "trend",
        figure=(_fig(current),),
        history=_figs(list(reversed(shown[:-1]))),
        verdict=(verdict,),
    )
    _compare(out, current, national, province, kind)
    _describe_duplicates(out, current)
    if kind == "routine":
        out.say("routine_note")
    out.uncertainty_basis = _describe_uncertainty(
        out, change, spread, exceeds, current, previous, level, assumptions
    )

    first = upto[-window:][0]
    arr = trends.annual_rate_of_reduction(
        first.value_pct, current.value_pct, first.year, current.year
    )
    interval = trends.arr_interval(
        first.value_pct,
        first.se.se_pct,
        current.value_pct,
        current.se.se_pct,
        first.year,
        current.year,
    )
    if arr is not None:
        out.arr = 100 * arr
        out.arr_period = (first.year, current.year)
        out.arr_interval = (100 * interval[0], 100 * interval[1]) if interval else None
        span = {
            "first_year": str(first.year),
            "last_year": str(current.year),
            "sign": _sign(out.arr),
            "arr": _one(out.arr),
        }
        if out.arr_interval:
            lo, hi = out.arr_interval
            out.say(
                "arr_ci", low_sign=_sign(lo), low=_one(lo), high_sign=_sign(hi),
                high=_one(hi), **span,
            )  # fmt: skip
        else:
            out.say("arr", **span)
    on_track = _describe_targets(out, current, main_target, same_year, arr=arr)

    if change > 0:
        out.status = Status.rising
        out.rise_exceeds_uncertainty = exceeds
        out.say("status.rising")
    elif on_track:
        out.status = Status.on_track
        out.say("status.on_track")
    elif change < 0 and exceeds:
        out.status = Status.falling
        out.say("status.falling")
    else:
        out.status = Status.stalled
        out.say("status.stalled")
    return out


def _compare(
    out: RegionWarning,
    current: Round,
    national: Round | None,
    province: Round | None,
    kind: str,
) -> None:
    if national is None:
        out.say("no_national", kind=word(f"kind.{kind}"), year=str(current.year))
    elif out.region_code != "ID":
        out.national_value = national.value_pct
        out.below_national = current.value_pct < national.value_pct
        out.say(
            "national.below" if out.below_national else "national.not_below",
            value=num(current.value_pct),
            figure=(_fig(national),),
        )
    if province is not None and out.level not in {"province", "national"}:
        out.province_value = province.value_pct
        out.below_province = current.value_pct < province.value_pct
        out.say(
            "province.below" if out.below_province else "province.not_below",
            figure=(_fig(province),),
        )


def _describe_duplicates(out: RegionWarning, current: Round) -> None:
    same = {"source": current.source, "year": str(current.year)}
    if len(current.values) > 1 and len(set(current.values)) == 1:
        out.say(
            "same_figures", count=str(len(current.values)),
            value=num(current.value_pct), **same,
        )  # fmt: skip
    elif len(current.values) > 1:
        out.say(
            "mean_of_figures", count=str(len(current.values)),
            values=_percents(current.values), value=num(current.value_pct), **same,
        )  # fmt: skip
    if current.excluded:
        out.say("excluded", values=_percents(current.excluded), **same)


def _describe_uncertainty(
    out: RegionWarning,
    change: float,
    spread: float,
    exceeds: bool,
    current: Round,
    previous: Round,
    level: str,
    assumptions: SurveyAssumptions,
) -> str:
    bases = {current.se.basis, previous.se.basis}
    if "assumed" in bases:
        basis = "assumed"
        note = Message.of(
            "warning.basis.assumed",
            n=str(assumptions.assumed_n(level)),
            level=word(f"level.{level}"),
            design_effect=num(assumptions.design_effect),
        )
    else:
        basis = "ci" if bases == {"ci"} else "n"
        note = Message.of("warning.basis.published")
    said: dict[str, str | tuple[Message, ...]] = {
        "sign": _sign(change),
        "change": _one(change),
        "spread": _one(spread),
        "basis": (note,),
    }
    if change == 0:
        out.say("change_none", **said)
    else:
        way = "rise" if change > 0 else "fall"
        verdict = f"warning.uncertainty.{way}_{'exceeds' if exceeds else 'within'}"
        out.say("change", verdict=(Message.of(verdict),), **said)
    return basis


def _pick_targets(
    targets: Sequence[TargetRef], year: int, horizon_years: int
) -> tuple[TargetRef | None, TargetRef | None]:
    """(target to project to, target of the same year).

    The projection target is the one with the latest year within ``horizon_years`` after
    ``year`` (for 2024: 2029, 14.2 %, the end of RPJMN 2025-2029).
    """
    ahead = [t for t in targets if year < t.year <= year + horizon_years]
    main = max(ahead, key=lambda t: t.year) if ahead else None
    same = next((t for t in targets if t.year == year), None)
    return main, same


def _describe_targets(
    out: RegionWarning,
    current: Round,
    main: TargetRef | None,
    same: TargetRef | None,
    *,
    arr: float | None,
) -> bool:
    """Reasons about targets; True when on track for the projection target."""
    value = current.value_pct
    if same is not None:
        met = value <= same.value_pct
        out.say(
            "target_same_year.met" if met else "target_same_year.not_met",
            year=str(same.year),
            value=num(same.value_pct, min_decimals=0),
            basis=same.basis,
        )
    if main is None:
        return False
    out.target = main.value_pct
    out.target_year = main.year
    out.target_basis = main.basis
    out.projected_target_year = trends.projected_year(
        value, year=current.year, arr=arr, target_pct=main.value_pct
    )
    head = {
        "year": str(main.year),
        "value": num(main.value_pct, min_decimals=0),
        "basis": main.basis,
    }
    projected = out.projected_target_year
    if value <= main.value_pct:
        out.say("target.met", **head)
        return True
    if projected is None:
        out.say("target.unreached", **head)
        return False
    in_time = projected <= main.year
    out.say(
        "target.projected" if in_time else "target.late",
        projected_year=str(projected),
        **head,
    )
    return in_time
