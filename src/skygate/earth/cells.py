"""The service grid: H3 cells as ``uint64`` arrays, vectorized.

The operator's public availability map is a union of **H3 resolution-5** cells (verified
vertex by vertex against ``h3.cell_to_boundary``; shared facts §4), so skygate's service grid
is H3 res 5 by default (``DEFAULT_RESOLUTION``), configurable per call. A res-5 cell averages
252.9 km² (edge ≈ 9.85 km); there are 2,016,842 of them.

Conventions (docs/architecture.md): cells are ``uint64`` H3 indexes inside, 15-character
lower-case hex strings at the edges (the ``h3`` column). Everything here takes and returns
NumPy arrays. Cell centres and unit vectors use H3's own spherical model (a sphere, not the
WGS84 ellipsoid: H3 is defined on the authalic sphere), which is what the simulator needs for
"is this satellite above this cell" — differences to the ellipsoid are below 0.2° of
latitude and irrelevant at cell scale.

Land/sea classification of cells and the region of a cell come from the region index
(:mod:`skygate.earth.regions`): ``cells_is_land`` here is a thin shortcut to it.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Iterable

import h3
import numpy as np
from h3.api import basic_int as _h3i

from skygate.errors import CoordinateError, InputError

__all__ = [
    "DEFAULT_RESOLUTION",
    "latlng_to_cells",
    "latlng_to_cell",
    "cell_centers",
    "cell_unit_vectors",
    "cell_boundaries",
    "cell_boundaries_geojson",
    "cells_in_bbox",
    "all_cells",
    "cell_resolutions",
    "to_hex",
    "from_hex",
    "cells_is_land",
]

# H3 res 5: the operator's public map uses it (shared facts §4).
DEFAULT_RESOLUTION = 5

_HEX_RE = re.compile(r"^(0x)?[0-9a-fA-F]{15,16}$")


def _check_res(res: int) -> int:
    if not isinstance(res, (int, np.integer)) or not 0 <= int(res) <= 15:
        raise InputError(
            f"H3 resolution must be an integer 0..15, got {res!r}",
            where="res",
            hint=f"the service grid uses {DEFAULT_RESOLUTION}",
        )
    return int(res)


def _check_latlon(lat_deg: Any, lon_deg: Any) -> tuple[np.ndarray, np.ndarray]:
    """Broadcast to float64 1-D arrays and reject NaN or out-of-range latitudes."""
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
    lat, lon = np.broadcast_arrays(lat, lon)
    lat, lon = lat.ravel(), lon.ravel()
    bad = ~(np.isfinite(lat) & np.isfinite(lon)) | (np.abs(lat) > 90.0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CoordinateError(
            f"point #{i} (lat {float(lat[i])!r}, lon {float(lon[i])!r}) is not a valid latitude/longitude",
            where="lat_deg/lon_deg",
            hint="latitude must be within -90..90 degrees; both must be finite numbers",
        )
    return lat, lon


def _check_point(lat_deg: Any, lon_deg: Any) -> tuple[float, float]:
    """One point as two Python floats, with the same checks (and error) as
    :func:`_check_latlon` but none of its array machinery: the per-request path of the API
    pays for this once or twice per request, and NumPy's overhead on 1-element arrays is
    most of a single lookup's cost."""
    try:
        lat, lon = float(lat_deg), float(lon_deg)
    except (TypeError, ValueError):
        raise CoordinateError(
            f"({lat_deg!r}, {lon_deg!r}) is not a latitude/longitude pair of numbers",
            where="lat_deg/lon_deg",
            hint="pass one point as two numbers; for many points use the array functions",
        ) from None
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90.0:
        raise CoordinateError(
            f"point #0 (lat {lat!r}, lon {lon!r}) is not a valid latitude/longitude",
            where="lat_deg/lon_deg",
            hint="latitude must be within -90..90 degrees; both must be finite numbers",
        )
    return lat, lon


def latlng_to_cell(lat_deg: float, lon_deg: float, res: int = DEFAULT_RESOLUTION) -> int:
    """The H3 cell (``int``) of one point: :func:`latlng_to_cells` for a single point, same
    answer (the same longitude wrap, then H3), a tenth of the cost."""
    res = _check_res(res)
    lat, lon = _check_point(lat_deg, lon_deg)
    return _h3i.latlng_to_cell(lat, (lon + 180.0) % 360.0 - 180.0, res)


