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

from tumbuh.i18n import format_number, format_percent
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
    reasons_id: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. routine: n, raw_value

    def say(self, text_id: str, text_en: str) -> None:
        self.reasons_id.append(text_id)
        self.reasons_en.append(text_en)

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
            "reasons": self.reasons_en if language == "en" else self.reasons_id,
            "reasons_id": self.reasons_id,
            "reasons_en": self.reasons_en,
            **self.extra,
        }


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# --------------------------------------------------------------------------------------
# Words and numbers


def _num(value: float, lang: str, *, min_decimals: int = 1) -> str:
    """A published figure as given: up to two decimals, at least ``min_decimals``."""
    return format_number(value, 2, lang, min_decimals=min_decimals)


def _one(value: float, lang: str) -> str:
    """A derived quantity (change, uncertainty, ARR) to one decimal."""
    return format_number(value, 1, lang)


def _pct(value: float, lang: str) -> str:
    return format_percent(value, 2, lang, min_decimals=1)


def _signed(value: float, lang: str) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{_one(abs(value), lang)}"


def _fig(rnd: Round, lang: str) -> str:
    return f"{rnd.source} {rnd.year}: {_pct(rnd.value_pct, lang)}"


_COUNT_ID = {1: "satu", 2: "dua", 3: "tiga", 4: "empat", 5: "lima", 6: "enam"}
_COUNT_EN = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
_LEVEL_ID = {
    "kabkota": "kab/kota",
    "province": "provinsi",
    "national": "nasional",
    "kecamatan": "kecamatan",
    "desa": "desa",
}
_LEVEL_EN = {"kabkota": "kab/kota"}
_KIND_ID = {"survey": "survei", "routine": "rutin"}


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
    kind_id = _KIND_ID.get(kind, kind)
    if current is None:
        last_id = f"; angka terakhir: {_fig(earlier[-1], 'id')}" if earlier else ""
        last_en = f"; latest: {_fig(earlier[-1], 'en')}" if earlier else ""
        out.say(
            f"Tidak ada angka {kind_id} tahun {year} untuk wilayah ini{last_id}: "
            "status dan perbandingan dengan nasional tidak dapat dinilai",
            f"No {kind} figure for {year} for this region{last_en}: no status and "
            "no comparison with the national figure",
        )
        return out

    out.latest_value = current.value_pct
    out.latest_source = current.source

    main_target, same_year = _pick_targets(targets, year, horizon_years)
    if not earlier:
        out.say(
            f"Hanya satu putaran ({_fig(current, 'id')}): tren tidak dapat dinilai",
            f"Only one round ({_fig(current, 'en')}): no trend can be judged",
        )
        _compare(out, current, national, province, kind)
        _describe_duplicates(out, current)
        _describe_targets(out, current, main_target, same_year, arr=None)
        return out

    previous = earlier[-1]
    streak = _rising_streak(upto)
    shown = upto[-max(window, streak + 1) :]
    history_id = ", ".join(_fig(r, "id") for r in reversed(shown[:-1]))
    history_en = ", ".join(_fig(r, "en") for r in reversed(shown[:-1]))
    change = current.value_pct - previous.value_pct
    spread = trends.Z95 * float((current.se.se_pct**2 + previous.se.se_pct**2) ** 0.5)
    out.change_pct_points = change
    out.change_uncertainty_pct_points = spread
    exceeds = abs(change) > spread
    if streak >= 2:
        verdict_id = f"naik {_COUNT_ID.get(streak, str(streak))} putaran berturut-turut"
        verdict_en = f"rose {_COUNT_EN.get(streak, str(streak))} rounds in a row"
    elif streak == 1:
        verdict_id = (
            f"naik {_num(change, 'id')} poin dari {previous.source} {previous.year}"
        )
        verdict_en = (
            f"rose {_num(change, 'en')} points since {previous.source} {previous.year}"
        )
    elif change < 0:
        verdict_id = (
            f"turun {_num(-change, 'id')} poin dari {previous.source} {previous.year}"
        )
        verdict_en = (
            f"fell {_num(-change, 'en')} points since {previous.source} {previous.year}"
        )
    else:
        verdict_id = f"tidak berubah dari {previous.source} {previous.year}"
        verdict_en = f"unchanged since {previous.source} {previous.year}"
    out.say(
        f"{_fig(current, 'id')} ({history_id}): {verdict_id}",
        f"{_fig(current, 'en')} ({history_en}): {verdict_en}",
    )
    _compare(out, current, national, province, kind)
    _describe_duplicates(out, current)
    if kind == "routine":
        out.say(
            "Angka rutin (e-PPGBM): cakupan penimbangan berbeda antarwilayah dan tahun; "
            "jangan dibandingkan dengan angka survei",
            "Routine (e-PPGBM) figures: weighing coverage differs between regions and "
            "years; do not compare them with survey figures",
        )
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
        ci_id = ci_en = ""
        if out.arr_interval:
            lo, hi = out.arr_interval
            ci_id = f", 95 %: {_signed(lo, 'id')} s.d. {_signed(hi, 'id')}"
            ci_en = f", 95 %: {_signed(lo, 'en')} to {_signed(hi, 'en')}"
        out.say(
            f"ARR {first.year}–{current.year}: {_signed(out.arr, 'id')} % per tahun{ci_id} "
            "(ARR = 1 − (p2/p1)^(1/(t2−t1)), WHO/UNICEF; positif = prevalensi turun)",
            f"ARR {first.year}-{current.year}: {_signed(out.arr, 'en')} % per year{ci_en} "
            "(ARR = 1 − (p2/p1)^(1/(t2−t1)), WHO/UNICEF; positive = prevalence falling)",
        )
    on_track = _describe_targets(out, current, main_target, same_year, arr=arr)

    if change > 0:
        out.status = Status.rising
        out.rise_exceeds_uncertainty = exceeds
        out.say(
            "Status naik: angka terbaru di atas putaran sebelumnya",
            "Status rising: the latest figure is above the previous round",
        )
    elif on_track:
        out.status = Status.on_track
        out.say(
            "Status sesuai target: tidak naik, dan sudah mencapai target atau diproyeksikan "
            "mencapainya tepat waktu pada ARR saat ini",
            "Status on track: not rising, and at the target or projected to reach it in "
            "time at the current ARR",
        )
    elif change < 0 and exceeds:
        out.status = Status.falling
        out.say(
            "Status turun: penurunan melampaui ketidakpastian, tetapi target belum di jalur",
            "Status falling: the fall exceeds its uncertainty, but the target is not in reach",
        )
    else:
        out.status = Status.stalled
        out.say(
            "Status mandek: tidak naik, tetapi penurunan tidak melampaui ketidakpastian "
            "dan target belum di jalur",
            "Status stalled: not rising, but any fall is within its uncertainty and the "
            "target is not in reach",
        )
    return out


