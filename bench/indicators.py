"""Benchmark: every indicator at every level against a bare scan of the measurements.

    .venv/bin/python bench/indicators.py                         # 100,000 children (slow build)
    .venv/bin/python bench/indicators.py --children 5000         # quick
    .venv/bin/python bench/indicators.py --db sqlite:///demo/tumbuh.db --period 2025
    .venv/bin/python bench/indicators.py --db sqlite:///demo/tumbuh.db --reader both

Without ``--db`` a synthetic province (``tumbuh.synth``, years 2024-2025) is generated and
imported into a temporary SQLite database first (not timed). Then, in the same run:

* **bare scan** (the baseline): the measurement columns the engine reads, read once through
  the same bulk reader, and one group-by (children and HAZ < -2 by desa and year);
* **all indicators**: ``tumbuh.reports.engine.compute`` for the period at all levels
  (province, kab/kota, kecamatan, desa, posyandu), its reads of every register table
  included; also split into reading and computing.

Prints the figures and the ratio all / bare. Asserts nothing about timing.

Measured 2026-12-06 (2 shared cores, load average 3-4), `tumbuh synth --children 100000
--years 2024-2025` (1,159,382 measurements), `--reader both --repeat 2`, best of 2:

    reader   bare scan   all indicators   reading   computing   all / bare
    cursor     6.70 s        13.09 s        9.91 s     2.92 s        1.95
    child      2.29 s         6.49 s        2.94 s     3.18 s        2.84

PostgreSQL, 2026-12-07 (load average 5.3 / 6.8 at the two runs), `--children 610000
--build-into postgresql+psycopg://postgres@127.0.0.1:5432/tumbuh_pg5m --reader both`:
5,027,607 measurements (build 47.5 min, its interventions step 857 s before the set-based
look-ups of issue 18); both runs read with COPY (the reader choice is SQLite's):

    run      bare scan   all indicators   reading   computing   all / bare
    first     10.29 s        38.36 s       21.21 s    15.96 s        3.73
    second    10.40 s        38.60 s       20.50 s    18.29 s        3.71

The same at 3,293,902 measurements (`--children 400000`, load average 5-6, build 43.5 min):

    first     10.89 s        41.47 s       20.44 s    18.35 s        3.81
    second     9.59 s        33.14 s       14.51 s    11.14 s        3.46

SQLite at 5,027,607 measurements (`--children 610000 --build-into sqlite:////tmp/...`,
build 33.9 min, load average 2.4 / 2.9 at the two runs):

    cursor    56.98 s        97.32 s       85.29 s    14.15 s        1.71
    child      7.64 s        28.77 s       11.19 s    14.56 s        3.77

SQLite at 3,293,902 measurements (load average ~1.8):

    cursor    35.43 s        64.84 s       49.62 s     7.16 s        1.83
    child      4.30 s        15.71 s        7.55 s     8.39 s        3.65
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from tumbuh.db.engine import make_engine
from tumbuh.reports import engine as ind
from tumbuh.reports import repository


def _build(children: int, directory: Path, url: str | None = None) -> str:
    """Generate the province and import it into `url` (default: a new SQLite file in
    `directory`) as `tumbuh demo` does: the importers alone on the database (chunks of
    100,000 rows, no pauses), then ``ANALYZE`` as every import ends."""
    from tumbuh.cli.synth import import_into_db
    from tumbuh.synth import SynthConfig, synthesize

    url = url or f"sqlite:///{directory / 'bench.db'}"
    cfg = SynthConfig(
        province="64", children=children, first_year=2024, last_year=2025, seed=1
    )
    t0 = time.perf_counter()
    result = synthesize(cfg, directory / "files", "csv", workers=2)
    print(f"  generated {children:,} children in {time.perf_counter() - t0:.0f} s")
    for line in import_into_db(result, url, alone=True):
        print("  " + line, flush=True)
    print(f"built {children:,} children in {time.perf_counter() - t0:.0f} s -> {url}")
    return url


def _bare(session: Session) -> tuple[float, int]:
    t0 = time.perf_counter()
    m = repository.read(
        session, repository.MEASUREMENTS, region=None, column="desa_code"
    )
    frame = pl.from_pandas(m[["child_id", "measured_on", "desa_code", "zlen"]])
    out = frame.group_by(
        pl.col("desa_code"), pl.col("measured_on").dt.year().alias("year")
    ).agg(pl.col("child_id").n_unique(), (pl.col("zlen") < -2).sum())
    return time.perf_counter() - t0, len(m) + 0 * len(out)


def _run(url: str, period: str, repeat: int, reader: str) -> None:
    """Time bare scan, all indicators, reading and computing with `reader`: ``child``
    (the default: a child process for a large SQLite file) or ``cursor`` (Python's
    ``sqlite3`` cursor in this process, the reader before the child process)."""
    saved = repository.SUBPROCESS_MIN_ROWS
    if reader == "cursor":
        repository.SUBPROCESS_MIN_ROWS = 2**62
    try:
        eng = make_engine(url)
        bare, rows, full, read, comp, items = [], 0, [], [], [], 0
        with Session(eng) as session:
            for _ in range(repeat):
                secs, rows = _bare(session)
                bare.append(secs)
                t0 = time.perf_counter()
                table = ind.compute(session, period=period)
                full.append(time.perf_counter() - t0)
                items = len(table.items)
                t0 = time.perf_counter()
                tables = repository.load(session, region=None)
                read.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                ind.compute_from(tables, period=period)
                comp.append(time.perf_counter() - t0)
        eng.dispose()
    finally:
        repository.SUBPROCESS_MIN_ROWS = saved
    levels = sorted(set(table.items["level"]))
    print(f"database: {url}; reader: {reader}; load average {os.getloadavg()}")
    print(f"measurement rows: {rows:,}; period {period}; levels {', '.join(levels)}")
    print(f"bare scan (read + one group-by):   {min(bare):7.2f} s")
    print(f"all indicators, all levels:        {min(full):7.2f} s  ({items:,} items)")
    print(f"  of which reading all tables:     {min(read):7.2f} s")
    print(f"  of which computing:              {min(comp):7.2f} s")
    print(f"ratio all / bare:                  {min(full) / min(bare):7.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--children", type=int, default=100_000)
    ap.add_argument("--db", help="An existing database URL (skips the build).")
    ap.add_argument(
        "--build-into",
        metavar="URL",
        help="Build the synthetic province into this (empty) database, e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/tumbuh_bench (kept after the "
        "run; use --db URL to run again without building).",
    )
    ap.add_argument("--period", default="2025")
    ap.add_argument("--repeat", type=int, default=2, help="Best of N runs.")
    ap.add_argument(
        "--reader",
        choices=["child", "cursor", "both"],
        default="child",
        help="SQLite reader: child process (default), in-process cursor, or both "
        "in this run (cursor first).",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tumbuh-bench-ind-") as tmp:
        url = args.db or _build(args.children, Path(tmp), args.build_into)
        readers = ["cursor", "child"] if args.reader == "both" else [args.reader]
        for reader in readers:
            _run(url, args.period, args.repeat, reader)


if __name__ == "__main__":
    main()
