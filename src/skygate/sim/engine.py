"""Engines: run a prepared scenario chunk by chunk, locally or on a Dask cluster.

Each epoch: the policy segment in force → propagate → satellites muted by ``no_transmit`` →
visible satellite–cell pairs → the scheduler assigns beams under capacity → compliance
re-checked from the assignment → metrics (and the capacity over the focus region). Epochs are grouped in time chunks (``time.chunk_epochs``); a chunk is the unit of
work for both engines and depends only on the (picklable) :class:`SimContext` and its epoch
range, so the Dask engine's results are identical to the local engine's — chunk results are
merged in time order in both cases (:func:`skygate.sim.metrics.stitch`).
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from skygate.errors import ScenarioError
from skygate.sim.compliance import check_epoch, muted_satellites
from skygate.sim.context import SimContext
from skygate.sim.metrics import ChunkRecorder, ChunkResult
from skygate.sim.scheduler import Assignment, get_strategy
from skygate.sim.visibility import DEFAULT_TOP_K, visible_pairs

__all__ = ["run_chunk", "chunk_ranges", "run_local", "run_dask", "run_chunks", "EpochState",
           "simulate_epoch", "focus_capacity"]

FOCUS_TOP_K = 128  # candidates kept per focus cell: more than the ~60 ever in view at 25°


class EpochState:
    """What one epoch produced (for callers that want more than the metrics, e.g. tests)."""

    def __init__(self, counts, muted, assignment: Assignment, visibility, compliance):
        self.counts = counts
        self.muted = muted
        self.assignment = assignment
        self.visibility = visibility
        self.compliance = compliance


def simulate_epoch(ctx: SimContext, pos_km: np.ndarray, epoch: int, strategy=None) -> EpochState:
    """One scheduling epoch at satellite positions ``pos_km`` (n_sat, 3) ECEF km, under the
    policy segment that holds ``epoch``."""
    strategy = strategy or get_strategy(ctx.scenario.scheduler.strategy)
    res = ctx.scenario.cells.resolution
    seg = ctx.segment_at(epoch)
    muted = muted_satellites(pos_km, seg.no_transmit_cells, res, seg.no_transmit_bbox)
    vis = visible_pairs(ctx.frame, pos_km, ctx.scenario.constellation.min_elevation_deg,
                        select=ctx.rows, top_k=DEFAULT_TOP_K)
    transmit_ok = ~muted if ctx.enforce else None
    demand = seg.row_demand_gbps if ctx.enforce else ctx.demand.demand_gbps[ctx.rows]
    a = strategy(vis, demand, ctx.row_hemi, ctx.capacity, transmit_ok, ctx.order, ctx.params,
                 epoch=epoch)
    return EpochState(vis.counts, muted, a, vis, check_epoch(ctx, seg, a, pos_km))


def focus_capacity(ctx: SimContext, pos_km: np.ndarray, muted: np.ndarray,
                   assignment: Assignment) -> tuple[int, float, float]:
    """Satellites over the focus region (above the mask from at least one of its cells), their
    capacity (Gbps; 0 for a satellite that may not transmit) and the part of it left unused
    after this epoch's assignment — what the region could get without taking from anyone."""
    frame = ctx.focus_frame
    if frame is None:
        return 0, 0.0, 0.0
    vis = visible_pairs(frame, pos_km, ctx.scenario.constellation.min_elevation_deg,
                        top_k=FOCUS_TOP_K)
    sats = np.unique(vis.sat[vis.sat >= 0])
    cap = ctx.capacity.gbps[sats].astype(np.float64)
    if ctx.enforce:
        cap = np.where(muted[sats], 0.0, cap)
    spare = np.maximum(cap - assignment.sat_gbps[sats], 0.0)
    return int(sats.size), float(cap.sum()), float(spare.sum())


