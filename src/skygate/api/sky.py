"""Satellites in view of a point, fast enough for every availability request.

Propagating ~9,600 satellites with SGP4 takes tens of milliseconds; a request must take well
under one. So positions are computed once per time slot (15 s: the service's scheduling
epoch) and shared by all requests in that slot; each request then costs an exact
elevation test of its observer against the few satellites of the grid bins near it (the
slot's positions are binned on a 2° latitude/longitude grid; a compiled loop, microseconds).

The elevation test is the textbook one (topocentric range vector projected on the
ellipsoid normal at the observer); ``skygate.earth.geodesy.look_angles`` is the reference it
is tested against. 25° is the user-terminal minimum elevation (FCC 21-48; shared facts §2).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

import numba
import numpy as np

from skygate.earth.geodesy import DEFAULT_MIN_ELEVATION_DEG, WGS84_A_KM, WGS84_F

__all__ = ["SkySnapshot", "SkyCache", "MIN_ELEVATION_DEG"]

# 25° user min elevation: FCC 21-48, shared facts §2 (the one constant in earth.geodesy).
MIN_ELEVATION_DEG = DEFAULT_MIN_ELEVATION_DEG

# WGS84 (NIMA TR8350.2), from earth.geodesy so the ellipsoid is defined once.
_A_KM = WGS84_A_KM
_F = WGS84_F
_E2 = _F * (2.0 - _F)

# Positions counted as satellites: 100 km to 3,000 km above the ellipsoid (LEO is <= 2,000 km).
# SGP4 keeps returning numbers, without an error code, for element sets used months past
# their epoch: satellites that decayed meanwhile come out below the Karman line, and some
# diverge to absurd radii (1e11 km seen at 270 days) which would otherwise count as "in
# view" from half the Earth and defeat the spatial prefilter.
_MIN_RADIUS_KM = _A_KM * (1.0 - _F) + 100.0
_MAX_RADIUS_KM = _A_KM + 3000.0


def _observer(lat_deg: float, lon_deg: float, alt_km: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """ECEF position (km) and unit ellipsoid normal ("up") of a geodetic point."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    s, c = math.sin(lat), math.cos(lat)
    n = _A_KM / math.sqrt(1.0 - _E2 * s * s)
    pos = np.array([(n + alt_km) * c * math.cos(lon), (n + alt_km) * c * math.sin(lon),
                    (n * (1.0 - _E2) + alt_km) * s])
    up = np.array([c * math.cos(lon), c * math.sin(lon), s])
    return pos, up


# The per-slot grid: satellites binned by the geocentric latitude and longitude of their
# position vector in cells of this many degrees (90 x 180 bins).
_BIN_DEG = 2.0
_N_ROWS = int(round(180 / _BIN_DEG))
_N_COLS = int(round(360 / _BIN_DEG))


def _bin_keys(r_km: np.ndarray) -> np.ndarray:
    """Grid bin (row * _N_COLS + col) of each position vector."""
    lat_deg = np.degrees(np.arcsin(np.clip(r_km[:, 2] / np.linalg.norm(r_km, axis=1), -1, 1)))
    lon_deg = np.degrees(np.arctan2(r_km[:, 1], r_km[:, 0]))
    row = np.clip(np.floor((lat_deg + 90.0) / _BIN_DEG), 0, _N_ROWS - 1).astype(np.int64)
    col = np.clip(np.floor((lon_deg + 180.0) / _BIN_DEG), 0, _N_COLS - 1).astype(np.int64)
    return row * _N_COLS + col


@numba.njit(cache=True, nogil=True, inline="always")
def _elevation_sine(r_km, i, obs_km, up):  # pragma: no cover - compiled
    dx = r_km[i, 0] - obs_km[0]
    dy = r_km[i, 1] - obs_km[1]
    dz = r_km[i, 2] - obs_km[2]
    return (dx * up[0] + dy * up[1] + dz * up[2]) / math.sqrt(dx * dx + dy * dy + dz * dz)


@numba.njit(cache=True, nogil=True)
def _count_in_cap(r_km, starts, high_km, obs_km, up, sin_min, lat_c_deg, lon_deg, cap_deg):  # pragma: no cover - compiled
    """Count the satellites whose elevation sine (the topocentric vector projected on the
    ellipsoid normal ``up``) is at least ``sin_min``, and return the best sine: those of
    ``r_km`` (sorted by grid bin, offsets in ``starts``) in the bins covering the spherical
    cap of half-angle ``cap_deg`` around geocentric (``lat_c_deg``, ``lon_deg``), and every
    one of ``high_km`` (the few satellites above the radius the cap was sized for)."""
    count = 0
    best = -2.0
    for i in range(high_km.shape[0]):
        sin_el = _elevation_sine(high_km, i, obs_km, up)
        if sin_el >= sin_min:
            count += 1
        if sin_el > best:
            best = sin_el
    lat_lo, lat_hi = lat_c_deg - cap_deg, lat_c_deg + cap_deg  # the binned satellites
    if lat_lo <= -90.0 or lat_hi >= 90.0:
        n_cols, col0 = _N_COLS, 0  # the cap holds a pole: every longitude
    else:
        s = math.sin(math.radians(cap_deg)) / math.cos(math.radians(lat_c_deg))
        dlon = 180.0 if s >= 1.0 else math.degrees(math.asin(s))
        col0 = int(math.floor((lon_deg - dlon + 180.0) / _BIN_DEG))
        col1 = int(math.floor((lon_deg + dlon + 180.0) / _BIN_DEG))
        n_cols = min(_N_COLS, col1 - col0 + 1)
    row0 = max(0, int(math.floor((lat_lo + 90.0) / _BIN_DEG)))
    row1 = min(_N_ROWS - 1, int(math.floor((lat_hi + 90.0) / _BIN_DEG)))
    for row in range(row0, row1 + 1):
        for k in range(n_cols):
            b = row * _N_COLS + (col0 + k) % _N_COLS
            for i in range(starts[b], starts[b + 1]):
                sin_el = _elevation_sine(r_km, i, obs_km, up)
                if sin_el >= sin_min:
                    count += 1
                if sin_el > best:
                    best = sin_el
    return count, best


