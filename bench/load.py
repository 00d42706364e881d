"""Load: N concurrent users on a served demo, client-side latency per kind of request.

Run: ``.venv/bin/python bench/load.py [--children 10000] [--users 20] [--seconds 60]``.

Builds (once, cached under bench/out/) the demo province through the real path (``tumbuh
demo --no-serve``, as bench/web.py), serves it with ``tumbuh serve`` in a subprocess (the
production entry point, real HTTP on the loopback), then:

0. ``tumbuh db refresh``: the stored panels brought to this version of the code and data
   (read back when current; a server started on outdated panels serves them and recomputes
   them in the background, which would be measured too);
1. baseline: one user, the same request mix, for a quarter of the time;
2. load: ``--users`` users at once, each with its own login (page session and API token),
   looping over the mix with no think time for ``--seconds``.

The mix: region pages (province, the busiest kab/kota, kecamatan and desa), a child page,
``/api/v1/children`` for the desa, and ``/api/v1/regions/{kab}/summary``. Printed per kind
and overall: requests, errors (HTTP >= 400 or a failed connection), p50/p95/p99 in ms
(wall time at the client, network included), and requests/s; then per kind the p95 ratio
load/baseline, both measured in this run, and whether the region pages' p95 is under
``--target-ms`` (issue 16: 500 ms with 20 users on the 100,000-child demo).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web import PASSWORD, USER, build, busiest, ensure_user


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    tumbuh = str(Path(sys.executable).with_name("tumbuh"))
    env = dict(os.environ, TUMBUH_ENVIRONMENT="development")
    proc = subprocess.Popen(
        [tumbuh, "serve", "--db", url, "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the server did not answer within 180 s")


def session(base: str) -> tuple[httpx.Client, dict[str, str]]:
    """A logged-in client (page cookie) and a bearer header for the API."""
    client = httpx.Client(base_url=base, timeout=60)
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": USER, "password": PASSWORD,
              "csrf_token": client.cookies["tumbuh_csrf"]},
    )  # fmt: skip
    if r.status_code != 303:  # the redirect to the user's region
        raise SystemExit(f"login failed: HTTP {r.status_code}")
    tok = client.post(
        "/api/v1/auth/token", data={"username": USER, "password": PASSWORD}
    ).json()["access_token"]
    return client, {"Authorization": f"Bearer {tok}"}


def run(
    base: str, mix: list[tuple[str, str, bool]], users: int, seconds: float
) -> tuple[dict[str, list[float]], dict[str, int], float]:
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    clients = [session(base) for _ in range(users)]
    start = threading.Barrier(users + 1)
    stop_at = [0.0]

    def user(i: int) -> None:
        client, auth = clients[i]
        start.wait()
        k = i  # users start at different points of the mix
        while time.monotonic() < stop_at[0]:
            kind, path, api = mix[k % len(mix)]
            k += 1
            t0 = time.perf_counter()
            try:
                r = client.get(path, headers=auth if api else None)
                ok = r.status_code < 400
            except httpx.HTTPError:
                ok = False
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                times[kind].append(ms)
                if not ok:
                    errors[kind] += 1

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    began = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    for client, _ in clients:
        client.close()
    return times, errors, elapsed


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(
    title: str, times: dict[str, list[float]], errors: dict[str, int], elapsed: float
) -> dict[str, float]:
    """Print the table; return the p95 per kind (and "all")."""
    print(f"\n{title}")
    print(f"{'kind':<22}{'n':>7}{'errors':>8}{'p50':>9}{'p95':>9}{'p99':>9}")
    every: list[float] = []
    out: dict[str, float] = {}
    for kind in sorted(times):
        values = times[kind]
        out[kind] = pct(values, 95)
        every += values
        print(
            f"{kind:<22}{len(values):>7}{errors.get(kind, 0):>8}"
            f"{pct(values, 50):>9.0f}{pct(values, 95):>9.0f}{pct(values, 99):>9.0f}"
        )
    total_err = sum(errors.values())
    p95 = pct(every, 95)
    print(
        f"{'all':<22}{len(every):>7}{total_err:>8}{pct(every, 50):>9.0f}"
        f"{p95:>9.0f}{pct(every, 99):>9.0f}   {len(every) / elapsed:.1f} requests/s"
    )
    out["all"] = p95
    return out


def refresh(url: str) -> None:
    tumbuh = str(Path(sys.executable).with_name("tumbuh"))
    started = time.perf_counter()
    subprocess.run([tumbuh, "db", "refresh", "--db", url], check=True)
    print(f"stored panels refreshed in {time.perf_counter() - started:.0f} s")


def loadavg() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--db", help="serve this database instead of the demo")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--target-ms", type=float, default=500)
    args = parser.parse_args()
    url = args.db or build(args.children)
    ensure_user(url)
    refresh(url)
    kab, kec, desa, child = busiest(url)
    mix = [
        ("page province", "/regions/64", False),
        ("page kab/kota", f"/regions/{kab}", False),
        ("page kecamatan", f"/regions/{kec}", False),
        ("page desa", f"/regions/{desa}", False),
        ("page child", f"/children/{child}", False),
        ("api children", f"/api/v1/children?region={desa}", True),
        ("api summary", f"/api/v1/regions/{kab}/summary", True),
    ]
    port = free_port()
    proc = serve(url, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        run(base, mix, 1, 5)  # the first views of each page (panels read, templates)
        print(f"load average before the baseline: {loadavg()}")
        t, e, s = run(base, mix, 1, args.seconds / 4)
        base95 = report(f"baseline: 1 user, {args.seconds / 4:.0f} s", t, e, s)
        t, e, s = run(base, mix, args.users, args.seconds)
        load95 = report(
            f"load: {args.users} users, {args.seconds:.0f} s, {args.workers} worker(s)",
            t, e, s,
        )  # fmt: skip
        print(f"load average after the load: {loadavg()}")
        print(f"\n{'p95 load/baseline':<22}{'ratio':>7}")
        for kind in base95:
            print(f"{kind:<22}{load95[kind] / base95[kind]:>6.1f}x")
        pages = [k for k in load95 if k.startswith("page ") and k != "page child"]
        worst = max(pages, key=lambda k: load95[k])
        verdict = "under" if load95[worst] < args.target_ms else "NOT under"
        print(
            f"region pages p95 {min(load95[k] for k in pages):.0f}-{load95[worst]:.0f} ms "
            f"({worst} the slowest): {verdict} {args.target_ms:.0f} ms"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
