"""The 15-second scheduler: which satellite's beams serve which cells, under capacity.

Each epoch, every cell with demand picks among its candidate satellites (those above the
mask, highest first — :mod:`skygate.sim.visibility`). A satellite has ``beams`` beams of
``gbps_per_beam`` each; a beam hops over up to ``cells_per_beam`` cells within the 15 s slot
(beam hopping: dwell times are milliseconds), sharing its capacity in proportion to what each
cell takes. So a satellite can serve at most ``beams × cells_per_beam`` cells and
``beams × gbps_per_beam`` Gbps, and the beams it lights,
``max(ceil(cells / cells_per_beam), ceil(gbps / gbps_per_beam))``, never exceed ``beams``
(a test checks it). One cell takes at most ``max_beams_per_cell`` satellites' beams.

The default strategy, ``heuristic``, follows what Tanveer et al. measured on the real network
(CoNEXT'23, shared facts §3):

- **high elevation**: selected satellites sit a median 22.9° higher than visible unselected
  ones; 80 % of selections are above 45° — the score starts from the elevation in degrees;
- **the northern sky**: 82 % of selected satellites are north of the terminal against 58 % of
  visible ones (the dish tilts north) — ``poleward_bonus_deg`` is added when the satellite is
  on the poleward side (north in the northern hemisphere; mirrored south of the equator, an
  assumption: the measurements come from northern sites only);
- **newer satellites**: "the chance of selection rises monotonically with launch month" —
  ``newer_bonus_deg × newness`` is added, where newness is the satellite's launch order
  scaled to [0, 1] (from the international designator: launch year and launch number;
  :func:`skygate.sim.context.satellite_newness`). The paper gives no effect size: the
  default 6° (less than the poleward term, far less than the 22.9° elevation gap) is an
  assumption that keeps elevation and direction first;
- **spread load**: ``load_penalty_deg × (fraction of the satellite already used)`` is
  subtracted, so a busy satellite loses to an idle one a little lower in the sky.

Not modelled: the sunlit preference (72.3 % of picks are sunlit when both kinds are in view),
which needs the Sun's position per epoch; the elevation term already carries most of what
decides a pick.

The score of a candidate, in degrees::

    score = elevation + poleward_bonus·[satellite on the poleward side]
            + newer_bonus·newness − load_penalty·load

Cells are taken in a fixed order drawn from the scenario's seed (blocks of neighbouring cells
in a seeded random order; deterministic: the same seed gives the same assignment, whatever
the time chunking), in two rounds: first every cell gets
up to a fair share of one beam (``gbps_per_beam / cells_per_beam``), so scarce capacity is
spread over many cells; then remaining demand takes more from its best satellite with room,
or from further satellites up to ``max_beams_per_cell`` (a cell gets at most one beam's
capacity from any one satellite).

Strategies are pluggable: :func:`register_strategy` adds a callable with the signature of
:func:`heuristic`. ``max-elevation`` (no northern or load terms) and ``random`` (a seeded
random candidate) ship as comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numba import njit

from skygate.errors import ScenarioError

__all__ = [
    "Capacity",
    "Assignment",
    "SchedulerParams",
    "heuristic",
    "max_elevation",
    "random_choice",
    "register_strategy",
    "get_strategy",
    "strategy_names",
    "cell_order",
]


@dataclass(frozen=True)
class Capacity:
    """Per-satellite capacity (arrays over satellites)."""

    beams: np.ndarray  # (n_sat,) int32
    gbps_per_beam: np.ndarray  # (n_sat,) float64
    cells_per_beam: int
    max_beams_per_cell: int

    def cell_slots(self, transmit_ok: np.ndarray | None = None) -> np.ndarray:
        """Cells each satellite may serve this epoch (0 where it may not transmit)."""
        s = (self.beams * self.cells_per_beam).astype(np.int32)
        return s if transmit_ok is None else np.where(transmit_ok, s, 0).astype(np.int32)

    @property
    def gbps(self) -> np.ndarray:
        return self.beams * self.gbps_per_beam


@dataclass(frozen=True)
class SchedulerParams:
    """Weights of the heuristic (degrees of elevation) and the seed. ``newness`` is the
    (n_sat,) launch order in [0, 1] (None: no preference)."""

    poleward_bonus_deg: float = 12.0
    load_penalty_deg: float = 20.0
    seed: int = 0
    newer_bonus_deg: float = 6.0
    newness: np.ndarray | None = None

    def newness_for(self, n_sat: int) -> np.ndarray:
        if self.newness is None or self.newer_bonus_deg == 0.0:
            return np.zeros(n_sat, np.float64)
        return np.asarray(self.newness, np.float64)


@dataclass
class Assignment:
    """One epoch's result. Rows follow the visibility rows (cells with demand)."""

    serving_sat: np.ndarray  # (n_rows,) int32: the first satellite that served the cell, -1 none
    served_gbps: np.ndarray  # (n_rows,) float64
    n_sats: np.ndarray  # (n_rows,) int32 satellites serving the cell
    sat_cells: np.ndarray  # (n_sat,) int32 cells each satellite serves
    sat_gbps: np.ndarray  # (n_sat,) float64 Gbps each satellite delivers
    beams: np.ndarray  # (n_sat,) int32 beams each satellite lights

    @property
    def served(self) -> np.ndarray:
        return self.n_sats > 0


