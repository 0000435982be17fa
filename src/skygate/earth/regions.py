"""Countries with their territorial seas, international waters, custom regions, and a fast
point → region index.

What a region is
----------------
A country region is its land (Natural Earth 1:10m admin-0, keyed by ``ISO_A2_EH``: Taiwan
``TW``, France ``FR``) plus its territorial sea: everything within 12 nautical miles
(22.224 km, UNCLOS art. 3) of its land, measured geodesically; where two countries' 12-nmi
belts overlap the sea is split on the equidistance (median) line. Everything else is
``XZ`` — international waters (region id 0). Areas Natural Earth gives no ISO code
(Akrotiri, Dhekelia, Guantanamo Bay, Bir Tawil, the Spratly Islands, Scarborough Reef) keep
Natural Earth's three-letter ``ADM0_A3`` code (``WSB``, ``ESB``, ``USG``, ``BRT``, ``PGA``,
``SCR``). Natural Earth assigns Crimea to Ukraine; the policy layer overrides such areas
explicitly with :class:`CustomRegion` instead of relying on an accident of a data file.
The data are derived by ``scripts/build_regions.py`` (see ``data/PROVENANCE.md``).

How the lookup is fast
----------------------
A 1/8° lat/lon raster holds a region id for every pixel that lies wholly inside one region.
Pixels crossed by a border, a median line or a 12-nmi line point to a short list of candidate
regions and are settled with ``shapely.intersects_xy`` against the shipped polygons, so
answers are exact with respect to those polygons (points on a boundary go to the first
candidate). 94 % of points drawn uniformly on the globe (76 % over Europe) never touch a
polygon (``benchmarks/regions.py``). Per-cell arrays for all res-5 cells (region of the cell
centre, "straddles a boundary" and "centre on land" flags) are shipped precomputed in
canonical ``cells.all_cells(5)`` order, so ``cells_regions(all_cells(5))`` is an array copy.
Islands Natural Earth 1:10m omits (Matsu, Lieyu, Wuqiu, Pratas) are added to ``TW`` by the
build script's documented supplement.
"""

from __future__ import annotations

import difflib
import json
import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from skygate.earth import cells as _cells
from skygate.errors import InputError, UnknownRegionError

__all__ = [
    "INTERNATIONAL_WATERS",
    "TERRITORIAL_SEA_NMI",
    "RegionIndex",
    "get_region_index",
    "CustomRegion",
]

INTERNATIONAL_WATERS = "XZ"  # region id 0; docs/architecture.md conventions
TERRITORIAL_SEA_NMI = 12.0  # UNCLOS art. 3; 1 nmi = 1.852 km exactly
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "regions"
MIXED = 0x8000  # raster values >= MIXED index a candidate set
_CODE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")


def _norm_lon(lon: np.ndarray) -> np.ndarray:
    return (lon + 180.0) % 360.0 - 180.0


