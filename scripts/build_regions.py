"""Derive skygate's bundled region data from Natural Earth 1:10m admin-0 countries.

    .venv/bin/python scripts/build_regions.py [--source ../shared/data/boundaries/ne_10m_admin_0_countries_deu.zip]
                                              [--out src/skygate/data/regions]

Needs the ``data`` extra (``pyshp``). Takes a few minutes on one core. Writes:

* ``regions.json``   codes, names, ISO alpha-3, raster geometry, the list of synthetic codes;
* ``geometries.npz`` per region: land + territorial sea polygons, and land polygons
  (int32 multiples of 1e-6°, delta-coded, zlib);
* ``index.npz``      the 1/8° lookup raster (region id or candidate set per pixel), the land
  raster (0 sea, 1 land, 2 mixed), candidate sets, and per-cell arrays over all res-5 cells in
  canonical sorted order (region id of the centre; straddle and land bits).

Method (documented in src/skygate/data/PROVENANCE.md):

1. Countries are keyed by ``ISO_A2_EH``; features without one (``-99``) keep ``ADM0_A3``.
   Features sharing a code are merged (France + Clipperton, Australia + its dependencies).
   Islands Natural Earth 1:10m omits are added from ``ISLAND_SUPPLEMENT`` (Matsu, Lieyu,
   Wuqiu, Pratas → TW).
2. Territorial sea: a geodesic buffer of 12 nmi (22.224 km) around each country's land,
   computed on the sphere (R = 6371.0088 km) in azimuthal-equidistant projections centred on
   each island or on 5° tiles of large landmasses (scale error < 0.2 %, ≈ 40 m of 22 km), minus
   other countries' land.
3. Where belts overlap, each point goes to the country whose land is nearest (equidistance
   line), from a Voronoi diagram of coast points sampled every ~0.005° around the overlap.
4. Raster: pixels crossed by any region boundary (sampled every 0.02°, dilated by one pixel)
   are "mixed" and carry the candidate regions; other pixels carry the region at their centre.
   Polygons are made valid and snapped to the 1e-6° storage grid first.
5. Per res-5 cell: region and land flag of the centre (through the index just written), and
   whether the hexagon touches any region boundary ("straddles").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from skygate.earth.geojson import split_antimeridian  # noqa: E402
from skygate.earth.regions import MIXED, QUANTUM_DEG, RegionIndex, encode_multipolygons  # noqa: E402
from skygate.earth import cells as sgcells  # noqa: E402

R_KM = 6371.0088  # mean Earth radius (IUGG)
SEA_KM = 12 * 1.852  # 12 nmi, UNCLOS art. 3
TILE_DEG = 5.0
PIXELS_PER_DEG = 8
T0 = time.time()


def log(msg: str) -> None:
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


# ---- reading -----------------------------------------------------------------------------
def read_countries(source: Path):
    import shapefile

    reader = shapefile.Reader(str(source))
    land, names, a3, synthetic = defaultdict(list), {}, {}, {}
    for sr in reader.iterShapeRecords():
        rec = sr.record.as_dict()
        code = rec["ISO_A2_EH"]
        if code == "-99":
            code = rec["ADM0_A3"]
            synthetic[code] = rec["NAME"]
        geom = shapely.make_valid(shape(sr.shape.__geo_interface__))
        land[code].append(geom)
        if code not in names or rec["HOMEPART"] == 1:
            names[code] = rec["NAME"]
            a3[code] = rec["ISO_A3_EH"] if rec["ISO_A3_EH"] != "-99" else rec["ADM0_A3"]
    merged = {c: _polygonal(shapely.union_all(g)) for c, g in land.items()}
    return merged, names, a3, synthetic


# Islands that Natural Earth 1:10m admin-0 omits but whose country is not in doubt, added as
# land disks of the island's area at its coordinates (Wikipedia / GeoNames). Evidence of the
# assignment: Taiwan administers them (Lienchiang County = Matsu; Kinmen County = Lieyu, Wuqiu;
# Kaohsiung = Pratas), and the OSM maritime layer (../shared/data/boundaries/
# osm_maritime_10km.geojson) puts all of them inside Taiwan's polygon.
# (code, name, lat_deg, lon_deg, area_km2)
ISLAND_SUPPLEMENT = [
    ("TW", "Nangan (Matsu)", 26.150, 119.933, 10.4),
    ("TW", "Beigan (Matsu)", 26.217, 119.983, 8.9),
    ("TW", "Dongju (Matsu)", 25.950, 119.967, 2.6),
    ("TW", "Xiju (Matsu)", 25.967, 119.933, 2.4),
    ("TW", "Dongyin (Matsu)", 26.367, 120.483, 3.8),
    ("TW", "Lieyu / Lesser Kinmen (Kinmen County)", 24.433, 118.233, 14.85),
    ("TW", "Wuqiu (Kinmen County)", 24.983, 119.450, 1.2),
    ("TW", "Pratas Island (Dongsha)", 20.700, 116.717, 1.74),
]


def supplement_islands(land: dict) -> None:
    """Add :data:`ISLAND_SUPPLEMENT` disks to ``land`` (in place)."""
    for code, _, lat, lon, area_km2 in ISLAND_SUPPLEMENT:
        radius_km = float(np.sqrt(area_km2 / np.pi))
        disk = unproject(shapely.buffer(shapely.Point(0.0, 0.0), radius_km, quad_segs=8), lon, lat)
        land[code] = _polygonal(shapely.union(land[code], disk))


def _polygonal(g, merge: bool = False):
    """The polygons of any geometry (collections flattened) as one MultiPolygon; with
    ``merge`` they are unioned first, so parts that share an edge become one valid polygon."""
    parts = list(shapely.get_parts(g))
    while any(p.geom_type in ("MultiPolygon", "GeometryCollection") for p in parts):
        parts = [q for p in parts for q in shapely.get_parts(p)]
    polys = [p for p in parts if p.geom_type == "Polygon" and p.area > 0]
    if merge and polys:
        return _polygonal(shapely.union_all(polys))
    return shapely.MultiPolygon(polys)


# ---- spherical azimuthal equidistant projection -------------------------------------------
def aeqd_forward(lon, lat, lon0, lat0):
    la, lo = np.radians(lat), np.radians(lon - lon0)
    la0 = np.radians(lat0)
    cosc = np.clip(np.sin(la0) * np.sin(la) + np.cos(la0) * np.cos(la) * np.cos(lo), -1, 1)
    c = np.arccos(cosc)
    k = np.where(c > 1e-12, c / np.sin(np.maximum(c, 1e-12)), 1.0)
    x = R_KM * k * np.cos(la) * np.sin(lo)
    y = R_KM * k * (np.cos(la0) * np.sin(la) - np.sin(la0) * np.cos(la) * np.cos(lo))
    return x, y


def aeqd_inverse(x, y, lon0, lat0):
    la0 = np.radians(lat0)
    rho = np.hypot(x, y)
    c = rho / R_KM
    safe = np.where(rho > 1e-12, rho, 1.0)
    lat = np.arcsin(np.clip(np.cos(c) * np.sin(la0) + y * np.sin(c) * np.cos(la0) / safe, -1, 1))
    dlon = np.arctan2(x * np.sin(c), rho * np.cos(la0) * np.cos(c) - y * np.sin(la0) * np.sin(c))
    lat = np.where(rho > 1e-12, lat, la0)
    return lon0 + np.degrees(dlon), np.degrees(lat)


def project(geom, lon0, lat0):
    return shapely.transform(geom, lambda c: np.column_stack(aeqd_forward(c[:, 0], c[:, 1], lon0, lat0)))


def unproject(geom, lon0, lat0):
    return shapely.transform(geom, lambda c: np.column_stack(aeqd_inverse(c[:, 0], c[:, 1], lon0, lat0)))


# ---- territorial sea ---------------------------------------------------------------------
def geodesic_buffer(land: shapely.MultiPolygon) -> shapely.Geometry:
    """Land ∪ everything within SEA_KM of it, in lon/lat, split at ±180°."""
    pieces = []
    for part in land.geoms:
        w, s, e, n = part.bounds
        if e - w <= TILE_DEG * 1.6 and n - s <= TILE_DEG * 1.6:
            pieces.append((part, (w + e) / 2, (s + n) / 2))
            continue
        for lo in np.arange(np.floor(w / TILE_DEG) * TILE_DEG, e, TILE_DEG):
            for la in np.arange(np.floor(s / TILE_DEG) * TILE_DEG, n, TILE_DEG):
                piece = shapely.clip_by_rect(part, lo, la, lo + TILE_DEG, la + TILE_DEG)
                if not piece.is_empty and piece.area > 0:
                    pieces.append((piece, lo + TILE_DEG / 2, la + TILE_DEG / 2))
    out = []
    for piece, lon0, lat0 in pieces:
        if abs(lat0) > 85.0:  # polar tiles are Antarctica's interior: nothing to buffer
            out.append(piece)
            continue
        p = project(piece, lon0, lat0)
        if not p.is_valid:
            p = shapely.make_valid(p)
        b = shapely.simplify(shapely.buffer(p, SEA_KM, quad_segs=6), 0.02)
        out.append(split_antimeridian(unproject(b, lon0, lat0)))
    return _polygonal(shapely.make_valid(shapely.union_all(out)))


def resolve_overlaps(regions: dict, land: dict) -> None:
    """Split overlapping territorial seas on the equidistance line (in place)."""
    codes = list(regions)
    tree = shapely.STRtree([regions[c] for c in codes])
    pairs = tree.query([regions[c] for c in codes], predicate="intersects")
    done = 0
    for i, j in zip(*pairs):
        if i >= j:
            continue
        a, b = codes[i], codes[j]
        overlap = shapely.intersection(regions[a], regions[b])
        overlap = _polygonal(overlap)
        if overlap.is_empty or overlap.area < 1e-10:
            continue
        for piece in overlap.geoms:
            zone_a = _nearest_zone(piece, land[a], land[b])
            if zone_a is None:
                continue
            to_a = _polygonal(shapely.intersection(piece, zone_a))
            to_b = _polygonal(shapely.difference(piece, zone_a))
            regions[a] = _polygonal(shapely.difference(regions[a], to_b))
            regions[b] = _polygonal(shapely.difference(regions[b], to_a))
        done += 1
    log(f"resolved {done} overlapping territorial-sea pairs")


def enforce_disjoint(regions: dict) -> None:
    """Whatever overlap the median-line step left (pieces without coast points on one side),
    goes to the region first in code order; logged so it stays visible."""
    codes = list(regions)
    geoms = [regions[c] for c in codes]
    a, b = shapely.STRtree(geoms).query(geoms, predicate="overlaps")
    for i, j in zip(a, b):
        if i < j:
            inter = shapely.intersection(regions[codes[i]], regions[codes[j]])
            if inter.area > 0:
                log(f"overlap {codes[i]}/{codes[j]}: {inter.area:.2e} deg² given to {codes[i]}")
                regions[codes[j]] = _polygonal(shapely.difference(regions[codes[j]], regions[codes[i]]))


def finalize(g):
    """Valid, snapped to the 1e-6° storage grid (so the stored polygons are exactly these)."""
    g = shapely.set_precision(shapely.make_valid(g), QUANTUM_DEG)
    g = _polygonal(shapely.make_valid(g), merge=True)
    assert g.is_valid, shapely.is_valid_reason(g)
    return g


def _coast_points(land, box):
    lines = shapely.intersection(land.boundary, box)
    if lines.is_empty:
        return np.empty((0, 2))
    return shapely.get_coordinates(shapely.segmentize(lines, 0.005))


def _nearest_zone(piece, land_a, land_b):
    w, s, e, n = piece.bounds
    dlat = 0.3
    dlon = 0.3 / max(np.cos(np.radians(max(abs(s), abs(n)))), 0.05)
    box = shapely.box(w - dlon, max(s - dlat, -90), e + dlon, min(n + dlat, 90))
    pa, pb = _coast_points(land_a, box), _coast_points(land_b, box)
    if len(pa) == 0 or len(pb) == 0:
        return None
    lon0, lat0 = (w + e) / 2, (s + n) / 2
    pts = np.vstack([pa, pb])
    label = np.r_[np.zeros(len(pa), bool), np.ones(len(pb), bool)]
    xy = np.column_stack(aeqd_forward(pts[:, 0], pts[:, 1], lon0, lat0))
    xy, keep = np.unique(np.round(xy, 6), axis=0, return_index=True)
    label = label[keep]
    extent = shapely.box(*(xy.min(0) - 500), *(xy.max(0) + 500))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=extent, ordered=True))
    zone = shapely.union_all(cells[~label])
    return unproject(zone, lon0, lat0)


# ---- raster ------------------------------------------------------------------------------
def boundary_pixels(geoms: list, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(pixel, id) pairs for every pixel within one pixel of an id's boundary."""
    ncol = 360 * PIXELS_PER_DEG
    nrow = 180 * PIXELS_PER_DEG
    pix_all, id_all = [], []
    for g, rid in zip(geoms, ids):
        pts = shapely.get_coordinates(shapely.segmentize(g.boundary, 0.02))
        row = np.clip(((pts[:, 1] + 90) * PIXELS_PER_DEG).astype(np.int64), 0, nrow - 1)
        col = np.clip(((pts[:, 0] + 180) * PIXELS_PER_DEG).astype(np.int64), 0, ncol - 1)
        base = np.unique(row * ncol + col)
        row, col = base // ncol, base % ncol
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r = np.clip(row + dr, 0, nrow - 1)
                c = (col + dc) % ncol
                pix_all.append(r * ncol + c)
                id_all.append(np.full(r.size, rid, np.int32))
    pix, idv = np.concatenate(pix_all), np.concatenate(id_all)
    pairs = np.unique(np.column_stack([pix, idv]), axis=0)
    return pairs[:, 0], pairs[:, 1]


