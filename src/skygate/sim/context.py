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
from functools import lru_cache

import numpy as np

from skygate.errors import ScenarioError, SkygateError
from skygate.sim.compliance import no_transmit_bbox
from skygate.sim.demand import Demand, build_demand
from skygate.sim.scenario import Scenario, slot_aligned
from skygate.sim.scheduler import Capacity, SchedulerParams, cell_order, get_strategy
from skygate.sim.visibility import CellFrame
from skygate.timeutil import format_time, parse_time, time_grid

__all__ = ["SimContext", "build_context", "load_constellation", "policy_state",
           "satellite_generations", "select_cells"]

STATUS_NAMES = ("available", "waitlist", "coming_soon", "not_authorized")


@lru_cache(maxsize=4)
def load_constellation(source: str):
    """The constellation of a scenario, cached per process (workers reuse it)."""
    from skygate.orbits import Constellation

    try:
        return Constellation.load(source)
    except SkygateError as err:
        raise ScenarioError(str(err), where="constellation.source",
                            hint="a built-in name (starlink, starlink-gen1, ...) or a file path") from None


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
                raise ScenarioError(str(err), where="cells.regions",
                                    hint="ISO 3166-1 alpha-2 codes, e.g. TW, UA; XZ = international waters") from None
    cells = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.uint64)
    if cells.size == 0:
        raise ScenarioError("the scenario selects no cells", where="cells",
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
        raise ScenarioError(str(err), where="policy",
                            hint="source = 'store', 'preset:reported-2024-10' or a policy file") from None
    return state


@dataclass
class SimContext:
    """Prepared inputs of a run (arrays aligned as noted). See :func:`build_context`."""

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
    status: np.ndarray  # (n_cells,) int8 (STATUS_NAMES)
    beam_allowed: np.ndarray  # (n_cells,) bool
    terminal_allowed: np.ndarray  # (n_cells,) bool
    no_transmit_cells: np.ndarray  # sorted uint64, anywhere on Earth
    no_transmit_bbox: tuple[float, float, float, float] | None
    demand: Demand
    rows: np.ndarray  # (n_rows,) int64 cells the scheduler considers (with demand, allowed)
    row_hemi: np.ndarray  # (n_rows,) float32 +1 north / -1 south
    order: np.ndarray  # (n_rows,) int64 fixed processing order
    params: SchedulerParams
    policy_version: str
    policy_at: datetime
    policy_origin: str
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


def build_context(scenario: Scenario, *, start: datetime | None = None,
                  duration: timedelta | None = None) -> SimContext:
    """Prepare a run: ``start``/``duration`` override the scenario's (CLI flags)."""
    from skygate.earth import cells as C
    from skygate.policy import compile_policy

    get_strategy(scenario.scheduler.strategy)  # fail early on a bad name
    constellation = load_constellation(scenario.constellation.source)
    if start is not None:
        start = slot_aligned(start) if scenario.time.align_to_slots else start
    else:
        start = _start_of(scenario, constellation)
    duration = duration or scenario.duration
    times = time_grid(start, duration, scenario.step)
    res = scenario.cells.resolution

    policy_at = parse_time(scenario.policy.at) if scenario.policy.at else start
    state = policy_state(scenario, policy_at)
    compiled = compile_policy(state, policy_at, policy_at + max(duration, timedelta(seconds=1)),
                              resolution=res)
    cells = select_cells(scenario)
    pos = compiled.index_of(cells)
    lat, lon = C.cell_centers(cells)
    region_codes, region_idx = _region_table(cells, res)
    status = compiled.status[pos]
    land = C.cells_is_land(cells)
    terminals_path = (scenario.resolve_path(scenario.demand.terminals_file)
                      if scenario.demand.terminals_file else None)
    demand = build_demand(scenario.demand, cells, lat, lon, status, land, res=res,
                          terminals_path=terminals_path)
    beam_ok = compiled.beam_allowed[pos]
    term_ok = compiled.terminal_allowed[pos]
    servable = demand.demand_gbps > 0
    if scenario.policy.enforce:
        servable &= beam_ok & term_ok
    rows = np.flatnonzero(servable).astype(np.int64)
    no_tx = np.sort(compiled.cells[~compiled.transmit_allowed])
    generation = satellite_generations(constellation, scenario.capacity.gen2_from_launch_year)
    sp = scenario.scheduler
    return SimContext(
        scenario=scenario, constellation_source=scenario.constellation.source,
        n_sat=len(constellation), generation=generation,
        capacity=_capacity(scenario, generation), times=times, cells=cells, lat_deg=lat,
        lon_deg=lon, frame=CellFrame.from_latlon(lat, lon), region_codes=region_codes,
        region_idx=region_idx, status=status.astype(np.int8), beam_allowed=beam_ok,
        terminal_allowed=term_ok,
        no_transmit_cells=no_tx, no_transmit_bbox=no_transmit_bbox(no_tx),
        demand=demand, rows=rows,
        row_hemi=np.where(lat[rows] >= 0, 1.0, -1.0).astype(np.float32),
        order=cell_order(rows.size, sp.seed, cells[rows]),
        params=SchedulerParams(sp.poleward_bonus_deg, sp.load_penalty_deg, sp.seed),
        policy_version=compiled.policy_version, policy_at=policy_at,
        policy_origin=state.origin, policy_warnings=tuple(compiled.warnings),
        notes=[f"policy as of {format_time(policy_at)} over orbits from {format_time(start)}"
               if abs((policy_at - start).total_seconds()) > 86400 else
               f"policy as of {format_time(policy_at)}"],
    )
