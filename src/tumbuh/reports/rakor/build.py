"""Compose the meeting pack from the finished services, in the order a chair speaks.

Every indicator value comes from the indicator engine (one computation for the period, the
same items as ``tumbuh indicators``); statuses from the routine early warning; families at
risk and the forecast from ``risk``; coverage and gaps from ``interventions``; quality from
``surveillance.routine.quality_report``; actions from the meetings recorded. Nothing here
recomputes a figure another service owns.

Public packs hold aggregates only: items are suppressed by :func:`engine.suppress_small`,
every other count below the small-cell threshold becomes ``<N`` and its percentage is
hidden with it; the restricted annex (names) is built only when asked for.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from tumbuh.errors import InvalidInput, NotFound
from tumbuh.interventions import service as interventions
from tumbuh.interventions.groups import Period
from tumbuh.register.master import children_of, get_region
from tumbuh.reports import engine, repository
from tumbuh.reports.catalogue import by_code
from tumbuh.reports.periods import default_period
from tumbuh.reports.rakor import meetings
from tumbuh.reports.rakor.content import Cell, Pack, Section, Table
from tumbuh.reports.rakor.geo import DATA_DIR, draw_map
from tumbuh.reports.rakor.reads import quality_rows, routine_rows
from tumbuh.reports.rakor.words import Lang, number, word
from tumbuh.reports.warning import early_warning
from tumbuh.surveillance.models import FigureKind
from tumbuh.surveillance.service import RoutineRows

__all__ = ["build_pack"]

_CHILD_LEVEL = {"province": "kabkota", "kabkota": "kecamatan"}
_HEADLINE = (
    "stunting_routine",
    "stunting_weighing_month",
    "stunting_survey",
    "stunting_published_routine",
    "wasting_routine",
    "underweight_routine",
    "measured_coverage_any",
    "new_cases",
    "krs_share",
)
_HOTSPOTS = 10
_WORST = 5
_NATIONAL_CSV = "published_stunting_kaltim.csv"


@dataclass(frozen=True)
class _Ctx:
    session: Session
    region: str
    name: str
    level: str
    child_level: str
    period: str
    year: int
    lang: Lang
    threshold: int | None  # None: restricted, nothing suppressed
    today: dt.date
    children: dict[str, str]  # code -> name, one level down
    # Routine measurements read (in bulk) by the early warning, shared by the status and
    # hotspot steps (same period judged: one read).
    rows: RoutineRows = field(default_factory=RoutineRows)

    def w(self, key: str, **values: object) -> str:
        return word(key, self.lang, **values)

    def count(self, n: int | None) -> Cell:
        """A count as the public may see it: ``<N`` below the threshold."""
        if n is None:
            return None
        if self.threshold is not None and 0 < n < self.threshold:
            return f"<{self.threshold}"
        return int(n)

    def small(self, n: int | None) -> bool:
        """A count the public pack may not show (1 to threshold - 1)."""
        return self.threshold is not None and n is not None and 0 < n < self.threshold

    def pct(self, value: float | None, n: int | None) -> Cell:
        """A percentage hidden wherever its count (or denominator) is hidden."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if self.threshold is not None and n is not None and 0 < n < self.threshold:
            return f"<{self.threshold}"
        return round(float(value), 1)

    def name_of(self, code: str) -> str:
        return self.children.get(code) or _region_name(code)


def _region_name(code: str) -> str:
    try:
        return get_region(code).name
    except NotFound:
        return code


def _na(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, float) and math.isnan(value))
    )


def _item_cell(ctx: _Ctx, row: pd.Series | None) -> Cell:
    """An engine item's value as shown: suppressed items keep their mark, not a value."""
    if row is None:
        return None
    if bool(row["suppressed"]):
        return f"<{ctx.threshold}" if ctx.threshold else None
    value = row["value"]
    if _na(value):
        return None
    if str(by_code(str(row["indicator"])).unit) == "number":
        return int(round(float(value)))
    return round(float(value), 1)


