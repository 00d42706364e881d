"""Benchmark: routine surveillance of a whole province from 5 M measurements.

    .venv/bin/python bench/surveillance.py                # 5 M rows
    .venv/bin/python bench/surveillance.py --rows 500000  # quick

Builds a measurement frame in memory (the register's column names): the real desa codes
of Kalimantan Timur (64) from the packaged Kemendagri list, 4 posyandu per desa, children
born 2018-2025 weighed monthly in 2022-2025 with 70 % attendance, z-scores drawn around
N(-1, 1.1) with 1 % WHO flags. Then times, in this process:

1. `tumbuh.analytics.routine.prevalence`: 5 indicators x 5 levels (province, kab/kota,
   kecamatan, desa, posyandu) x month, quarter and year, with Wilson CIs;
2. `tumbuh.analytics.routine.new_cases` per year at all levels;
3. `tumbuh.analytics.quality.quality` per posyandu and year (plus an all-year row);
4. a naive pandas baseline doing step 1's stunting figures (sort, drop_duplicates per
   period kind, one groupby per level), measured in the same run.

Prints figures; asserts nothing about timing (the machine is shared).
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from tumbuh.analytics import quality, routine

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
REGIONS = ROOT / "src" / "tumbuh" / "data" / "regions" / "wilayah_kemendagri_2025.csv"


def desa_codes(province: str = "64") -> list[str]:
    with REGIONS.open(encoding="utf-8") as fh:
        return [
            r["kode"]
            for r in csv.DictReader(fh)
            if r["level"] == "4" and r["kode"].startswith(province + ".")
        ]


def build(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    desa = np.array(desa_codes(), dtype=object)
    n_pos = 4 * len(desa)
    months = 48  # 2022-2025
    children = int(rows / (months * 0.7 * 0.5)) + 1  # ~half the window under five
    birth = rng.integers(
        np.datetime64("2018-01-01").astype(int),
        np.datetime64("2025-12-31").astype(int),
        children,
    )
    pos = rng.integers(0, n_pos, children)
    child = rng.integers(0, children, rows)
    month = rng.integers(0, months, rows)
    day = np.array(
        [np.datetime64(f"{2022 + m // 12}-{m % 12 + 1:02d}-01") for m in range(48)]
    ).astype("datetime64[D]")[month] + rng.integers(0, 28, rows).astype(
        "timedelta64[D]"
    )
    age = (day.astype(int) - birth[child]).astype(np.int64)
    zlen = np.round(rng.normal(-1.0, 1.1, rows), 2)
    zwei = np.round(0.6 * zlen + rng.normal(-0.3, 0.8, rows), 2)
    zwfl = np.round(rng.normal(-0.3, 1.1, rows), 2)
    flags = rng.random((3, rows)) < 0.01
    weight = np.round(3.3 + age / 180.0 + rng.normal(0, 0.8, rows), 1)
    length = np.round(50 + age / 25.0 + rng.normal(0, 2, rows), 1)
    return pd.DataFrame(
        {
            "child_id": child,
            "measured_on": day.astype("datetime64[ns]"),
            "age_days": age,
            "sex": np.where(child % 2 == 0, "M", "F"),
            "desa_code": desa[pos[child] // 4],
            "posyandu_id": pos[child],
            "weight_kg": weight,
            "lenhei_cm": length,
            "measure": np.where(age < 731, "l", "h"),
            "zlen": zlen,
            "zwei": zwei,
            "zwfl": zwfl,
            "flen": flags[0],
            "fwei": flags[1],
            "fwfl": flags[2],
        }
    )


def naive_pandas(frame: pd.DataFrame) -> int:
    """The same figures as step 1 with plain pandas: 5 indicators, 5 levels, 3 period
    kinds, long output with Wilson CIs."""
    f = frame[(frame["age_days"] >= 0) & (frame["age_days"] < routine.UNDER_FIVE_DAYS)]
    f = f.sort_values(["child_id", "measured_on"])
    cols = []
    for name, rule in routine.INDICATORS.items():
        ok = f[rule.z].notna() & ~f[rule.flag]
        z = f[rule.z]
        case = ok & ((z < rule.cut) if rule.op == "<" else (z > rule.cut))
        f = f.assign(**{f"n_{name}": ok, f"x_{name}": case})
        cols += [f"n_{name}", f"x_{name}"]
    rows = 0
    for code in ("M", "Q", "Y"):  # month, quarter, year
        g = f.assign(period=f["measured_on"].dt.to_period(code).astype(str))
        g = g.drop_duplicates(["child_id", "period"], keep="last")
        keys = [g["desa_code"].str[:w] for w in (2, 5, 8, 13)] + [g["posyandu_id"]]
        for key in keys:
            out = g.groupby([key, "period"])[cols].sum().reset_index()
            for name in routine.INDICATORS:
                long = out[[out.columns[0], "period"]].assign(
                    n=out[f"n_{name}"], cases=out[f"x_{name}"]
                )
                low, high = routine.wilson_interval(
                    long["cases"].to_numpy(), long["n"].to_numpy()
                )
                long = long.assign(ci_low=low, ci_high=high)
                rows += len(long)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    frame = build(args.rows)
    t_build = time.perf_counter() - t0
    print(
        f"frame: {len(frame):,} measurements, {frame['child_id'].nunique():,} children, "
        f"{frame['desa_code'].nunique():,} desa, {frame['posyandu_id'].nunique():,} "
        f"posyandu (built in {t_build:.1f} s; {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.1f})"
    )
    timings: dict[str, tuple[float, float]] = {}

    def timed(name: str, fn: Callable[[], T]) -> T:
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        timings[name] = (time.perf_counter() - w, time.process_time() - c)
        return out

    prev = timed(
        "prevalence 5 indicators x 5 levels x month/quarter/year",
        lambda: routine.prevalence(frame),
    )
    inc = timed(
        "new cases per year, 5 levels (DuckDB)",
        lambda: routine.new_cases(frame, freq="year"),
    )
    q = timed(
        "quality per posyandu x year (+ all-year row)",
        lambda: quality.quality(frame, level="posyandu", freq="year"),
    )
    print(f"  {'step':<58} {'wall':>7} {'CPU':>7}")
    for name, (wall, cpu) in timings.items():
        print(f"  {name:<58} {wall:6.2f}s {cpu:6.2f}s")
    wall = sum(v[0] for v in timings.values())
    cpu = sum(v[1] for v in timings.values())
    print(f"  {'TOTAL (target < 10 s wall)':<58} {wall:6.2f}s {cpu:6.2f}s")
    print("  (CPU = all threads of this process; wall >> CPU / 2 means a busy machine)")
    print(
        f"output: {len(prev):,} prevalence rows, {len(inc):,} incidence rows, "
        f"{len(q):,} quality rows"
    )
    if not args.no_baseline:
        t = time.perf_counter()
        cells = naive_pandas(frame)
        base = time.perf_counter() - t
        ours = timings["prevalence 5 indicators x 5 levels x month/quarter/year"][0]
        print(
            f"baseline: naive pandas, same figures ({cells:,} rows): {base:.2f} s; "
            f"tumbuh (5 indicators + CIs) is {base / ours:.1f}x faster"
        )


if __name__ == "__main__":
    main()
