"""API benchmark: availability lookups and the Taiwan cells layer over loopback.

Starts ``skygate``'s API (uvicorn, one worker, httptools + uvloop when installed) on a free
loopback port over a fresh temporary ``SKYGATE_HOME`` (default SQLite store, seeded with the
default preset), then drives it from this process with a small keep-alive HTTP/1.1 client
(asyncio streams; N concurrent connections). Every availability request asks for a different
random point on Earth, so no answer is served from a per-point cache.

Targets (issue 5): >= 1,000 availability requests/s with p99 < 20 ms; the cells endpoint for
Taiwan's bounding box < 200 ms.

Baselines, measured in the same run:
- availability, naive: what a request would cost without the API's caches — ``decide`` with
  the policy reloaded from the ledger (``policy=None``), a fresh SGP4 propagation of every
  satellite, and the in-view count (in-process, no HTTP at all);
- cells, naive: ``decide`` called once per cell of the box instead of the compiled arrays.

Usage: ``.venv/bin/python benchmarks/api.py [--requests 20000] [--connections 16]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

TAIWAN_BBOX = "119.3,21.8,122.1,25.4"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, port: int, workers: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYGATE_")}
    env["SKYGATE_HOME"] = str(home)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "skygate.api.app:create_app",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
           "--no-access-log", "--workers", str(workers)]
    for module, flag in (("httptools", ["--http", "httptools"]), ("uvloop", ["--loop", "uvloop"])):
        try:
            __import__(module)
            cmd += flag
        except ImportError:
            pass
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


async def _worker(port: int, paths: list[str], latencies: list[float], statuses: list[int]):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for path in paths:
            t0 = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            statuses.append(int(head.split(b" ", 2)[1]))
    finally:
        writer.close()


async def load(port: int, paths: list[str], connections: int) -> tuple[float, np.ndarray, list[int]]:
    latencies: list[float] = []
    statuses: list[int] = []
    chunks = [paths[i::connections] for i in range(connections)]
    t0 = time.perf_counter()
    await asyncio.gather(*(_worker(port, c, latencies, statuses) for c in chunks))
    return time.perf_counter() - t0, np.asarray(latencies) * 1e3, statuses


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def random_points(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on the sphere between 60 S and 72 N (where people live)."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(np.sin(np.radians(-60)), np.sin(np.radians(72)), n)
    return np.degrees(np.arcsin(z)), rng.uniform(-180, 180, n)


def naive_availability(home: Path, n: int) -> float:
    """Seconds per request of the uncached path (in-process, no HTTP)."""
    os.environ["SKYGATE_HOME"] = str(home)
    from skygate.api.sky import SkyCache
    from skygate.policy import decide
    from skygate.policy.control import load_policy
    from skygate.settings import get_settings
    from skygate.store import open_store

    get_settings.cache_clear()
    store = open_store()
    sky = SkyCache()
    sky.snapshot()  # load the constellation once (a server would keep it)
    lat, lon = random_points(n, seed=2)
    decide((0.0, 0.0), None, "fixed", policy=load_policy(store))  # region index: load it now
    t0 = time.perf_counter()
    for a, b in zip(lat, lon):
        now = datetime.now(timezone.utc)
        decide((float(a), float(b)), now, "fixed", policy=load_policy(store))
        sky.compute(now).in_view(float(a), float(b))
    store.close()
    return (time.perf_counter() - t0) / n


def naive_cells(home: Path) -> tuple[float, int]:
    """Seconds to decide every cell of the Taiwan box one by one, and the cell count."""
    from skygate.earth import cells as _cells
    from skygate.policy import decide
    from skygate.policy.control import load_policy
    from skygate.store import open_store

    store = open_store()
    policy = load_policy(store)
    box = _cells.cells_in_bbox(*(float(x) for x in TAIWAN_BBOX.split(",")))
    now = datetime.now(timezone.utc)
    decide(int(box[0]), now, "fixed", policy=policy)  # load the lazy tables outside the timing
    t0 = time.perf_counter()
    for cell in box:
        decide(int(cell), now, "fixed", policy=policy)
    store.close()
    return time.perf_counter() - t0, int(box.size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="skygate-bench-") as tmp:
        home = Path(tmp)
        port = free_port()
        proc = start_server(home, port, args.workers)
        try:
            lat, lon = random_points(args.requests)
            paths = [f"/api/v1/availability?lat={a:.5f}&lon={b:.5f}" for a, b in zip(lat, lon)]
            asyncio.run(load(port, paths[:500], args.connections))  # warm-up
            cpu0 = cpu_seconds(proc.pid)
            wall, lat_ms, statuses = asyncio.run(load(port, paths, args.connections))
            cpu1 = cpu_seconds(proc.pid)
            cell_times = []
            for _ in range(10):
                t0 = time.perf_counter()
                _, _, st = asyncio.run(load(port, [f"/api/v1/cells?bbox={TAIWAN_BBOX}"], 1))
                cell_times.append((time.perf_counter() - t0) * 1e3)
                assert st == [200]
            import httpx

            n_cells = json.loads(httpx.get(f"http://127.0.0.1:{port}/api/v1/cells",
                                           params={"bbox": TAIWAN_BBOX}).text)["count"]
        finally:
            proc.terminate()
            proc.wait(10)
        bad = sum(1 for s in statuses if s != 200)
        naive_s = naive_availability(home, 30)
        naive_cells_s, naive_n = naive_cells(home)

    rate = args.requests / wall
    p50, p99 = np.percentile(lat_ms, [50, 99])
    naive_rate = 1.0 / naive_s
    print(f"skygate API benchmark (loopback, {args.workers} uvicorn worker(s), "
          f"{os.cpu_count()} CPUs, client on the same machine)")
    print(f"availability: {args.requests:,} requests, {args.connections} connections, "
          f"{bad} non-200")
    print(f"  served      {rate:8,.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   "
          f"max {lat_ms.max():6.1f} ms   (target >= 1,000 req/s, p99 < 20 ms)")
    if cpu0 is not None and cpu1 is not None:
        # The server's own CPU time per request: steadier than req/s on a shared machine,
        # where the client and other jobs compete for the same cores.
        per_req_us = (cpu1 - cpu0) / args.requests * 1e6
        print(f"  server CPU  {per_req_us:8,.0f} us/request   (= {1e6 / per_req_us:,.0f} req/s "
              "per fully used core)")
    print(f"  baseline    {naive_rate:8,.1f} req/s   (uncached path in-process: ledger reload "
          f"+ SGP4 of every satellite per request, {naive_s * 1e3:.1f} ms each)")
    print(f"  speed-up    {rate / naive_rate:8,.0f}x")
    med = float(np.median(cell_times))
    print(f"cells, Taiwan bbox {TAIWAN_BBOX} ({n_cells:,} res-5 cells, GeoJSON):")
    print(f"  served      median {med:6.1f} ms   max {max(cell_times):6.1f} ms   (target < 200 ms)")
    print(f"  baseline    {naive_cells_s * 1e3:6.1f} ms   (decide per cell, {naive_n:,} cells, "
          "no geometry, in-process)")
    print(f"  speed-up    {naive_cells_s * 1e3 / med:8.1f}x")
    ok = rate >= 1000 and p99 < 20 and med < 200 and bad == 0
    print("targets met" if ok else "TARGETS NOT MET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