def centre_values(geoms: list, ids: list[int], pure: np.ndarray) -> np.ndarray:
    """Id of the geometry containing each pure pixel's centre (0 where none), as a flat array
    over all pixels. Works per region on the rows/columns of its bounding box."""
    nrow, ncol = 180 * PIXELS_PER_DEG, 360 * PIXELS_PER_DEG
    pure2 = pure.reshape(nrow, ncol)
    out = np.zeros((nrow, ncol), np.int32)
    for g, rid in zip(geoms, ids):
        shapely.prepare(g)
        for p in _bbox_parts(g):
            w, s, e, n = p
            r0, r1 = int((s + 90) * PIXELS_PER_DEG), int(np.ceil((n + 90) * PIXELS_PER_DEG))
            c0, c1 = int((w + 180) * PIXELS_PER_DEG), int(np.ceil((e + 180) * PIXELS_PER_DEG))
            rr, cc = np.nonzero(pure2[r0:r1, c0:c1] & (out[r0:r1, c0:c1] == 0))
            rr, cc = rr + r0, cc + c0
            hit = shapely.contains_xy(g, (cc + 0.5) / PIXELS_PER_DEG - 180, (rr + 0.5) / PIXELS_PER_DEG - 90)
            out[rr[hit], cc[hit]] = rid
    return out.ravel()


