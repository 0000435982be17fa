"""The map's area layer (``GET /authorizations/areas``): size and time, beside baselines.

    .venv/bin/python benchmarks/map_areas.py [--repeat 5]

The layer is every area-scoped authorization of the bundled preset (Crimea's 175 cells, the
operator's 3,296 waitlist cells) in force at one date. Prints, in-process (no HTTP):

* the layer as built by :class:`skygate.api.areas.AreaLayer`: cold (merging with H3's
  ``cells_to_h3shape``), warm (the body cached per policy version), bytes raw and gzip;
* baseline 1 — the same cells as one hexagon per cell (``cell_boundaries_geojson``, what
  ``/restrictions/areas`` sends): bytes and time;
* baseline 2 — merging the same cells with ``shapely.union_all`` of their hexagons: time,
  and whether it gives the same area.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from datetime import datetime, timezone

import numpy as np
import shapely

from skygate.api.areas import AreaLayer, area_features, merged_geometry
from skygate.earth import cells as _cells
from skygate.policy.presets import preset_path
from skygate.policy.state import PolicyState

AT = datetime(2025, 6, 1, tzinfo=timezone.utc)


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    state = PolicyState.from_file(preset_path("reported-2024-10"))
    rules = [a for a in state.authorizations if a.scope.kind != "region" and a.in_force(AT)]
    all_cells = [r.scope.cells for r in rules]
    n_cells = sum(c.size for c in all_cells)
    area_features(state, AT)  # loads the region index once, outside the timings

    cold = best_of(lambda: AreaLayer().geojson(state, AT), args.repeat)
    layer = AreaLayer()
    body = layer.geojson(state, AT)
    warm = best_of(lambda: layer.geojson(state, AT), args.repeat * 20)
    zipped = gzip.compress(body, compresslevel=5, mtime=0)
    gzip_s = best_of(lambda: gzip.compress(body, compresslevel=5, mtime=0), args.repeat)
    fc = json.loads(body)
    n_polygons = sum(len(f["geometry"]["coordinates"]) for f in fc["features"])
    n_vertices = sum(len(ring) for f in fc["features"] for p in f["geometry"]["coordinates"]
                     for ring in p)

    def per_cell():
        return json.dumps(_cells.cell_boundaries_geojson(np.concatenate(all_cells)),
                          separators=(",", ":")).encode()

    hexes = per_cell()
    hex_s = best_of(per_cell, args.repeat)
    hexes_gz = gzip.compress(hexes, compresslevel=5, mtime=0)

    def union_all():
        return [shapely.union_all([shapely.Polygon(r) for r in _cells.cell_boundaries(c)])
                for c in all_cells]

    union_s = best_of(union_all, args.repeat)
    h3_s = best_of(lambda: [merged_geometry(c) for c in all_cells], args.repeat)
    area_h3 = sum(shapely.geometry.shape(merged_geometry(c)).area for c in all_cells)
    area_union = sum(g.area for g in union_all())

    print(f"area layer of the preset at {AT:%Y-%m-%d}: {len(rules)} rules, {n_cells:,} res-5 "
          f"cells -> {n_polygons} polygons, {n_vertices:,} vertices")
    print(f"  merged (this layer):   {len(body) / 1e3:7.1f} kB raw, {len(zipped) / 1e3:6.1f} kB "
          f"gzip; cold {cold * 1e3:6.1f} ms, cached {warm * 1e6:6.1f} us, gzip per request "
          f"{gzip_s * 1e3:.1f} ms")
    print(f"  baseline, one hexagon per cell: {len(hexes) / 1e3:7.1f} kB raw, "
          f"{len(hexes_gz) / 1e3:6.1f} kB gzip; {hex_s * 1e3:6.1f} ms")
    print(f"    -> {len(hexes) / len(body):.1f}x smaller raw, {len(hexes_gz) / len(zipped):.1f}x "
          f"smaller gzip; cold build {hex_s / cold:.1f}x faster")
    print(f"  merging only: h3 cells_to_h3shape {h3_s * 1e3:.1f} ms; baseline shapely.union_all "
          f"of hexagons {union_s * 1e3:.1f} ms -> {union_s / h3_s:.1f}x; areas agree to "
          f"{abs(area_h3 - area_union) / area_union:.1e} (relative)")


if __name__ == "__main__":
    main()