def latlng_to_cells(lat_deg: Any, lon_deg: Any, res: int = DEFAULT_RESOLUTION) -> np.ndarray:
    """H3 cells (``uint64``) containing each point; longitudes of any range are accepted.

    Arrays broadcast. This calls H3's C library once per point (about 1 µs each): fine for
    thousands of points. For millions of points where only the *region* is wanted, use
    :meth:`skygate.earth.regions.RegionIndex.lookup`, which does not go through cells.
    """
    res = _check_res(res)
    lat, lon = _check_latlon(lat_deg, lon_deg)
    lon = (lon + 180.0) % 360.0 - 180.0
    f = _h3i.latlng_to_cell
    return np.fromiter((f(a, o, res) for a, o in zip(lat.tolist(), lon.tolist())),
                       dtype=np.uint64, count=lat.size)


def _as_cells(cells: Any) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(cells))
    if arr.dtype.kind in "US":
        return from_hex(arr)
    if arr.dtype.kind == "O":
        return from_hex(arr) if arr.size and isinstance(arr.flat[0], str) else arr.astype(np.uint64)
    return arr.astype(np.uint64, copy=False).ravel()


def cell_centers(cells: Any) -> tuple[np.ndarray, np.ndarray]:
    """Centres of cells as ``(lat_deg, lon_deg)`` float64 arrays (H3's spherical centres)."""
    cells = _as_cells(cells)
    if cells.size == 0:
        return np.empty(0), np.empty(0)
    if _is_all_cells(cells):
        lat, lon = _all_centers(int(_h3i.get_resolution(int(cells[0]))))
        return lat.copy(), lon.copy()
    f = _h3i.cell_to_latlng
    ll = np.array([f(c) for c in cells.tolist()], dtype=np.float64).reshape(-1, 2)
    return ll[:, 0], ll[:, 1]


def cell_unit_vectors(cells: Any) -> np.ndarray:
    """ECEF unit vectors ``(n, 3)`` of cell centres on a **sphere** (geocentric direction).

    A spherical unit vector is what a visibility test against satellite ECEF positions wants
    at cell scale; for observer heights on the WGS84 ellipsoid use ``skygate.earth.geodesy``.
    """
    lat, lon = cell_centers(cells)
    la, lo = np.radians(lat), np.radians(lon)
    cl = np.cos(la)
    return np.stack([cl * np.cos(lo), cl * np.sin(lo), np.sin(la)], axis=1)


def _is_all_cells(cells: np.ndarray) -> bool:
    """Cheap test for "this is exactly ``all_cells(res)``" so callers get cached results."""
    if cells.size < 122:
        return False
    res = int(_h3i.get_resolution(int(cells[0])))
    if res > 5:
        return False
    ref = all_cells(res)
    return cells.size == ref.size and (cells is ref or bool(np.array_equal(cells, ref)))


@lru_cache(maxsize=6)
def all_cells(res: int = DEFAULT_RESOLUTION) -> np.ndarray:
    """Every cell of a resolution, sorted ascending (``uint64``, read-only; 2,016,842 at res 5).

    This sorted order is skygate's canonical cell order: per-cell arrays shipped with the
    package (regions, land/sea) and the policy's compiled arrays are aligned to it.
    """
    res = _check_res(res)
    if res > 7:
        raise InputError(f"all_cells({res}) would hold {h3.get_num_cells(res):,} cells",
                         where="res", hint="use cells_in_bbox for fine resolutions")
    out = []
    for base in sorted(_h3i.get_res0_cells()):
        out.append(np.fromiter(_h3i.cell_to_children(base, res), dtype=np.uint64))
    cells = np.sort(np.concatenate(out))
    cells.setflags(write=False)
    return cells


@lru_cache(maxsize=6)
def _all_centers(res: int) -> tuple[np.ndarray, np.ndarray]:
    cells = all_cells(res)
    f = _h3i.cell_to_latlng
    ll = np.array([f(c) for c in cells.tolist()], dtype=np.float64)
    lat, lon = np.ascontiguousarray(ll[:, 0]), np.ascontiguousarray(ll[:, 1])
    lat.setflags(write=False)
    lon.setflags(write=False)
    return lat, lon


def cell_resolutions(cells: Any) -> np.ndarray:
    """H3 resolution of each cell (``int8``), read from the index bits (bits 52–55)."""
    cells = _as_cells(cells)
    return ((cells >> np.uint64(52)) & np.uint64(0xF)).astype(np.int8)


def to_hex(cells: Any) -> np.ndarray:
    """15-character lower-case hex strings (the ``h3`` column) of ``uint64`` cells."""
    cells = _as_cells(cells)
    return np.array([format(c, "015x") for c in cells.tolist()], dtype="<U16")