def _compare(
    out: RegionWarning,
    current: Round,
    national: Round | None,
    province: Round | None,
    kind: str,
) -> None:
    kind_id = _KIND_ID.get(kind, kind)
    if national is None:
        out.say(
            f"Tidak ada angka nasional {kind_id} tahun {current.year}: "
            "perbandingan dengan nasional tidak dapat dibuat",
            f"No national {kind} figure for {current.year}: no comparison with the "
            "national figure",
        )
    elif out.region_code != "ID":
        out.national_value = national.value_pct
        out.below_national = current.value_pct < national.value_pct
        word_id = "di bawah" if out.below_national else "tidak di bawah"
        word_en = "below" if out.below_national else "not below"
        out.say(
            f"{_pct(current.value_pct, 'id')} {word_id} angka nasional "
            f"({_fig(national, 'id')})",
            f"{_pct(current.value_pct, 'en')} is {word_en} the national figure "
            f"({_fig(national, 'en')})",
        )
    if province is not None and out.level not in {"province", "national"}:
        out.province_value = province.value_pct
        out.below_province = current.value_pct < province.value_pct
        word_id = "di bawah" if out.below_province else "tidak di bawah"
        word_en = "below" if out.below_province else "not below"
        out.say(
            f"{word_id.capitalize()} angka provinsi ({_fig(province, 'id')})",
            f"{word_en.capitalize()} the provincial figure ({_fig(province, 'en')})",
        )