def _bbox_parts(g) -> list:
    """Bounding boxes to scan: one, or one per part for shapes split at ±180°."""
    w, s, e, n = g.bounds
    if e - w < 300:
        return [(w, s, e, n)]
    return [p.bounds for p in g.geoms]


def build_raster(region_geoms: list, land_geoms: list):
    nrow, ncol = 180 * PIXELS_PER_DEG, 360 * PIXELS_PER_DEG
    ids = list(range(1, len(region_geoms) + 1))
    pix, rid = boundary_pixels(region_geoms, ids)
    log(f"region boundaries touch {np.unique(pix).size:,} pixels")
    raster = np.zeros(nrow * ncol, np.uint16)
    pure = np.ones(nrow * ncol, bool)
    pure[pix] = False
    raster[pure] = centre_values(region_geoms, ids, pure)[pure]
    order = np.lexsort((rid, pix))
    pix, rid = pix[order], rid[order]
    starts = np.flatnonzero(np.r_[True, pix[1:] != pix[:-1]])
    groups = np.split(rid, starts[1:])
    sets: dict[tuple, int] = {}
    for p, g in zip(pix[starts], groups):
        key = tuple(g.tolist())
        raster[p] = MIXED + sets.setdefault(key, len(sets))
    kmax = max(len(k) for k in sets)
    cand = np.full((len(sets), kmax), -1, np.int16)
    for key, i in sets.items():
        cand[i, : len(key)] = key
    log(f"{len(sets):,} candidate sets, up to {kmax} regions each")
    lpix, _ = boundary_pixels(land_geoms, ids)
    land = np.zeros(nrow * ncol, np.uint8)
    lpure = np.ones(nrow * ncol, bool)
    lpure[lpix] = False
    land[lpure] = (centre_values(land_geoms, ids, lpure)[lpure] > 0).astype(np.uint8)
    land[~lpure] = 2
    log(f"coast touches {np.unique(lpix).size:,} pixels")
    return raster.reshape(nrow, ncol), land.reshape(nrow, ncol), cand