def from_hex(strings: Iterable[str] | str) -> np.ndarray:
    """Parse H3 hex strings (``'851e0c1bfffffff'``, optional ``0x``) to ``uint64`` cells.

    Raises :class:`InputError` naming the first bad entry and what a cell looks like.
    """
    if isinstance(strings, str):
        strings = [strings]
    items = [(s.decode() if isinstance(s, bytes) else str(s)).strip()
             for s in np.atleast_1d(np.asarray(list(strings), dtype=object))]
    out = np.empty(len(items), dtype=np.uint64)
    for i, s in enumerate(items):
        value = int(s, 16) if _HEX_RE.match(s) else -1
        if value < 0 or not _h3i.is_valid_cell(value):
            raise InputError(
                f"{s!r} is not a valid H3 cell index",
                where=f"cells[{i}]",
                hint="an H3 cell is 15 hex digits such as '851e0c1bfffffff' "
                "(from h3.latlng_to_cell or the 'h3' column of a skygate output)",
            )
        out[i] = value
    return out


def cell_boundaries(cells: Any) -> list[np.ndarray]:
    """Vertices of each cell as ``(k, 2)`` arrays of ``(lon_deg, lat_deg)``, closed, CCW.

    Longitudes are **unwrapped** for cells that cross ±180° (some exceed 180), so the ring
    is a proper planar polygon; cells containing a pole get the pole added as an edge.
    """
    cells = _as_cells(cells)
    return [_boundary_ring(c) for c in cells.tolist()]


def _boundary_ring(cell: int) -> np.ndarray:
    latlng = np.array(_h3i.cell_to_boundary(cell), dtype=np.float64)
    lon, lat = latlng[:, 1].copy(), latlng[:, 0]
    pole = _pole_of(cell)
    if pole:
        order = np.argsort(lon)
        lon, lat = lon[order], lat[order]
        lon = np.concatenate([[-180.0], lon, [180.0, 180.0, -180.0]])
        lat0 = np.interp(180.0, [lon[-4], lon[1] + 360.0], [lat[-4], lat[1]])
        lat = np.concatenate([[lat0], lat, [lat0, pole * 90.0, pole * 90.0]])
        if pole < 0:  # keep counter-clockwise orientation
            lon, lat = lon[::-1], lat[::-1]
    elif lon.max() - lon.min() > 180.0:
        lon[lon < 0] += 360.0
    ring = np.stack([lon, lat], axis=1)
    return np.vstack([ring, ring[:1]])


def _pole_of(cell: int) -> int:
    res = _h3i.get_resolution(cell)
    if cell == _h3i.latlng_to_cell(90.0, 0.0, res):
        return 1
    if cell == _h3i.latlng_to_cell(-90.0, 0.0, res):
        return -1
    return 0


def cell_boundaries_geojson(cells: Any, properties: dict[str, Any] | None = None, *,
                            antimeridian: str = "unwrap") -> dict:
    """A GeoJSON FeatureCollection of the cells, one Polygon per cell, ``h3`` property.

    ``antimeridian`` says what to do with the few cells that cross ±180°:

    * ``"unwrap"`` (default, for drawing on a web map): one Polygon whose longitudes run past
      180 (e.g. 179.9 … 180.1), so a hexagon stays one shape instead of two slivers at the
      map's edges;
    * ``"split"``: strict RFC 7946 (§3.1.9 "SHOULD be represented by cutting it in two", and
      longitudes within ±180): a MultiPolygon of the parts east and west of the meridian,
      counter-clockwise. Files meant for other GIS tools use this.

    Pole cells are closed over the pole in both forms. ``properties`` maps a property name to
    an array aligned with ``cells``.
    """
    if antimeridian not in ("unwrap", "split"):
        raise InputError(f"antimeridian={antimeridian!r}", where="antimeridian",
                         hint="use 'unwrap' (web maps) or 'split' (RFC 7946)")
    cells = _as_cells(cells)
    props = properties or {}
    hexes = to_hex(cells)
    feats = []
    for i, (c, ring) in enumerate(zip(hexes.tolist(), cell_boundaries(cells))):
        p = {"h3": c}
        for k, v in props.items():
            x = v[i]
            p[k] = x.item() if hasattr(x, "item") else x
        if antimeridian == "split" and ring[:, 0].max() > 180.0:
            geometry = _split_ring_at_180(ring)
        else:
            geometry = {"type": "Polygon", "coordinates": [np.round(ring, 7).tolist()]}
        feats.append({"type": "Feature", "properties": p, "geometry": geometry})
    return {"type": "FeatureCollection", "features": feats}