ORDER_BLOCK = 64  # rows kept together in the processing order (memory locality)


def cell_order(n_rows: int, seed: int, keys: np.ndarray | None = None) -> np.ndarray:
    """The fixed processing order of rows: blocks of ``ORDER_BLOCK`` neighbouring rows (rows
    sorted by ``keys``, e.g. H3 indexes, which keep neighbours close) taken in a seeded
    random order. The order of a cell does not depend on the epoch or the chunk; blocks keep
    the scheduler's reads of candidate rows cache-friendly (a full random permutation of
    ~300,000 global rows made it memory-bound)."""
    if keys is None:
        keys = np.arange(n_rows, dtype=np.uint64)
    by_key = np.argsort(np.asarray(keys, dtype=np.uint64), kind="stable")
    n_blocks = -(-n_rows // ORDER_BLOCK)
    mixed = _mix64(np.arange(n_blocks, dtype=np.uint64), np.uint64(seed & 0xFFFFFFFFFFFFFFFF))
    blocks = np.argsort(mixed, kind="stable")
    starts = blocks * ORDER_BLOCK
    idx = (starts[:, None] + np.arange(ORDER_BLOCK)[None, :]).ravel()
    return by_key[idx[idx < n_rows]].astype(np.int64)


def _mix64(x: np.ndarray, seed: np.uint64) -> np.ndarray:
    """splitmix64 of ``x ^ seed``: a cheap, well-mixed, platform-independent hash."""
    with np.errstate(over="ignore"):
        z = x ^ (seed * np.uint64(0x9E3779B97F4A7C15))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


@njit(cache=True)
def _hash_score(seed, epoch, row, sat):
    z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(epoch) * np.uint64(1000003)
    z = z ^ (np.uint64(row) * np.uint64(0xBF58476D1CE4E5B9)) ^ np.uint64(sat)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) / 9007199254740992.0


@njit(cache=True, inline="always")
def _load(cells, cells_cap, gbps, gbps_cap):
    return max(cells / max(cells_cap, 1), gbps / gbps_cap if gbps_cap > 0.0 else 1.0)


@njit(cache=True)
def _pick(r, n_cand, cand_sat, cand_el, cand_north, hemi, cells_cap, used_cells, gbps_cap,
          used_gbps, load, w_pole, w_load, newness, w_new, randomize, seed, epoch, need_slot,
          exclude):
    best = -1
    best_score = -1e300
    for k in range(n_cand[r]):
        s = cand_sat[r, k]
        if s == exclude or gbps_cap[s] <= 0.0 or used_gbps[s] >= gbps_cap[s] * (1.0 - 1e-12):
            continue
        if need_slot and used_cells[s] >= cells_cap[s]:
            continue
        if randomize:
            score = _hash_score(seed, epoch, r, s)
        else:
            score = cand_el[r, k] - w_load * load[s] + w_new * newness[s]
            if hemi[r] * cand_north[r, k] > 0.0:
                score += w_pole
        if score > best_score:
            best_score = score
            best = s
    return best


