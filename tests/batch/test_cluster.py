"""`tumbuh batch` on a real dask.distributed cluster: a scheduler and two workers started
as separate processes (`dask scheduler`, `dask worker`, loopback only, random free ports).

Each command runs as its own `tumbuh` process against the cluster and must write files
byte-identical to the threaded run; one run loses a worker (SIGKILL) while its tasks run
and must still finish with identical files (the scheduler moves the lost tasks). "While
its tasks run" is made certain, not timed: the test waits for a file a task wrote, pauses
both workers (SIGSTOP), kills one the scheduler has tasks on, and resumes the other.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tumbuh.cli import app

distributed = pytest.importorskip(
    "distributed", reason="the cluster extra: pip install 'tumbuh[cluster]'"
)

BIN = Path(sys.executable).parent
START_TIMEOUT_S = 120.0

pytestmark = pytest.mark.slow


@dataclass
class Cluster:
    address: str
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)


def _wait_for(
    predicate: Any, what: str, timeout: float = START_TIMEOUT_S, poll: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(poll)


def _start_worker(address: str, name: str, tmp: Path) -> subprocess.Popen[bytes]:
    # --no-nanny: the process started here *is* the worker, so a SIGKILL loses it for
    # good (a nanny would start a new one).
    return subprocess.Popen(
        [
            str(BIN / "dask"),
            "worker",
            address,
            "--name",
            name,
            "--host",
            "127.0.0.1",
            "--nthreads",
            "1",
            "--no-nanny",
            "--no-dashboard",
            "--local-directory",
            str(tmp / name),
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / f"{name}.log").open("wb"),
    )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A scheduler and two single-threaded workers on 127.0.0.1, stopped afterwards."""
    info = tmp_path / "scheduler.json"
    procs: list[subprocess.Popen[bytes]] = []
    scheduler = subprocess.Popen(
        [
            str(BIN / "dask"),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(info),
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "scheduler.log").open("wb"),
    )
    procs.append(scheduler)
    try:
        _wait_for(lambda: info.exists() and info.stat().st_size > 0, "the scheduler")
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        c = Cluster(address)
        for name in ("w1", "w2"):
            c.workers[name] = _start_worker(address, name, tmp_path)
            procs.append(c.workers[name])
        with distributed.Client(address, timeout=START_TIMEOUT_S) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield c
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _tumbuh(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUMBUH_")}
    return subprocess.Popen(
        [str(BIN / "tumbuh"), "batch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _run(*args: str) -> str:
    proc = _tumbuh(*args)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    return out


def _run_here(*args: str) -> None:
    """The threaded reference run, in this process."""
    result = CliRunner().invoke(app, ["batch", *args])
    assert result.exit_code == 0, result.output


def _files(directory: Path) -> dict[str, bytes]:
    """Every file of `directory` by name (hidden partial files included: none may stay)."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def visits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Measurement rows in 6 files of 4 row groups each: 24 tasks at 3,000 rows a task."""
    out = tmp_path_factory.mktemp("visits")
    rng = np.random.default_rng(11)
    for f in range(6):
        n = 12_000
        age = rng.integers(0, 1856, n)
        frame = pd.DataFrame(
            {
                "child_id": [f"c{f}-{i % 4000}" for i in range(n)],
                "sex": rng.integers(1, 3, n),
                "age_days": age,
                "date": pd.Timestamp("2024-01-01")
                + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
                "weight_kg": np.round(3.3 + age / 1856 * 14 + rng.normal(0, 1.5, n), 1),
                "lenhei_cm": np.round(50 + age / 1856 * 57 + rng.normal(0, 4.0, n), 1),
                "measure": np.where(age < 731, "l", "h"),
                "kode_desa": rng.choice(
                    ["64.01.01.2001", "64.02.03.2004", "64.72.01.1001"], n
                ),
            }
        )
        pq.write_table(
            pa.Table.from_pandas(frame, preserve_index=False),
            out / f"visits-{f}.parquet",
            row_group_size=3_000,
        )
    return out


@pytest.fixture(scope="module")
def families(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("families")
    rng = np.random.default_rng(3)
    n = 6_000

    def pick(values: list[str]) -> Any:
        return np.array(values, dtype=object)[rng.integers(0, len(values), n)]

    frame = pd.DataFrame(
        {
            "family_id": np.arange(n).astype(str),
            "wife_age": pick(["17", "22", "31", "41", ""]),
            "pregnant": pick(["y", "n", "n", ""]),
            "children_count": pick(["0", "1", "2", "4", ""]),
            "min_birth_interval_months": pick(["14", "26", "40", ""]),
            "has_child_0_23": pick(["y", "n"]),
            "has_child_24_59": pick(["y", "n"]),
            "water_source": pick(["piped", "sungai", "unprotected_well"]),
            "latrine": pick(["own_septic", "no_septic", "tidak ada"]),
        }
    )
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False),
        out / "families.parquet",
        row_group_size=1_000,
    )
    return out


def test_zscore_prevalence_and_krs_on_the_cluster_equal_the_threaded_run(
    cluster: Cluster, visits: Path, families: Path, tmp_path: Path
) -> None:
    rows = ["--partition-rows", "3000", "--quiet"]
    _run_here("zscore", str(visits), "-o", str(tmp_path / "z-threads"), *rows)
    out = _run(
        "zscore", str(visits), "-o", str(tmp_path / "z-cluster"), *rows,
        "--scheduler", cluster.address,
    )  # fmt: skip
    assert "72,000 rows from 6 file(s) -> 24 file(s)" in out
    threaded = _files(tmp_path / "z-threads")
    assert len(threaded) == 24
    assert _files(tmp_path / "z-cluster") == threaded

    for name, scheduler in (("threads", "threads"), ("cluster", cluster.address)):
        run = _run if name == "cluster" else _run_here
        run(
            "prevalence", str(tmp_path / "z-threads"), "-o",
            str(tmp_path / f"prev-{name}.csv"), "--by", "kabkota,year",
            "--scheduler", scheduler, *rows,
        )  # fmt: skip
        run(
            "krs", str(families), "-o", str(tmp_path / f"krs-{name}"),
            "--partition-rows", "1000", "--scheduler", scheduler, "--quiet",
        )  # fmt: skip
    prev = (tmp_path / "prev-cluster.csv").read_bytes()
    assert prev == (tmp_path / "prev-threads.csv").read_bytes()
    assert prev.count(b"\n") == 1 + 3 * 2 * 7  # header + kab/kota x year x indicator
    krs = _files(tmp_path / "krs-cluster")
    assert len(krs) == 6
    assert krs == _files(tmp_path / "krs-threads")


def _busy_worker(client: Any, cluster: Cluster) -> str:
    """The name of a live worker the scheduler has tasks processing on (waits for one)."""
    names = {addr: w["name"] for addr, w in client.scheduler_info()["workers"].items()}
    found: list[str] = []

    def busy() -> bool:
        for addr, keys in client.processing().items():
            if keys and names.get(addr) in cluster.workers:
                found.append(names[addr])
                return True
        return False

    _wait_for(busy, "a worker with tasks in hand")
    return found[0]


def test_a_worker_killed_while_its_tasks_run_changes_nothing_in_the_output(
    cluster: Cluster, visits: Path, tmp_path: Path
) -> None:
    rows = ["--partition-rows", "3000", "--quiet"]
    _run_here("zscore", str(visits), "-o", str(tmp_path / "z-threads"), *rows)
    out_dir = tmp_path / "z-cluster"
    proc = _tumbuh(
        "zscore", str(visits), "-o", str(out_dir), *rows,
        "--scheduler", cluster.address,
    )  # fmt: skip
    workers = list(cluster.workers.values())
    try:
        # The marker: a file a task wrote (its partial output), so tasks are running.
        _wait_for(
            lambda: (
                out_dir.is_dir() and any(out_dir.iterdir()) or proc.poll() is not None
            ),
            "the first task's output",
            poll=0.002,
        )
        # Freeze both workers at once, so that however fast this machine is the run
        # cannot end before the kill: the scheduler then says who holds tasks.
        for w in workers:
            w.send_signal(signal.SIGSTOP)
        assert proc.poll() is None, "the run ended before a worker could be killed"
        with distributed.Client(cluster.address, timeout=START_TIMEOUT_S) as client:
            victim = _busy_worker(client, cluster)
            cluster.workers[victim].send_signal(signal.SIGKILL)
            cluster.workers[victim].wait(timeout=30)
            for w in workers:
                if w.poll() is None:
                    w.send_signal(signal.SIGCONT)
            # The scheduler notices the loss (so it happened mid-run, before the end).
            _wait_for(
                lambda: len(client.scheduler_info()["workers"]) == 1,
                "the scheduler to drop the killed worker",
            )
        out, _ = proc.communicate(timeout=600)
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGCONT)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert "72,000 rows from 6 file(s) -> 24 file(s)" in out
    assert _files(out_dir) == _files(tmp_path / "z-threads")
