"""Walker-delta shells: filed constellation designs turned into SGP4 satellites.

A Walker-delta shell ``i: T/P/F`` has ``P`` circular orbit planes at inclination ``i`` whose
ascending nodes are spaced 360°/P apart, ``S = T/P`` satellites per plane spaced 360°/S, and
neighbouring planes shifted in phase by ``360°·F/T``. So satellite (plane p, slot s) has

    RAAN = raan_offset + 360·p/P,       mean anomaly = 360·s/S + 360·F·p/T       (degrees)

Altitude → mean motion. A filed "altitude" is the orbit's mean radius minus the Earth's
equatorial radius. SGP4's input mean motion is a *Kozai* mean motion, and SGP4 adds J2
secular and short-period terms, so the Keplerian ``n = √(μ/a³)`` for ``a = R_e + h`` would put
the orbit-averaged radius off by several km. skygate therefore solves for the Kozai mean motion
whose SGP4 orbit has the filed mean radius: start from Kepler, propagate one revolution,
scale ``n`` by ``(r̄/a)^{3/2}``, repeat (three rounds reach < 10 m). ``R_e`` is WGS84's
6378.137 km; the satellites use the WGS72 gravity model like every real element set.

Walker satellites get synthetic catalogue numbers ≥ 1,000,000 (real ones, Alpha-5 included,
stop at 339,999), and names ``<shell>-P<plane>-S<slot>``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray

from skygate.errors import ElementSetError

__all__ = [
    "WalkerShell",
    "WalkerDesign",
    "EARTH_EQUATORIAL_RADIUS_KM",
    "SYNTHETIC_ID_BASE",
    "builtin_designs",
    "load_design",
    "read_designs",
    "mean_motion_for_altitude",
    "walker_elements",
    "build_satrecs",
]

EARTH_EQUATORIAL_RADIUS_KM = 6378.137  # WGS84
_MU_WGS72_KM3_S2 = 398600.8  # the gravity model SGP4 element sets use
SYNTHETIC_ID_BASE = 1_000_000
_EPOCH0 = np.datetime64("1949-12-31T00:00:00", "ns")  # sgp4init's epoch origin
_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class WalkerShell:
    """One Walker-delta shell. Give ``altitude_km`` or ``mean_motion_rev_per_day`` (Kozai)."""

    name: str
    inclination_deg: float
    planes: int
    sats_per_plane: int
    phasing: int = 1
    altitude_km: float | None = None
    mean_motion_rev_per_day: float | None = None
    raan_offset_deg: float = 0.0
    phasing_source: str = ""

    @property
    def total(self) -> int:
        return self.planes * self.sats_per_plane


@dataclass(frozen=True)
class WalkerDesign:
    """A named set of shells with the source it was filed in."""

    name: str
    shells: tuple[WalkerShell, ...]
    description: str = ""
    source: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.shells)


# ---------------------------------------------------------------------------- reading TOML

_SHELL_KEYS = {"name", "altitude_km", "mean_motion_rev_per_day", "inclination_deg", "planes",
               "sats_per_plane", "phasing", "raan_offset_deg", "phasing_source"}


def _shell_from_table(table: dict, where: str) -> WalkerShell:
    unknown = set(table) - _SHELL_KEYS
    if unknown:
        raise ElementSetError(f"unknown key {sorted(unknown)[0]!r}", where=where,
                              hint=f"shell keys are {', '.join(sorted(_SHELL_KEYS))}")
    has_alt, has_n = "altitude_km" in table, "mean_motion_rev_per_day" in table
    if has_alt == has_n:
        raise ElementSetError("give exactly one of altitude_km or mean_motion_rev_per_day",
                              where=where)
    for key in ("inclination_deg", "planes", "sats_per_plane"):
        if key not in table:
            raise ElementSetError(f"missing key {key!r}", where=where)
    shell = WalkerShell(
        name=str(table.get("name", where)), inclination_deg=_number(table, "inclination_deg", where),
        planes=_count(table, "planes", where), sats_per_plane=_count(table, "sats_per_plane", where),
        phasing=int(table.get("phasing", 1)),
        altitude_km=_number(table, "altitude_km", where) if has_alt else None,
        mean_motion_rev_per_day=_number(table, "mean_motion_rev_per_day", where) if has_n else None,
        raan_offset_deg=_number(table, "raan_offset_deg", where, 0.0),
        phasing_source=str(table.get("phasing_source", "")),
    )
    _check_shell(shell, where)
    return shell


def _number(table, key, where, default=None) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ElementSetError(f"{key} = {value!r} is not a number", where=f"{where}.{key}")
    return float(value)


def _count(table, key, where) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ElementSetError(f"{key} = {value!r} must be a whole number ≥ 1",
                              where=f"{where}.{key}")
    return value


def _check_shell(shell: WalkerShell, where: str) -> None:
    if not 0.0 <= shell.inclination_deg <= 180.0:
        raise ElementSetError(f"inclination_deg = {shell.inclination_deg} is outside 0–180",
                              where=f"{where}.inclination_deg")
    if shell.altitude_km is not None and not 150.0 <= shell.altitude_km <= 40_000.0:
        raise ElementSetError(f"altitude_km = {shell.altitude_km} is outside 150–40,000 km",
                              where=f"{where}.altitude_km",
                              hint="below ~150 km an orbit decays within days")
    n = shell.mean_motion_rev_per_day
    if n is not None and not 0.9 <= n <= 17.0:
        raise ElementSetError(f"mean_motion_rev_per_day = {n} is outside 0.9–17",
                              where=f"{where}.mean_motion_rev_per_day")
    if not 0 <= shell.phasing < shell.planes:
        raise ElementSetError(f"phasing = {shell.phasing} must be in 0…planes−1 "
                              f"(0…{shell.planes - 1})", where=f"{where}.phasing")


def _design_from_table(name: str, table: dict, where: str) -> WalkerDesign:
    shells = table.get("shells")
    if not isinstance(shells, list) or not shells:
        raise ElementSetError("no [[shells]] tables", where=where,
                              hint="declare each shell as a [[shells]] (or [[<design>.shells]]) table")
    built = tuple(_shell_from_table(s, f"{where}: shells[{i}]") for i, s in enumerate(shells))
    return WalkerDesign(name=str(table.get("name", name)), shells=built,
                        description=str(table.get("description", "")),
                        source=str(table.get("source", "")))


def read_designs(text: str, label: str = "<string>") -> dict[str, WalkerDesign]:
    """Designs from TOML: ``[<name>]`` tables with ``[[<name>.shells]]``, or top-level
    ``[[shells]]`` (one design named after the file)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ElementSetError(f"invalid TOML: {exc}", where=label) from None
    if "shells" in data:
        return {Path(label).stem: _design_from_table(Path(label).stem, data, label)}
    return {name: _design_from_table(name, table, f"{label} [{name}]")
            for name, table in data.items() if isinstance(table, dict)}