@njit(cache=True)
def _assign_kernel(order, n_cand, cand_sat, cand_el, cand_north, hemi, demand, cells_cap,
                   gbps_cap, beam_gbps, share, max_sats_cell, w_pole, w_load, newness, w_new,
                   randomize, seed, epoch):
    n_rows = demand.shape[0]
    n_sat = cells_cap.shape[0]
    used_cells = np.zeros(n_sat, np.int32)
    used_gbps = np.zeros(n_sat, np.float64)
    load = np.zeros(n_sat, np.float64)  # max(cells used / cells cap, Gbps used / Gbps cap)
    serving = np.full(n_rows, -1, np.int32)
    served = np.zeros(n_rows, np.float64)
    n_sats = np.zeros(n_rows, np.int32)
    for r_i in range(order.shape[0]):  # round 1: one satellite, up to a fair share each
        r = order[r_i]
        if demand[r] <= 0.0:
            continue
        s = _pick(r, n_cand, cand_sat, cand_el, cand_north, hemi, cells_cap, used_cells,
                  gbps_cap, used_gbps, load, w_pole, w_load, newness, w_new, randomize, seed,
                  epoch, True, -1)
        if s < 0:
            continue
        g = min(demand[r], share[s], gbps_cap[s] - used_gbps[s])
        used_cells[s] += 1
        used_gbps[s] += g
        load[s] = _load(used_cells[s], cells_cap[s], used_gbps[s], gbps_cap[s])
        served[r] = g
        serving[r] = s
        n_sats[r] = 1
    for r_i in range(order.shape[0]):  # round 2: the rest of the demand
        r = order[r_i]
        s = serving[r]
        if s < 0:
            continue
        rem = demand[r] - served[r]
        g = min(rem, beam_gbps[s] - served[r], gbps_cap[s] - used_gbps[s])  # one beam per satellite
        if g > 0.0:
            used_gbps[s] += g
            load[s] = _load(used_cells[s], cells_cap[s], used_gbps[s], gbps_cap[s])
            served[r] += g
            rem -= g
        last = s
        while rem > 1e-12 and n_sats[r] < max_sats_cell:
            s = _pick(r, n_cand, cand_sat, cand_el, cand_north, hemi, cells_cap, used_cells,
                      gbps_cap, used_gbps, load, w_pole, w_load, newness, w_new, randomize,
                      seed, epoch, True, last)
            if s < 0:
                break
            g = min(rem, beam_gbps[s], gbps_cap[s] - used_gbps[s])
            used_cells[s] += 1
            used_gbps[s] += g
            load[s] = _load(used_cells[s], cells_cap[s], used_gbps[s], gbps_cap[s])
            served[r] += g
            rem -= g
            n_sats[r] += 1
            last = s
    return serving, served, n_sats, used_cells, used_gbps


def _run(vis, demand_gbps, hemi, capacity: Capacity, transmit_ok, order, w_pole, w_load,
         randomize, seed, epoch, newness=None, w_new=0.0) -> Assignment:
    cells_cap = capacity.cell_slots(transmit_ok)
    gbps_cap = np.where(cells_cap > 0, capacity.gbps, 0.0).astype(np.float64)
    share = (capacity.gbps_per_beam / capacity.cells_per_beam).astype(np.float64)
    serving, served, n_sats, cells, gbps = _assign_kernel(
        order, vis.n_cand, vis.sat, vis.elevation_deg, vis.north,
        np.asarray(hemi, np.float32), np.asarray(demand_gbps, np.float64), cells_cap, gbps_cap,
        capacity.gbps_per_beam.astype(np.float64), share, int(capacity.max_beams_per_cell),
        float(w_pole), float(w_load),
        np.zeros(cells_cap.size) if newness is None else np.asarray(newness, np.float64),
        float(w_new), bool(randomize), int(seed), int(epoch))
    beams = np.maximum(-(-cells // capacity.cells_per_beam),
                       np.ceil(gbps / capacity.gbps_per_beam - 1e-9)).astype(np.int32)
    return Assignment(serving, served, n_sats, cells, gbps, beams)


def heuristic(vis, demand_gbps, hemi, capacity, transmit_ok, order, params: SchedulerParams,
              epoch: int = 0) -> Assignment:
    """Elevation + poleward bonus + newer bonus − load penalty (see the module docstring)."""
    return _run(vis, demand_gbps, hemi, capacity, transmit_ok, order, params.poleward_bonus_deg,
                params.load_penalty_deg, False, params.seed, epoch,
                params.newness_for(capacity.beams.size), params.newer_bonus_deg)


def max_elevation(vis, demand_gbps, hemi, capacity, transmit_ok, order, params: SchedulerParams,
                  epoch: int = 0) -> Assignment:
    """Always the highest satellite with a free slot (no northern, newer or load terms)."""
    return _run(vis, demand_gbps, hemi, capacity, transmit_ok, order, 0.0, 0.0, False,
                params.seed, epoch)


def random_choice(vis, demand_gbps, hemi, capacity, transmit_ok, order, params: SchedulerParams,
                  epoch: int = 0) -> Assignment:
    """A seeded pseudo-random candidate with a free slot (a baseline to compare against)."""
    return _run(vis, demand_gbps, hemi, capacity, transmit_ok, order, 0.0, 0.0, True,
                params.seed, epoch)


Strategy = Callable[..., Assignment]
_STRATEGIES: dict[str, Strategy] = {
    "heuristic": heuristic,
    "max-elevation": max_elevation,
    "random": random_choice,
}


def register_strategy(name: str, fn: Strategy) -> None:
    """Add a strategy (same signature as :func:`heuristic`) under ``name``."""
    _STRATEGIES[name] = fn


def strategy_names() -> list[str]:
    return sorted(_STRATEGIES)


def get_strategy(name: str) -> Strategy:
    try:
        return _STRATEGIES[name]
    except KeyError:
        raise ScenarioError(f"unknown scheduler strategy {name!r}", where="scheduler.strategy",
                            hint=f"use one of: {', '.join(strategy_names())}") from None
