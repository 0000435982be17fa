"""Satellites in view of a point, fast enough for every availability request.

Propagating ~9,600 satellites with SGP4 takes tens of milliseconds; a request must take well
under one. So positions are computed once per time slot (15 s: the service's scheduling
epoch) and shared by all requests in that slot; each request then costs one vectorized
elevation test of its observer against the slot's ECEF positions (~0.1 ms).

The elevation test is the textbook one (topocentric range vector projected on the
ellipsoid normal at the observer); ``skygate.earth.geodesy.look_angles`` is the reference it
is tested against. 25° is the user-terminal minimum elevation (FCC 21-48; shared facts §2).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

__all__ = ["SkySnapshot", "SkyCache", "MIN_ELEVATION_DEG"]

# 25° user min elevation: FCC 21-48, shared facts §2.
MIN_ELEVATION_DEG = 25.0

# WGS84 (NIMA TR8350.2).
_A_KM = 6378.137
_F = 1.0 / 298.257223563
_E2 = _F * (2.0 - _F)


def _observer(lat_deg: float, lon_deg: float, alt_km: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """ECEF position (km) and unit ellipsoid normal ("up") of a geodetic point."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    s, c = math.sin(lat), math.cos(lat)
    n = _A_KM / math.sqrt(1.0 - _E2 * s * s)
    pos = np.array([(n + alt_km) * c * math.cos(lon), (n + alt_km) * c * math.sin(lon),
                    (n * (1.0 - _E2) + alt_km) * s])
    up = np.array([c * math.cos(lon), c * math.sin(lon), s])
    return pos, up


@dataclass(frozen=True)
class SkySnapshot:
    """ECEF positions (km) of every satellite that propagated without error, at one time.

    ``unit`` holds the positions' unit vectors and ``cos_cap`` the cosine of the largest
    Earth-central angle at which any of them can still be seen at the minimum elevation:
    a cheap dot product then discards the ~98 % of satellites that are below the horizon
    before the exact elevation test.
    """

    at: datetime
    r_ecef_km: np.ndarray  # (n_ok, 3), C-contiguous
    elements_age_days: float  # median age of the element sets at ``at``

    def __post_init__(self) -> None:
        norms = np.linalg.norm(self.r_ecef_km, axis=1) if self.r_ecef_km.size else np.ones(0)
        object.__setattr__(self, "unit", self.r_ecef_km / norms[:, None] if norms.size else
                           np.zeros((0, 3)))
        object.__setattr__(self, "_max_r_km", float(norms.max()) if norms.size else _A_KM)

    def _cos_cap(self, min_elevation_deg: float) -> float:
        """cos of the central angle to the visibility circle of the highest satellite, with
        the Earth's smallest radius and 1° of margin (a superset, never a miss)."""
        e = math.radians(min_elevation_deg)
        r_min_km = _A_KM * (1.0 - _F) - 1.0
        lam = math.acos(min(1.0, r_min_km / self._max_r_km * math.cos(e))) - e
        return math.cos(min(math.pi, lam + math.radians(1.0)))

    def in_view(self, lat_deg: float, lon_deg: float,
                min_elevation_deg: float = MIN_ELEVATION_DEG) -> tuple[int, float | None]:
        """Number of satellites at or above ``min_elevation_deg`` and the best elevation."""
        if self.r_ecef_km.size == 0:
            return 0, None
        pos, up = _observer(lat_deg, lon_deg)
        near = np.flatnonzero(self.unit @ (pos / np.linalg.norm(pos))
                              >= self._cos_cap(min_elevation_deg))
        rho = self.r_ecef_km.take(near, axis=0) - pos
        if rho.size == 0:
            return 0, None
        sin_el = (rho @ up) / np.sqrt(np.einsum("ij,ij->i", rho, rho))
        count = int(np.count_nonzero(sin_el >= math.sin(math.radians(min_elevation_deg))))
        if count == 0:
            return 0, None
        return count, float(np.degrees(np.arcsin(sin_el.max())))


class SkyCache:
    """Per-slot :class:`SkySnapshot` of a constellation (thread-safe, a few slots kept)."""

    def __init__(self, constellation: str = "starlink", slot_s: float = 15.0, keep: int = 4):
        self.constellation_name = constellation
        self.slot_s = float(slot_s)
        self.keep = keep
        self._constellation = None
        self._slots: dict[int, SkySnapshot] = {}
        self._lock = threading.Lock()
        self.computed = 0  # snapshots computed so far (for tests and the benchmark)

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
        ok = eph.error[:, 0] == 0
        r = np.ascontiguousarray(eph.r_ecef_km[ok, 0, :], dtype=np.float64)
        age_days = float(np.median((times[0] - con.epochs) / np.timedelta64(1, "D")))
        self.computed += 1
        return SkySnapshot(at=at, r_ecef_km=r, elements_age_days=age_days)
