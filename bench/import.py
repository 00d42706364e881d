"""Benchmark: import an e-PPGBM-style CSV (default 1 M rows) into SQLite and PostgreSQL, z-scored.

    .venv/bin/python bench/import.py --rows 1000000 --backend sqlite
    .venv/bin/python bench/import.py --rows 200000 --backend postgres

Prints rows/s and the peak resident memory of the importing process, and the ratio to a
baseline measured in the same run on the same file and database: the file read as text and
each row stored once as it is into a bare table (the floor no import can go under). The file is synthetic:
200 k children x 5 visits, names from syllables, 90 % with a valid NIK, Kaltim desa names,
and a sprinkle of real-export quirks (NIK `.0`, weights in grams, `0` for missing).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

HEADER = (
    "No,NIK,Nama,JK,Tgl Lahir,BB Lahir,TB Lahir,Nama Ortu,NIK Ortu,No KK,Prov,Kab/Kota,Kec,"
    "Pukesmas,Desa/Kel,Posyandu,RT,RW,Alamat,Usia Saat Ukur,Tanggal Pengukuran,Berat,Tinggi,"
    "Cara Ukur,LiLA,Lingkar Kepala,BB/U,ZS BB/U,TB/U,ZS TB/U,BB/TB,ZS BB/TB,Naik Berat Badan"
).split(",")
SYLL = "ra di ma sa ni tu ka li ya na wa fi ri zu an el mi ro de sy".split()


def _kaltim_desa() -> list[tuple[str, str, str, str]]:
    """(kode desa, kab name, kec name, desa name) for Kalimantan Timur."""
    import csv

    path = (
        Path(__file__).resolve().parents[1]
        / "src/tumbuh/data/regions/wilayah_kemendagri_2025.csv"
    )
    names: dict[str, str] = {}
    desa: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["kode"].startswith("64"):
                names[rec["kode"]] = rec["nama"]
                if rec["level"] == "4":
                    desa.append(rec["kode"])
    out = []
    for code in desa:
        parts = code.split(".")
        out.append(
            (
                code,
                names[".".join(parts[:2])],
                names[".".join(parts[:3])],
                names[code],
            )
        )
    return out


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    """Write a synthetic e-PPGBM export with `rows` measurement rows."""
    rng = np.random.default_rng(seed)
    visits = 5
    children = max(1, rows // visits)
    desa = _kaltim_desa()
    child = np.repeat(np.arange(children), visits)[:rows]
    visit = np.tile(np.arange(visits), children)[:rows]
    sex = rng.integers(1, 3, children)
    birth = np.datetime64("2020-07-01") + rng.integers(0, 1500, children).astype(
        "timedelta64[D]"
    )
    syl = np.array(SYLL)

    def names(n: int, parts: int) -> np.ndarray:
        out = syl[rng.integers(0, len(syl), n)].astype(object)
        for _ in range(parts - 1):
            out = out + syl[rng.integers(0, len(syl), n)].astype(object)
        return out

    first = names(children, 3)
    last = names(children, 3)
    child_name = first + " " + last
    mother_name = names(children, 3) + " " + last
    place = rng.integers(0, len(desa), children)
    day = np.array([int(str(b).replace("-", "")[2:]) for b in birth])  # YYMMDD
    dd = (day % 100) + np.where(sex == 2, 40, 0)
    mm = (day // 100) % 100
    yy = day // 10000
    region = np.array([d[0].replace(".", "")[:6] for d in desa])[place]
    serial = np.arange(children) % 9999 + 1
    nik = np.array(
        [
            f"{r}{d:02d}{m:02d}{y:02d}{s:04d}"
            for r, d, m, y, s in zip(region, dd, mm, yy, serial, strict=True)
        ],
        dtype=object,
    )
    has_nik = rng.random(children) < 0.9
    nik[~has_nik] = ""
    mdate = birth[child] + (30 + visit * 35 + rng.integers(0, 20, rows)).astype(
        "timedelta64[D]"
    )
    age_m = (mdate - birth[child]).astype(np.int64) / 30.4375
    # Roughly the WHO medians (0, 6, 12, 24, 36, 48, 60 months) plus noise.
    months = [0, 6, 12, 24, 36, 48, 60]
    weight = np.interp(age_m, months, [3.3, 7.6, 9.6, 12.2, 14.3, 16.3, 18.3])
    height = np.interp(age_m, months, [49.5, 66.0, 75.0, 87.0, 96.0, 103.0, 110.0])
    weight = np.round(weight * rng.normal(1.0, 0.1, rows), 1)
    height = np.round(height * rng.normal(1.0, 0.04, rows), 1)
    grams = rng.random(rows) < 0.005
    weight_txt = np.char.mod("%.1f", weight).astype(object)
    weight_txt[grams] = np.char.mod("%d", (weight[grams] * 1000).astype(int))
    nik_rows = nik[child].copy()
    dot0 = (rng.random(rows) < 0.01) & (nik_rows != "")
    nik_rows[dot0] = nik_rows[dot0] + ".0"
    d = [desa[i] for i in place]
    cols = {
        "No": np.arange(1, rows + 1).astype(str),
        "NIK": nik_rows,
        "Nama": child_name[child],
        "JK": np.where(sex[child] == 1, "L", "P"),
        "Tgl Lahir": np.datetime_as_string(birth[child]),
        "BB Lahir": np.full(rows, "3.1"),
        "TB Lahir": np.full(rows, "0"),
        "Nama Ortu": mother_name[child],
        "NIK Ortu": np.full(rows, ""),
        "No KK": np.full(rows, ""),
        "Prov": np.full(rows, "KALIMANTAN TIMUR"),
        "Kab/Kota": np.array([x[1].upper() for x in d], dtype=object)[child],
        "Kec": np.array([x[2].upper() for x in d], dtype=object)[child],
        "Pukesmas": np.array([x[2] for x in d], dtype=object)[child],
        "Desa/Kel": np.array([x[3] for x in d], dtype=object)[child],
        "Posyandu": np.array([f"Posyandu {x[3]}" for x in d], dtype=object)[child],
        "RT": np.full(rows, "01"),
        "RW": np.full(rows, "02"),
        "Alamat": np.full(rows, ""),
        "Usia Saat Ukur": np.char.mod("%d bl", age_m.astype(int)),
        "Tanggal Pengukuran": np.datetime_as_string(mdate),
        "Berat": weight_txt,
        "Tinggi": np.char.mod("%.1f", height),
        "Cara Ukur": np.where(age_m < 24, "Terlentang", "Berdiri"),
        "LiLA": np.full(rows, "-"),
        "Lingkar Kepala": np.full(rows, "0"),
        "BB/U": np.full(rows, "Berat Badan Normal"),
        "ZS BB/U": np.full(rows, "0.1"),
        "TB/U": np.full(rows, "Normal"),
        "ZS TB/U": np.full(rows, "-0.3"),
        "BB/TB": np.full(rows, "Gizi Baik"),
        "ZS BB/TB": np.full(rows, "0.2"),
        "Naik Berat Badan": np.full(rows, "Y"),
    }
    table = pa.table({k: pa.array(np.asarray(v).astype(str)) for k, v in cols.items()})
    pacsv.write_csv(table, path)


def _import(url: str, path: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    from tumbuh.db.engine import make_engine
    from tumbuh.db.schema import create_schema
    from tumbuh.imports.service import run_import
    from tumbuh.models import Base

    engine = make_engine(url)
    create_schema(engine, Base.metadata)
    t0 = time.perf_counter()
    report = run_import(engine, kind="eppgbm", paths=[path])
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = _peak_rss_mb()
    queue.put(
        {
            "seconds": seconds,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_mb": peak_mb,
            "read": report.read,
            "inserted": report.inserted,
            "rejected": report.rejected,
            "issues": len(report.issues),
            "persons": report.extra.get("persons_created"),
        }
    )


def _baseline(url: str, path: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    """The floor an import cannot go under, on the same file and database: the CSV read
    as text (pyarrow) and every row stored once as it is, all cells as text, into a bare
    table without keys or indexes, in one transaction (no parsing, no checks, no z-scores,
    no linking)."""
    from sqlalchemy import text

    from tumbuh.db.engine import make_engine

    engine = make_engine(url)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in HEADER}
        ),
    )
    names = [f"c{i}" for i in range(table.num_columns)]
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_bare"))
        conn.execute(
            text(f"CREATE TABLE bench_bare ({', '.join(n + ' TEXT' for n in names)})")
        )
        marks = ", ".join(
            "%s" if engine.dialect.name == "postgresql" else "?" for _ in names
        )
        conn.exec_driver_sql(
            f"INSERT INTO bench_bare VALUES ({marks})", list(zip(*columns, strict=True))
        )
    seconds = time.perf_counter() - t0
    queue.put(
        {
            "seconds": seconds,
            "cpu_seconds": time.process_time() - cpu0,
            "rows": table.num_rows,
        }
    )
    engine.dispose()


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the forking
    parent's peak on Linux)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(url: str, path: Path, target: Any = None) -> dict[str, object]:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    proc = ctx.Process(target=target or _import, args=(url, str(path), queue))
    proc.start()
    result: dict[str, object] = queue.get()
    proc.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--backend", choices=["sqlite", "postgres", "both"], default="both"
    )
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "eppgbm.csv"
        t0 = time.perf_counter()
        make_csv(csv_path, args.rows)
        print(
            f"generated {args.rows} rows ({csv_path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
        for backend in backends:
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/bench.db"
            else:
                url = _fresh_pg(args.pg_url)
            base = run(url, csv_path, _baseline)
            res = run(url, csv_path)
            rate = float(res["read"]) / float(res["seconds"])  # type: ignore[arg-type]
            print(
                f"{backend}: {res['read']} rows in {res['seconds']:.1f} s wall "
                f"({res['cpu_seconds']:.1f} s CPU, load average {os.getloadavg()[0]:.1f}) "
                f"= {rate:,.0f} rows/s, "
                f"peak RSS {res['peak_mb']:.0f} MB; {json.dumps(res)}"
            )
            ratio = float(res["seconds"]) / float(base["seconds"])  # type: ignore[arg-type]
            cpu_ratio = float(res["cpu_seconds"]) / float(base["cpu_seconds"])  # type: ignore[arg-type]
            print(
                f"{backend} baseline (read as text + store each row once, bare table, "
                f"same run): {base['seconds']:.1f} s wall, {base['cpu_seconds']:.1f} s "
                f"CPU; import / baseline = {ratio:.2f} (wall), {cpu_ratio:.2f} (CPU)"
            )
            if backend == "postgres":
                _drop_pg(args.pg_url, url)
    return 0


def _fresh_pg(admin_url: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"tumbuh_bench_{os.getpid()}"
    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _drop_pg(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(
            text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        )
    eng.dispose()


if __name__ == "__main__":
    sys.exit(main())
