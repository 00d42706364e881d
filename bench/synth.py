"""Benchmark `tumbuh synth --format parquet`: children per minute and peak memory.

Usage: python bench/synth.py [--children 2000000] [--workers 2] [--chunk-size 100000]

Runs `tumbuh synth` in a child process and prints children per minute (wall clock and per
CPU-minute, since the machine may be shared), visit rows per second, the peak RSS of the
largest process (getrusage RUSAGE_CHILDREN) and the output size.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        out = Path(tmp)
        cmd = [
            sys.executable,
            "-m",
            "tumbuh",
            "synth",
            "--children",
            str(args.children),
            "--format",
            "parquet",
            "--workers",
            str(args.workers),
            "--chunk-size",
            str(args.chunk_size),
            "--seed",
            str(args.seed),
            "--out",
            str(out),
        ]
        load_before = f"{os.getloadavg()[0]:.2f}"
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(proc.returncode)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kb = usage.ru_maxrss
        cpu = usage.ru_utime + usage.ru_stime
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        visits = int(proc.stdout.split(" visit rows")[0].rsplit(" ", 1)[-1])
    print(f"children            {args.children:,}")
    print(f"workers, chunk      {args.workers}, {args.chunk_size:,}")
    print(f"wall time           {elapsed:,.1f} s")
    print(f"children per minute {args.children / elapsed * 60:,.0f} (wall clock)")
    print(f"CPU time            {cpu:,.1f} s (all processes)")
    print(f"children per CPU-minute {args.children / cpu * 60:,.0f}")
    print(f"load average before/after {load_before} / {os.getloadavg()[0]:.2f}")
    print(f"visit rows          {visits:,} ({visits / elapsed:,.0f} per s)")
    print(f"peak RSS (largest process) {peak_kb / 1024:,.0f} MiB")
    print(f"output size         {size / 2**20:,.0f} MiB")
    print(proc.stdout.strip())


if __name__ == "__main__":
    main()
