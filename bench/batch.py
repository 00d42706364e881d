"""Benchmark: `tumbuh batch zscore` (Dask) vs the single-process kernel on the same rows.

    .venv/bin/python bench/batch.py                        # ~5 M synthetic visit rows
    .venv/bin/python bench/batch.py --children 25000       # quick (~0.5 M rows)
    .venv/bin/python bench/batch.py --data /tmp/synth      # reuse a generated province

Generates a synthetic province once with ``synthesize(..., "parquet")`` (visits/ parts),
then runs, each in its own subprocess so that peak memory (ru_maxrss) is its own:

* baseline: read all visit rows into one table, one call of ``tumbuh.growth.zscores``;
* batch: ``zscore_dataset`` with the threaded and the process scheduler (2 workers);
* prevalence: ``prevalence_dataset`` by kabkota x year over the batch output;
* krs: ``krs_dataset`` over 1 M generated family rows (text cells, 4 parts).

Prints a table and projections to 22 M children and 70 M families (a *projection* from the measured rate,
not a measurement). Asserts nothing about timing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NATIONAL_CHILDREN = 22_000_000


FAMILIES = 1_000_000
NATIONAL_FAMILIES = 70_000_000


def _write_families(directory: Path, n: int, parts: int) -> None:
    """A family table with text cells as a register export has them (some blank/bad)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)

    def pick(values: list[str]) -> Any:
        return np.array(values, dtype=object)[rng.integers(0, len(values), n)]

    frame = pd.DataFrame(
        {
            "family_id": np.arange(n).astype(str),
            "wife_age": pick(["17", "22", "27", "31", "36", "41", ""]),
            "pregnant": pick(["y", "n", "n", "n", ""]),
            "children_count": pick(["0", "1", "2", "3", "4", ""]),
            "min_birth_interval_months": pick(["14", "26", "40", "60", ""]),
            "has_child_0_23": pick(["y", "n", "n"]),
            "has_child_24_59": pick(["y", "n", "n"]),
            "water_source": pick(["piped", "bored_well", "sungai", "unprotected_well"]),
            "latrine": pick(["own_septic", "shared_septic", "no_septic", "tidak ada"]),
            "modern_contraception": pick(["y", "n", ""]),
            "welfare_decile": pick([str(d) for d in range(1, 11)] + [""]),
        }
    )
    directory.mkdir(parents=True, exist_ok=True)
    for i, idx in enumerate(np.array_split(np.arange(n), parts)):
        frame.iloc[idx].to_parquet(directory / f"part-{i:05d}.parquet", index=False)


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def _step(step: str, data: Path, out: Path, workers: int, rows: int) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tumbuh.batch import Scheduler, prevalence_dataset, zscore_dataset
    from tumbuh.growth import zscores

    if step == "synth":
        from tumbuh.synth import SynthConfig, synthesize

        start = time.perf_counter()
        synthesize(SynthConfig(children=rows), data, "parquet", workers=workers)
        _write_families(data / "krs_families", FAMILIES, parts=4)
        n = pq.ParquetDataset(data / "visits").read(columns=["child_id"]).num_rows
    elif step == "baseline":
        start = time.perf_counter()
        t = pq.read_table(data / "visits")
        z = zscores(
            sex=t["sex"].to_numpy(),
            age_days=t["age_days"].to_numpy(),
            weight_kg=t["weight_kg"].to_numpy(zero_copy_only=False),
            lenhei_cm=t["lenhei_cm"].to_numpy(zero_copy_only=False),
            measure=t["measure"].cast(pa.string()).to_numpy(zero_copy_only=False),
            validate="row",
        )
        z.to_dict()  # the category columns are computed on access, as batch does
        n = t.num_rows
    elif step in ("threads", "processes"):
        start = time.perf_counter()
        s = zscore_dataset(
            data / "visits",
            out / step,
            scheduler=Scheduler(step, workers=workers),
            partition_rows=rows,
        )
        n = s.rows
    elif step == "prevalence":
        src = out / "threads"
        start = time.perf_counter()
        table = prevalence_dataset(
            src, ["kabkota", "year"], province="64", scheduler=Scheduler("threads")
        )
        n = pq.ParquetDataset(src).read(columns=["child_id"]).num_rows
        assert len(table) > 0
    elif step == "krs":
        from tumbuh.batch import krs_dataset
        from tumbuh.risk.krs import classify_family_table

        fam_dir = data / "krs_families"
        if not fam_dir.is_dir():  # --data without them; the peak then includes this
            _write_families(fam_dir, FAMILIES, parts=4)
        start = time.perf_counter()
        k = krs_dataset(
            fam_dir,
            out / "krs",
            classify_family_table,
            scheduler=Scheduler("processes", workers=workers),
            partition_rows=rows,
        )
        n = k.families
    else:
        raise SystemExit(f"unknown step {step}")
    seconds = time.perf_counter() - start
    return {"step": step, "rows": n, "seconds": seconds, "peak_mb": _peak_mb()}