def _describe_duplicates(out: RegionWarning, current: Round) -> None:
    if len(current.values) > 1 and len(set(current.values)) == 1:
        out.say(
            f"{len(current.values)} sumber memuat angka {current.source} {current.year} "
            f"yang sama ({_pct(current.value_pct, 'id')})",
            f"{len(current.values)} sources give the same {current.source} "
            f"{current.year} figure ({_pct(current.value_pct, 'en')})",
        )
    elif len(current.values) > 1:
        listed_id = " dan ".join(_pct(v, "id") for v in current.values)
        listed_en = " and ".join(_pct(v, "en") for v in current.values)
        out.say(
            f"{len(current.values)} angka untuk {current.source} {current.year} "
            f"({listed_id}): dipakai rata-ratanya, {_pct(current.value_pct, 'id')}",
            f"{len(current.values)} figures for {current.source} {current.year} "
            f"({listed_en}): their mean, {_pct(current.value_pct, 'en')}, is used",
        )
    if current.excluded:
        listed_id = ", ".join(_pct(v, "id") for v in current.excluded)
        listed_en = ", ".join(_pct(v, "en") for v in current.excluded)
        out.say(
            f"Angka alternatif/belum terverifikasi {current.source} {current.year} "
            f"tidak dipakai: {listed_id}",
            f"Alternative/unverified {current.source} {current.year} figure(s) not used: "
            f"{listed_en}",
        )


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
        note_id = (
            f" (CI dan n tidak dipublikasikan: asumsi n = {assumptions.assumed_n(level)} "
            f"balita per {_LEVEL_ID.get(level, level)}, design effect "
            f"{_num(assumptions.design_effect, 'id')})"
        )
        note_en = (
            f" (no published CI or n: assumed n = {assumptions.assumed_n(level)} "
            f"under-fives per {_LEVEL_EN.get(level, level)}, design effect "
            f"{_num(assumptions.design_effect, 'en')})"
        )
    else:
        basis = "ci" if bases == {"ci"} else "n"
        note_id = " (dari CI/n yang dipublikasikan)"
        note_en = " (from the published CI/n)"
    if change > 0:
        verdict_id = (
            "kenaikan melampaui ketidakpastian"
            if exceeds
            else "kenaikan masih dalam batas ketidakpastian"
        )
        verdict_en = (
            "the rise exceeds its uncertainty"
            if exceeds
            else "the rise is within its uncertainty"
        )
    elif change < 0:
        verdict_id = (
            "penurunan melampaui ketidakpastian"
            if exceeds
            else "penurunan masih dalam batas ketidakpastian"
        )
        verdict_en = (
            "the fall exceeds its uncertainty"
            if exceeds
            else "the fall is within its uncertainty"
        )
    else:
        verdict_id = verdict_en = ""
    out.say(
        f"Perubahan {_signed(change, 'id')} poin, ketidakpastian 95 % "
        f"±{_one(spread, 'id')} poin{note_id}: {verdict_id}".rstrip(": "),
        f"Change {_signed(change, 'en')} points, 95 % uncertainty "
        f"±{_one(spread, 'en')} points{note_en}: {verdict_en}".rstrip(": "),
    )
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
            f"Target nasional {same.year}: {_num(same.value_pct, 'id', min_decimals=0)} % "
            f"({same.basis}): {'tercapai' if met else 'belum tercapai'}",
            f"National target {same.year}: {_num(same.value_pct, 'en', min_decimals=0)} % "
            f"({same.basis}): {'met' if met else 'not met'}",
        )
    if main is None:
        return False
    out.target = main.value_pct
    out.target_year = main.year
    out.target_basis = main.basis
    out.projected_target_year = trends.projected_year(
        value, year=current.year, arr=arr, target_pct=main.value_pct
    )
    head_id = f"Target {main.year}: {_num(main.value_pct, 'id', min_decimals=0)} % ({main.basis})"
    head_en = f"Target {main.year}: {_num(main.value_pct, 'en', min_decimals=0)} % ({main.basis})"
    projected = out.projected_target_year
    if value <= main.value_pct:
        out.say(f"{head_id}: sudah tercapai", f"{head_en}: already met")
        return True
    if projected is None:
        out.say(
            f"{head_id}: tidak tercapai pada ARR saat ini",
            f"{head_en}: not reached at the current ARR",
        )
        return False
    in_time = projected <= main.year
    out.say(
        f"{head_id}: pada ARR saat ini tercapai sekitar tahun {projected}"
        + ("" if in_time else " (terlambat)"),
        f"{head_en}: reached around {projected} at the current ARR"
        + ("" if in_time else " (too late)"),
    )
    return in_time
