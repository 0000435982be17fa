"""Benchmark: per-epoch cost of the service simulation, beside a straightforward baseline.

Cases (each: skygate's engine, then the baseline on the same epoch, same machine, same run):

  (a) the Taiwan scenario's region (scenarios/taiwan-2024.toml, ~6,700 res-5 cells), bundled
      snapshot (9,594 satellites);
  (b) global land at H3 res 5 (~527,000 cells) with the full Gen1 design (4,408 satellites);
  (c) global land with the bundled snapshot.

"Per epoch" = visibility + policy (no_transmit muting, restricted cells) + assignment +
compliance re-check + metrics, i.e. :func:`skygate.sim.engine.simulate_epoch` plus the
recorder; SGP4 propagation is shown apart (``benchmarks/propagation.py`` covers it).

Baseline: scipy ``cKDTree`` over satellite directions, ``query_ball_point`` per cell with the
chord of the visibility cap, an exact NumPy elevation test and sort per cell, then a Python
loop that assigns each cell the best satellite with room — what one writes first.

Memory: ``--memory-minutes M`` runs global land with the snapshot through the full engine
(outputs streamed to a temporary folder) for M simulated minutes and reports the peak RSS.
Memory does not grow with the window (chunks are streamed; per-cell totals are fixed-size),
so a short run measures what a 24 h run needs; pass ``--memory-minutes 1440`` to measure the
full day (about 5,760 epochs; hours on two cores).

Targets (issue 4, 2 cores): region ≤ 20 ms/epoch; global land Gen1 ≤ 0.5 s/epoch; ≥ 10× the
baseline; peak memory for 24 h global land < 4 GiB.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from skygate.orbits import propagate  # noqa: E402
from skygate.sim.context import build_context  # noqa: E402
from skygate.sim.engine import focus_capacity, simulate_epoch  # noqa: E402
from skygate.sim.metrics import ChunkRecorder  # noqa: E402
from skygate.sim.run import run_context  # noqa: E402
from skygate.sim.scenario import load_scenario  # noqa: E402

PRESET = "preset:reported-2024-10"  # same rules as a seeded home, no database needed


def _context(name: str, source: str, minutes: float = 2.0):
    sc = load_scenario(REPO / "scenarios" / f"{name}.toml")
    sc = sc.with_overrides(constellation={"source": source}, policy={"source": PRESET})
    return build_context(sc, duration=timedelta(minutes=minutes))


def _skygate_epochs(ctx, n_epochs: int) -> tuple[float, float, np.ndarray]:
    """Mean seconds per epoch (engine) and propagation seconds per epoch; positions of the
    first epoch for the baseline."""
    t0 = time.perf_counter()
    eph = propagate(ctx.constellation, ctx.times[:n_epochs])
    prop = (time.perf_counter() - t0) / n_epochs
    pos0 = np.ascontiguousarray(eph.r_ecef_km[:, 0, :])
    simulate_epoch(ctx, pos0, 0)  # warm-up (JIT from cache)
    rec = ChunkRecorder(ctx.n_cells, ctx.rows, ctx.region_idx, len(ctx.region_codes), ctx.n_sat,
                        ctx.capacity.cells_per_beam, ctx.capacity.beams, 0, n_epochs)
    t0 = time.perf_counter()
    for k in range(n_epochs):
        pos = np.ascontiguousarray(eph.r_ecef_km[:, k, :])
        st = simulate_epoch(ctx, pos, k)
        seg = ctx.segment_at(k)  # as run_chunk does: per-epoch policy, focus region's sky
        rec.record(k, st.counts, st.muted, int(np.isfinite(pos).all(axis=1).sum()),
                   st.assignment, ctx.demand.demand_gbps, st.compliance,
                   segment=ctx.segments.index(seg), allowed_gbps=seg.row_demand_gbps,
                   focus=focus_capacity(ctx, pos, st.muted, st.assignment))
    return (time.perf_counter() - t0) / n_epochs, prop, pos0


# ---------------------------------------------------------------------------- baseline
def baseline_epoch(ctx, pos_km: np.ndarray) -> tuple[float, int]:
    """KD-tree visibility + Python-loop assignment for one epoch; returns (seconds, pairs)."""
    from scipy.spatial import cKDTree

    from skygate.sim.visibility import cap_half_angle_deg

    t0 = time.perf_counter()
    mask = ctx.scenario.constellation.min_elevation_deg
    ok = np.isfinite(pos_km).all(axis=1)
    sats = np.flatnonzero(ok)
    p = pos_km[sats]
    r = np.linalg.norm(p, axis=1)
    tree = cKDTree(p / r[:, None])
    psi = np.radians(cap_half_angle_deg(float(r.max()), mask))
    cell_u = ctx.frame.pos_km / np.linalg.norm(ctx.frame.pos_km, axis=1)[:, None]
    hits = tree.query_ball_point(cell_u, 2.0 * np.sin(psi / 2.0))
    sin_mask = np.sin(np.radians(mask))
    counts = np.zeros(ctx.n_cells, np.int32)
    cands: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    is_row = np.zeros(ctx.n_cells, bool)
    is_row[ctx.rows] = True
    pairs = 0
    for c, idx in enumerate(hits):  # per-cell exact test, NumPy inside
        if not idx:
            continue
        idx = np.asarray(idx)
        d = p[idx] - ctx.frame.pos_km[c]
        sin_el = d @ ctx.frame.up[c] / np.linalg.norm(d, axis=1)
        keep = sin_el >= sin_mask
        counts[c] = keep.sum()
        pairs += int(counts[c])
        if is_row[c]:
            order = np.argsort(-sin_el[keep])
            cands[c] = (sats[idx[keep][order]], sin_el[keep][order])
    # policy: muted satellites and allowed cells (the same compiled arrays)
    from skygate.sim.compliance import muted_satellites

    muted = muted_satellites(pos_km, ctx.no_transmit_cells, ctx.scenario.cells.resolution,
                             ctx.no_transmit_bbox)
    cap_cells = (ctx.capacity.beams * ctx.capacity.cells_per_beam).tolist()
    cap_gbps = (ctx.capacity.beams * ctx.capacity.gbps_per_beam).tolist()
    beam_gbps = ctx.capacity.gbps_per_beam.tolist()
    used_cells = [0] * ctx.n_sat
    used_gbps = [0.0] * ctx.n_sat
    demand = ctx.demand.demand_gbps
    served = 0.0
    for c in ctx.rows.tolist():  # Python-loop assignment: best satellite with room
        if c not in cands or not (ctx.beam_allowed[c] and ctx.terminal_allowed[c]):
            continue
        for s in cands[c][0].tolist():
            if muted[s] or used_cells[s] >= cap_cells[s] or used_gbps[s] >= cap_gbps[s]:
                continue
            g = min(float(demand[c]), beam_gbps[s], cap_gbps[s] - used_gbps[s])
            used_cells[s] += 1
            used_gbps[s] += g
            served += g
            break
    return time.perf_counter() - t0, pairs


def _case(label: str, ctx, n_epochs: int, baseline: bool) -> dict:
    per_epoch, prop, pos0 = _skygate_epochs(ctx, n_epochs)
    row = {"case": label, "cells": ctx.n_cells, "rows": int(ctx.rows.size),
           "satellites": ctx.n_sat, "epoch_s": per_epoch, "propagation_s": prop}
    if baseline:
        base_s, pairs = baseline_epoch(ctx, pos0)
        row.update(baseline_s=base_s, speedup=base_s / per_epoch, pairs=pairs)
    print(f"{label:<34} cells {ctx.n_cells:>7,}  sats {ctx.n_sat:>5,}  "
          f"skygate {per_epoch * 1e3:8.1f} ms/epoch (+ SGP4 {prop * 1e3:6.1f} ms)"
          + (f"  baseline {row['baseline_s'] * 1e3:9.1f} ms  ×{row['speedup']:.0f}"
             if baseline else ""), flush=True)
    return row


def _peak_rss_gib() -> float:
    """Peak RSS of this process. Read from /proc (VmHWM): on Linux ``ru_maxrss`` survives
    fork + exec, so a child started by the benchmark would report its parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**20  # KiB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB


