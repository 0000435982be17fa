"""Grouping a real snapshot's satellites into shells by altitude and inclination.

Real constellations are not tidy Walker shells: satellites are raised from ~300 km insertion
orbits, lowered (in 2026 Starlink is moving ~4,400 satellites from 550 km to 480 km, facts §1)
and deorbited, so a snapshot holds dense clusters plus a thin spray of satellites in transit.
skygate finds the clusters by density: it bins satellites on a grid of 0.2° inclination ×
5 km altitude, keeps bins holding at least ``min_per_bin`` satellites, joins touching dense
bins (8-neighbourhood) into shells of at least ``min_shell_size`` satellites, and labels every
satellite outside them ``-1`` ("in transit"). Altitude here is the Brouwer mean semi-major axis minus the WGS84 equatorial
radius, good to a few km, which is all grouping needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ShellInfo", "mean_altitude_km", "group_into_shells", "TRANSIT"]

TRANSIT = -1
_WGS72_RADIUS_KM = 6378.135  # the unit of Satrec.a
_WGS84_RADIUS_KM = 6378.137
_INCL_BIN_DEG = 0.2
_ALT_BIN_KM = 5.0


@dataclass(frozen=True)
class ShellInfo:
    """One shell of a constellation (filed or found): its id is the value in ``shell``."""

    id: int
    name: str
    altitude_km: float
    inclination_deg: float
    count: int
    planes: int = -1  # -1: not known (grouped from a snapshot)
    sats_per_plane: int = -1
    phasing: int = -1
    source: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def mean_altitude_km(satrecs) -> np.ndarray:
    """Approximate mean altitude (km) of each satellite from its Brouwer semi-major axis."""
    return np.array([s.a for s in satrecs]) * _WGS72_RADIUS_KM - _WGS84_RADIUS_KM


def _dense_components(keys: np.ndarray, counts: np.ndarray, min_per_bin: int) -> dict:
    """Connected components (8-neighbourhood) of the dense bins → {bin: component}."""
    dense = {tuple(k) for k, c in zip(keys, counts) if c >= min_per_bin}
    label, current = {}, 0
    for start in sorted(dense):
        if start in label:
            continue
        stack = [start]
        label[start] = current
        while stack:
            i, j = stack.pop()
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    nb = (i + di, j + dj)
                    if nb in dense and nb not in label:
                        label[nb] = current
                        stack.append(nb)
        current += 1
    return label


def group_into_shells(altitude_km: np.ndarray, inclination_deg: np.ndarray,
                      min_per_bin: int = 20, min_shell_size: int = 50) -> tuple[np.ndarray, tuple[ShellInfo, ...]]:
    """Shell id per satellite (``-1`` = in transit) and the shells, ordered by inclination
    then altitude. Names read ``"53.2° 540 km"``."""
    alt = np.asarray(altitude_km, dtype=float)
    incl = np.asarray(inclination_deg, dtype=float)
    bins = np.stack([np.floor(incl / _INCL_BIN_DEG), np.floor(alt / _ALT_BIN_KM)], axis=1)
    bins = bins.astype(np.int64)
    keys, inverse, counts = np.unique(bins, axis=0, return_inverse=True, return_counts=True)
    label = _dense_components(keys, counts, min_per_bin)
    comp_of_key = np.array([label.get(tuple(k), TRANSIT) for k in keys], dtype=np.int64)
    comp = comp_of_key[inverse.ravel()]
    shells, shell_id = [], np.full(alt.shape, TRANSIT, dtype=np.int32)
    sizes = np.bincount(comp[comp >= 0]) if (comp >= 0).any() else np.zeros(0, dtype=int)
    comp = np.where((comp >= 0) & (sizes[np.maximum(comp, 0)] >= min_shell_size)
                    if sizes.size else False, comp, TRANSIT)
    order = sorted(set(comp[comp >= 0].tolist()),
                   key=lambda c: (round(np.median(incl[comp == c]), 1), np.median(alt[comp == c])))
    for new_id, c in enumerate(order):
        members = comp == c
        shell_id[members] = new_id
        a, i = float(np.median(alt[members])), float(np.median(incl[members]))
        shells.append(ShellInfo(new_id, f"{i:.1f}° {a:.0f} km", round(a, 1), round(i, 2),
                                int(members.sum()), source="grouped from the snapshot"))
    return shell_id, tuple(shells)