# ---- per-cell arrays ---------------------------------------------------------------------
def cell_arrays(index: RegionIndex, region_geoms: list):
    """Per res-5 cell: region id of the centre, land flag of the centre, and "straddles": the
    cell's hexagon (edges straight in lon/lat, metres from H3's arcs at res 5) touches a
    region boundary, so not all of the cell is in the centre's region."""
    cells = sgcells.all_cells(5)
    lat, lon = sgcells._all_centers(5)
    ids = index.lookup_ids(lat, lon)
    land = index.is_land(lat, lon)
    log("cell centres looked up")
    chunks = []
    for g in region_geoms:
        for ring in shapely.get_rings(shapely.get_parts(g)):
            xy = shapely.get_coordinates(ring)
            for k in range(0, len(xy) - 1, 64):
                chunks.append(shapely.linestrings(xy[k:k + 65]))
    tree = shapely.STRtree(chunks)
    straddle = np.zeros(cells.size, bool)
    step = 200_000
    for k in range(0, cells.size, step):
        polys = [_cell_polygon(r) for r in sgcells.cell_boundaries(cells[k:k + step])]
        hit = np.unique(tree.query(polys, predicate="intersects")[0])
        straddle[k + hit] = True
    log(f"{int(straddle.sum()):,} res-5 cells straddle a border or the 12-nmi line")
    return ids, straddle, land