@dataclass(frozen=True)
class SkySnapshot:
    """ECEF positions (km) of every satellite that propagated without error to a plausible
    LEO radius (see ``_MIN_RADIUS_KM``), at one time.

    For the per-request test the positions are also binned on a 2° grid of geocentric
    latitude and longitude (sorted by bin, with offsets). A satellite seen at the minimum
    elevation lies within a central angle ``cap`` of the observer (``cap`` grows with the
    satellite's radius; it is sized for the 99th-percentile radius), so only the bins covering
    that spherical cap are visited (a superset, never a miss; ~1 % of the satellites) plus
    the 1 % of satellites higher than that, and a compiled loop does the exact elevation test.
    """

    at: datetime
    r_ecef_km: np.ndarray  # (n_ok, 3), in propagation order
    elements_age_days: float  # median age of the element sets at ``at``

    def __post_init__(self) -> None:
        r = np.ascontiguousarray(self.r_ecef_km, dtype=np.float64).reshape(-1, 3)
        norms = np.linalg.norm(r, axis=1)
        # The cap is sized for the 99th-percentile radius; the 1 % above it are tested apart.
        split_km = float(np.percentile(norms, 99)) if norms.size else _A_KM
        low = norms <= split_km
        keys = _bin_keys(r[low])
        order = np.argsort(keys, kind="stable")
        starts = np.searchsorted(keys[order], np.arange(_N_ROWS * _N_COLS + 1)).astype(np.int64)
        object.__setattr__(self, "_r_binned_km", np.ascontiguousarray(r[low][order]))
        object.__setattr__(self, "_r_high_km", np.ascontiguousarray(r[~low]))
        object.__setattr__(self, "_bin_starts", starts)
        object.__setattr__(self, "_max_r_km", split_km)

    def _cap_deg(self, min_elevation_deg: float) -> float:
        """Central angle to the visibility circle of the highest satellite, with the Earth's
        smallest radius and 1° of margin (a superset, never a miss)."""
        e = math.radians(min_elevation_deg)
        r_min_km = _A_KM * (1.0 - _F) - 1.0
        lam = math.acos(min(1.0, r_min_km / self._max_r_km * math.cos(e))) - e
        return min(180.0, math.degrees(lam) + 1.0)

    def in_view(self, lat_deg: float, lon_deg: float,
                min_elevation_deg: float = MIN_ELEVATION_DEG) -> tuple[int, float | None]:
        """Number of satellites at or above ``min_elevation_deg`` and the best elevation."""
        if self.r_ecef_km.size == 0:
            return 0, None
        pos, up = _observer(lat_deg, lon_deg)
        geocentric_lat_deg = math.degrees(math.asin(pos[2] / math.sqrt(pos @ pos)))
        count, best_sin = _count_in_cap(
            self._r_binned_km, self._bin_starts, self._r_high_km, pos, up,
            math.sin(math.radians(min_elevation_deg)), geocentric_lat_deg,
            math.degrees(math.atan2(pos[1], pos[0])), self._cap_deg(min_elevation_deg))
        if count == 0:
            return 0, None
        return int(count), math.degrees(math.asin(min(1.0, best_sin)))


class SkyCache:
    """Per-slot :class:`SkySnapshot` of a constellation (thread-safe, a few slots kept)."""

    def __init__(self, constellation: str = "starlink", slot_s: float = 15.0, keep: int = 4):
        self.constellation_name = constellation
        self.slot_s = float(slot_s)
        self.keep = keep
        self._constellation = None
        self._slots: dict[int, SkySnapshot] = {}
        self._lock = threading.Lock()

    @property
    def constellation(self):
        if self._constellation is None:
            from skygate.orbits import Constellation

            self._constellation = Constellation.load(self.constellation_name)
        return self._constellation

    def slot_of(self, at: datetime) -> int:
        return int(math.floor(at.timestamp() / self.slot_s))

    def snapshot(self, at: datetime | None = None) -> SkySnapshot:
        """The snapshot of the slot containing ``at`` (default now), computing it if new."""
        slot = self.slot_of(at or datetime.now(timezone.utc))
        snap = self._slots.get(slot)
        if snap is not None:
            return snap
        with self._lock:
            snap = self._slots.get(slot)
            if snap is None:
                snap = self.compute(datetime.fromtimestamp(slot * self.slot_s, timezone.utc))
                self._slots[slot] = snap
                for old in sorted(self._slots)[:-self.keep]:
                    del self._slots[old]
        return snap

    def compute(self, at: datetime) -> SkySnapshot:
        """Propagate every satellite to ``at`` (the uncached path)."""
        from skygate.orbits import propagate

        con = self.constellation
        times = np.array([np.datetime64(at.replace(tzinfo=None), "ns")])
        eph = propagate(con, times)
        radius_km = np.linalg.norm(eph.r_ecef_km[:, 0, :], axis=1)
        ok = (eph.error[:, 0] == 0) & (radius_km >= _MIN_RADIUS_KM) & (radius_km <= _MAX_RADIUS_KM)
        r = np.ascontiguousarray(eph.r_ecef_km[ok, 0, :], dtype=np.float64)
        age_days = float(np.median((times[0] - con.epochs) / np.timedelta64(1, "D")))
        return SkySnapshot(at=at, r_ecef_km=r, elements_age_days=age_days)