def _split_ring_at_180(ring: np.ndarray) -> dict:
    """An unwrapped ring (some longitudes > 180) as a GeoJSON MultiPolygon within ±180."""
    import shapely
    from shapely import affinity
    from shapely.geometry.polygon import orient

    poly = shapely.Polygon(ring)
    west = shapely.intersection(poly, shapely.box(-180.0, -90.0, 180.0, 90.0))
    east = affinity.translate(
        shapely.intersection(poly, shapely.box(180.0, -90.0, 540.0, 90.0)), xoff=-360.0)
    parts = []
    for piece in (west, east):
        for part in getattr(piece, "geoms", [piece]):
            if isinstance(part, shapely.Polygon) and not part.is_empty and part.area > 0:
                ccw = orient(part, 1.0)
                parts.append([np.round(np.asarray(ccw.exterior.coords), 7).tolist()])
    return {"type": "MultiPolygon", "coordinates": parts}


def cells_in_bbox(west_deg: float, south_deg: float, east_deg: float, north_deg: float,
                  res: int = DEFAULT_RESOLUTION) -> np.ndarray:
    """Cells whose **centre** lies in a lon/lat box, sorted ``uint64``.

    ``west_deg > east_deg`` means the box crosses ±180° (e.g. ``170, -20, -170, -10`` around
    Fiji). Boxes are meridian/parallel-aligned in lon/lat (not great circles), matching how a
    user draws them on a map.
    """
    res = _check_res(res)
    if not (-90.0 <= south_deg <= north_deg <= 90.0):
        raise CoordinateError(f"bad latitude bounds south={south_deg}, north={north_deg}",
                              where="bbox", hint="need -90 <= south <= north <= 90")
    w = (float(west_deg) + 180.0) % 360.0 - 180.0
    e = (float(east_deg) + 180.0) % 360.0 - 180.0
    if east_deg - west_deg >= 360.0:
        w, e = -180.0, 180.0
    if e == -180.0 and east_deg > west_deg:
        e = 180.0
    spans = [(w, e)] if w < e or east_deg == west_deg else [(w, 180.0), (-180.0, e)]
    out = [_bbox_cells(a, float(south_deg), b, float(north_deg), res) for a, b in spans]
    return np.unique(np.concatenate(out)) if out else np.empty(0, np.uint64)


def _bbox_cells(w: float, s: float, e: float, n: float, res: int) -> np.ndarray:
    """One box inside [-180, 180]: H3's own polyfill (centre containment, edges straight in
    lat/lon — tested equal to a brute-force centre filter), in chunks at most 60° wide;
    near the poles, where a lat/lon box is not a polygon H3 can fill, a centre filter."""
    if n > 88.0 or s < -88.0:
        if res <= 5:
            lat, lon = _all_centers(res)
            keep = (lat >= s) & (lat <= n) & (lon >= w) & (lon <= e)
            return all_cells(res)[keep]
        return _bbox_fine(w, s, e, n, res)
    found = [np.empty(0, np.uint64)]
    edges = np.linspace(w, e, int(np.ceil((e - w) / 60.0)) + 1) if e > w else [w, e]
    for a, b in zip(edges[:-1], edges[1:]):
        if n <= s or b <= a:
            continue
        poly = h3.LatLngPoly([(s, a), (s, b), (n, b), (n, a)])
        found.append(np.array([int(c, 16) for c in h3.h3shape_to_cells(poly, res)], dtype=np.uint64))
    return np.concatenate(found)


def _bbox_fine(w: float, s: float, e: float, n: float, res: int) -> np.ndarray:
    """Fine resolutions near the poles: res-5 cells near the box, their children, centre test."""
    lat5, lon5 = _all_centers(5)
    pad = 0.5
    sel = (lat5 >= s - pad) & (lat5 <= n + pad) & (lon5 >= w - pad) & (lon5 <= e + pad)
    parents = all_cells(5)[sel]
    kids = np.fromiter((k for p in parents.tolist() for k in _h3i.cell_to_children(p, res)),
                       dtype=np.uint64)
    lat, lon = cell_centers(kids)
    keep = (lat >= s) & (lat <= n) & (lon >= w) & (lon <= e)
    return kids[keep]


def cells_is_land(cells: Any) -> np.ndarray:
    """``True`` where a cell's centre is on land (Natural Earth 1:10m), for any resolution.

    Delegates to the region index (:func:`skygate.earth.regions.get_region_index`).
    """
    from skygate.earth.regions import get_region_index

    return get_region_index().cells_is_land(cells)
