"""Benchmark: the meeting pack (`tumbuh report rakor`) against the indicator engine alone.

    .venv/bin/python bench/rakor.py --db sqlite:////tmp/pack/s20k/t.db --region 64 --period 2025
    .venv/bin/python bench/rakor.py --children 3000          # builds a synthetic province first

In the same run: **engine** (the baseline: ``reports.engine.compute`` for the region and
period, every indicator at every level) and **pack** (``build_pack`` and the three files),
wall and CPU seconds, with the pack's CPU seconds by step. Prints the figures and the ratio
pack / engine. Asserts nothing about timing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.reports import engine as ind
from tumbuh.reports.rakor.build import build_pack
from tumbuh.reports.rakor.render import write_pack


def _build(children: int, directory: Path) -> str:
    from tumbuh.cli.synth import import_into_db
    from tumbuh.synth import SynthConfig, synthesize

    url = f"sqlite:///{directory / 'bench.db'}"
    cfg = SynthConfig(
        province="64", children=children, first_year=2024, last_year=2025, seed=1
    )
    import_into_db(synthesize(cfg, directory / "synth", "csv"), url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db")
    parser.add_argument("--children", type=int, default=3000)
    parser.add_argument("--region", default="64")
    parser.add_argument("--period", default="2025")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or _build(args.children, Path(tmp))
        eng = make_engine(url)
        try:
            with unit_of_work(eng) as session:
                w, c = time.perf_counter(), time.process_time()
                table = ind.compute(session, period=args.period, region=args.region)
                base_wall, base_cpu = time.perf_counter() - w, time.process_time() - c
                steps: list[tuple[str, float]] = []
                w, c = time.perf_counter(), time.process_time()
                pack = build_pack(
                    session,
                    region=args.region,
                    period=args.period,
                    progress=lambda s: steps.append((s, time.process_time())),
                )
                steps.append(("files", time.process_time()))
                write_pack(pack, Path(tmp) / "out")
                steps.append(("end", time.process_time()))
                pack_wall, pack_cpu = time.perf_counter() - w, time.process_time() - c
        finally:
            eng.dispose()
    by_step = ", ".join(
        f"{a[0]} {b[1] - a[1]:.1f}" for a, b in zip(steps, steps[1:], strict=False)
    )
    print(
        f"engine (baseline): {len(table.items)} items, {base_wall:.1f} s wall, {base_cpu:.1f} s CPU"
    )
    print(
        f"pack: {len(pack.sections)} sections, {pack_wall:.1f} s wall, {pack_cpu:.1f} s CPU"
    )
    print(f"pack CPU seconds by step: {by_step}")
    print(f"ratio pack / engine (CPU): {pack_cpu / base_cpu:.2f}")


if __name__ == "__main__":
    main()