def _lookup(items: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    return {
        (str(r["indicator"]), str(r["region_code"])): r for _, r in items.iterrows()
    }


def _label(ctx: _Ctx, code: str) -> str:
    ind = by_code(code)
    return ind.name_id if ctx.lang == "id" else ind.name_en


# ------------------------------------------------------------------------- sections


def _national(year: int) -> tuple[float, str, int] | None:
    """The latest national survey prevalence published up to `year` (packaged figures)."""
    path = DATA_DIR / "published" / _NATIONAL_CSV
    best: tuple[float, str, int] | None = None
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["region_code"] != "ID" or row["kind"] != "survey":
                continue
            y = int(row["year"])
            if y <= year and (best is None or y > best[2]):
                best = (float(row["value_pct"]), row["source"], y)
    return best


def _headline(ctx: _Ctx, own: dict[tuple[str, str], pd.Series]) -> Section:
    national = _national(ctx.year)
    rows: list[list[Cell]] = []
    for code in _HEADLINE:
        row = own.get((code, ctx.region))
        target = None if row is None or _na(row["target"]) else float(row["target"])
        nat = national[0] if national and code.startswith("stunting_") else None
        rows.append([_label(ctx, code), _item_cell(ctx, row), target, nat])
    krs = own.get(("krs_families", ctx.region))
    rows.append([_label(ctx, "krs_families"), _item_cell(ctx, krs), None, None])

    def show(code: str) -> str:
        cell = _item_cell(ctx, own.get((code, ctx.region)))
        return (
            f"{number(cell, ctx.lang)} %"
            if isinstance(cell, float)
            else str(cell or "-")
        )

    goal = own.get(("stunting_routine", ctx.region))
    survey = _latest_surveys(ctx, ctx.level).get(ctx.region)
    msg = ctx.w(
        "msg.headline",
        routine=show("stunting_routine"),
        survey=survey or show("stunting_survey"),
        target=(
            "-"
            if goal is None or _na(goal["target"])
            else f"{number(float(goal['target']), ctx.lang)} %"
        ),
    )
    notes = (
        [ctx.w("note.national", source=national[1], year=national[2])]
        if national
        else []
    )
    table = Table(
        "headline",
        ctx.w("sec.headline"),
        [
            ctx.w("col.indicator"),
            ctx.w("col.value"),
            ctx.w("col.target"),
            ctx.w("col.national"),
        ],
        rows,
        " ".join(notes),
    )
    return Section("headline", ctx.w("sec.headline"), msg, [table], notes=notes)


def _map(ctx: _Ctx, child: dict[tuple[str, str], pd.Series]) -> Section:
    values: dict[str, float | None] = {}
    for code in ctx.children:
        cell = _item_cell(ctx, child.get(("stunting_routine", code)))
        values[code] = cell if isinstance(cell, float) else None
    image = draw_map(
        ctx.region, ctx.child_level, values, names=ctx.children, lang=ctx.lang
    )
    level = ctx.w(f"level.{ctx.child_level}")
    rows: list[list[Cell]] = [
        [code, ctx.name_of(code), values[code]] for code in sorted(ctx.children)
    ]
    table = Table(
        "map",
        ctx.w("sec.map"),
        [ctx.w("col.code"), ctx.w("col.region"), ctx.w("col.stunting")],
        rows,
    )
    return Section(
        "map",
        ctx.w("sec.map"),
        ctx.w("msg.map", level=level, period=ctx.period),
        [table],
        image=image,
    )


def _lead_reason(item: Any, lang: Lang) -> str:
    reasons = item.reasons(lang)
    if not reasons:
        return ""
    # Routine items say the figure, the previous period, then the chance it rose: the
    # third is what decided a trend status.
    if str(item.status) in {"rising", "falling", "stalled"} and len(reasons) >= 3:
        return str(reasons[2])
    return str(reasons[0])


def _beyond(item: Any) -> bool | None:
    prob = item.extra.get("prob_rose") if item.extra else None
    if prob is not None:
        return bool(prob >= 0.95 or prob <= 0.05)
    return item.rise_exceeds_uncertainty  # type: ignore[no-any-return]


def _status(ctx: _Ctx) -> tuple[Section, dict[str, str]]:
    try:
        result = early_warning(
            ctx.session,
            kind=FigureKind.routine,
            level=ctx.child_level,
            period=ctx.period,
            rows=ctx.rows,
        )
        items = [i for i in result.report.items if i.region_code in ctx.children]
    except (NotFound, InvalidInput):
        items = []
    rows: list[list[Cell]] = []
    statuses: dict[str, str] = {}
    for item in sorted(items, key=lambda i: i.region_code):
        n = int(item.extra.get("n", 0)) if item.extra else None
        cases = int(item.extra.get("cases", 0)) if item.extra else None
        small = ctx.small(n) or ctx.small(cases)
        change = (
            None
            if item.change_pct_points is None or small
            else round(item.change_pct_points, 1) + 0.0
        )
        beyond = _beyond(item)
        statuses[item.region_code] = str(item.status)
        rows.append(
            [
                ctx.name_of(item.region_code),
                ctx.w(f"status.{item.status}"),
                change,
                None if beyond is None else ctx.w("yes" if beyond else "no"),
                # The warning's reasons quote counts ("3 dari 12 balita pendek"): a
                # small one is not printed in a public pack.
                ctx.w("pack.reason_hidden") if small else _lead_reason(item, ctx.lang),
            ]
        )
    rising = [ctx.name_of(c) for c, s in statuses.items() if s == "rising"]
    best = _best(ctx, items)
    msg = ctx.w(
        "msg.status",
        rising=", ".join(rising) or ctx.w("msg.none"),
        best=best or ctx.w("msg.none"),
    )
    table = Table(
        "status",
        ctx.w("sec.status"),
        [
            ctx.w("col.region"),
            ctx.w("col.status"),
            ctx.w("col.change"),
            ctx.w("col.beyond"),
            ctx.w("col.reason"),
        ],
        rows,
        ctx.w("note.status", period=ctx.period),
    )
    return Section("status", ctx.w("sec.status"), msg, [table]), statuses


def _best(ctx: _Ctx, items: list[Any]) -> str | None:
    """The region with the lowest small-area estimate among those with enough children."""
    ok = [
        i
        for i in items
        if i.latest_value is not None
        and str(i.status) not in {"no_data", "insufficient"}
    ]
    if not ok:
        return None
    return ctx.name_of(min(ok, key=lambda i: i.latest_value).region_code)


def _latest_surveys(ctx: _Ctx, level: str) -> dict[str, str]:
    """Region -> 'value (source year)' of the latest published survey up to the pack's year
    (the engine's survey item covers the period's own year only)."""
    try:
        report = early_warning(ctx.session, kind=FigureKind.survey, level=level).report
    except (NotFound, InvalidInput):
        return {}
    out: dict[str, str] = {}
    for item in report.items:
        if item.latest_value is not None and item.year <= ctx.year:
            src = f"{item.latest_source or ''} {item.year}".strip()
            out[item.region_code] = f"{number(item.latest_value, ctx.lang)} ({src})"
    return out


def _sources(ctx: _Ctx, child: dict[tuple[str, str], pd.Series]) -> Section:
    rows: list[list[Cell]] = []
    latest = (
        _latest_surveys(ctx, ctx.child_level) if ctx.child_level == "kabkota" else {}
    )
    for code in sorted(ctx.children):
        rows.append(
            [
                ctx.name_of(code),
                latest.get(code),
                _item_cell(ctx, child.get(("stunting_survey", code))),
                _item_cell(ctx, child.get(("stunting_routine", code))),
                _item_cell(ctx, child.get(("stunting_published_routine", code))),
            ]
        )
    table = Table(
        "sources",
        ctx.w("sec.sources"),
        [
            ctx.w("col.region"),
            ctx.w("col.survey_latest"),
            ctx.w("col.survey"),
            ctx.w("col.routine"),
            ctx.w("col.published"),
        ],
        rows,
    )
    return Section("sources", ctx.w("sec.sources"), ctx.w("msg.sources"), [table])


def _hotspots(ctx: _Ctx) -> Section:
    try:
        result = early_warning(
            ctx.session,
            kind=FigureKind.routine,
            level="desa",
            period=ctx.period,
            rows=ctx.rows,
        )
        items = [
            i
            for i in result.report.items
            if i.region_code.startswith(ctx.region + ".")
            and i.latest_value is not None
            and str(i.status) not in {"no_data", "insufficient", "on_track"}
        ]
    except (NotFound, InvalidInput):
        items = []
    items.sort(key=lambda i: (-float(i.latest_value or 0), i.region_code))
    rows: list[list[Cell]] = []
    for item in items[:_HOTSPOTS]:
        n = int(item.extra.get("n", 0))
        parent = ".".join(item.region_code.split(".")[:3])
        rows.append(
            [
                item.region_name,
                _region_name(parent),
                ctx.count(n),
                # n and the raw % give the count of stunted children away: both hide
                # when either is small.
                None
                if ctx.small(int(item.extra.get("cases", 0)))
                else ctx.pct(item.extra.get("raw_value"), n),
                round(float(item.latest_value or 0), 1),
                ctx.w(f"status.{item.status}"),
            ]
        )
    table = Table(
        "hotspots",
        ctx.w("sec.hotspots"),
        [
            ctx.w("col.desa"),
            ctx.w("col.parent"),
            ctx.w("col.children"),
            ctx.w("col.stunting"),
            ctx.w("col.shrunk"),
            ctx.w("col.status"),
        ],
        rows,
    )
    return Section("hotspots", ctx.w("sec.hotspots"), ctx.w("msg.hotspots"), [table])


_FACTORS = (
    "krs_factor_water",
    "krs_factor_latrine",
    "krs_factor_too_young",
    "krs_factor_too_old",
    "krs_factor_too_close",
    "krs_factor_too_many",
    "krs_factor_no_modern_contraception",
    "krs_factor_poorest_decile",
)


def _krs(
    ctx: _Ctx,
    own: dict[tuple[str, str], pd.Series],
    child: dict[tuple[str, str], pd.Series],
) -> Section:
    factors = [
        [_label(ctx, c), _item_cell(ctx, own.get((c, ctx.region)))] for c in _FACTORS
    ]
    counted = [(r[0], r[1]) for r in factors if isinstance(r[1], int | float)]
    top = (
        max(counted, key=lambda r: float(r[1] or 0))[0]
        if counted
        else ctx.w("msg.none")
    )
    where: list[list[Cell]] = [
        [
            ctx.name_of(code),
            _item_cell(ctx, child.get(("target_families", code))),
            _item_cell(ctx, child.get(("krs_families", code))),
            _item_cell(ctx, child.get(("krs_share", code))),
        ]
        for code in sorted(ctx.children)
    ]
    tables = [
        Table(
            "krs_factors",
            ctx.w("tbl.krs_factors"),
            [ctx.w("col.factor"), ctx.w("col.count")],
            factors,
        ),
        Table(
            "krs_where",
            ctx.w("tbl.krs_where"),
            [
                ctx.w("col.region"),
                ctx.w("col.families"),
                ctx.w("col.krs"),
                ctx.w("col.krs_share"),
            ],
            where,
        ),
    ]
    notes: list[str] = []
    forecast = _forecast(ctx)
    if forecast is None:
        notes.append(ctx.w("note.forecast_none"))
    else:
        tables.append(forecast[0])
        notes.append(ctx.w("note.forecast", year=forecast[1]))
    krs = _item_cell(ctx, own.get(("krs_families", ctx.region)))
    msg = ctx.w(
        "msg.krs",
        krs=number(float(krs), ctx.lang, 0)
        if isinstance(krs, int | float)
        else (krs or "-"),
        factor=top,
    )
    return Section("krs", ctx.w("sec.krs"), msg, tables, notes=notes)


def _forecast(ctx: _Ctx) -> tuple[Table, int] | None:
    from tumbuh.risk.forecast import forecast

    try:
        frame = forecast(ctx.session, level=ctx.child_level, within=ctx.region)
    except (NotFound, InvalidInput):
        return None
    if frame.empty:
        return None
    rows: list[list[Cell]] = []
    for r in frame.sort_values("code").to_dict("records"):
        measured = int(r["current_measured"])
        expected = float(r["expected_new_cases"])
        rate = 100.0 * expected / measured if measured else None
        rows.append(
            [
                ctx.name_of(str(r["code"])),
                round(expected, 1),
                f"{number(float(r['expected_low']), ctx.lang)} - {number(float(r['expected_high']), ctx.lang)}",
                ctx.pct(rate, measured),
                ctx.count(measured),
            ]
        )
    table = Table(
        "forecast",
        ctx.w("tbl.forecast"),
        [
            ctx.w("col.region"),
            ctx.w("col.expected"),
            ctx.w("col.range"),
            ctx.w("col.expected_rate"),
            ctx.w("col.children"),
        ],
        rows,
    )
    return table, int(frame["year"].iloc[0])


def _sectors(session: Session) -> dict[str, str]:
    """Catalogue kind -> responsible office (sector)."""
    return {k.code: k.sector for k in interventions.list_kinds(session)}


def _scorecard(ctx: _Ctx, own: dict[tuple[str, str], pd.Series]) -> Section:
    sectors = _sectors(ctx.session)
    rows: list[list[Cell]] = []
    gaps: dict[str, list[float]] = {}
    for (code, region), row in own.items():
        if region != ctx.region:
            continue
        ind = by_code(code)
        if ind.group not in {"specific", "sensitive"} or ind.not_computed:
            continue
        sector = sectors.get(ind.kind_code or "", "") or _SECTOR_OF.get(code, "-")
        cell = _item_cell(ctx, row)
        target = None if _na(row["target"]) else float(row["target"])
        met: str | None = None
        if isinstance(cell, float) and target is not None:
            better = ind.direction == "higher_is_better"
            ok = cell >= target if better else cell <= target
            met = ctx.w("yes" if ok else "no")
            gaps.setdefault(sector, []).append(
                (target - cell) if better else (cell - target)
            )
        rows.append([sector, _label(ctx, code), cell, target, met])
    rows.sort(key=lambda r: (str(r[0]), str(r[1])))
    means = {s: sum(g) / len(g) for s, g in gaps.items() if g}
    behind = max(means, key=lambda s: means[s]) if means else None
    summary: list[list[Cell]] = []
    for sector in sorted({str(r[0]) for r in rows}):
        mine = [r for r in rows if r[0] == sector]
        met_n = sum(1 for r in mine if r[4] == ctx.w("yes"))
        judged = sum(1 for r in mine if r[4] is not None)
        summary.append([sector, f"{met_n}/{judged}"])
    tables = [
        Table(
            "scorecard",
            ctx.w("sec.scorecard"),
            [
                ctx.w("col.sector"),
                ctx.w("col.indicator"),
                ctx.w("col.coverage"),
                ctx.w("col.target"),
                ctx.w("col.met"),
            ],
            rows,
            ctx.w("note.scorecard", period=ctx.period),
        ),
        Table(
            "scorecard_sector",
            ctx.w("sec.scorecard"),
            [ctx.w("col.sector"), ctx.w("col.met_count")],
            summary,
        ),
    ]
    msg = ctx.w(
        "msg.scorecard",
        sector=behind if behind and means[behind] > 0 else ctx.w("msg.none"),
    )
    return Section("scorecard", ctx.w("sec.scorecard"), msg, tables)


# Sensitive indicators computed from the family register (no intervention kind): the office
# that answers for them (Perpres 72/2021 Lampiran: PUPR/Perkim for water and sanitation).
_SECTOR_OF = {
    "air_minum_layak": "PUPR/Perkim",
    "sanitasi_layak": "PUPR/Perkim",
    # Programme-aggregate indicators: the office that publishes the figure (the
    # intervention catalogue gives Kemenag for the catin health check).
    "catin_skrining": "Kemenag",
    "kehamilan_tidak_diinginkan": "BKKBN",
    "desa_odf": "Dinkes",
}


def _gaps(ctx: _Ctx) -> tuple[Section, pd.DataFrame]:
    try:
        conv = interventions.convergence_report(
            ctx.session,
            region=ctx.region,
            period=Period.year(
                ctx.year, as_of=max(ctx.today, dt.date(ctx.year, 12, 31))
            ),
        )
        missing = conv.missing
    except (NotFound, InvalidInput):
        missing = pd.DataFrame(columns=["sector", "family_id"])
    rows: list[list[Cell]] = []
    if len(missing):
        for sector, g in missing.groupby("sector", sort=True):
            rows.append(
                [
                    str(sector),
                    ctx.count(len(g)),
                    ctx.count(int(g["family_id"].nunique())),
                ]
            )
    top = (
        max(rows, key=lambda r: r[1] if isinstance(r[1], int) else 0)[0]
        if rows
        else ctx.w("msg.none")
    )
    table = Table(
        "gaps",
        ctx.w("sec.gaps"),
        [ctx.w("col.sector"), ctx.w("col.missing"), ctx.w("col.gap_families")],
        rows,
        ctx.w("note.gaps_public"),
    )
    msg = ctx.w("msg.gaps", n=len(missing), sector=top)
    return Section("gaps", ctx.w("sec.gaps"), msg, [table]), missing


_QUALITY_LEVELS = ("desa", "posyandu")
QualityReports = dict[str, list[dict[str, Any]]]


def _quality_reports(session: Session, period: str) -> QualityReports:
    """Both levels from one bulk read of the register; only the pack's period is kept."""
    from tumbuh.surveillance.routine import quality_reports

    try:
        measurements, persons = quality_rows(session)
        return quality_reports(
            session,
            levels=_QUALITY_LEVELS,
            period=period,
            only_period=True,
            measurements=measurements,
            persons=persons,
        )
    except (NotFound, InvalidInput):
        return {}


def _quality_in_child(url: str, period: str) -> QualityReports:
    """The quality step in a process of its own (a second core), on its own connection."""
    from tumbuh.db.engine import make_engine
    from tumbuh.db.session import session_factory

    bind = make_engine(url)
    try:
        with session_factory(bind)() as session:
            return _quality_reports(session, period)
    finally:
        bind.dispose()


class _Background:
    """The quality step started at once in a child process, collected when its section is
    written: the slowest step (about a third of the pack's CPU) runs beside the others.
    Only on a database another process can open (a file or a server), whose data are
    committed: the child sees what is committed, as any reader would."""

    def __init__(self, session: Session, period: str) -> None:
        url = session.get_bind().engine.url
        self.pool: ProcessPoolExecutor | None = None
        self.future: Future[QualityReports] | None = None
        if url.get_backend_name() == "sqlite" and url.database in (
            None,
            "",
            ":memory:",
        ):
            return
        self.pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )
        self.future = self.pool.submit(
            _quality_in_child, url.render_as_string(hide_password=False), period
        )

    def quality(self, session: Session, period: str) -> QualityReports:
        if self.future is None:
            return _quality_reports(session, period)
        return self.future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _quality(ctx: _Ctx, reports: QualityReports) -> Section:
    levels = _QUALITY_LEVELS
    tables: list[Table] = []
    worst_name: str | None = None
    for level in levels:
        items = reports.get(level, [])
        mine = [
            i
            for i in items
            if i.get("period") == ctx.period
            and i.get("score") is not None
            and i.get("band") != "insufficient"
            and str(
                (i.get("code") if level == "desa" else i.get("parent_code")) or ""
            ).startswith(ctx.region + ".")
        ]
        mine.sort(key=lambda i: (float(i["score"]), str(i["code"])))
        rows: list[list[Cell]] = []
        for i in mine[:_WORST]:
            reasons = i.get("reasons_id" if ctx.lang == "id" else "reasons_en") or []
            band = i.get("band_id" if ctx.lang == "id" else "band_en") or i.get("band")
            rows.append(
                [
                    str(i.get("name") or i["code"]),
                    str(i.get("parent_name") or ""),
                    round(float(i["score"]), 1),
                    str(band),
                    "; ".join(str(r) for r in reasons),
                ]
            )
        if rows and worst_name is None:
            worst_name = f"{rows[0][0]} ({number(float(rows[0][2] or 0), ctx.lang)})"
        tables.append(
            Table(
                f"quality_{level}",
                f"{ctx.w('sec.quality')}: {ctx.w(f'level.{level}')}",
                [
                    ctx.w("col.region"),
                    ctx.w("col.parent"),
                    ctx.w("col.score"),
                    ctx.w("col.band"),
                    ctx.w("col.reasons"),
                ],
                rows,
                ctx.w("note.quality", period=ctx.period),
            )
        )
    msg = ctx.w("msg.quality", worst=worst_name or ctx.w("msg.none"))
    return Section("quality", ctx.w("sec.quality"), msg, tables)


