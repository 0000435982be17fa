"""Everything a run needs, prepared once from a scenario: the time grid, the cells and their
regions, the compiled policy masks, the demand, the capacity of every satellite.

A :class:`SimContext` is plain arrays plus the scenario, so it can be shipped to Dask workers
(pickled). The constellation itself is not pickled (``sgp4.Satrec`` objects cannot be): a
worker rebuilds it from ``constellation_source`` (a built-in name or a path the worker can
read) and keeps it cached for the process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache

import numpy as np

from skygate.errors import ScenarioError, SkygateError
from skygate.sim.compliance import no_transmit_bbox
from skygate.sim.demand import Demand, build_demand
from skygate.sim.scenario import Scenario, slot_aligned
from skygate.sim.scheduler import Capacity, SchedulerParams, cell_order, get_strategy
from skygate.sim.visibility import CellFrame
from skygate.timeutil import format_time, parse_time, time_grid

__all__ = ["SimContext", "PolicySegment", "build_context", "load_constellation",
           "policy_state", "satellite_generations", "satellite_newness", "segment_bounds",
           "select_cells"]

STATUS_NAMES = ("available", "waitlist", "coming_soon", "not_authorized")
FOCUS_MAX_CELLS = 4000


def _rethrow(err: SkygateError, scenario: Scenario | None, field: str, hint: str) -> ScenarioError:
    """A lower layer's error as a scenario error naming the file and field; the lower
    layer's own hint (e.g. the closest region codes) wins over the generic one."""
    where = f"{scenario.path}: {field}" if scenario is not None and scenario.path else field
    return ScenarioError(getattr(err, "message", str(err)), where=where,
                         hint=getattr(err, "hint", None) or hint)


@lru_cache(maxsize=4)
@lru_cache(maxsize=4)
def _constellation(source: str):
    from skygate.orbits import Constellation

    return Constellation.load(source)


def load_constellation(source: str, scenario: Scenario | None = None):
    """The constellation of a scenario, cached per process (workers reuse it)."""
    try:
        return _constellation(source)
    except SkygateError as err:
        raise _rethrow(err, scenario, "constellation.source",
                       "a built-in name (starlink, starlink-gen1, ...) or a file path") from None


def satellite_generations(constellation, gen2_from_launch_year: int) -> np.ndarray:
    """1 or 2 per satellite: from the launch year in the international designator (real
    element sets), or from the design's name (filed Walker designs carry no designator)."""
    gen = np.ones(len(constellation), np.int8)
    default = 2 if "gen2" in constellation.source.lower() else 1
    for i, sat in enumerate(constellation.satrecs):
        desig = (getattr(sat, "intldesg", "") or "").strip()
        if len(desig) >= 2 and desig[:2].isdigit():
            yy = int(desig[:2])
            year = 1900 + yy if yy >= 57 else 2000 + yy
            gen[i] = 2 if year >= gen2_from_launch_year else 1
        else:
            gen[i] = default
    return gen


def select_cells(scenario: Scenario) -> np.ndarray:
    """The scenario's cells (sorted unique ``uint64``): regions ∪ bounding box ∪ global land."""
    from skygate.earth import cells as C
    from skygate.earth.regions import get_region_index

    spec = scenario.cells
    res = spec.resolution
    parts = []
    if spec.global_land:
        every = C.all_cells(res)
        parts.append(every[C.cells_is_land(every)])
    if spec.bbox_deg is not None:
        b = spec.bbox_deg
        parts.append(C.cells_in_bbox(b.lon_min, b.lat_min, b.lon_max, b.lat_max, res))
    if spec.regions:
        index = get_region_index()
        for code in spec.regions:
            try:
                parts.append(index.region_cells(index.check_code(code), res))
            except SkygateError as err:
                raise _rethrow(err, scenario, f"cells.regions ({code!r})",
                               "ISO 3166-1 alpha-2 codes, e.g. TW, UA; XZ = international waters"
                               ) from None
    if spec.focus_region:
        from skygate.earth.regions import get_region_index

        try:
            get_region_index().check_code(spec.focus_region)
        except SkygateError as err:
            raise _rethrow(err, scenario, "cells.focus_region", "an ISO 3166-1 alpha-2 code"
                           ) from None
    cells = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.uint64)
    if cells.size == 0:
        raise ScenarioError("the scenario selects no cells",
                            where=f"{scenario.path}: cells" if scenario.path else "cells",
                            hint="check the bounding box or region codes")
    return cells


