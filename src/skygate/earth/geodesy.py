"""WGS84 geodesy and look angles: where a satellite stands in an observer's sky.

Positions are Earth-fixed (ECEF) kilometres, as :func:`skygate.orbits.propagate` returns them.
Latitudes are *geodetic* (the angle of the ellipsoid normal, what maps and GPS show), and
elevation is measured from the plane perpendicular to that normal, as Skyfield's ``altaz`` does
for a ``wgs84.latlon`` observer; no refraction (it matters below ~5°, far under the 25° mask).

Shapes broadcast: ``look_angles`` takes observers of shape (n_obs,) and satellite positions
of shape (..., 3), e.g. (n_sat, n_time, 3), and returns (n_obs, ...) arrays. For the
"who sees whom" question over many observers, satellites and times, :func:`visible_pairs`
returns only the pairs above the mask, pruned with a cone test so it never forms the dense
(n_obs × n_sat × n_time) array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np

from skygate.errors import CoordinateError

if TYPE_CHECKING:  # pragma: no cover
    from skygate.orbits.constellation import Constellation

__all__ = [
    "WGS84_A_KM",
    "WGS84_F",
    "DEFAULT_MIN_ELEVATION_DEG",
    "LookAngles",
    "VisiblePairs",
    "check_coordinates",
    "geodetic_to_ecef",
    "ecef_to_geodetic",
    "enu_basis",
    "look_angles",
    "subsatellite_points",
    "visible_pairs",
    "visible_satellites",
]

WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
_E2 = WGS84_F * (2.0 - WGS84_F)
_B_KM = WGS84_A_KM * (1.0 - WGS84_F)

# 25° user-terminal minimum elevation: FCC 21-48 (Apr 2021) for user and gateway beams;
# Hypatia, LEOCraft and StarPerf use it too (shared facts §2 "Minimum elevation angles").
DEFAULT_MIN_ELEVATION_DEG = 25.0


@dataclass(frozen=True)
class LookAngles:
    """Elevation and azimuth (degrees; azimuth clockwise from north, 0–360) and range (km)."""

    elevation_deg: np.ndarray
    azimuth_deg: np.ndarray
    range_km: np.ndarray


@dataclass(frozen=True)
class VisiblePairs:
    """Observer–satellite–time triples above the elevation mask (flat arrays, one per pair).

    Ordered by time, then observer, then satellite index. Angles and range are float32
    (1e-5° and 0.1 m resolution, far below SGP4's own error).
    """

    observer: np.ndarray  # int32 index into the observers
    satellite: np.ndarray  # int32 index into the satellites
    time: np.ndarray  # int32 index into the times
    elevation_deg: np.ndarray
    azimuth_deg: np.ndarray
    range_km: np.ndarray

    def __len__(self) -> int:
        return int(self.observer.size)


# ---------------------------------------------------------------------------- geodetic ↔ ECEF


def check_coordinates(lat_deg, lon_deg, alt_km=0.0) -> None:
    """Raise :class:`CoordinateError` unless −90 ≤ lat ≤ 90, −180 ≤ lon ≤ 180 and the altitude
    is finite and above −12 km (below any point of the Earth's surface)."""
    lat, lon, alt = (np.asarray(x, dtype=float) for x in (lat_deg, lon_deg, alt_km))
    if not np.all(np.isfinite(lat)) or np.any(np.abs(lat) > 90.0):
        bad = lat[~(np.abs(lat) <= 90.0)].ravel()[0]
        raise CoordinateError(f"latitude {bad:g}° is outside −90…90", where="latitude",
                              hint="latitude comes first and is in degrees north (south < 0)")
    if not np.all(np.isfinite(lon)) or np.any(np.abs(lon) > 180.0):
        bad = lon[~(np.abs(lon) <= 180.0)].ravel()[0]
        fix = f" (did you mean {bad - 360:g}?)" if 180.0 < bad <= 360.0 else ""
        raise CoordinateError(f"longitude {bad:g}° is outside −180…180{fix}", where="longitude",
                              hint="longitude is in degrees east (west < 0)")
    if not np.all(np.isfinite(alt)) or np.any(alt < -12.0):
        bad = alt[~(alt >= -12.0)].ravel()[0]
        raise CoordinateError(f"altitude {bad:g} km is below −12 km or not a number",
                              where="altitude", hint="altitude is in km above the WGS84 ellipsoid")


def geodetic_to_ecef(lat_deg, lon_deg, alt_km=0.0) -> np.ndarray:
    """WGS84 geodetic latitude/longitude (deg) and height (km) → ECEF (…, 3) in km."""
    check_coordinates(lat_deg, lon_deg, alt_km)
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    alt = np.asarray(alt_km, dtype=float)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = WGS84_A_KM / np.sqrt(1.0 - _E2 * sin_lat**2)  # prime-vertical radius of curvature
    x = (n + alt) * cos_lat * np.cos(lon)
    y = (n + alt) * cos_lat * np.sin(lon)
    z = (n * (1.0 - _E2) + alt) * sin_lat
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def ecef_to_geodetic(r_km) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECEF (…, 3) km → WGS84 geodetic latitude, longitude (deg) and height (km).

    Heikkinen's closed form (1982; Zhu 1994), exact to well under a millimetre from the
    Earth's surface out to GEO; NaN in, NaN out.
    """
    r = np.asarray(r_km, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    a, b, e2 = WGS84_A_KM, _B_KM, _E2
    ep2 = (a * a - b * b) / (b * b)
    p = np.hypot(x, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = 54.0 * b * b * z * z
        g = p * p + (1.0 - e2) * z * z - e2 * (a * a - b * b)
        c = e2 * e2 * f * p * p / (g**3)
        s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
        k = s + 1.0 + 1.0 / s
        pp = f / (3.0 * k * k * g * g)
        q = np.sqrt(1.0 + 2.0 * e2 * e2 * pp)
        r0 = (-pp * e2 * p / (1.0 + q)
              + np.sqrt(0.5 * a * a * (1.0 + 1.0 / q) - pp * (1.0 - e2) * z * z / (q * (1.0 + q))
                        - 0.5 * pp * p * p))
        u = np.sqrt((p - e2 * r0) ** 2 + z * z)
        v = np.sqrt((p - e2 * r0) ** 2 + (1.0 - e2) * z * z)
        z0 = b * b * z / (a * v)
        alt = u * (1.0 - b * b / (a * v))
        lat = np.degrees(np.arctan((z + ep2 * z0) / p))
    lat = np.where(p == 0.0, np.copysign(90.0, z), lat)
    alt = np.where(p == 0.0, np.abs(z) - b, alt)
    lon = np.degrees(np.arctan2(y, x))
    return lat, lon, alt


def subsatellite_points(r_ecef_km) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ground points under satellites: geodetic latitude, longitude (deg) and altitude (km)
    along the ellipsoid normal (the point whose zenith holds the satellite)."""
    return ecef_to_geodetic(r_ecef_km)


def enu_basis(lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors east, north, up (…, 3) at geodetic latitude/longitude (deg)."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    zero = np.zeros_like(sl * so)
    east = np.stack(np.broadcast_arrays(-so, co, zero), axis=-1)
    north = np.stack(np.broadcast_arrays(-sl * co, -sl * so, cl), axis=-1)
    up = np.stack(np.broadcast_arrays(cl * co, cl * so, sl), axis=-1)
    return east, north, up


# ---------------------------------------------------------------------------- look angles


@numba.njit(parallel=True, cache=True)
def _look_kernel(obs, east, north, up, pts, el, az, rng):  # pragma: no cover - compiled
    rad2deg = 180.0 / math.pi
    for i in numba.prange(obs.shape[0]):
        ox, oy, oz = obs[i, 0], obs[i, 1], obs[i, 2]
        for p in range(pts.shape[0]):
            dx, dy, dz = pts[p, 0] - ox, pts[p, 1] - oy, pts[p, 2] - oz
            e = dx * east[i, 0] + dy * east[i, 1] + dz * east[i, 2]
            n = dx * north[i, 0] + dy * north[i, 1] + dz * north[i, 2]
            u = dx * up[i, 0] + dy * up[i, 1] + dz * up[i, 2]
            horiz = math.sqrt(e * e + n * n)
            el[i, p] = math.atan2(u, horiz) * rad2deg
            a = math.atan2(e, n) * rad2deg
            az[i, p] = a + 360.0 if a < 0.0 else a
            rng[i, p] = math.sqrt(horiz * horiz + u * u)


def look_angles(lat_deg, lon_deg, alt_km, r_ecef_km) -> LookAngles:
    """Elevation, azimuth and slant range from observers to ECEF points.

    ``lat_deg``/``lon_deg``/``alt_km``: scalars or 1-D arrays (n_obs,) of WGS84 observers.
    ``r_ecef_km``: (…, 3) satellite positions in km (e.g. ``Ephemeris.r_ecef_km``).
    Returns arrays of shape (n_obs, …), or (…) for a scalar observer. NaN positions (failed
    propagation) give NaN angles.
    """
    scalar = np.ndim(lat_deg) == 0 and np.ndim(lon_deg) == 0 and np.ndim(alt_km) == 0
    lat, lon, alt = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (lat_deg, lon_deg, alt_km))
    lat, lon, alt = np.broadcast_arrays(lat, lon, alt)
    obs = np.ascontiguousarray(geodetic_to_ecef(lat, lon, alt).reshape(-1, 3))
    east, north, up = (np.ascontiguousarray(v.reshape(-1, 3)) for v in enu_basis(lat, lon))
    r = np.asarray(r_ecef_km, dtype=float)
    pts = np.ascontiguousarray(r.reshape(-1, 3))
    out = [np.empty((obs.shape[0], pts.shape[0])) for _ in range(3)]
    _look_kernel(obs, east, north, up, pts, *out)
    shape = r.shape[:-1] if scalar else (obs.shape[0], *r.shape[:-1])
    return LookAngles(*(o.reshape(shape) for o in out))


# ---------------------------------------------------------------------------- visibility


@numba.njit(cache=True)
def _pairs_at_time(t, obs, up, east, north, obs_u, obs_zlo, obs_zhi, sat_u, order, zsorted,
                   r, cos_lambda, sin_min, fill, offset, o_obs, o_sat, o_time, o_el, o_az,
                   o_rng):  # pragma: no cover - compiled
    """Count (fill=False) or write (fill=True) the visible pairs at time index t."""
    count = 0
    rad2deg = 180.0 / math.pi
    for i in range(obs.shape[0]):
        lo = np.searchsorted(zsorted, obs_zlo[i])
        hi = np.searchsorted(zsorted, obs_zhi[i], side="right")
        for k in range(lo, hi):
            s = order[k]
            if (sat_u[s, 0] * obs_u[i, 0] + sat_u[s, 1] * obs_u[i, 1]
                    + sat_u[s, 2] * obs_u[i, 2]) < cos_lambda:
                continue  # outside the cone: cannot be above the mask
            dx = r[s, t, 0] - obs[i, 0]
            dy = r[s, t, 1] - obs[i, 1]
            dz = r[s, t, 2] - obs[i, 2]
            u = dx * up[i, 0] + dy * up[i, 1] + dz * up[i, 2]
            d2 = dx * dx + dy * dy + dz * dz
            if u < 0.0 and sin_min >= 0.0:
                continue
            if u * abs(u) < sin_min * abs(sin_min) * d2:
                continue
            if fill:
                j = offset + count
                e = dx * east[i, 0] + dy * east[i, 1] + dz * east[i, 2]
                n = dx * north[i, 0] + dy * north[i, 1] + dz * north[i, 2]
                dist = math.sqrt(d2)
                a = math.atan2(e, n) * rad2deg
                o_obs[j] = i
                o_sat[j] = s
                o_time[j] = t
                o_el[j] = math.asin(min(1.0, u / dist)) * rad2deg
                o_az[j] = a + 360.0 if a < 0.0 else a
                o_rng[j] = dist
            count += 1
    return count


@numba.njit(parallel=True, cache=True)
def _visible_kernel(obs, up, east, north, obs_u, obs_zlo, obs_zhi, r, cos_lambda, sin_min,
                    counts, offsets, fill, o_obs, o_sat, o_time, o_el, o_az, o_rng
                    ):  # pragma: no cover - compiled
    n_sat, n_time = r.shape[0], r.shape[1]
    for t in numba.prange(n_time):
        sat_u = np.empty((n_sat, 3))
        z = np.empty(n_sat)
        for s in range(n_sat):
            norm = math.sqrt(r[s, t, 0] ** 2 + r[s, t, 1] ** 2 + r[s, t, 2] ** 2)
            if not norm > 0.0:  # NaN: failed propagation; never visible
                z[s] = 2.0
                sat_u[s, 0] = sat_u[s, 1] = sat_u[s, 2] = 0.0
                continue
            for c in range(3):
                sat_u[s, c] = r[s, t, c] / norm
            z[s] = sat_u[s, 2]
        order = np.argsort(z)
        zsorted = z[order]
        counts[t] = _pairs_at_time(t, obs, up, east, north, obs_u, obs_zlo, obs_zhi, sat_u,
                                   order, zsorted, r, cos_lambda, sin_min, fill, offsets[t],
                                   o_obs, o_sat, o_time, o_el, o_az, o_rng)


def _cone_half_angle_rad(min_elevation_deg: float, obs_r_km: float, sat_r_km: float) -> float:
    """Largest Earth-central angle at which a satellite at radius ``sat_r_km`` can stand above
    the mask for an observer at radius ``obs_r_km`` (spherical geometry); 0.5° is taken off
    the mask to cover the geodetic-vs-geocentric vertical (≤ 0.2°) with room to spare."""
    e = math.radians(min_elevation_deg - 0.5)
    ratio = min(1.0, obs_r_km * math.cos(e) / sat_r_km)
    return math.acos(ratio) - e


def visible_pairs(lat_deg, lon_deg, alt_km, r_ecef_km,
                  min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG) -> VisiblePairs:
    """Every (observer, satellite, time) with the satellite at or above ``min_elevation_deg``.

    ``r_ecef_km`` is (n_sat, n_time, 3). Prunes with a z-sorted band search and a cone test
    (dot product of unit vectors against the largest possible central angle) before the exact
    elevation test, so cost grows with the pairs that are near, not with n_obs × n_sat.
    """
    lat, lon, alt = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (lat_deg, lon_deg, alt_km))
    lat, lon, alt = np.broadcast_arrays(lat, lon, alt)
    obs = np.ascontiguousarray(geodetic_to_ecef(lat, lon, alt).reshape(-1, 3))
    east, north, up = (np.ascontiguousarray(v.reshape(-1, 3)) for v in enu_basis(lat, lon))
    r = np.ascontiguousarray(r_ecef_km, dtype=np.float64)
    if r.ndim != 3 or r.shape[2] != 3:
        raise ValueError(f"r_ecef_km must be (n_sat, n_time, 3), got {r.shape}")
    obs_norm = np.linalg.norm(obs, axis=1)
    sat_norm = np.linalg.norm(r, axis=2)
    sat_max = float(np.nanmax(sat_norm)) if np.isfinite(sat_norm).any() else WGS84_A_KM
    lam = _cone_half_angle_rad(min_elevation_deg, float(obs_norm.min()), sat_max)
    obs_u = obs / obs_norm[:, None]
    geoc_lat = np.arcsin(np.clip(obs_u[:, 2], -1.0, 1.0))
    zlo = np.sin(np.maximum(geoc_lat - lam, -np.pi / 2))
    zhi = np.sin(np.minimum(geoc_lat + lam, np.pi / 2))
    sin_min = math.sin(math.radians(min_elevation_deg))
    n_time = r.shape[1]
    counts = np.zeros(n_time, dtype=np.int64)
    empty_i, empty_f = np.empty(0, np.int32), np.empty(0, np.float32)
    args = (obs, up, east, north, obs_u, zlo, zhi, r, math.cos(lam), sin_min)
    _visible_kernel(*args, counts, np.zeros(n_time, np.int64), False,
                    empty_i, empty_i, empty_i, empty_f, empty_f, empty_f)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    total = int(counts.sum())
    out_i = [np.empty(total, np.int32) for _ in range(3)]
    out_f = [np.empty(total, np.float32) for _ in range(3)]
    _visible_kernel(*args, counts, offsets, True, *out_i, *out_f)
    return VisiblePairs(*out_i, *out_f)


def visible_satellites(constellation: "Constellation", lat_deg: float, lon_deg: float,
                       alt_km: float, at, min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG
                       ) -> dict[str, np.ndarray]:
    """Satellites of ``constellation`` above the mask from one place at one time, sorted by
    elevation, highest first: columns ``index``, ``norad_id``, ``name``, ``elevation_deg``,
    ``azimuth_deg``, ``range_km``."""
    from skygate.orbits.propagate import propagate  # layer 1, imported late to keep this light

    check_coordinates(lat_deg, lon_deg, alt_km)
    eph = propagate(constellation, at)
    looks = look_angles(lat_deg, lon_deg, alt_km, eph.r_ecef_km[:, 0, :])
    with np.errstate(invalid="ignore"):
        above = looks.elevation_deg >= min_elevation_deg
    index = np.flatnonzero(above)
    index = index[np.argsort(-looks.elevation_deg[index], kind="stable")]
    return {
        "index": index,
        "norad_id": constellation.norad_ids[index],
        "name": constellation.names[index],
        "elevation_deg": looks.elevation_deg[index],
        "azimuth_deg": looks.azimuth_deg[index],
        "range_km": looks.range_km[index],
    }