def _actions(ctx: _Ctx, table: engine.IndicatorTable) -> Section:
    moves = meetings.movements(
        ctx.session,
        region=ctx.region,
        table=table,
        before=ctx.today,
        threshold=ctx.threshold,
    )
    rows: list[list[Cell]] = []
    overdue = 0
    for m in moves:
        overdue += m.overdue
        status = ctx.w("status.overdue") if m.overdue else ctx.w(f"status.{m.status}")
        rows.append(
            [
                m.meeting_on.isoformat(),
                m.title,
                m.owner,
                ctx.name_of(m.region_code),
                _label(ctx, m.indicator) if m.indicator else "-",
                m.baseline
                if m.baseline is None or isinstance(m.baseline, str)
                else round(m.baseline, 1),
                m.baseline_period,
                m.current
                if m.current is None or isinstance(m.current, str)
                else round(m.current, 1),
                m.movement,
                m.target,
                m.due_on.isoformat(),
                status,
            ]
        )
    note = (
        ctx.w("note.actions", period=ctx.period) if rows else ctx.w("note.no_actions")
    )
    tbl = Table(
        "actions",
        ctx.w("sec.actions"),
        [
            ctx.w("col.meeting"), ctx.w("col.action"), ctx.w("col.owner"), ctx.w("col.region"),
            ctx.w("col.indicator"), ctx.w("col.baseline"), ctx.w("pack.period"), ctx.w("col.now"),
            ctx.w("col.movement"), ctx.w("col.target"), ctx.w("col.due"), ctx.w("col.status"),
        ],
        rows,
        note,
    )  # fmt: skip
    msg = ctx.w("msg.actions", overdue=overdue, total=len(rows))
    return Section("actions", ctx.w("sec.actions"), msg, [tbl], notes=[note])