def policy_state(scenario: Scenario, at: datetime):
    """The :class:`~skygate.policy.PolicyState` a scenario names, as it stood at ``at``, with
    the scenario's own what-if changes applied."""
    from skygate.policy import PolicyState, load_policy

    src = scenario.policy.source
    try:
        if src == "store":
            state = load_policy(None, at)
        elif src.startswith("preset:"):
            from skygate.policy.presets import preset_path

            state = PolicyState.from_file(preset_path(src.split(":", 1)[1]), at=at)
        else:
            state = PolicyState.from_file(scenario.resolve_path(src), at=at)
        if scenario.policy.set_status or scenario.policy.drop_restrictions:
            state = state.with_changes(set_status=scenario.policy.set_status,
                                       drop_restrictions=[int(i) for i in scenario.policy.drop_restrictions])
    except ScenarioError:
        raise
    except SkygateError as err:
        raise _rethrow(err, scenario, "policy",
                       "source = 'store', 'preset:reported-2024-10' or a policy file") from None
    return state


@dataclass
class PolicySegment:
    """The policy over a run of consecutive epochs ``first:stop``, compiled exactly for the
    policy times they stand for (``policy_from`` to ``policy_until``; no rule starts or stops
    strictly inside unless the segment is a single epoch whose 15-s slot straddles a change,
    which is then compiled conservatively: every rule in force at any instant of the slot
    applies — the assignment holds for the whole slot). Arrays are aligned with the
    context's cells (``row_demand_gbps`` with its rows)."""

    first: int
    stop: int
    policy_from: datetime
    policy_until: datetime
    status: np.ndarray  # (n_cells,) int8
    beam_allowed: np.ndarray  # (n_cells,) bool
    terminal_allowed: np.ndarray  # (n_cells,) bool
    no_transmit_cells: np.ndarray  # sorted uint64, anywhere on Earth
    no_transmit_bbox: tuple[float, float, float, float] | None
    row_demand_gbps: np.ndarray  # (n_rows,) what the scheduler may serve (0 = refused)

    def describe(self) -> dict:
        return {"epochs": [self.first, self.stop], "policy_from": format_time(self.policy_from),
                "policy_until": format_time(self.policy_until),
                "beam_off_cells": int((~self.beam_allowed).sum()),
                "terminal_refused_cells": int((~self.terminal_allowed).sum()),
                "no_transmit_cells": int(self.no_transmit_cells.size)}