@lru_cache(maxsize=1)
def builtin_designs() -> dict[str, WalkerDesign]:
    """The filed designs shipped in ``skygate/data/shells.toml``."""
    text = resources.files("skygate").joinpath("data", "shells.toml").read_text("utf-8")
    return read_designs(text, "skygate/data/shells.toml")


def load_design(path: str | Path) -> WalkerDesign:
    """A user's shells TOML; it must hold exactly one design."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ElementSetError(f"cannot read shells file: {exc}", where=str(path)) from None
    designs = read_designs(text, str(path))
    if len(designs) != 1:
        raise ElementSetError(f"holds {len(designs)} designs ({', '.join(designs)}); "
                              "a shells file for loading must hold exactly one", where=str(path))
    return next(iter(designs.values()))


# ---------------------------------------------------------------------------- building


def _epoch_days(epoch: np.datetime64) -> float:
    """sgp4init's epoch: days since 1949-12-31 00:00 UTC."""
    return float((np.datetime64(epoch, "ns") - _EPOCH0).astype(np.int64)) / _NS_PER_DAY


def _satrec(epoch_days, satnum, inclination_rad, raan_rad, mean_anomaly_rad, no_kozai_rad_min):
    sat = Satrec()
    # Circular (e = 0), no drag (B* = 0): a design, not a fit to tracking data.
    sat.sgp4init(WGS72, "i", satnum, epoch_days, 0.0, 0.0, 0.0, 0.0, 0.0, inclination_rad,
                 mean_anomaly_rad, no_kozai_rad_min, raan_rad)
    return sat