def _annex(ctx: _Ctx, missing: pd.DataFrame) -> Section:
    name_col = "name_id" if ctx.lang == "id" else "name_en"
    rows: list[list[Cell]] = []
    for r in missing.to_dict("records"):
        who = r.get("person_name")
        item = str(r.get(name_col) or r.get("code"))
        rows.append(
            [
                str(r.get("sector") or ""),
                str(r.get("desa_name") or r.get("desa_code") or ""),
                str(r.get("head_name") or ""),
                f"{item} ({who})" if isinstance(who, str) and who else item,
            ]
        )
    table = Table(
        "annex",
        ctx.w("sec.annex"),
        [
            ctx.w("col.sector"),
            ctx.w("col.desa"),
            ctx.w("col.family"),
            ctx.w("col.item"),
        ],
        rows,
        ctx.w("note.annex"),
    )
    return Section("annex", ctx.w("sec.annex"), ctx.w("note.annex"), [table])


# --------------------------------------------------------------------------- the pack


def pack_period(
    session: Session, *, region: str, period: str | None, today: dt.date
) -> str:
    """The period asked for, else the latest complete year (reports.periods), else the
    engine's latest ended year with measurements."""
    if period:
        return engine.period_bounds(period)[0]
    choice = default_period(session, kind="year", region=region, as_of=today)
    if choice.label is not None:
        return choice.label
    measured = repository.load(session, region=region).measurements
    return engine.default_period(measured, today=today)


