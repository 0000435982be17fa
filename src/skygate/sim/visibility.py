"""Which satellites each service cell sees above the elevation mask, one epoch at a time.

The kernel is the simulator's hot loop: global land at H3 res 5 is ~527,000 cells, and with
~9,600 satellites a brute-force test would be 5·10⁹ pairs per epoch. Instead, every epoch the
satellites are sorted into latitude bands and by longitude inside each band, with a 1° index
per band; each cell then tests only the satellites in the longitude window of each band that
its visibility cap touches (Earth-central half-angle ψ ≈ 9° for 570 km at a 25° mask). The
elevation test needs no trigonometry:

    sin(el) = (s − o)·û / |s − o|  ⇒  el ≥ mask  ⇔  (s − o)·û > 0 and ((s − o)·û)² ≥ sin²(mask)·|s − o|²

with ``o`` the cell centre on the WGS84 ellipsoid (km) and ``û`` its geodetic up vector, so it
agrees with :func:`skygate.earth.geodesy.look_angles` (a test checks it does).

One pass gives every cell its count of satellites in view (coverage needs all cells) and gives
the selected cells (those with demand) their ``top_k`` highest candidates, sorted by elevation,
with the northward component of the line of sight (the scheduler prefers the poleward sky:
80% of the satellites the operator selects are above 45° and 82% are north, shared facts §3 —
so the top few by elevation hold the choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from skygate.earth.geodesy import WGS84_A_KM, WGS84_F

__all__ = [
    "CellFrame", "Visibility", "visible_pairs", "cap_half_angle_deg", "count_visible",
    "DEFAULT_TOP_K",
]

_A_KM = WGS84_A_KM  # the ellipsoid of earth.geodesy, defined once there
_F = WGS84_F
_E2 = _F * (2.0 - _F)
_R_MIN_KM = 6356.0  # below the polar radius: the smallest Earth radius gives the widest cap
_BAND_DEG = 3.0  # latitude band height; 2–4° measured alike, 3° slightly best
DEFAULT_TOP_K = 16


@dataclass(frozen=True)
class CellFrame:
    """Cells as observers: ellipsoid positions (km), local up and north unit vectors, and the
    geocentric latitude / longitude (deg) used to find nearby satellite bins."""

    pos_km: np.ndarray  # (n, 3) float64
    up: np.ndarray  # (n, 3)
    north: np.ndarray  # (n, 3)
    lat_gc_deg: np.ndarray  # (n,)
    lon_deg: np.ndarray  # (n,)
    cos_lat: np.ndarray  # (n,) cos of the geocentric latitude

    @classmethod
    def from_latlon(cls, lat_deg: np.ndarray, lon_deg: np.ndarray) -> "CellFrame":
        """Cell centres (geodetic latitude, longitude in degrees, on the ellipsoid surface)."""
        lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
        lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
        sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
        n_km = _A_KM / np.sqrt(1.0 - _E2 * sl * sl)
        pos = np.stack([n_km * cl * co, n_km * cl * so, n_km * (1.0 - _E2) * sl], axis=1)
        up = np.stack([cl * co, cl * so, sl], axis=1)
        north = np.stack([-sl * co, -sl * so, cl], axis=1)
        lat_gc = np.degrees(np.arctan2(pos[:, 2], np.hypot(pos[:, 0], pos[:, 1])))
        return cls(np.ascontiguousarray(pos), np.ascontiguousarray(up),
                   np.ascontiguousarray(north), lat_gc, np.degrees(lon), np.cos(np.radians(lat_gc)))

    def __len__(self) -> int:
        return len(self.pos_km)

    def take(self, index: np.ndarray) -> "CellFrame":
        return CellFrame(self.pos_km[index], self.up[index], self.north[index],
                         self.lat_gc_deg[index], self.lon_deg[index], self.cos_lat[index])


@dataclass
class Visibility:
    """One epoch's visibility. ``counts`` covers every cell; the candidate arrays have one row
    per selected cell, ``n_cand[r]`` valid entries, highest elevation first (-1 = none)."""

    counts: np.ndarray  # (n_cells,) int32 satellites in view
    n_cand: np.ndarray  # (n_selected,) int32 = min(count, top_k)
    sat: np.ndarray  # (n_selected, top_k) int32 satellite index
    elevation_deg: np.ndarray  # (n_selected, top_k) float32
    north: np.ndarray  # (n_selected, top_k) float32: cos(el)·cos(az), > 0 when north


def cap_half_angle_deg(max_radius_km: float, min_elevation_deg: float) -> float:
    """Earth-central half-angle (deg) of the region from which a satellite at
    ``max_radius_km`` from the Earth's centre is above ``min_elevation_deg``; spherical Earth
    of the smallest radius (so the cap is never too small) plus a 0.5° margin for the
    geodetic/geocentric difference (≤ 0.2°)."""
    el = np.radians(min_elevation_deg)
    ratio = min(1.0, _R_MIN_KM * np.cos(el) / max_radius_km)
    return float(np.degrees(np.arccos(ratio) - el)) + 0.5


_LON_INDEX_DEG = 1.0


def _bin_satellites(sat_pos_km: np.ndarray):
    """Sort satellites into latitude bands and, inside each band, into 1° longitude bins
    (a counting sort: O(n)); ``lon_index[i, j]`` is the first satellite of band ``i`` in bin
    ``j`` and ``lon_index[i, -1]`` the end of the band. NaN rows (failed) are left out."""
    ok = np.isfinite(sat_pos_km).all(axis=1)
    idx = np.flatnonzero(ok).astype(np.int32)
    p = sat_pos_km[idx]
    lat = np.degrees(np.arctan2(p[:, 2], np.hypot(p[:, 0], p[:, 1])))
    lon = np.degrees(np.arctan2(p[:, 1], p[:, 0]))
    n_band = int(round(180 / _BAND_DEG))
    n_bins = int(round(360 / _LON_INDEX_DEG))
    band = np.clip(((lat + 90.0) / _BAND_DEG).astype(np.int64), 0, n_band - 1)
    lbin = np.clip(((lon + 180.0) / _LON_INDEX_DEG).astype(np.int64), 0, n_bins - 1)
    key = band * n_bins + lbin
    order = np.argsort(key, kind="stable")
    cum = np.zeros(n_band * n_bins + 1, np.int64)
    np.cumsum(np.bincount(key, minlength=n_band * n_bins), out=cum[1:])
    lon_index = cum[np.arange(n_band)[:, None] * n_bins + np.arange(n_bins + 1)[None, :]]
    return idx[order], np.ascontiguousarray(lon_index), n_band


_LAT_TAB_PER_DEG = 4  # rows of the longitude-window table per degree of |latitude|


def _lon_window_table(n_band: int, psi: float) -> np.ndarray:
    """Half-width in longitude (deg) of the visibility cap inside each latitude band, for a
    cell at each |latitude| step. From haversine, sin²(d/2) ≥ cos φc·cos φ·sin²(Δλ/2), so
    Δλ ≤ 2·asin(sin(ψ/2) / √(cos φc·cos φ)) with φ the band's latitude farthest from the
    equator; a cell looks up the row just poleward of its |latitude| (cos smaller, window
    wider: never too narrow)."""
    lat_c = np.minimum(np.arange(90 * _LAT_TAB_PER_DEG + 2) / _LAT_TAB_PER_DEG, 90.0)
    band_lo = -90.0 + _BAND_DEG * np.arange(n_band)
    far = np.maximum(np.abs(band_lo), np.abs(band_lo + _BAND_DEG))
    denom = np.sqrt(np.maximum(np.cos(np.radians(lat_c))[:, None] * np.cos(np.radians(far))[None, :], 0))
    with np.errstate(divide="ignore"):
        arg = np.sin(np.radians(psi) / 2.0) / denom
    return np.where(arg >= 1.0, 360.0, np.degrees(2.0 * np.arcsin(np.minimum(arg, 1.0))))


@njit(cache=True, inline="always")
def _window(lon_index, i, lon_c, dlon, inv_step, n_lon):
    """Index ranges [a0, b0) and [a1, b1) of band ``i`` within lon_c ± dlon (wrapping ±180°);
    rounded outward to the 1° index, so they may hold a few extra satellites, never fewer."""
    last = n_lon - 1
    if dlon >= 180.0:
        return lon_index[i, 0], lon_index[i, last], 0, 0
    lo = lon_c - dlon + 180.0
    hi = lon_c + dlon + 180.0
    if lo < 0.0:
        j = min(last, int((lo + 360.0) * inv_step))
        return lon_index[i, 0], lon_index[i, min(last, int(hi * inv_step) + 1)], lon_index[i, j], lon_index[i, last]
    if hi > 360.0:
        return lon_index[i, int(lo * inv_step)], lon_index[i, last], lon_index[i, 0], lon_index[i, min(last, int((hi - 360.0) * inv_step) + 1)]
    return lon_index[i, int(lo * inv_step)], lon_index[i, min(last, int(hi * inv_step) + 1)], 0, 0


@njit(cache=True, inline="always")
def _sort_row(sat, sinel, north, n):
    """Insertion sort of one candidate row by elevation, highest first (n ≤ top_k)."""
    for a in range(1, n):
        s, e, w = sat[a], sinel[a], north[a]
        b = a
        while b > 0 and sinel[b - 1] < e:
            sat[b], sinel[b], north[b] = sat[b - 1], sinel[b - 1], north[b - 1]
            b -= 1
        sat[b], sinel[b], north[b] = s, e, w


@njit(cache=True, inline="always")
def _count_band(sat_pos, qa, qb, ox, oy, oz, ux, uy, uz, sin2):
    k = 0
    for q in range(qa, qb):
        dx = sat_pos[q, 0] - ox
        dy = sat_pos[q, 1] - oy
        dz = sat_pos[q, 2] - oz
        dot = dx * ux + dy * uy + dz * uz
        if dot > 0.0 and dot * dot >= sin2 * (dx * dx + dy * dy + dz * dz):
            k += 1
    return k


@njit(cache=True, parallel=True)
def _visible_kernel(pos, up, north, lat, lon, row_of, sat_pos, sat_ids, lon_index,
                    n_band, band_deg, dlon_tab, psi, sin2, inv_step,
                    counts, out_sat, out_sinel, out_el, out_north):
    n = pos.shape[0]
    top_k = out_sat.shape[1]
    n_lon = lon_index.shape[1]
    for c in prange(n):
        ox, oy, oz = pos[c, 0], pos[c, 1], pos[c, 2]
        ux, uy, uz = up[c, 0], up[c, 1], up[c, 2]
        row = row_of[c]
        i0 = max(0, int((lat[c] - psi + 90.0) / band_deg))
        i1 = min(n_band - 1, int((lat[c] + psi + 90.0) / band_deg))
        li = min(dlon_tab.shape[0] - 1, int(abs(lat[c]) * _LAT_TAB_PER_DEG) + 1)
        k = 0
        if row < 0:  # count only: a tight loop
            for i in range(i0, i1 + 1):
                a0, b0, a1, b1 = _window(lon_index, i, lon[c], dlon_tab[li, i], inv_step, n_lon)
                k += _count_band(sat_pos, a0, b0, ox, oy, oz, ux, uy, uz, sin2)
                k += _count_band(sat_pos, a1, b1, ox, oy, oz, ux, uy, uz, sin2)
            counts[c] = k
            continue
        kept = 0
        low = 0
        srow = out_sat[row]  # holds binned indexes q until the end of the row
        erow = out_sinel[row]  # holds sin²(el) until the end of the row
        for i in range(i0, i1 + 1):
            a0, b0, a1, b1 = _window(lon_index, i, lon[c], dlon_tab[li, i], inv_step, n_lon)
            for part in range(2):
                qa = a0 if part == 0 else a1
                qb = b0 if part == 0 else b1
                for q in range(qa, qb):
                    dx = sat_pos[q, 0] - ox
                    dy = sat_pos[q, 1] - oy
                    dz = sat_pos[q, 2] - oz
                    dot = dx * ux + dy * uy + dz * uz
                    d2 = dx * dx + dy * dy + dz * dz
                    if dot > 0.0 and dot * dot >= sin2 * d2:
                        k += 1
                        s2 = dot * dot / d2  # sin²(el): same order as el, no sqrt
                        if kept < top_k:  # append; the row is sorted once at the end
                            p = kept
                            kept += 1
                        elif s2 > erow[low]:
                            p = low  # replace the lowest kept candidate
                        else:
                            continue
                        srow[p] = q
                        erow[p] = s2
                        if kept == top_k:
                            low = 0
                            for m in range(1, top_k):
                                if erow[m] < erow[low]:
                                    low = m
        counts[c] = k
        nx, ny, nz = north[c, 0], north[c, 1], north[c, 2]
        nrow = out_north[row]
        for p in range(kept):  # finish the kept candidates only
            q = srow[p]
            dx = sat_pos[q, 0] - ox
            dy = sat_pos[q, 1] - oy
            dz = sat_pos[q, 2] - oz
            rng = np.sqrt(dx * dx + dy * dy + dz * dz)
            erow[p] = (dx * ux + dy * uy + dz * uz) / rng
            nrow[p] = (dx * nx + dy * ny + dz * nz) / rng
            srow[p] = sat_ids[q]
        _sort_row(srow, erow, nrow, kept)
        for p in range(kept):
            out_el[row, p] = np.degrees(np.arcsin(min(1.0, erow[p])))


def count_visible(frame: CellFrame, sat_pos_km: np.ndarray, min_elevation_deg: float) -> np.ndarray:
    """Satellites above the mask for every cell (int32), without listing them."""
    return visible_pairs(frame, sat_pos_km, min_elevation_deg, select=np.empty(0, np.int64)).counts


def visible_pairs(frame: CellFrame, sat_pos_km: np.ndarray, min_elevation_deg: float,
                  select: np.ndarray | None = None, top_k: int = DEFAULT_TOP_K) -> Visibility:
    """Satellite–cell pairs above ``min_elevation_deg`` at one epoch.

    ``sat_pos_km``: (n_sat, 3) ECEF km (NaN rows = failed propagation, never visible).
    ``select``: indices of the cells whose candidates are wanted (default: all), in row order.
    ``top_k``: how many candidates to keep per selected cell (the highest by elevation).
    """
    sat_pos = np.ascontiguousarray(sat_pos_km, dtype=np.float64)
    sat_ids, lon_index, n_band = _bin_satellites(sat_pos)
    binned_pos = np.ascontiguousarray(sat_pos[sat_ids])  # contiguous per band: cache-friendly
    radii = np.linalg.norm(binned_pos, axis=1) if len(sat_ids) else np.array([_A_KM])
    psi = cap_half_angle_deg(float(radii.max()), min_elevation_deg)
    dlon_tab = _lon_window_table(n_band, psi)
    sel = np.arange(len(frame), dtype=np.int64) if select is None else np.asarray(select, np.int64)
    row_of = np.full(len(frame), -1, dtype=np.int64)
    row_of[sel] = np.arange(len(sel))
    counts = np.zeros(len(frame), np.int32)
    out_sat = np.full((len(sel), top_k), -1, np.int32)
    out_sinel = np.zeros((len(sel), top_k), np.float64)
    out_el = np.zeros((len(sel), top_k), np.float32)
    out_north = np.zeros((len(sel), top_k), np.float32)
    _visible_kernel(frame.pos_km, frame.up, frame.north, frame.lat_gc_deg, frame.lon_deg,
                    row_of, binned_pos, sat_ids, lon_index, n_band, _BAND_DEG, dlon_tab, psi,
                    float(np.sin(np.radians(min_elevation_deg)) ** 2), 1.0 / _LON_INDEX_DEG,
                    counts, out_sat, out_sinel, out_el, out_north)
    n_cand = np.minimum(counts[sel], top_k).astype(np.int32)
    return Visibility(counts, n_cand, out_sat, out_el, out_north)
