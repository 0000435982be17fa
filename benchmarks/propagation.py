"""Propagation and look-angle throughput, and peak memory of a streamed 24 h run.

Prints, in one run, each skygate figure next to a simple baseline measured on the same data:

1. Propagation + ECEF for the full bundled snapshot over 1 h at 15 s (241 epochs), in
   satellite-epochs per second, against raw ``SatrecArray.sgp4`` (TEME only) on the same
   elements and times. Target: skygate ≥ 0.85 × raw.
2. Visibility above 25° for 1,000 observers × the full snapshot × 240 epochs with
   ``visible_pairs`` (Numba, z-band + cone pruning), against a straightforward NumPy
   computation (dense difference vectors, elevation for every pair, mask). The baseline runs
   on the first few epochs only (it needs ~1 s per epoch) and is compared per pair.
3. Peak memory of 24 h at 15 s (5,761 epochs) of the full snapshot through
   ``propagate_blocks``, measured in a fresh child process (VmHWM, the peak RSS).
   Target: under 1 GiB.

Run:  .venv/bin/python benchmarks/propagation.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import numpy as np

from skygate.earth.geodesy import enu_basis, geodetic_to_ecef, visible_pairs
from skygate.orbits import Constellation, propagate, propagate_blocks
from skygate.timeutil import datetime64_to_jd, parse_duration, time_grid


def interleaved_best(fns, rounds: int = 5) -> list[float]:
    """Best time of each function over ``rounds`` interleaved runs (fair on a busy machine)."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def bench_propagation(c: Constellation) -> None:
    times = time_grid(c.reference_time, parse_duration("1h"), parse_duration("15s"))
    jd, fr = datetime64_to_jd(times)
    array = c.satrec_array
    propagate(c, times[:2])  # compile / warm the kernel
    raw, ours = interleaved_best([lambda: array.sgp4(jd, fr), lambda: propagate(c, times)])
    n = len(c) * times.size
    print(f"propagation, {len(c):,} satellites × {times.size} epochs (1 h at 15 s):")
    print(f"  raw SatrecArray.sgp4 (TEME)      {n / raw / 1e6:8.2f} M sat-epochs/s ({raw:.3f} s)")
    print(f"  skygate propagate (ECEF, UT1)    {n / ours / 1e6:8.2f} M sat-epochs/s ({ours:.3f} s)")
    print(f"  ratio skygate / raw              {raw / ours:8.3f}   (target ≥ 0.85)")


def numpy_visibility(obs, up, east, north, r_t, sin_min):
    """The straightforward way: every observer × every satellite at one epoch."""
    d = r_t[None, :, :] - obs[:, None, :]
    dist = np.linalg.norm(d, axis=2)
    u = np.einsum("osk,ok->os", d, up)
    visible = u >= sin_min * dist
    o, s = np.nonzero(visible)
    dv = d[o, s]
    el = np.degrees(np.arcsin(u[o, s] / dist[o, s]))
    az = np.degrees(np.arctan2(np.einsum("pk,pk->p", dv, east[o]),
                               np.einsum("pk,pk->p", dv, north[o]))) % 360
    return o, s, el, az, dist[o, s]


def bench_look_angles(c: Constellation) -> None:
    rng = np.random.default_rng(0)
    lat = np.degrees(np.arcsin(rng.uniform(-0.87, 0.94, 1000)))  # uniform on the sphere, 60S–70N
    lon = rng.uniform(-180, 180, 1000)
    times = time_grid(c.reference_time, parse_duration("1h"), parse_duration("15s"))[:240]
    eph = propagate(c, times)
    r = eph.r_ecef_km
    visible_pairs(lat[:2], lon[:2], 0.0, r[:100, :2])  # compile / warm
    start = time.perf_counter()
    pairs = visible_pairs(lat, lon, 0.0, r, 25.0)
    ours = time.perf_counter() - start
    obs = geodetic_to_ecef(lat, lon, 0.0)
    east, north, up = enu_basis(lat, lon)
    sin_min = np.sin(np.radians(25.0))
    n_base = 6
    start = time.perf_counter()
    base_count = 0
    for t in range(n_base):
        base_count += numpy_visibility(obs, up, east, north, np.ascontiguousarray(r[:, t]),
                                       sin_min)[0].size
    base = time.perf_counter() - start
    ours_count = int(np.count_nonzero(pairs.time < n_base))
    all_pairs = 1000 * len(c) * times.size
    base_pairs = 1000 * len(c) * n_base
    print(f"\nvisibility ≥ 25°, 1,000 observers × {len(c):,} satellites × {times.size} epochs "
          f"({all_pairs / 1e9:.2f} G pairs):")
    print(f"  NumPy baseline ({n_base} epochs)        {base_pairs / base / 1e6:10.1f} M pairs/s "
          f"({base:.2f} s; {base / n_base * times.size:.0f} s for all {times.size} epochs)")
    print(f"  skygate visible_pairs (all)     {all_pairs / ours / 1e6:10.1f} M pairs/s "
          f"({ours:.2f} s, {len(pairs):,} visible, {numba_threads()} threads)")
    print(f"  speed-up                        {(all_pairs / ours) / (base_pairs / base):10.1f} ×")
    print(f"  same pairs on the baseline epochs: {ours_count == base_count} "
          f"({ours_count:,} = {base_count:,}); mean in view per observer per epoch "
          f"{len(pairs) / 1000 / times.size:.1f}")


def numba_threads() -> int:
    import numba

    return numba.get_num_threads()


def peak_rss_mib() -> float:
    """This process's peak resident set size. Linux's VmHWM belongs to the process image, while
    ``ru_maxrss`` survives ``fork``+``exec`` and would report the parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def memory_child() -> None:
    """24 h at 15 s, streamed; prints epochs, failures, seconds, RSS after loading, peak RSS."""
    c = Constellation.load()
    loaded_mib = peak_rss_mib()
    start = time.perf_counter()
    epochs = failed = 0
    for times, eph in propagate_blocks(c, c.reference_time, "24h", "15s"):
        epochs += times.size
        failed += int(np.count_nonzero(eph.error))
    seconds = time.perf_counter() - start
    peak_mib = peak_rss_mib()
    print(f"{epochs} {failed} {seconds:.1f} {loaded_mib:.0f} {peak_mib:.0f}")


def bench_memory() -> None:
    out = subprocess.run([sys.executable, __file__, "--memory-child"], capture_output=True,
                         text=True, check=True).stdout.split()
    epochs, failed, seconds, loaded, peak = out
    rate = len(Constellation.load()) * int(epochs) / float(seconds) / 1e6
    print(f"\n24 h at 15 s streamed with propagate_blocks ({epochs} epochs, default blocks):")
    print(f"  peak RSS {peak} MiB for the whole process ({loaded} MiB of it after imports and "
          f"loading); {seconds} s ({rate:.2f} M sat-epochs/s); {failed} failed sat-epochs")
    print(f"  target < 1024 MiB: {'met' if float(peak) < 1024 else 'NOT met'}")


def main() -> None:
    if "--memory-child" in sys.argv:
        memory_child()
        return
    print(f"skygate propagation benchmark — {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}, numpy {np.__version__}\n")
    c = Constellation.load()
    bench_propagation(c)
    bench_look_angles(c)
    bench_memory()


if __name__ == "__main__":
    main()