def build_pack(
    session: Session,
    *,
    region: str,
    period: str | None = None,
    lang: Lang = "id",
    audience: str = "public",
    threshold: int = 5,
    welfare_max_decile: int = engine.WELFARE_ELIGIBLE_MAX_DECILE,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    parallel: bool = False,
) -> Pack:
    """The meeting pack of a province or kab/kota, each one level down.

    ``parallel=True`` computes the data-quality step in a second process while the others
    run (the same figures; see `_Background`): the CLI and the web button use it.

    ``audience="restricted"`` adds the annex with family names and shows small cells; the
    caller checks the role and audits (``tumbuh report rakor --as``, the web button).
    """
    if audience not in {"public", "restricted"}:
        raise InvalidInput(f"audience must be public or restricted, not {audience!r}")
    if lang not in {"id", "en"}:
        raise InvalidInput(f"lang must be id or en, not {lang!r}")
    level = engine.level_of(region)
    if level not in _CHILD_LEVEL:
        raise InvalidInput(
            f"the meeting pack is made for a province or a kab/kota, not a {level} ({region})"
        )
    get_region(region)  # an unknown region fails before any work starts
    today = today or dt.date.today()
    say = progress or (lambda _s: None)
    say("indicators")
    label = pack_period(session, region=region, period=period, today=today)
    background = _Background(session, label) if parallel else None
    try:
        return _build(
            session, region=region, label=label, level=level, lang=lang,
            audience=audience, threshold=threshold, today=today, say=say,
            welfare_max_decile=welfare_max_decile, background=background,
        )  # fmt: skip
    finally:
        if background is not None:
            background.close()


