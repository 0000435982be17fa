"""Point → region lookup speed, beside straightforward shapely baselines in the same run.

    .venv/bin/python benchmarks/regions.py [--points 1000000]

Prints: index load time; lookups per second for N random points (uniform on the sphere and
uniform in a box over Europe, where borders and coasts are dense); the same points through
(a) a vectorized shapely baseline — ``contains_xy`` of every prepared country polygon — and
(b) a per-point ``STRtree`` loop on a sample; the region of every res-5 cell; H3 indexing.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from skygate.earth import cells as sc
from skygate.earth.regions import RegionIndex


def timed(fn, *args, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def shapely_vectorized(geoms, lat, lon):
    """Baseline (a): test every prepared region polygon against all points."""
    out = np.zeros(lat.size, np.uint16)
    for rid, g in enumerate(geoms):
        if g is not None:
            out[shapely.intersects_xy(g, lon, lat)] = rid
    return out


def shapely_loop(tree, owners, lat, lon):
    """Baseline (b): one STRtree query per point, in a Python loop."""
    out = np.zeros(lat.size, np.uint16)
    for i, (a, o) in enumerate(zip(lat.tolist(), lon.tolist())):
        hit = tree.query(shapely.Point(o, a), predicate="intersects")
        if hit.size:
            out[i] = owners[hit[0]]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    n = ap.parse_args().points
    rng = np.random.default_rng(1)

    t_load, index = timed(RegionIndex)
    t_geo, _ = timed(index._load_geometries)
    print(f"index load {t_load * 1e3:.0f} ms (+ polygons on first refinement {t_geo * 1e3:.0f} ms)")
    geoms = [None] + [index._region_geometry(i) for i in range(1, len(index))]  # prepared

    sets = {
        "globe": (np.degrees(np.arcsin(rng.uniform(-1, 1, n))), rng.uniform(-180, 180, n)),
        "Europe 35-60N 10W-40E": (rng.uniform(35, 60, n), rng.uniform(-10, 40, n)),
    }
    for label, (lat, lon) in sets.items():
        index.lookup_ids(lat[:1000], lon[:1000])  # warm
        t_fast, ids = timed(index.lookup_ids, lat, lon, repeat=3)
        m = min(n, 100_000)
        t_vec, base = timed(shapely_vectorized, geoms, lat[:m], lon[:m])
        assert np.array_equal(base, ids[:m]), "baseline disagrees with the index"
        k = min(n, 5_000)
        parts, owners = [], []
        for rid, g in enumerate(geoms):
            if g is not None:
                parts += list(g.geoms)
                owners += [rid] * len(g.geoms)
        tree = shapely.STRtree(parts)
        t_loop, loop = timed(shapely_loop, tree, np.array(owners), lat[:k], lon[:k])
        assert np.array_equal(loop, ids[:k]), "loop baseline disagrees with the index"
        rate, rate_vec, rate_loop = n / t_fast, m / t_vec, k / t_loop
        print(f"[{label}] {n:,} points: {t_fast:.3f} s = {rate / 1e6:.2f} M points/s | "
              f"shapely contains_xy over all polygons: {rate_vec / 1e3:.0f} k/s (×{rate / rate_vec:.0f}) | "
              f"STRtree per-point loop: {rate_loop / 1e3:.1f} k/s (×{rate / rate_loop:.0f})")

    t_cells, cells5 = timed(sc.all_cells, 5)
    t_regions, _ = timed(index.cells_regions, cells5, repeat=3)
    sample = cells5[:: max(1, cells5.size // 200_000)]
    t_sample, _ = timed(lambda c: index.lookup_ids(*sc.cell_centers(c)), sample)
    print(f"all_cells(5): {cells5.size:,} cells in {t_cells:.2f} s; cells_regions(all): "
          f"{t_regions * 1e3:.1f} ms (precomputed) vs centre lookups "
          f"{t_sample / sample.size * cells5.size:.2f} s extrapolated from {sample.size:,}")
    lat, lon = sets["globe"]
    m = min(n, 200_000)
    t_h3, _ = timed(sc.latlng_to_cells, lat[:m], lon[:m])
    print(f"latlng_to_cells (h3 per point): {m / t_h3 / 1e6:.2f} M points/s")


if __name__ == "__main__":
    main()
