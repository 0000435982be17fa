"""Vectorized SGP4 propagation: every satellite × every time, TEME → Earth-fixed (ECEF).

One call to ``sgp4``'s C++ ``SatrecArray.sgp4`` propagates all satellites at all times; a
compiled kernel then turns the result into ECEF in place (see :mod:`skygate.orbits.frames`), so
skygate adds only a few percent to raw SGP4 (``benchmarks/propagation.py`` measures it).

A satellite whose propagation fails at some time (decayed, eccentricity out of range, ...) gets
NaN positions and velocities and its ``sgp4`` error code (1–6) at that time; the others go on.

Times: timezone-aware ``datetime`` (a naive one is an error that says so) or ``datetime64``
arrays, which are taken as UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable, Iterator

import numpy as np

from skygate.orbits.frames import teme_to_ecef_inplace
from skygate.timeutil import datetime64_to_jd, parse_duration, time_grid, to_datetime64

if TYPE_CHECKING:  # pragma: no cover
    from skygate.orbits.constellation import Constellation

__all__ = ["Ephemeris", "SGP4_ERRORS", "propagate", "propagate_teme", "propagate_blocks",
           "as_times", "auto_block_size"]

# python-sgp4's error codes (sgp4/api.py SGP4_ERRORS), for messages.
SGP4_ERRORS = {
    0: "ok",
    1: "mean eccentricity is outside the range 0 ≤ e < 1",
    2: "mean motion has fallen below zero",
    3: "perturbed eccentricity is outside the range 0 ≤ e ≤ 1",
    4: "length of the orbit's semi-latus rectum has fallen below zero",
    6: "mean motion has fallen below zero: the satellite has decayed",
}
_BLOCK_BYTES = 128 * 2**20  # target size of one block's r, v and error arrays


@dataclass(frozen=True)
class Ephemeris:
    """Positions and velocities of ``n_sat`` satellites at ``n_time`` times, Earth-fixed.

    ``r_ecef_km`` and ``v_ecef_km_s`` have shape (n_sat, n_time, 3) (the Earth-rotation term
    is included in the velocity); ``error`` (n_sat, n_time, uint8) is 0 where propagation
    succeeded, else the sgp4 error code with NaN in the vectors.
    """

    times: np.ndarray
    r_ecef_km: np.ndarray
    v_ecef_km_s: np.ndarray
    error: np.ndarray
    norad_ids: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """Boolean (n_sat, n_time): True where propagation succeeded."""
        return self.error == 0

    def __len__(self) -> int:
        return int(self.r_ecef_km.shape[0])


def as_times(times) -> np.ndarray:
    """Aware datetime(s) or ``datetime64`` → 1-D ``datetime64[ns]`` (UTC)."""
    if isinstance(times, np.datetime64):
        return np.atleast_1d(np.asarray(times, dtype="datetime64[ns]"))
    return to_datetime64(times)


def propagate_teme(constellation: "Constellation", times) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """Raw SGP4 output in the TEME frame: ``(error, r_km, v_km_s)``, (n_sat, n_time[, 3])."""
    t64 = as_times(times)
    jd, fr = datetime64_to_jd(t64)
    return constellation.satrec_array.sgp4(jd, fr)


def propagate(constellation: "Constellation", times: datetime | Iterable[datetime] | np.ndarray
              ) -> Ephemeris:
    """ECEF positions/velocities of every satellite at every time (see module docstring)."""
    t64 = as_times(times)
    jd, fr = datetime64_to_jd(t64)
    error, r, v = constellation.satrec_array.sgp4(jd, fr)
    teme_to_ecef_inplace(r, v, t64, error)
    return Ephemeris(t64, r, v, error, constellation.norad_ids)


def auto_block_size(n_sat: int) -> int:
    """Epochs per block so one block's arrays stay near 128 MiB (56 bytes per sat-epoch):
    about 1 h at 15 s for the 9,594-satellite snapshot."""
    return max(1, _BLOCK_BYTES // (56 * max(1, n_sat)))


def propagate_blocks(constellation: "Constellation", start: datetime, duration: timedelta | str,
                     step: timedelta | str, block_size: int | None = None
                     ) -> Iterator[tuple[np.ndarray, Ephemeris]]:
    """Yield ``(times, Ephemeris)`` for consecutive blocks of at most ``block_size`` epochs.

    Memory stays bounded by about two blocks (the one the caller holds and the next; default
    :func:`auto_block_size`, ~128 MiB each), however long the run: 24 h at 15 s for 9,594
    satellites is 5,761 epochs and ~3 GiB in one piece.
    """
    grid = time_grid(start, parse_duration(duration), parse_duration(step, field="step"))
    size = int(block_size) if block_size else auto_block_size(len(constellation))
    if size < 1:
        raise ValueError("block_size must be ≥ 1")
    for first in range(0, grid.size, size):
        times = grid[first:first + size]
        yield times, propagate(constellation, times)