def _build(
    session: Session,
    *,
    region: str,
    label: str,
    level: str,
    lang: Lang,
    audience: str,
    threshold: int,
    today: dt.date,
    say: Callable[[str], None],
    welfare_max_decile: int,
    background: _Background | None,
) -> Pack:
    info = get_region(region)
    table = engine.compute(
        session,
        period=label,
        region=region,
        welfare_max_decile=welfare_max_decile,
        today=today,
    )
    limit = threshold if audience == "public" else None
    own_items = engine.select(table, region=region)
    child_items = engine.select(table, region=region, level=_CHILD_LEVEL[level])
    if limit is not None:
        own_items = engine.suppress_small(
            own_items, threshold=limit, posyandu_desa=table.posyandu_desa
        )
        child_items = engine.suppress_small(
            child_items, threshold=limit, posyandu_desa=table.posyandu_desa
        )
    ctx = _Ctx(
        session=session,
        region=region,
        name=info.name,
        level=level,
        child_level=_CHILD_LEVEL[level],
        period=table.period,
        year=int(table.period[:4]),
        lang=lang,
        threshold=limit,
        today=today,
        children={r.code: r.name for r in children_of(region)},
        rows=routine_rows(session),
    )
    own, child = _lookup(own_items), _lookup(child_items)
    say("map")
    sections: list[Section] = [_headline(ctx, own), _map(ctx, child)]
    say("status")
    sections.append(_status(ctx)[0])
    sections.append(_sources(ctx, child))
    say("hotspots")
    sections.append(_hotspots(ctx))
    say("krs")
    sections.append(_krs(ctx, own, child))
    say("scorecard")
    sections.append(_scorecard(ctx, own))
    say("gaps")
    gaps, missing = _gaps(ctx)
    sections.append(gaps)
    say("quality")
    reports = (
        background.quality(session, ctx.period)
        if background is not None
        else _quality_reports(session, ctx.period)
    )
    sections.append(_quality(ctx, reports))
    say("actions")
    sections.append(_actions(ctx, table))
    if audience == "restricted":
        sections.append(_annex(ctx, missing))
    return Pack(
        region=region,
        region_name=info.name,
        level=level,
        child_level=ctx.child_level,
        period=table.period,
        lang=lang,
        audience=audience,
        made_on=today,
        threshold=limit,
        sections=sections,
        own_items=own_items,
        child_items=child_items,
    )