def _run_step(
    step: str, args: argparse.Namespace, data: Path, out: Path, rows: int | None = None
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--step",
        step,
        "--data",
        str(data),
        "--out",
        str(out),
        "--workers",
        str(args.workers),
        "--partition-rows",
        str(rows or args.partition_rows),
    ]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", type=int, default=255_000)
    ap.add_argument("--data", type=Path, help="existing synth output (with visits/)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partition-rows", type=int, default=250_000)
    ap.add_argument("--step", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        print(
            json.dumps(
                _step(args.step, args.data, args.out, args.workers, args.partition_rows)
            )
        )
        return

    with tempfile.TemporaryDirectory(prefix="tumbuh-bench-batch-") as tmp:
        data = args.data or Path(tmp) / "synth"
        out = args.out or Path(tmp) / "out"
        if not (data / "visits").is_dir():
            # In a subprocess: on Linux a child inherits its parent's peak RSS.
            gen = _run_step("synth", args, data, out, rows=args.children)
            print(f"synthesize {args.children:,} children: {gen['seconds']:.0f} s")
        results = [
            _run_step(s, args, data, out)
            for s in ("baseline", "threads", "processes", "prevalence", "krs")
        ]
    rows = results[0]["rows"]
    per_child = rows / args.children if not args.data else float("nan")
    print(
        f"\n{rows:,} visit rows ({per_child:.1f} per child), {args.workers} workers\n"
    )
    print(f"{'step':<12}{'seconds':>10}{'rows/s':>14}{'peak MB':>10}")
    for r in results:
        rate = r["rows"] / r["seconds"]
        print(
            f"{r['step']:<12}{r['seconds']:>10.1f}{rate:>14,.0f}{r['peak_mb']:>10.0f}"
        )
    krs_rate = results[4]["rows"] / results[4]["seconds"]
    print(f"(krs: {results[4]['rows']:,} family rows, processes scheduler)")
    best = max(results[1:3], key=lambda r: r["rows"] / r["seconds"])
    rate = best["rows"] / best["seconds"]
    if per_child == per_child:  # not NaN
        national = NATIONAL_CHILDREN * per_child
        print(
            f"\nPROJECTION (not measured): 22 M children x {per_child:.1f} visits = "
            f"{national / 1e6:.0f} M rows; at {rate:,.0f} rows/s ({best['step']}, "
            f"{args.workers} workers) batch zscore takes ~{national / rate / 60:.0f} min; "
            "time scales ~1/workers on a cluster while peak memory per worker stays flat."
        )
    print(
        f"PROJECTION (not measured): 70 M families at {krs_rate:,.0f} families/s "
        f"({args.workers} workers) -> batch krs ~{NATIONAL_FAMILIES / krs_rate / 60:.0f} min."
    )


if __name__ == "__main__":
    main()