@dataclass
class SimContext:
    """Prepared inputs of a run (arrays aligned as noted). See :func:`build_context`.

    ``status`` / ``beam_allowed`` / ``terminal_allowed`` / ``no_transmit_cells`` cover the
    whole window conservatively (for the per-cell outputs: "restricted at some time");
    the engine and the compliance check use ``segments``, which are exact per epoch.
    """

    scenario: Scenario
    constellation_source: str
    n_sat: int
    generation: np.ndarray  # (n_sat,) int8
    capacity: Capacity
    times: np.ndarray  # (n_epochs,) datetime64[ns]
    cells: np.ndarray  # (n_cells,) uint64 sorted
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    frame: CellFrame
    region_codes: list[str]  # regions present, sorted
    region_idx: np.ndarray  # (n_cells,) int32 into region_codes
    status: np.ndarray  # (n_cells,) int8 (STATUS_NAMES), worst over the window
    beam_allowed: np.ndarray  # (n_cells,) bool, over the whole window
    terminal_allowed: np.ndarray  # (n_cells,) bool, over the whole window
    no_transmit_cells: np.ndarray  # sorted uint64, anywhere on Earth, over the whole window
    no_transmit_bbox: tuple[float, float, float, float] | None
    demand: Demand
    rows: np.ndarray  # (n_rows,) int64 cells the scheduler considers (demand, allowed sometime)
    row_hemi: np.ndarray  # (n_rows,) float32 +1 north / -1 south
    order: np.ndarray  # (n_rows,) int64 fixed processing order
    params: SchedulerParams
    policy_version: str
    policy_at: datetime
    policy_origin: str
    segments: list[PolicySegment] = field(default_factory=list)
    focus_cells: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    records: tuple[str, ...] = ()
    policy_warnings: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def n_cells(self) -> int:
        return int(self.cells.size)

    @property
    def enforce(self) -> bool:
        return self.scenario.policy.enforce

    @property
    def start(self) -> datetime:
        return parse_time(format_time(self.times[0]))

    @property
    def end(self) -> datetime:
        return parse_time(format_time(self.times[-1]))

    @property
    def constellation(self):
        return load_constellation(self.constellation_source)

    @cached_property
    def focus_frame(self) -> CellFrame | None:
        """The focus region's cells as observers (at most ``FOCUS_MAX_CELLS``, evenly
        sampled: neighbouring cells see nearly the same sky), or None without a focus."""
        if self.focus_cells.size == 0:
            return None
        stride = -(-self.focus_cells.size // FOCUS_MAX_CELLS)
        return self.frame.take(self.focus_cells[::stride])

    def segment_at(self, epoch: int) -> PolicySegment:
        """The policy segment that holds ``epoch`` (an index into ``times``)."""
        for seg in self.segments:
            if seg.first <= epoch < seg.stop:
                return seg
        raise IndexError(f"epoch {epoch} is outside the run (0..{self.times.size - 1})")


def _start_of(scenario: Scenario, constellation) -> datetime:
    if scenario.time.start == "snapshot":
        start = constellation.reference_time
    else:
        start = parse_time(scenario.time.start, field="time.start")
    return slot_aligned(start) if scenario.time.align_to_slots else start


def _capacity(scenario: Scenario, generation: np.ndarray) -> Capacity:
    cap = scenario.capacity
    beams = np.where(generation == 2, cap.gen2.beams_per_satellite, cap.gen1.beams_per_satellite)
    gbps = np.where(generation == 2, cap.gen2.gbps_per_beam, cap.gen1.gbps_per_beam)
    return Capacity(beams.astype(np.int32), gbps.astype(np.float64), cap.cells_per_beam,
                    cap.max_beams_per_cell)


def _region_table(cells: np.ndarray, res: int):
    from skygate.earth.regions import get_region_index

    codes = np.asarray(get_region_index().cells_regions(cells, res)).astype(str)
    uniq, idx = np.unique(codes, return_inverse=True)
    return [str(c) for c in uniq], idx.astype(np.int32)


def segment_bounds(state, policy_start: datetime, n_epochs: int, step: timedelta
                   ) -> list[tuple[int, int]]:
    """Epoch ranges over which the policy is constant. Epoch ``i`` stands for the policy times
    ``[policy_start + i·step, policy_start + (i+1)·step)`` (its 15-s slot). A rule boundary on
    a slot start splits there; one inside a slot isolates that epoch (compiled over its slot,
    so both sides' rules apply to it)."""
    span = step * n_epochs
    cuts = {0, n_epochs}
    for t in state.change_times(policy_start, policy_start + span)[1:]:
        k, rem = divmod(t - policy_start, step)
        cuts.add(int(k))
        if rem:
            cuts.add(int(k) + 1)
    edges = sorted(c for c in cuts if 0 <= c <= n_epochs)
    return list(zip(edges[:-1], edges[1:]))


def _compile_segments(state, policy_start, step, n_epochs, cells, demand_gbps, enforce, res):
    """One exactly compiled :class:`PolicySegment` per constant-policy epoch range, the
    whole-window arrays (conservative), the rows and the compiled warnings."""
    from skygate.policy import compile_policy

    whole = compile_policy(state, policy_start, policy_start + step * n_epochs, resolution=res)
    pos = whole.index_of(cells)
    has_demand = demand_gbps > 0
    segments, allowed_sometime = [], np.zeros(cells.size, bool)
    bounds = segment_bounds(state, policy_start, n_epochs, step)
    for a, b in bounds:
        t0, t1 = policy_start + step * a, policy_start + step * b
        comp = whole if len(bounds) == 1 else compile_policy(state, t0, t1, resolution=res)
        beam_ok, term_ok = comp.beam_allowed[pos], comp.terminal_allowed[pos]
        ok = has_demand & (beam_ok & term_ok if enforce else True)
        allowed_sometime |= ok
        no_tx = np.sort(comp.cells[~comp.transmit_allowed])
        segments.append(PolicySegment(a, b, t0, t1, comp.status[pos].astype(np.int8), beam_ok,
                                      term_ok, no_tx, no_transmit_bbox(no_tx), ok))
    rows = np.flatnonzero(allowed_sometime).astype(np.int64)
    for seg in segments:
        seg.row_demand_gbps = np.where(seg.row_demand_gbps[rows], demand_gbps[rows], 0.0)
    return whole, pos, segments, rows


def satellite_newness(constellation) -> np.ndarray:
    """Launch order of every satellite scaled to [0, 1] (1 = the newest launch), from the
    international designator (``YYNNN``: launch year and launch number of the year, so the
    order is the launch date's). Satellites without a designator (filed Walker designs) get
    0.5: no preference."""
    keys = np.full(len(constellation), -1, np.int64)
    for i, sat in enumerate(constellation.satrecs):
        desig = (getattr(sat, "intldesg", "") or "").strip()
        if len(desig) >= 5 and desig[:5].isdigit():
            yy = int(desig[:2])
            keys[i] = (1900 + yy if yy >= 57 else 2000 + yy) * 1000 + int(desig[2:5])
    out = np.full(keys.size, 0.5, np.float32)
    known = keys >= 0
    if known.sum() > 1:
        uniq, inv = np.unique(keys[known], return_inverse=True)
        out[known] = inv / max(uniq.size - 1, 1)
    return out


def _focus_cells(scenario: Scenario, region_codes: list[str], region_idx: np.ndarray):
    code = scenario.cells.focus_region
    if not code or code not in region_codes:
        return np.empty(0, np.int64)
    return np.flatnonzero(region_idx == region_codes.index(code)).astype(np.int64)


def build_context(scenario: Scenario, *, start: datetime | None = None,
                  duration: timedelta | None = None) -> SimContext:
    """Prepare a run: ``start``/``duration`` override the scenario's (CLI flags).

    The policy is taken at ``policy.at`` (default: the start) and runs alongside the orbit
    times: epoch ``i`` is judged by the policy at ``policy_at + i·step``. It is compiled once
    per range of epochs over which no rule starts or stops (:func:`segment_bounds`), so a
    restriction that begins mid-window applies from its first slot on, not to the whole run.
    Terminals are sold under the status at the policy start (the installed base); a later
    status change refuses or allows service to them, it does not sell new ones mid-run.
    """
    from skygate.earth import cells as C
    from skygate.policy import compile_policy

    get_strategy(scenario.scheduler.strategy)  # fail early on a bad name
    constellation = load_constellation(scenario.constellation.source, scenario)
    if start is not None:
        start = slot_aligned(start) if scenario.time.align_to_slots else start
    else:
        start = _start_of(scenario, constellation)
    duration = duration or scenario.duration
    times = time_grid(start, duration, scenario.step)
    res = scenario.cells.resolution
    step = scenario.step

    policy_at = parse_time(scenario.policy.at) if scenario.policy.at else start
    # the rules of the whole window: entries effective up to its end, each with its own window
    state = policy_state(scenario, policy_at + step * times.size)
    cells = select_cells(scenario)
    lat, lon = C.cell_centers(cells)
    region_codes, region_idx = _region_table(cells, res)
    first = compile_policy(state, policy_at, policy_at + step, resolution=res)
    status_at_start = first.status[first.index_of(cells)]
    land = C.cells_is_land(cells)
    terminals_path = (scenario.resolve_path(scenario.demand.terminals_file)
                      if scenario.demand.terminals_file else None)
    demand = build_demand(scenario.demand, cells, lat, lon, status_at_start, land, res=res,
                          terminals_path=terminals_path)
    whole, pos, segments, rows = _compile_segments(
        state, policy_at, step, times.size, cells, demand.demand_gbps,
        scenario.policy.enforce, res)
    generation = satellite_generations(constellation, scenario.capacity.gen2_from_launch_year)
    no_tx = np.sort(whole.cells[~whole.transmit_allowed])
    sp = scenario.scheduler
    notes = [f"policy as of {format_time(policy_at)} over orbits from {format_time(start)}"
             if abs((policy_at - start).total_seconds()) > 86400 else
             f"policy as of {format_time(policy_at)}"]
    if len(segments) > 1:
        notes.append(f"the policy changes inside the window: compiled in {len(segments)} "
                     "segments (see policy_segments)")
    return SimContext(
        scenario=scenario, constellation_source=scenario.constellation.source,
        n_sat=len(constellation), generation=generation,
        capacity=_capacity(scenario, generation), times=times, cells=cells, lat_deg=lat,
        lon_deg=lon, frame=CellFrame.from_latlon(lat, lon), region_codes=region_codes,
        region_idx=region_idx, status=whole.status[pos].astype(np.int8),
        beam_allowed=whole.beam_allowed[pos], terminal_allowed=whole.terminal_allowed[pos],
        no_transmit_cells=no_tx, no_transmit_bbox=no_transmit_bbox(no_tx),
        demand=demand, rows=rows,
        row_hemi=np.where(lat[rows] >= 0, 1.0, -1.0).astype(np.float32),
        order=cell_order(rows.size, sp.seed, cells[rows]),
        params=SchedulerParams(sp.poleward_bonus_deg, sp.load_penalty_deg, sp.seed,
                               sp.newer_bonus_deg, satellite_newness(constellation)),
        policy_version=whole.policy_version, policy_at=policy_at,
        policy_origin=state.origin, segments=segments,
        focus_cells=_focus_cells(scenario, region_codes, region_idx),
        records=tuple(scenario.outputs.records),
        policy_warnings=tuple(whole.warnings), notes=notes,
    )
