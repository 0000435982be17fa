"""Outputs of a run, written as chunks arrive so memory stays bounded by one chunk plus the
per-cell totals.

Files (the contract later checks rely on):

- ``epochs.parquet`` — one row per epoch (``time``, ``epoch`` and the
  :data:`~skygate.sim.metrics.EPOCH_COLUMNS`), appended chunk by chunk;
- ``regions.parquet`` — one row per (epoch, region): coverage, satellites in view,
  served Gbps, satellites serving;
- ``cells.parquet`` — one row per cell: ``h3``, ``region``, ``status``, policy flags,
  terminals, coverage, satellites in view, served/unserved demand, handovers;
- ``cells.geojson`` — the same per cell as RFC 7946 polygons for the map (aggregated to a
  coarser H3 resolution when there are more than ``outputs.geojson_max_cells`` cells),
  streamed feature by feature;
- ``summary.json`` — scenario, window, policy version and its segments, compliance,
  per-region figures, the focus region's sky (satellites over it, capacity, spare);
- opt-in (``outputs.records`` / ``--records cells,satellites``): ``cell_epochs.parquet`` and
  ``satellite_epochs.parquet`` (:class:`DetailWriter`).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from skygate.sim.compliance import COMPLIANCE_KEYS
from skygate.sim.context import STATUS_NAMES, SimContext
from skygate.sim.metrics import EPOCH_COLUMNS, REGION_COLUMNS, CellTotals, ChunkResult, stitch
from skygate.timeutil import format_time

__all__ = ["RunWriter", "DetailWriter", "cell_table", "write_geojson"]

_INT_COLUMNS = {"policy_segment", "focus_sats_over", "sats_ok", "sats_muted", "cells_covered", "sats_in_view_min", "sats_in_view_max",
                "cells_served", "sats_serving", "beams_used", "beams_max_per_sat", "handovers",
                "restricted_beams", "disabled_terminals_served", "no_transmit_violations"}


class RunWriter:
    """Consumes :class:`ChunkResult` in time order; :meth:`finish` writes the rest."""

    def __init__(self, ctx: SimContext, out_dir: Path):
        self.ctx = ctx
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.totals = CellTotals.empty(ctx.n_cells)
        self.previous: ChunkResult | None = None
        self.compliance = dict.fromkeys(COMPLIANCE_KEYS, 0)
        self.sat_beams_max = np.zeros(ctx.n_sat, np.int32)
        self.series: dict[str, list[np.ndarray]] = {k: [] for k in ("time", *EPOCH_COLUMNS)}
        self.region_sums = {c: np.zeros(len(ctx.region_codes)) for c in REGION_COLUMNS}
        self.region_min = np.full(len(ctx.region_codes), np.inf)
        self._epoch_writer: pq.ParquetWriter | None = None
        self._region_writer: pq.ParquetWriter | None = None
        self._detail = DetailWriter(ctx, self.out) if ctx.records else None

    # ---- streaming ------------------------------------------------------------------------
    def add(self, chunk: ChunkResult) -> None:
        stitch(self.previous, chunk, self.ctx.rows)
        self.previous = chunk
        self.totals.merge(chunk.cells)
        np.maximum(self.sat_beams_max, chunk.sat_beams_max, out=self.sat_beams_max)
        e = chunk.epochs
        self.compliance["restricted_beam_epochs"] += int(e["restricted_beams"].sum())
        self.compliance["disabled_terminal_epochs_served"] += int(e["disabled_terminals_served"].sum())
        self.compliance["no_transmit_violations"] += int(e["no_transmit_violations"].sum())
        self.series["time"].append(chunk.times)
        for c in EPOCH_COLUMNS:
            self.series[c].append(e[c])
        for c in REGION_COLUMNS:
            self.region_sums[c] += chunk.regions[c].sum(axis=0)
        np.minimum(self.region_min, chunk.regions["sats_in_view_min"].min(axis=0),
                   out=self.region_min)
        self._write_epochs(chunk)
        self._write_regions(chunk)
        if self._detail is not None:
            self._detail.add(chunk)

    def _write_epochs(self, chunk: ChunkResult) -> None:
        n = chunk.times.size
        cols = {"time": pa.array(chunk.times.astype("datetime64[ms]")),
                "epoch": pa.array(np.arange(chunk.first_epoch, chunk.first_epoch + n, dtype=np.int64))}
        for c in EPOCH_COLUMNS:
            v = chunk.epochs[c]
            cols[c] = pa.array(v.astype(np.int64) if c in _INT_COLUMNS else v)
        table = pa.table(cols)
        if self._epoch_writer is None:
            self._epoch_writer = pq.ParquetWriter(self.out / "epochs.parquet", table.schema)
        self._epoch_writer.write_table(table)

    def _write_regions(self, chunk: ChunkResult) -> None:
        n, r = chunk.times.size, len(self.ctx.region_codes)
        cols = {"time": pa.array(np.repeat(chunk.times.astype("datetime64[ms]"), r)),
                "epoch": pa.array(np.repeat(np.arange(chunk.first_epoch, chunk.first_epoch + n), r)),
                "region": pa.array(np.tile(np.array(self.ctx.region_codes), n))}
        cells_per_region = np.bincount(self.ctx.region_idx, minlength=r)
        cols["cells"] = pa.array(np.tile(cells_per_region, n).astype(np.int64))
        reg = chunk.regions
        cols["cells_covered"] = pa.array(reg["cells_covered"].ravel().astype(np.int64))
        cols["sats_in_view_mean"] = pa.array((reg["sats_in_view_sum"] /
                                              np.maximum(cells_per_region, 1)).ravel())
        cols["sats_in_view_min"] = pa.array(reg["sats_in_view_min"].ravel().astype(np.int64))
        cols["sats_in_view_max"] = pa.array(reg["sats_in_view_max"].ravel().astype(np.int64))
        cols["served_gbps"] = pa.array(reg["served_gbps"].ravel())
        cols["sats_serving"] = pa.array(reg["sats_serving"].ravel().astype(np.int64))
        table = pa.table(cols)
        if self._region_writer is None:
            self._region_writer = pq.ParquetWriter(self.out / "regions.parquet", table.schema)
        self._region_writer.write_table(table)

    def close_streams(self) -> None:
        for w in (self._epoch_writer, self._region_writer):
            if w is not None:
                w.close()
        self._epoch_writer = self._region_writer = None
        if self._detail is not None:
            self._detail.close()

    # ---- end of run -----------------------------------------------------------------------
    def epoch_series(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) if v else np.empty(0) for k, v in self.series.items()}

    def finish(self, *, engine: str, runtime_s: float, extra: dict | None = None) -> dict:
        self.close_streams()
        table = cell_table(self.ctx, self.totals)
        pq.write_table(table, self.out / "cells.parquet")
        write_geojson(self.ctx, table, self.out / "cells.geojson")
        summary = self.summary(engine=engine, runtime_s=runtime_s)
        if extra:
            summary.update(extra)
        (self.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary

    def regions_summary(self) -> list[dict]:
        ctx, n_ep = self.ctx, max(self.totals.epochs, 1)
        r = len(ctx.region_codes)
        cells = np.bincount(ctx.region_idx, minlength=r)
        demand = np.bincount(ctx.region_idx, weights=ctx.demand.demand_gbps, minlength=r)
        terminals = np.bincount(ctx.region_idx, weights=ctx.demand.terminals, minlength=r)
        out = []
        for i, code in enumerate(ctx.region_codes):
            status = np.bincount(ctx.status[ctx.region_idx == i], minlength=len(STATUS_NAMES))
            out.append({
                "region": code,
                "cells": int(cells[i]),
                "status": STATUS_NAMES[int(status.argmax())],
                "terminals": round(float(terminals[i]), 1),
                "covered_fraction": float(self.region_sums["cells_covered"][i] / (cells[i] * n_ep)),
                "sats_in_view_mean": float(self.region_sums["sats_in_view_sum"][i] / (cells[i] * n_ep)),
                "sats_in_view_min": int(self.region_min[i]) if np.isfinite(self.region_min[i]) else 0,
                "sats_serving_mean": float(self.region_sums["sats_serving"][i] / n_ep),
                "demand_gbps_mean": float(demand[i]),
                "served_gbps_mean": float(self.region_sums["served_gbps"][i] / n_ep),
            })
        return out

    def focus_summary(self, series: dict[str, np.ndarray]) -> dict | None:
        """The focus region's sky per epoch, summarized: satellites over it, their capacity and
        what of it nobody used (Gbps)."""
        code = self.ctx.scenario.cells.focus_region
        if not code or self.ctx.focus_cells.size == 0:
            return None
        over = series["focus_sats_over"]
        return {"region": code, "cells": int(self.ctx.focus_cells.size),
                "sats_over_mean": _mean(over), "sats_over_min": int(over.min()) if over.size else 0,
                "capacity_gbps_mean": _mean(series["focus_capacity_gbps"]),
                "spare_gbps_mean": _mean(series["focus_spare_gbps"]),
                "spare_gbps_min": float(series["focus_spare_gbps"].min()) if over.size else 0.0}

    def summary(self, *, engine: str, runtime_s: float) -> dict:
        ctx, sc = self.ctx, self.ctx.scenario
        series = self.epoch_series()
        demand = float(ctx.demand.demand_gbps.sum())
        served = float(series["served_gbps"].mean()) if series["served_gbps"].size else 0.0
        over = int((self.sat_beams_max > ctx.capacity.beams).sum())
        return {
            "scenario": sc.name,
            "description": sc.description,
            "scenario_file": sc.path,
            "start": format_time(ctx.times[0]),
            "end": format_time(ctx.times[-1]),
            "step_s": sc.time.step_s,
            "epochs": int(self.totals.epochs),
            "constellation": {"source": ctx.constellation_source, "satellites": ctx.n_sat,
                              "gen2_satellites": int((ctx.generation == 2).sum()),
                              "min_elevation_deg": sc.constellation.min_elevation_deg},
            "cells": ctx.n_cells,
            "resolution": sc.cells.resolution,
            "focus_region": sc.cells.focus_region,
            "policy_version": ctx.policy_version,
            "policy_at": format_time(ctx.policy_at),
            "policy_source": sc.policy.source,
            "policy_note": "; ".join(ctx.notes),
            "policy_warnings": list(ctx.policy_warnings),
            "enforcement": ctx.enforce,
            "compliance": dict(self.compliance),
            "policy_segments": [seg.describe() for seg in ctx.segments],
            "capacity": {"beams_limit_exceeded_satellites": over,
                         "beams_max_per_satellite": int(self.sat_beams_max.max(initial=0)),
                         "cells_per_beam": ctx.capacity.cells_per_beam},
            "totals": {
                "terminals": round(ctx.demand.total_terminals, 1),
                "demand_gbps_mean": demand,
                "served_gbps_mean": served,
                "served_fraction": served / demand if demand > 0 else 1.0,
                "covered_fraction_mean": float(series["covered_fraction"].mean()),
                "handovers": int(series["handovers"].sum()),
                "refused_gbps_mean": _mean(series["refused_gbps"]),
                "beams_mean_per_serving_sat": _mean(series["beams_mean_per_serving_sat"]),
            },
            "focus": self.focus_summary(series),
            "records": list(ctx.records),
            "regions": self.regions_summary(),
            "engine": engine,
            "runtime_s": round(runtime_s, 3),
            "generated_at": format_time(datetime.now(timezone.utc)),
        }


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


class DetailWriter:
    """The opt-in per-epoch detail (``outputs.records`` / ``--records``), one Parquet row
    group per chunk, so a region- or world-sized run streams to disk:

    - ``cell_epochs.parquet`` (``cells``): every cell × epoch — ``time``, ``epoch``, ``h3``,
      ``region`` (dictionary-encoded), ``sats_in_view``, ``demand_gbps``, ``policy_allows``
      (beam and terminal allowed by the policy segment in force), ``served_gbps``,
      ``unserved_gbps``, ``serving_norad`` (-1: none), ``sats_serving``, ``handover``;
    - ``satellite_epochs.parquet`` (``satellites``): every satellite that serves at an epoch —
      ``time``, ``epoch``, ``norad_id``, ``cells``, ``served_gbps``, ``beams``,
      ``beams_limit``.
    """

    def __init__(self, ctx: SimContext, out: Path):
        from skygate.earth.cells import to_hex

        self.ctx, self.out = ctx, out
        self.writers: dict[str, pq.ParquetWriter] = {}
        self._h3 = pa.array(to_hex(ctx.cells).astype(str))  # dictionaries of the columns
        self._region = pa.array(np.asarray(ctx.region_codes)[ctx.region_idx])
        self._norad = np.asarray(ctx.constellation.norad_ids, np.int64)

    def _write(self, name: str, table: pa.Table) -> None:
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(self.out / name, table.schema)
        self.writers[name].write_table(table)

    def add(self, chunk: ChunkResult) -> None:
        d = chunk.records
        if "counts" in d:
            self._write("cell_epochs.parquet", self._cells(chunk, d))
        if "sat_index" in d:
            self._write("satellite_epochs.parquet", self._sats(chunk, d))

    def _cells(self, chunk: ChunkResult, d: dict) -> pa.Table:
        ctx, m = self.ctx, len(d["counts"])
        n = ctx.n_cells
        rows, demand = ctx.rows, ctx.demand.demand_gbps
        served = np.zeros((m, n), np.float32)
        serving = np.full((m, n), -1, np.int64)
        n_sats = np.zeros((m, n), np.int8)
        handover = np.zeros((m, n), bool)
        allows = np.empty((m, n), bool)
        for k in range(m):
            served[k, rows] = d["served"][k]
            sat = d["serving"][k]
            serving[k, rows] = np.where(sat >= 0, self._norad[np.maximum(sat, 0)], -1)
            n_sats[k, rows] = d["n_sats"][k]
            handover[k, rows] = d["handover"][k]
            seg = ctx.segment_at(chunk.first_epoch + k)
            allows[k] = seg.beam_allowed & seg.terminal_allowed
        epochs = np.arange(chunk.first_epoch, chunk.first_epoch + m, dtype=np.int32)
        idx = pa.array(np.tile(np.arange(n, dtype=np.int32), m))
        return pa.table({
            "time": pa.array(np.repeat(chunk.times.astype("datetime64[ms]"), n)),
            "epoch": pa.array(np.repeat(epochs, n)),
            "h3": pa.DictionaryArray.from_arrays(idx, self._h3),
            "region": pa.DictionaryArray.from_arrays(idx, self._region),
            "sats_in_view": pa.array(np.concatenate(d["counts"])),
            "demand_gbps": pa.array(np.tile(demand.astype(np.float32), m)),
            "policy_allows": pa.array(allows.ravel()),
            "served_gbps": pa.array(served.ravel()),
            "unserved_gbps": pa.array(np.maximum(np.tile(demand, m) - served.ravel(), 0.0)
                                      .astype(np.float32)),
            "serving_norad": pa.array(serving.ravel()),
            "sats_serving": pa.array(n_sats.ravel()),
            "handover": pa.array(handover.ravel()),
        })

    def _sats(self, chunk: ChunkResult, d: dict) -> pa.Table:
        sizes = [a.size for a in d["sat_index"]]
        idx = np.concatenate(d["sat_index"]) if sizes else np.empty(0, np.int32)
        epochs = np.repeat(np.arange(chunk.first_epoch, chunk.first_epoch + len(sizes),
                                     dtype=np.int32), sizes)
        return pa.table({
            "time": pa.array(np.repeat(chunk.times.astype("datetime64[ms]"), sizes)),
            "epoch": pa.array(epochs),
            "norad_id": pa.array(self._norad[idx]),
            "cells": pa.array(np.concatenate(d["sat_cells"])),
            "served_gbps": pa.array(np.concatenate(d["sat_gbps"])),
            "beams": pa.array(np.concatenate(d["sat_beams"])),
            "beams_limit": pa.array(self.ctx.capacity.beams[idx].astype(np.int16)),
        })

    def close(self) -> None:
        for w in self.writers.values():
            w.close()
        self.writers.clear()


def cell_table(ctx: SimContext, t: CellTotals) -> pa.Table:
    """Per-cell results as an Arrow table (``cells.parquet``)."""
    from skygate.earth.cells import to_hex

    n_ep = max(t.epochs, 1)
    demand = ctx.demand.demand_gbps
    served_mean = t.served_sum_gbps / n_ep
    sats_min = np.where(t.epochs > 0, t.sats_min, 0)
    return pa.table({
        "h3": pa.array(to_hex(ctx.cells).astype(str)),
        "region": pa.array(np.asarray(ctx.region_codes)[ctx.region_idx]),
        "status": pa.array(np.asarray(STATUS_NAMES)[ctx.status]),
        "lat_deg": pa.array(ctx.lat_deg),
        "lon_deg": pa.array(ctx.lon_deg),
        "beam_allowed": pa.array(ctx.beam_allowed),
        "terminal_allowed": pa.array(ctx.terminal_allowed),
        "terminals": pa.array(ctx.demand.terminals),
        "demand_gbps": pa.array(demand),
        "covered_fraction": pa.array(t.covered_epochs / n_ep),
        "sats_in_view_mean": pa.array(t.sats_sum / n_ep),
        "sats_in_view_min": pa.array(sats_min.astype(np.int32)),
        "sats_in_view_max": pa.array(t.sats_max),
        "served_gbps_mean": pa.array(served_mean),
        "unserved_gbps_mean": pa.array(np.maximum(demand - served_mean, 0.0)),
        "served_epochs": pa.array(t.served_epochs),
        "handovers": pa.array(t.handovers),
    })


_GEOJSON_PROPS = ("region", "status", "covered_fraction", "sats_in_view_mean", "terminals",
                  "demand_gbps", "served_gbps_mean")


def _coarsen(table: pa.Table, max_cells: int):
    """Aggregate to the finest parent resolution with at most ``max_cells`` cells."""
    from h3.api import basic_int as h3i

    from skygate.earth.cells import from_hex

    cells = from_hex(table.column("h3").to_pylist())
    res = h3i.get_resolution(int(cells[0]))
    cols = {k: table.column(k).to_numpy(zero_copy_only=False) for k in _GEOJSON_PROPS}
    while res > 0:
        res -= 1
        parents = np.fromiter((h3i.cell_to_parent(int(c), res) for c in cells), np.uint64,
                              count=cells.size)
        uniq, inv = np.unique(parents, return_inverse=True)
        if uniq.size <= max_cells:
            break
    cnt = np.bincount(inv)
    out = {"cells": cnt}
    for k in ("covered_fraction", "sats_in_view_mean"):
        out[k] = np.bincount(inv, weights=cols[k]) / cnt
    for k in ("terminals", "demand_gbps", "served_gbps_mean"):
        out[k] = np.bincount(inv, weights=cols[k])
    first = np.unique(inv, return_index=True)[1]
    out["region"] = cols["region"][first]
    out["status"] = cols["status"][first]
    return uniq, out


def write_geojson(ctx: SimContext, table: pa.Table, path: Path, batch: int = 20_000) -> None:
    """``cells.geojson``: one polygon per cell with its results, written as a stream."""
    from skygate.earth.cells import cell_boundaries, from_hex, to_hex

    max_cells = ctx.scenario.outputs.geojson_max_cells
    if table.num_rows > max_cells:
        cells, props = _coarsen(table, max_cells)
    else:
        cells = from_hex(table.column("h3").to_pylist())
        props = {k: table.column(k).to_numpy(zero_copy_only=False) for k in _GEOJSON_PROPS}
    hexes = to_hex(cells).astype(str)
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"type": "FeatureCollection", "features": [\n')
        for a in range(0, cells.size, batch):
            rings = cell_boundaries(cells[a:a + batch])
            parts = []
            for j, ring in enumerate(rings):
                i = a + j
                p = {"h3": hexes[i]}
                for k, v in props.items():
                    x = v[i]
                    p[k] = round(float(x), 4) if isinstance(x, (float, np.floating)) else (
                        int(x) if isinstance(x, (np.integer, int)) else str(x))
                parts.append(json.dumps({"type": "Feature", "properties": p, "geometry": {
                    "type": "Polygon", "coordinates": [np.round(ring, 6).tolist()]}},
                    separators=(",", ":")))
            sep = ",\n" if a + batch < cells.size else "\n"
            fh.write(",\n".join(parts) + sep)
        fh.write("]}\n")
