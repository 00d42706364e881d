"""Benchmark: the meeting pack (`tumbuh report rakor`), step by step, against baselines.

    .venv/bin/python bench/rakor.py --db sqlite:////tmp/pack/demo.db --region 64 --period 2025
    .venv/bin/python bench/rakor.py --children 3000          # builds a synthetic province first

In the same run:

* **reads** (baseline): what the quality and early-warning steps cost when every service
  reads the register on its own through the ORM (both quality levels, the warning at the
  level below and at desa), against the pack's way (one bulk read each, handed down);
  the figures of both are compared and must be equal.
* **engine** (baseline): ``reports.engine.compute`` for the region and period alone.
* **pack**: ``build_pack`` and the three files, wall and CPU seconds per step (CPU counts
  the reader processes too).

Prints the figures and the ratios; asserts nothing about timing.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.reports import engine as ind
from tumbuh.reports.rakor.build import build_pack
from tumbuh.reports.rakor.reads import quality_rows, routine_rows
from tumbuh.reports.rakor.render import write_pack
from tumbuh.reports.warning import early_warning
from tumbuh.surveillance.models import FigureKind
from tumbuh.surveillance.routine import quality_reports

_BELOW = {"province": "kabkota", "kabkota": "kecamatan"}


def _build(children: int, directory: Path) -> str:
    from tumbuh.cli.synth import import_into_db
    from tumbuh.synth import SynthConfig, synthesize

    url = f"sqlite:///{directory / 'bench.db'}"
    cfg = SynthConfig(
        province="64", children=children, first_year=2024, last_year=2025, seed=1
    )
    import_into_db(synthesize(cfg, directory / "synth", "csv"), url)
    return url


def _cpu() -> float:
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    w, c = time.perf_counter(), _cpu()
    out = fn()
    return out, time.perf_counter() - w, _cpu() - c


def _reads(session: Any, *, level: str, period: str, shared: bool) -> Any:
    """The quality and warning figures of the pack, read the service's way or the pack's."""
    levels = ("desa", "posyandu")
    if shared:
        m, p = quality_rows(session)
        quality = quality_reports(
            session,
            levels=levels,
            period=period,
            only_period=True,
            measurements=m,
            persons=p,
        )
        rows = routine_rows(session)
    else:
        quality = quality_reports(
            session, levels=levels, period=period, only_period=True
        )
        rows = None
    warnings = [
        early_warning(
            session, kind=FigureKind.routine, level=lv, period=period, rows=rows
        ).report
        for lv in (_BELOW[level], "desa")
    ]
    # Scores, bands and reasons (what the pack prints); the rounded criteria may move in
    # the last digit between runs (DuckDB's parallel sums).
    keep = ("code", "period", "score", "band", "reasons_id", "reasons_en")
    return {
        lv: [{k: i.get(k) for k in keep} for i in q] for lv, q in quality.items()
    }, [w.items for w in warnings]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db")
    parser.add_argument("--children", type=int, default=3000)
    parser.add_argument("--region", default="64")
    parser.add_argument("--period", default="2025")
    args = parser.parse_args()
    level = ind.level_of(args.region)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or _build(args.children, Path(tmp))
        eng = make_engine(url)
        try:
            with unit_of_work(eng) as session:
                own, own_wall, own_cpu = _timed(
                    lambda: _reads(
                        session, level=level, period=args.period, shared=False
                    )
                )
                bulk, bulk_wall, bulk_cpu = _timed(
                    lambda: _reads(
                        session, level=level, period=args.period, shared=True
                    )
                )
                table, base_wall, base_cpu = _timed(
                    lambda: ind.compute(session, period=args.period, region=args.region)
                )
                steps: list[tuple[str, float, float]] = []

                def step(name: str) -> None:
                    steps.append((name, time.perf_counter(), _cpu()))

                def pack_and_files() -> Any:
                    pack = build_pack(
                        session, region=args.region, period=args.period, progress=step
                    )
                    step("files")
                    write_pack(pack, Path(tmp) / "out")
                    step("end")
                    return pack

                pack, pack_wall, pack_cpu = _timed(pack_and_files)
        finally:
            eng.dispose()
    by_step = ", ".join(
        f"{a[0]} {b[1] - a[1]:.1f}/{b[2] - a[2]:.1f}"
        for a, b in zip(steps, steps[1:], strict=False)
    )
    print(
        f"reads, each service its own (baseline): {own_wall:.1f} s wall, "
        f"{own_cpu:.1f} s CPU"
    )
    print(
        f"reads, bulk and handed down (pack): {bulk_wall:.1f} s wall, "
        f"{bulk_cpu:.1f} s CPU; same figures: {own == bulk}"
    )
    print(f"ratio bulk / own (wall): {bulk_wall / own_wall:.2f}")
    print(
        f"engine (baseline): {len(table.items)} items, {base_wall:.1f} s wall, "
        f"{base_cpu:.1f} s CPU"
    )
    print(
        f"pack: {len(pack.sections)} sections, {pack_wall:.1f} s wall, "
        f"{pack_cpu:.1f} s CPU"
    )
    print(f"pack seconds by step (wall/CPU): {by_step}")
    print(f"ratio pack / engine (wall): {pack_wall / base_wall:.2f}")


if __name__ == "__main__":
    main()