def run_chunk(ctx: SimContext, first: int, stop: int) -> ChunkResult:
    """Simulate epochs ``first:stop`` of ``ctx.times``."""
    from skygate.orbits import propagate

    times = ctx.times[first:stop]
    eph = propagate(ctx.constellation, times)
    strategy = get_strategy(ctx.scenario.scheduler.strategy)
    rec = ChunkRecorder(ctx.n_cells, ctx.rows, ctx.region_idx, len(ctx.region_codes), ctx.n_sat,
                        ctx.capacity.cells_per_beam, ctx.capacity.beams, first, len(times),
                        records=ctx.records)
    for k in range(len(times)):
        pos = np.ascontiguousarray(eph.r_ecef_km[:, k, :])
        st = simulate_epoch(ctx, pos, first + k, strategy)
        seg = ctx.segment_at(first + k)
        demand = ctx.demand.demand_gbps
        allowed = seg.row_demand_gbps if ctx.enforce else demand[ctx.rows]
        rec.record(k, st.counts, st.muted, int(np.isfinite(pos).all(axis=1).sum()),
                   st.assignment, demand, st.compliance,
                   segment=ctx.segments.index(seg), allowed_gbps=allowed,
                   focus=focus_capacity(ctx, pos, st.muted, st.assignment))
    return rec.result(times)


def chunk_ranges(n_epochs: int, chunk_epochs: int) -> list[tuple[int, int]]:
    return [(a, min(a + chunk_epochs, n_epochs)) for a in range(0, n_epochs, chunk_epochs)]


def run_local(ctx: SimContext, advance: Callable[[int], None] | None = None
              ) -> Iterator[ChunkResult]:
    """Chunks in time order, one after another in this process."""
    for a, b in chunk_ranges(ctx.times.size, ctx.scenario.time.chunk_epochs):
        result = run_chunk(ctx, a, b)
        if advance:
            advance(b - a)
        yield result


def run_dask(ctx: SimContext, advance: Callable[[int], None] | None = None, *,
             address: str | None = None, cluster_kwargs: dict | None = None
             ) -> Iterator[ChunkResult]:
    """Chunks on a Dask cluster (``address`` = ``tcp://host:8786``, or a fresh
    ``LocalCluster``), yielded in time order as they complete, so memory holds only the
    chunks that finished ahead of a slower earlier one."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - the dask extra installs it
        raise ScenarioError("the dask engine needs dask.distributed", where="engine.kind",
                            hint="pip install 'skygate[dask]'") from None
    cluster = None
    if address is None:
        kw = {"n_workers": 2, "threads_per_worker": 1, "processes": True,
              "dashboard_address": None}
        kw.update(cluster_kwargs or {})
        cluster = LocalCluster(**kw)
    try:
        try:
            client = Client(cluster if cluster is not None else address, timeout="15s")
        except (OSError, TimeoutError) as err:
            raise ScenarioError(f"cannot reach the Dask scheduler {address}: {err}",
                                where="--scheduler / engine.scheduler_address",
                                hint="start one with `dask scheduler` and workers with "
                                     "`dask worker tcp://HOST:8786`, or leave it out for a "
                                     "LocalCluster") from None
        with client:
            remote_ctx = client.scatter(ctx, broadcast=True)
            ranges = chunk_ranges(ctx.times.size, ctx.scenario.time.chunk_epochs)
            futures = {client.submit(run_chunk, remote_ctx, a, b, pure=False): i
                       for i, (a, b) in enumerate(ranges)}
            done: dict[int, ChunkResult] = {}
            nxt = 0
            for fut in as_completed(futures):
                i = futures[fut]
                done[i] = fut.result()
                if advance:
                    advance(ranges[i][1] - ranges[i][0])
                while nxt in done:
                    yield done.pop(nxt)
                    nxt += 1
    finally:
        if cluster is not None:
            cluster.close()


def run_chunks(ctx: SimContext, engine: str = "local", advance=None, *,
               address: str | None = None, cluster_kwargs: dict | None = None
               ) -> Iterator[ChunkResult]:
    if engine == "local":
        return run_local(ctx, advance)
    if engine == "dask":
        return run_dask(ctx, advance, address=address, cluster_kwargs=cluster_kwargs)
    raise ScenarioError(f"unknown engine {engine!r}", where="engine.kind",
                        hint="use 'local' or 'dask'")