def _mean_radius_km(no_kozai: float, inclination_rad: float, epoch_days: float) -> float:
    sat = _satrec(epoch_days, 1, inclination_rad, 0.0, 0.0, no_kozai)
    period_min = 2.0 * math.pi / sat.no  # Brouwer ("un-Kozai") mean motion
    minutes = np.linspace(0.0, period_min, 181)[:-1]
    jd = np.full(minutes.size, sat.jdsatepoch)
    fr = sat.jdsatepochF + minutes / 1440.0
    err, r, _ = SatrecArray([sat]).sgp4(jd, fr)
    if err.any():  # pragma: no cover - only for absurd inputs caught earlier
        raise ElementSetError("SGP4 cannot propagate this shell", where="altitude_km")
    return float(np.linalg.norm(r[0], axis=1).mean())


@lru_cache(maxsize=256)
def mean_motion_for_altitude(altitude_km: float, inclination_deg: float,
                             epoch_days: float = 27_813.0) -> float:
    """Kozai mean motion (rad/min) whose SGP4 orbit has mean radius ``R_e + altitude_km``.

    See the module docstring for why this is not simply Kepler's third law.
    """
    target_km = EARTH_EQUATORIAL_RADIUS_KM + altitude_km
    n = math.sqrt(_MU_WGS72_KM3_S2 / target_km**3) * 60.0  # rad/min, Kepler's guess
    incl = math.radians(inclination_deg)
    for _ in range(4):
        n *= (_mean_radius_km(n, incl, epoch_days) / target_km) ** 1.5
    return n


def walker_elements(shell: WalkerShell) -> dict[str, np.ndarray]:
    """Per-satellite plane, slot, RAAN and mean anomaly (degrees) of one shell."""
    plane, slot = np.divmod(np.arange(shell.total), shell.sats_per_plane)
    raan = (shell.raan_offset_deg + 360.0 * plane / shell.planes) % 360.0
    anomaly = (360.0 * slot / shell.sats_per_plane
               + 360.0 * shell.phasing * plane / shell.total) % 360.0
    return {"plane": plane.astype(np.int32), "slot": slot.astype(np.int32),
            "raan_deg": raan, "mean_anomaly_deg": anomaly}


def _no_kozai(shell: WalkerShell, epoch_days: float) -> float:
    if shell.mean_motion_rev_per_day is not None:
        return shell.mean_motion_rev_per_day * 2.0 * math.pi / 1440.0
    return mean_motion_for_altitude(shell.altitude_km, shell.inclination_deg,
                                    round(epoch_days, 1))


def build_satrecs(shell: WalkerShell, epoch: np.datetime64, first_index: int = 0
                  ) -> tuple[list[Satrec], dict[str, np.ndarray]]:
    """Satellites of one shell at ``epoch`` (UTC ``datetime64``); ids start at ``first_index``."""
    days = _epoch_days(epoch)
    n = _no_kozai(shell, days)
    elements = walker_elements(shell)
    incl = math.radians(shell.inclination_deg)
    sats = [
        _satrec(days, (first_index + k) % 100_000, incl, math.radians(raan), math.radians(ma), n)
        for k, (raan, ma) in enumerate(zip(elements["raan_deg"], elements["mean_anomaly_deg"]))
    ]
    return sats, elements