def memory_run(minutes: float) -> None:
    ctx = _context("global", "starlink", minutes)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        s = run_context(ctx, Path(tmp), report=False)
        wall = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 2**20
    print(f"global land, snapshot, {minutes:g} min ({s['epochs']} epochs) through the engine: "
          f"{wall:.1f} s wall, outputs {size:.0f} MiB, peak RSS {_peak_rss_gib():.2f} GiB "
          f"(target for 24 h: < 4 GiB; memory does not grow with the window)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=8, help="epochs timed per case")
    ap.add_argument("--memory-minutes", type=float, default=5.0,
                    help="simulated minutes of the global memory run (0 = skip)")
    ap.add_argument("--skip-global", action="store_true")
    ap.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_only:  # the child process of the memory run: nothing else in its RSS
        memory_run(args.memory_minutes)
        return
    print(f"skygate simulation benchmark — {os.cpu_count()} CPUs, "
          f"numba threads {os.environ.get('NUMBA_NUM_THREADS', 'default')}")
    minutes = args.epochs * 4 * 15 / 60 + 1
    _case("(a) Taiwan region, snapshot", _context("taiwan-2024", "starlink", minutes),
          args.epochs * 4, True)
    if not args.skip_global:
        _case("(b) global land, Gen1 (4,408)", _context("global", "starlink-gen1", minutes),
              args.epochs, True)
        _case("(c) global land, snapshot", _context("global", "starlink", minutes), args.epochs, True)
    if args.memory_minutes > 0:  # in a fresh process, so the baselines' memory is not counted
        import subprocess

        subprocess.run([sys.executable, __file__, "--memory-only", "--memory-minutes",
                        str(args.memory_minutes)], check=True)


if __name__ == "__main__":
    main()