class RegionIndex:
    """Point, cell and code queries over the bundled country regions.

    Build it with :func:`get_region_index` (cached; loading takes a fraction of a second).
    Region ids are small integers (``uint16``) indexing :attr:`codes`; id 0 is ``XZ``.
    """

    def __init__(self, data_dir: Path = DATA_DIR):
        meta = json.loads((data_dir / "regions.json").read_text(encoding="utf-8"))
        self.codes: list[str] = list(meta["codes"])
        self.names: list[str] = list(meta["names"])
        self.a3: list[str] = list(meta["a3"])
        self.meta: dict[str, Any] = meta
        self._ids = {c: i for i, c in enumerate(self.codes)}
        self._codes_arr = np.asarray(self.codes)
        self.pixels_per_deg = int(meta["pixels_per_deg"])
        with np.load(data_dir / "index.npz") as z:
            self._raster = z["raster"]
            self._land_raster = z["land_raster"]
            self._candidates = z["candidates"]
            self._cell_ids5 = z["cell_region_ids"]
            self._cell_straddle5 = np.unpackbits(z["cell_straddle_bits"])[: self._cell_ids5.size].astype(bool)
            self._cell_land5 = np.unpackbits(z["cell_land_bits"])[: self._cell_ids5.size].astype(bool)
        for a in (self._cell_ids5, self._cell_straddle5, self._cell_land5):
            a.setflags(write=False)
        self._geom_file = data_dir / "geometries.npz"
        self._regions_geo: np.ndarray | None = None
        self._land_geo: np.ndarray | None = None
        self._candidate_cache: dict[int, tuple[int, ...]] = {}

    # ---- codes -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().upper() in self._ids

    def check_code(self, code: str) -> str:
        """The canonical (upper-case) code, or :class:`UnknownRegionError` naming the closest."""
        key = str(code).strip().upper()
        if key in self._ids:
            return key
        raise UnknownRegionError(
            f"unknown region code {code!r}",
            where="region",
            hint=self._suggest(str(code)) + " (`skygate region list` shows every code)",
        )

    def _suggest(self, text: str) -> str:
        key = text.strip()
        hits: list[str] = []
        up = key.upper()
        if up in self.a3:
            hits.append(self.codes[self.a3.index(up)])
        lower_names = {n.lower(): self.codes[i] for i, n in enumerate(self.names)}
        if key.lower() in lower_names:  # a country name given where a code is wanted
            return f"did you mean {lower_names[key.lower()]} ({self.name(lower_names[key.lower()])})?"
        for n in difflib.get_close_matches(key.lower(), list(lower_names), n=3, cutoff=0.75):
            hits.append(lower_names[n])
        if len(up) <= 3:  # looks like a code: compare with codes too
            hits += difflib.get_close_matches(up, self.codes, n=3, cutoff=0.5)
        hits = list(dict.fromkeys(hits))[:4]
        if not hits:
            return "codes are ISO 3166-1 alpha-2 (e.g. TW, FR, UA) or XZ for international waters"
        return "did you mean " + ", ".join(f"{c} ({self.name(c)})" for c in hits) + "?"

    def code_id(self, code: str) -> int:
        """The integer region id of a code (raises :class:`UnknownRegionError`)."""
        return self._ids[self.check_code(code)]

    def name(self, code: str) -> str:
        """English name of a region ("Taiwan", "International waters")."""
        return self.names[self.code_id(code)]

    # ---- points ------------------------------------------------------------------------
    def _pixels(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ppd = self.pixels_per_deg
        nrow, ncol = self._raster.shape
        row = np.minimum(((lat + 90.0) * ppd).astype(np.int64), nrow - 1)
        col = np.minimum(((_norm_lon(lon) + 180.0) * ppd).astype(np.int64), ncol - 1)
        return row, col

    def lookup_ids(self, lat_deg: Any, lon_deg: Any) -> np.ndarray:
        """Region id (``uint16``, index into :attr:`codes`; 0 = ``XZ``) of each point.

        Exact with respect to the shipped polygons. Arrays broadcast; output is 1-D.
        """
        lat, lon = _cells._check_latlon(lat_deg, lon_deg)
        lon = _norm_lon(lon)
        row, col = self._pixels(lat, lon)
        ids = self._raster[row, col]
        mixed = np.flatnonzero(ids >= MIXED)
        if mixed.size:
            ids[mixed] = self._refine(lat[mixed], lon[mixed], ids[mixed] - MIXED)
        return ids

    def _refine(self, lat: np.ndarray, lon: np.ndarray, sets: np.ndarray) -> np.ndarray:
        cand = self._candidates[sets]  # (m, k), -1 padded
        out = np.zeros(lat.size, dtype=np.uint16)
        todo = np.ones(lat.size, dtype=bool)
        for rid in np.unique(cand[cand > 0]):
            sel = np.flatnonzero(todo & (cand == rid).any(axis=1))
            if sel.size == 0:
                continue
            hit = shapely.intersects_xy(self._region_geometry(int(rid)), lon[sel], lat[sel])
            out[sel[hit]] = rid
            todo[sel[hit]] = False
        return out

    def lookup(self, lat_deg: Any, lon_deg: Any) -> np.ndarray:
        """Region codes (``<U3`` strings, ``'XZ'`` in international waters) of each point."""
        return self._codes_arr[self.lookup_ids(lat_deg, lon_deg)]

    def lookup_point_id(self, lat_deg: float, lon_deg: float) -> int:
        """Region id of ONE point: :meth:`lookup_ids` without the array machinery.

        Same raster, same refinement, same answer (``tests/test_regions.py`` compares them on
        random and boundary points), in ~2 µs instead of ~20 µs on a raster hit: a request
        of the API asks for one point, and for one point NumPy's argument checks and
        1-element arrays are nearly all of the cost. Longitudes are wrapped exactly as the
        vector path wraps them (twice: once for the point, once for its pixel), so even
        points a rounding error from ±180° land in the same pixel.
        """
        lat, lon = _cells._check_point(lat_deg, lon_deg)
        lon = (lon + 180.0) % 360.0 - 180.0  # as _norm_lon
        ppd = self.pixels_per_deg
        nrow, ncol = self._raster.shape
        row = min(int((lat + 90.0) * ppd), nrow - 1)
        col = min(int(((lon + 180.0) % 360.0 - 180.0 + 180.0) * ppd), ncol - 1)
        rid = int(self._raster[row, col])
        if rid < MIXED:
            return rid
        # A pixel crossed by a boundary: the first candidate (ascending id, as _refine
        # scans them) whose polygon holds the point; none → international waters.
        for cand in self._candidate_ids(rid - MIXED):
            if shapely.intersects_xy(self._region_geometry(cand), lon, lat):
                return cand
        return 0

    def lookup_point(self, lat_deg: float, lon_deg: float) -> str:
        """Region code of ONE point (``'XZ'`` in international waters); the scalar twin of
        :meth:`lookup` (see :meth:`lookup_point_id`)."""
        return self.codes[self.lookup_point_id(lat_deg, lon_deg)]

    def _candidate_ids(self, set_id: int) -> tuple[int, ...]:
        """A mixed pixel's candidate region ids, ascending, as Python ints (cached)."""
        cache = self._candidate_cache
        ids = cache.get(set_id)
        if ids is None:
            row = self._candidates[set_id]
            ids = cache[set_id] = tuple(sorted({int(c) for c in row if c > 0}))
        return ids

    def is_land(self, lat_deg: Any, lon_deg: Any) -> np.ndarray:
        """``True`` where a point is on land (Natural Earth 1:10m), exact w.r.t. the shipped
        land polygons (lakes inside a country count as land, as in admin-0)."""
        lat, lon = _cells._check_latlon(lat_deg, lon_deg)
        lon = _norm_lon(lon)
        row, col = self._pixels(lat, lon)
        state = self._land_raster[row, col]
        out = state == 1
        mixed = np.flatnonzero(state == 2)
        if mixed.size:
            rid = self.lookup_ids(lat[mixed], lon[mixed])
            for r in np.unique(rid[rid > 0]):
                sel = mixed[rid == r]
                out[sel] = shapely.intersects_xy(self._land_geometry(int(r)), lon[sel], lat[sel])
        return out

    # ---- cells -------------------------------------------------------------------------
    def _cell_rows5(self, cells: np.ndarray) -> np.ndarray | None:
        """Positions of res-5 cells in canonical order (None when ``cells`` is all of them)."""
        if _cells._is_all_cells(cells) and cells.size == self._cell_ids5.size:
            return None
        ref = _cells.all_cells(5)
        pos = np.searchsorted(ref, cells)
        pos = np.minimum(pos, ref.size - 1)
        if not np.array_equal(ref[pos], cells):
            bad = int(np.flatnonzero(ref[pos] != cells)[0])
            raise InputError(f"cell {int(cells[bad]):x} is not a valid res-5 H3 cell",
                             where=f"cells[{bad}]", hint="pass res-5 cells or set res=")
        return pos

    def _per_cell(self, arr5: np.ndarray, cells: Any, res: int | None, fallback, what: str) -> np.ndarray:
        """Res-5 cells: read the shipped array. Other resolutions: ``fallback(lat, lon)`` of
        the cell centres (or an error when there is no fallback)."""
        cells = _cells._as_cells(cells)
        if cells.size == 0:
            return arr5[:0].copy()
        resolutions = _cells.cell_resolutions(cells)
        if res is not None and (resolutions != res).any():
            raise InputError(f"cells are not all of resolution {res}", where="cells",
                             hint="pass cells of one resolution, or leave res unset")
        if (resolutions == 5).all():
            pos = self._cell_rows5(cells)
            return arr5.copy() if pos is None else arr5[pos]
        if fallback is None:
            raise InputError(f"{what} is known for res-5 cells only", where="cells",
                             hint="convert with h3.cell_to_parent / cell_to_children to res 5")
        lat, lon = _cells.cell_centers(cells)
        return fallback(lat, lon)

    def cells_region_ids(self, cells: Any, res: int | None = None) -> np.ndarray:
        """Region id of each cell's **centre** (``uint16``). Res-5 cells come from the shipped
        precomputed array (all 2 M in milliseconds); other resolutions are looked up by
        centre. ``res``, when given, checks the cells' resolution."""
        return self._per_cell(self._cell_ids5, cells, res, self.lookup_ids, "region")

    def cells_regions(self, cells: Any, res: int | None = None) -> np.ndarray:
        """Region code of each cell's centre (see :meth:`cells_region_ids`)."""
        return self._codes_arr[self.cells_region_ids(cells, res)]

    def cells_straddle(self, cells: Any) -> np.ndarray:
        """``True`` for res-5 cells whose hexagon touches a region boundary (a border, a
        median line or a 12-nmi line): per-cell policy is approximate there; points are exact."""
        return self._per_cell(self._cell_straddle5, cells, 5, None, "straddling")

    def cells_is_land(self, cells: Any) -> np.ndarray:
        """``True`` where a cell's centre is on land."""
        return self._per_cell(self._cell_land5, cells, None, self.is_land, "land")

    def region_cells(self, code: str, res: int = _cells.DEFAULT_RESOLUTION) -> np.ndarray:
        """Sorted cells (``uint64``) of a resolution whose centre lies in the region."""
        rid = self.code_id(code)
        if res == 5:
            return _cells.all_cells(5)[self._cell_ids5 == rid]
        if res < 5:
            lat, lon = _cells._all_centers(res)
            return _cells.all_cells(res)[self.lookup_ids(lat, lon) == rid]
        return self._region_cells_fine(rid, res)

    def _region_cells_fine(self, rid: int, res: int) -> np.ndarray:
        """Finer than res 5: children of the region's res-5 cells and of straddling res-5
        cells near it, kept when their own centre is in the region."""
        parents = _cells.all_cells(5)[(self._cell_ids5 == rid) | self._cell_straddle5]
        if rid != 0:  # straddling cells far from this region cannot hold its cells
            lat, lon = _cells.cell_centers(parents)
            w, s, e, n = shapely.bounds(self._region_geometry(rid))
            near = (lat > s - 1) & (lat < n + 1) & (lon > w - 1) & (lon < e + 1)
            parents = parents[near]
        from h3.api import basic_int as h3i

        kids = np.fromiter((k for p in parents.tolist() for k in h3i.cell_to_children(p, res)),
                           dtype=np.uint64)
        lat, lon = _cells.cell_centers(kids)
        return np.sort(kids[self.lookup_ids(lat, lon) == rid])

    # ---- geometry ----------------------------------------------------------------------
    def _load_geometries(self) -> None:
        with np.load(self._geom_file) as z:
            self._regions_geo = _decode_multipolygons(z, "region")
            self._land_geo = _decode_multipolygons(z, "land")

    def _prepared(self, which: str, rid: int) -> shapely.Geometry:
        """Region ``rid``'s ``"region"`` (land + sea) or ``"land"`` geometry, loaded on first
        use and prepared for fast repeated predicates; None where there is none."""
        if self._regions_geo is None:
            self._load_geometries()
        g = (self._regions_geo if which == "region" else self._land_geo)[rid]
        if g is not None and not shapely.is_prepared(g):
            shapely.prepare(g)
        return g

    def _region_geometry(self, rid: int) -> shapely.Geometry:
        return self._prepared("region", rid)

    def _land_geometry(self, rid: int) -> shapely.Geometry:
        return self._prepared("land", rid)

    def geometry(self, code: str) -> shapely.Geometry:
        """The region as a shapely MultiPolygon in lon/lat degrees (land + territorial sea),
        split at ±180°. For ``XZ`` it is the rest of the world (computed on first use)."""
        rid = self.code_id(code)
        if rid == 0 and self._region_geometry(0) is None:
            others = shapely.union_all([self._region_geometry(i) for i in range(1, len(self))])
            world = shapely.box(-180.0, -90.0, 180.0, 90.0)
            self._regions_geo[0] = shapely.difference(world, others)
        return self._region_geometry(rid)

    def land_geometry(self, code: str) -> shapely.Geometry:
        """The region's land only (Natural Earth admin-0 polygons); empty for ``XZ``."""
        rid = self.code_id(code)
        g = self._land_geometry(rid)
        return shapely.MultiPolygon() if g is None else g


@lru_cache(maxsize=1)
def get_region_index() -> RegionIndex:
    """The bundled region index, loaded once per process."""
    return RegionIndex()


# ---- compact geometry encoding (shared with scripts/build_regions.py) --------------------
QUANTUM_DEG = 1e-6  # coordinates are stored as int32 multiples of 1e-6° (≈ 0.11 m)


def encode_multipolygons(geoms: list[shapely.Geometry | None], prefix: str) -> dict[str, np.ndarray]:
    """Encode MultiPolygons (None allowed) as zlib-compressed delta-coded int32 arrays."""
    present = np.array([g is not None and not g.is_empty for g in geoms])
    mps = [shapely.MultiPolygon(_polys(g)) for g, p in zip(geoms, present) if p]
    _, coords, (ring_off, poly_off, geom_off) = shapely.to_ragged_array(mps)
    q = np.round(coords / QUANTUM_DEG).astype(np.int64)
    d = np.diff(q, axis=0, prepend=np.zeros((1, 2), np.int64)).astype(np.int32)
    return {
        f"{prefix}_present": present,
        f"{prefix}_coords": np.frombuffer(zlib.compress(d.tobytes(), 9), dtype=np.uint8),
        f"{prefix}_ring_off": ring_off.astype(np.int64),
        f"{prefix}_poly_off": poly_off.astype(np.int64),
        f"{prefix}_geom_off": geom_off.astype(np.int64),
    }


def _polys(g: shapely.Geometry) -> list[shapely.Polygon]:
    if g.geom_type == "Polygon":
        return [g]
    if g.geom_type == "MultiPolygon":
        return list(g.geoms)
    return [p for part in g.geoms for p in _polys(part)] if hasattr(g, "geoms") else []


def _decode_multipolygons(z: Any, prefix: str) -> np.ndarray:
    present = z[f"{prefix}_present"]
    raw = zlib.decompress(z[f"{prefix}_coords"].tobytes())
    d = np.frombuffer(raw, dtype=np.int32).reshape(-1, 2).astype(np.int64)
    coords = np.cumsum(d, axis=0) * QUANTUM_DEG
    offs = (z[f"{prefix}_ring_off"], z[f"{prefix}_poly_off"], z[f"{prefix}_geom_off"])
    mps = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords, offs)
    out = np.full(present.size, None, dtype=object)
    out[np.flatnonzero(present)] = mps
    return out