def _cell_polygon(ring: np.ndarray):
    poly = shapely.Polygon(ring)
    if ring[:, 0].max() > 180.0:  # unwrapped across the antimeridian: test both copies
        return shapely.union(poly, shapely.transform(poly, lambda c: c - np.array([360.0, 0.0])))
    return poly


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path,
                    default=REPO.parent / "shared/data/boundaries/ne_10m_admin_0_countries_deu.zip")
    ap.add_argument("--out", type=Path, default=REPO / "src/skygate/data/regions")
    args = ap.parse_args(argv)
    land, names, a3, synthetic = read_countries(args.source)
    supplement_islands(land)
    codes = sorted(land)
    log(f"read {len(codes)} regions ({len(synthetic)} without ISO code: {sorted(synthetic)})")
    tree = shapely.STRtree([land[c] for c in codes])
    regions = {}
    for k, c in enumerate(codes):
        buf = geodesic_buffer(land[c])
        others = [codes[j] for j in tree.query(buf, predicate="intersects") if codes[j] != c]
        if others:
            buf = shapely.difference(buf, shapely.union_all([land[o] for o in others]))
        regions[c] = _polygonal(shapely.union(buf, land[c]))
        if k % 25 == 0:
            log(f"buffered {k + 1}/{len(codes)} ({c})")
    resolve_overlaps(regions, land)
    enforce_disjoint(regions)
    regions = {c: finalize(g) for c, g in regions.items()}
    land = {c: finalize(g) for c, g in land.items()}
    all_codes = ["XZ"] + codes
    region_geoms = [regions[c] for c in codes]
    land_geoms = [land[c] for c in codes]
    args.out.mkdir(parents=True, exist_ok=True)
    enc = encode_multipolygons([None] + region_geoms, "region")
    enc.update(encode_multipolygons([None] + land_geoms, "land"))
    np.savez_compressed(args.out / "geometries.npz", **enc)
    meta = {
        "source": "Natural Earth 1:10m Admin-0 countries v5.1.1 (German point of view), public domain",
        "codes": all_codes,
        "names": ["International waters"] + [names[c] for c in codes],
        "a3": ["XZ"] + [a3[c] for c in codes],
        "synthetic_codes": synthetic,
        "territorial_sea_km": SEA_KM,
        "pixels_per_deg": PIXELS_PER_DEG,
        "island_supplement": [list(x) for x in ISLAND_SUPPLEMENT],
    }
    (args.out / "regions.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    log("geometries written; rasterizing")
    raster, land_raster, cand = build_raster(region_geoms, land_geoms)
    dummy = np.zeros(sgcells.all_cells(5).size, np.uint16)
    np.savez_compressed(args.out / "index.npz", raster=raster, land_raster=land_raster, candidates=cand,
                        cell_region_ids=dummy, cell_straddle_bits=np.packbits(dummy > 0),
                        cell_land_bits=np.packbits(dummy > 0))
    ids, straddle, cland = cell_arrays(RegionIndex(args.out), region_geoms)
    np.savez_compressed(args.out / "index.npz", raster=raster, land_raster=land_raster, candidates=cand,
                        cell_region_ids=ids, cell_straddle_bits=np.packbits(straddle),
                        cell_land_bits=np.packbits(cland))
    sizes = {p.name: p.stat().st_size for p in args.out.iterdir()}
    log(f"done: {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
