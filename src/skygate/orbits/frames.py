"""Reference frames: SGP4's TEME → Earth-fixed (ECEF), with UT1 from a bundled DUT1 table.

SGP4 returns positions in TEME ("true equator, mean equinox"), a frame that turns with the
sky. Earth-fixed coordinates follow by one rotation about z through Greenwich Mean Sidereal
Time (IAU 1982 formula, AIAA 2006-6753 Appendix C), the same convention Skyfield uses for its
TEME frame. GMST runs on **UT1**, not UTC: UT1−UTC (DUT1) reaches ±0.9 s, which at LEO is up
to ~400 m, so skygate reads DUT1 from ``data/eop/ut1_utc.csv.gz`` (IERS finals2000A, see
``scripts/derive_dut1.py``), interpolated linearly between daily values; outside 2017–2030 it
holds the nearest end value.

Polar motion (≤ ~15 m at the surface) is *not* applied: the ECEF frame here is the pseudo
Earth-fixed frame (PEF), as Skyfield's ``itrs`` frame is when no polar-motion table is loaded
(its default). Velocities include the Earth-rotation term ω × r with ω = dGMST/dt.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources

import numba
import numpy as np

__all__ = ["ut1_minus_utc_s", "gmst82_rad", "teme_to_ecef_inplace", "teme_to_ecef"]

_NS_PER_DAY = 86_400 * 10**9
_MJD_UNIX_EPOCH = 40587.0
_JD_J2000 = 2451545.0
_TAU = 2.0 * np.pi


@lru_cache(maxsize=1)
def _dut1_table() -> tuple[np.ndarray, np.ndarray]:
    raw = resources.files("skygate").joinpath("data", "eop", "ut1_utc.csv.gz").read_bytes()
    rows = [line.split(",") for line in gzip.decompress(raw).decode("ascii").splitlines()
            if line and line[0].isdigit()]
    mjd = np.array([float(r[0]) for r in rows])
    dut1 = np.array([float(r[1]) for r in rows])
    return mjd, dut1


def ut1_minus_utc_s(times: np.ndarray) -> np.ndarray:
    """UT1−UTC in seconds at each UTC time (``datetime64``), from the bundled IERS table."""
    ns = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    mjd = ns / _NS_PER_DAY + _MJD_UNIX_EPOCH
    table_mjd, table_dut1 = _dut1_table()
    return np.interp(mjd, table_mjd, table_dut1)


def gmst82_rad(jd_ut1: np.ndarray, fr_ut1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greenwich Mean Sidereal Time (IAU 1982) in radians and its rate in rad/s.

    Two-part UT1 Julian date in (whole, fraction) keeps sub-microsecond precision; the
    formulation follows Skyfield's ``theta_GMST1982`` (AIAA 2006-6753 Appendix C).
    """
    t = (jd_ut1 - _JD_J2000 + fr_ut1) / 36525.0
    g = 67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * t) * t) * t
    dg = 8640184.812866 + (0.093104 * 2.0 + (-6.2e-6 * 3.0) * t) * t
    theta = (jd_ut1 % 1.0 + fr_ut1 + g / 86400.0 % 1.0) % 1.0 * _TAU
    theta_dot_rad_s = (1.0 + dg / (86400.0 * 36525.0)) * _TAU / 86400.0
    return theta, theta_dot_rad_s


@numba.njit(parallel=True, cache=True, fastmath=False)
def _rotate(r, v, cos_t, sin_t, omega, err):  # pragma: no cover - compiled
    n_sat, n_time = err.shape
    nan = np.nan
    for i in numba.prange(n_sat):
        for j in range(n_time):
            if err[i, j] != 0:
                for k in range(3):
                    r[i, j, k] = nan
                    v[i, j, k] = nan
                continue
            c = cos_t[j]
            s = sin_t[j]
            x = r[i, j, 0]
            y = r[i, j, 1]
            xe = c * x + s * y
            ye = -s * x + c * y
            r[i, j, 0] = xe
            r[i, j, 1] = ye
            vx = v[i, j, 0]
            vy = v[i, j, 1]
            v[i, j, 0] = c * vx + s * vy + omega[j] * ye
            v[i, j, 1] = -s * vx + c * vy - omega[j] * xe


def _angles(times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ns = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    days, rem = np.divmod(ns, _NS_PER_DAY)
    jd = days.astype(np.float64) + 2440587.5
    fr = rem / _NS_PER_DAY + ut1_minus_utc_s(times) / 86400.0
    theta, omega = gmst82_rad(jd, fr)
    return np.cos(theta), np.sin(theta), np.ascontiguousarray(omega, dtype=np.float64)


def teme_to_ecef_inplace(r_km: np.ndarray, v_km_s: np.ndarray, times: np.ndarray,
                         error: np.ndarray) -> None:
    """Rotate ``(n_sat, n_time, 3)`` TEME vectors to ECEF in place; ``error != 0`` → NaN."""
    cos_t, sin_t, omega = _angles(times)
    _rotate(r_km, v_km_s, cos_t, sin_t, omega, error)


def teme_to_ecef(r_km: np.ndarray, v_km_s: np.ndarray, times: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """TEME → ECEF for ``(n_sat, n_time, 3)`` (or ``(n_time, 3)``) arrays; returns copies."""
    r = np.array(r_km, dtype=np.float64, ndmin=3, copy=True)
    v = np.array(v_km_s, dtype=np.float64, ndmin=3, copy=True)
    err = np.zeros(r.shape[:2], dtype=np.uint8)
    teme_to_ecef_inplace(r, v, np.atleast_1d(times), err)
    return r.reshape(np.shape(r_km)), v.reshape(np.shape(v_km_s))
