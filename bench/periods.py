"""Benchmark: choosing the default reporting period (`tumbuh.reports.periods`) against the
newest-row query it replaces, on the same database in the same run.

    .venv/bin/python bench/periods.py --db sqlite:///demo/tumbuh.db
    .venv/bin/python bench/periods.py --db postgresql+psycopg://postgres@127.0.0.1/tumbuh

* baseline: ``SELECT max(measured_on) FROM measurements`` (what "the year of the newest row"
  costs; uses the index on ``measured_on``), and a bare scan ``SELECT count(*),
  count(desa_code) FROM measurements`` (every row read once);
* periods: ``default_period`` by year and by month (one ``GROUP BY desa, year[, month]``).

Prints the median of 5 runs of each and the ratio to the bare scan. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from sqlalchemy import text

from tumbuh.db.engine import make_engine
from tumbuh.db.session import unit_of_work
from tumbuh.reports.periods import default_period


def _median(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times = []
    out: object = None
    for _ in range(runs):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="Database URL with a register.")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(args.db)
    with unit_of_work(engine) as session:
        rows = session.execute(text("SELECT count(*) FROM measurements")).scalar_one()
        cases: list[tuple[str, Callable[[], object]]] = [
            (
                "baseline: max(measured_on)",
                lambda: session.execute(
                    text("SELECT max(measured_on) FROM measurements")
                ).scalar(),
            ),
            (
                "baseline: bare scan count(*), count(desa_code)",
                lambda: tuple(
                    session.execute(
                        text("SELECT count(*), count(desa_code) FROM measurements")
                    ).one()
                ),
            ),
            ("default_period(kind=year)", lambda: default_period(session).label),
            (
                "default_period(kind=month)",
                lambda: default_period(session, kind="month").label,
            ),
        ]
        results = [(name, *_median(fn, args.runs)) for name, fn in cases]
    engine.dispose()
    scan = results[1][1]
    sys.stdout.write(f"{engine.url.get_backend_name()}: {rows} measurements\n")
    for name, seconds, value in results:
        sys.stdout.write(
            f"  {name:<48} {seconds:8.3f} s  x{seconds / scan:6.2f} scan  -> {value}\n"
        )


if __name__ == "__main__":
    main()