# ---- custom regions ----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CustomRegion:
    """A policy-defined area on top of the countries: "Crimea", "the Kerch Strait cells".

    Either a shapely (Multi)Polygon in lon/lat degrees (``geometry``), or a set of H3 cells
    of any resolutions (``cell_set``, sorted ``uint64``). Use the constructors
    :meth:`from_geojson` and :meth:`from_cells`.
    """

    code: str
    name: str
    geometry: shapely.Geometry | None = None
    cell_set: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE_RE.match(self.code):
            raise InputError(f"custom region code {self.code!r} is not usable", where="code",
                             hint="use 1-40 letters, digits, '_', '-', '.', ':' e.g. 'UA-43'")
        if (self.geometry is None) == (self.cell_set is None):
            raise InputError("a custom region needs exactly one of geometry or cells",
                             where=self.code, hint="use CustomRegion.from_geojson or from_cells")

    @classmethod
    def from_geojson(cls, source: Any, *, code: str, name: str | None = None,
                     on_invalid: str = "fix") -> "CustomRegion":
        """From GeoJSON (a dict, JSON text or a file path): Polygon/MultiPolygon/Feature/
        FeatureCollection; winding fixed, ±180° handled, invalid shapes repaired with a
        warning (``on_invalid="fix"``) or refused (``"raise"``); see :mod:`geojson`."""
        from skygate.earth.geojson import read_geojson

        geom = read_geojson(source, on_invalid=on_invalid)
        shapely.prepare(geom)
        return cls(code=code, name=name or code, geometry=geom)

    @classmethod
    def from_cells(cls, cells: Any, *, code: str, name: str | None = None) -> "CustomRegion":
        """From H3 cells (``uint64`` or hex strings, any resolution; duplicates dropped)."""
        arr = np.unique(_cells._as_cells(cells))
        if arr.size == 0:
            raise InputError("no cells given", where=code, hint="pass at least one H3 cell")
        from h3.api import basic_int as h3i

        bad = [c for c in arr[:100000].tolist() if not h3i.is_valid_cell(c)]
        if bad:
            raise InputError(f"{bad[0]:x} is not a valid H3 cell", where=code,
                             hint="cells are H3 indexes such as 851e0c1bfffffff")
        arr.setflags(write=False)
        return cls(code=code, name=name or code, cell_set=arr)

    def contains(self, lat_deg: Any, lon_deg: Any) -> np.ndarray:
        """``True`` for points inside (vectorized; boundary points count as inside)."""
        lat, lon = _cells._check_latlon(lat_deg, lon_deg)
        if self.geometry is not None:
            return shapely.intersects_xy(self.geometry, _norm_lon(lon), lat)
        out = np.zeros(lat.size, dtype=bool)
        for r in np.unique(_cells.cell_resolutions(self.cell_set)):
            out |= np.isin(_cells.latlng_to_cells(lat, lon, int(r)), self.cell_set)
        return out

    def cells(self, res: int = _cells.DEFAULT_RESOLUTION) -> np.ndarray:
        """Sorted cells of resolution ``res`` whose centre lies inside the region."""
        if self.geometry is not None:
            return self._geometry_cells(res)
        from h3.api import basic_int as h3i

        out = []
        for c, r in zip(self.cell_set.tolist(), _cells.cell_resolutions(self.cell_set).tolist()):
            if r == res:
                out.append(c)
            elif r < res:
                out.extend(h3i.cell_to_children(c, res))
        cand = np.unique(np.array(out, dtype=np.uint64))
        finer = self.cell_set[_cells.cell_resolutions(self.cell_set) > res]
        if finer.size:  # a coarser cell belongs when its centre falls in a listed finer cell
            parents = np.unique([h3i.cell_to_parent(c, res) for c in finer.tolist()]).astype(np.uint64)
            lat, lon = _cells.cell_centers(parents)
            cand = np.union1d(cand, parents[self.contains(lat, lon)])
        return cand

    def _geometry_cells(self, res: int) -> np.ndarray:
        found = [np.empty(0, np.uint64)]
        for part in _polys(self.geometry):
            w, s, e, n = part.bounds
            cand = _cells.cells_in_bbox(w, s, e, n, res)
            lat, lon = _cells.cell_centers(cand)
            found.append(cand[shapely.intersects_xy(part, lon, lat)])
        return np.unique(np.concatenate(found))

    def to_geojson(self) -> dict:
        """A GeoJSON Feature (geometry form) or FeatureCollection of cells (cell form)."""
        props = {"code": self.code, "name": self.name}
        if self.geometry is not None:
            from skygate.earth.geojson import to_geojson

            return {"type": "Feature", "properties": props, "geometry": to_geojson(self.geometry)}
        fc = _cells.cell_boundaries_geojson(self.cell_set)
        fc["properties"] = props
        return fc
