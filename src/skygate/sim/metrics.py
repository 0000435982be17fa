"""Per-epoch records and per-cell totals, accumulated chunk by chunk and merged.

A chunk of epochs yields a :class:`ChunkResult`: one row per epoch (the ``epochs.parquet``
columns), per-region series (``regions.parquet``), per-cell running totals, and the serving
satellite of every scheduled cell at the chunk's first and last epoch. Handovers at chunk
boundaries are counted when chunks are merged (:func:`stitch`), and the scheduler carries no
state between epochs, so any chunking — sequential or on a Dask cluster — gives identical
results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CellTotals", "ChunkResult", "ChunkRecorder", "stitch", "EPOCH_COLUMNS",
           "REGION_COLUMNS"]

EPOCH_COLUMNS = (
    "policy_segment", "sats_ok", "sats_muted", "cells_covered", "covered_fraction",
    "sats_in_view_mean", "sats_in_view_min", "sats_in_view_max", "demand_gbps",
    "refused_gbps", "served_gbps", "unserved_gbps", "cells_served", "sats_serving",
    "beams_used", "beams_mean_per_serving_sat", "beams_max_per_sat", "handovers",
    "restricted_beams", "disabled_terminals_served", "no_transmit_violations",
    "focus_sats_over", "focus_capacity_gbps", "focus_spare_gbps",
)
"""``refused_gbps``: demand the policy in force refuses this epoch (0 with enforcement off);
``unserved_gbps`` includes it. ``focus_*``: satellites above the mask from at least one cell
of the scenario's ``focus_region``, their capacity and what of it is unused after this
epoch's assignment (:func:`skygate.sim.engine.focus_capacity`)."""
REGION_COLUMNS = ("cells_covered", "sats_in_view_sum", "sats_in_view_min", "sats_in_view_max",
                  "served_gbps", "sats_serving")


@dataclass
class CellTotals:
    """Running totals per cell over the epochs seen so far."""

    epochs: int
    covered_epochs: np.ndarray  # int32
    sats_sum: np.ndarray  # int64
    sats_min: np.ndarray  # int32
    sats_max: np.ndarray  # int32
    served_sum_gbps: np.ndarray  # float64
    served_epochs: np.ndarray  # int32
    handovers: np.ndarray  # int32

    @classmethod
    def empty(cls, n: int) -> "CellTotals":
        return cls(0, np.zeros(n, np.int32), np.zeros(n, np.int64),
                   np.full(n, np.iinfo(np.int32).max, np.int32), np.zeros(n, np.int32),
                   np.zeros(n, np.float64), np.zeros(n, np.int32), np.zeros(n, np.int32))

    def merge(self, other: "CellTotals") -> None:
        self.epochs += other.epochs
        self.covered_epochs += other.covered_epochs
        self.sats_sum += other.sats_sum
        np.minimum(self.sats_min, other.sats_min, out=self.sats_min)
        np.maximum(self.sats_max, other.sats_max, out=self.sats_max)
        self.served_sum_gbps += other.served_sum_gbps
        self.served_epochs += other.served_epochs
        self.handovers += other.handovers


@dataclass
class ChunkResult:
    first_epoch: int
    times: np.ndarray
    epochs: dict[str, np.ndarray]
    regions: dict[str, np.ndarray]  # each (n_epochs_chunk, n_regions)
    cells: CellTotals
    first_serving: np.ndarray  # (n_rows,) int32
    last_serving: np.ndarray
    sat_beams_max: np.ndarray  # (n_sat,) int32: most beams any epoch lit
    sat_beams_limit: np.ndarray  # (n_sat,) int32
    records: dict[str, list[np.ndarray]] = field(default_factory=dict)  # opt-in detail


@dataclass
class ChunkRecorder:
    """Accumulates the epochs of one chunk."""

    n_cells: int
    rows: np.ndarray
    region_idx: np.ndarray
    n_regions: int
    n_sat: int
    cells_per_beam: int
    beams_limit: np.ndarray
    first_epoch: int
    n_epochs: int
    records: tuple[str, ...] = ()
    cells: CellTotals = field(init=False)

    def __post_init__(self) -> None:
        self.cells = CellTotals.empty(self.n_cells)
        self.epochs = {c: np.zeros(self.n_epochs, np.float64) for c in EPOCH_COLUMNS}
        self.regions = {c: np.zeros((self.n_epochs, self.n_regions), np.float64)
                        for c in REGION_COLUMNS}
        self._perm = np.argsort(self.region_idx, kind="stable")
        present = np.unique(self.region_idx)
        self._starts = np.searchsorted(self.region_idx[self._perm], present)
        self._present = present
        self._row_region = self.region_idx[self.rows]
        self.prev = None
        self.first_serving = np.full(self.rows.size, -1, np.int32)
        self.sat_beams_max = np.zeros(self.n_sat, np.int32)
        self.detail: dict[str, list[np.ndarray]] = {}

    def _region_reduce(self, values: np.ndarray, ufunc, fill) -> np.ndarray:
        out = np.full(self.n_regions, fill, np.float64)
        if values.size:
            out[self._present] = ufunc.reduceat(values[self._perm], self._starts)
        return out

    def record(self, k: int, counts: np.ndarray, muted: np.ndarray, sats_ok: int, assignment,
               demand_gbps: np.ndarray, compliance: tuple[int, int, int], *,
               segment: int = 0, allowed_gbps: np.ndarray | None = None,
               focus: tuple[int, float, float] = (0, 0.0, 0.0)) -> None:
        """Epoch ``k`` of the chunk (0-based). ``allowed_gbps`` (per row): the demand the
        policy in force lets the scheduler serve."""
        e, r, c = self.epochs, self.regions, self.cells
        covered = counts > 0
        c.epochs += 1
        c.covered_epochs += covered
        c.sats_sum += counts
        np.minimum(c.sats_min, counts, out=c.sats_min)
        np.maximum(c.sats_max, counts, out=c.sats_max)
        served_rows = assignment.n_sats > 0
        c.served_sum_gbps[self.rows] += assignment.served_gbps
        c.served_epochs[self.rows] += served_rows
        serving = assignment.serving_sat
        if self.prev is None:
            self.first_serving = serving.copy()
            handover = np.zeros(serving.size, bool)
        else:
            handover = (self.prev >= 0) & (serving >= 0) & (self.prev != serving)
        c.handovers[self.rows] += handover
        self.prev = serving
        beams = assignment.beams
        np.maximum(self.sat_beams_max, beams, out=self.sat_beams_max)

        served = float(assignment.served_gbps.sum())
        total_demand = float(demand_gbps.sum())
        allowed = float(allowed_gbps.sum()) if allowed_gbps is not None else total_demand
        serving_sats = assignment.sat_cells > 0
        e["policy_segment"][k] = segment
        refused = total_demand - allowed  # below 1e-9 of the demand: summation rounding
        e["refused_gbps"][k] = refused if refused > 1e-9 * max(total_demand, 1.0) else 0.0
        e["beams_mean_per_serving_sat"][k] = beams[serving_sats].mean() if serving_sats.any() else 0.0
        e["focus_sats_over"][k], e["focus_capacity_gbps"][k], e["focus_spare_gbps"][k] = focus
        e["sats_ok"][k] = sats_ok
        e["sats_muted"][k] = int(muted.sum())
        e["cells_covered"][k] = int(covered.sum())
        e["covered_fraction"][k] = covered.mean() if counts.size else 0.0
        e["sats_in_view_mean"][k] = counts.mean() if counts.size else 0.0
        e["sats_in_view_min"][k] = counts.min() if counts.size else 0
        e["sats_in_view_max"][k] = counts.max() if counts.size else 0
        e["demand_gbps"][k] = total_demand
        e["served_gbps"][k] = served
        e["unserved_gbps"][k] = max(total_demand - served, 0.0)
        e["cells_served"][k] = int(served_rows.sum())
        e["sats_serving"][k] = int((assignment.sat_cells > 0).sum())
        e["beams_used"][k] = int(beams.sum())
        e["beams_max_per_sat"][k] = int(beams.max()) if beams.size else 0
        e["handovers"][k] = int(handover.sum())
        e["restricted_beams"][k], e["disabled_terminals_served"][k], \
            e["no_transmit_violations"][k] = compliance

        r["cells_covered"][k] = self._region_reduce(covered.astype(np.float64), np.add, 0.0)
        r["sats_in_view_sum"][k] = self._region_reduce(counts.astype(np.float64), np.add, 0.0)
        r["sats_in_view_min"][k] = self._region_reduce(counts.astype(np.float64), np.minimum, 0.0)
        r["sats_in_view_max"][k] = self._region_reduce(counts.astype(np.float64), np.maximum, 0.0)
        r["served_gbps"][k] = np.bincount(self._row_region, weights=assignment.served_gbps,
                                          minlength=self.n_regions)
        ok = serving >= 0
        pairs = np.unique(self._row_region[ok].astype(np.int64) * self.n_sat + serving[ok])
        r["sats_serving"][k] = np.bincount(pairs // self.n_sat, minlength=self.n_regions)
        if self.records:
            self._keep_detail(counts, assignment, handover)

    def _keep_detail(self, counts, assignment, handover) -> None:
        """The opt-in per-epoch detail (``outputs.records``), kept until the chunk ends."""
        d = self.detail
        if "cells" in self.records:
            d.setdefault("counts", []).append(counts.astype(np.int16))
            d.setdefault("served", []).append(assignment.served_gbps.astype(np.float32))
            d.setdefault("serving", []).append(assignment.serving_sat.astype(np.int32))
            d.setdefault("n_sats", []).append(assignment.n_sats.astype(np.int8))
            d.setdefault("handover", []).append(handover.copy())
        if "satellites" in self.records:
            lit = np.flatnonzero(assignment.sat_cells > 0).astype(np.int32)
            d.setdefault("sat_index", []).append(lit)
            d.setdefault("sat_cells", []).append(assignment.sat_cells[lit].astype(np.int32))
            d.setdefault("sat_gbps", []).append(assignment.sat_gbps[lit].astype(np.float32))
            d.setdefault("sat_beams", []).append(assignment.beams[lit].astype(np.int16))

    def result(self, times: np.ndarray) -> ChunkResult:
        last = self.prev if self.prev is not None else np.full(self.rows.size, -1, np.int32)
        return ChunkResult(self.first_epoch, times, self.epochs, self.regions, self.cells,
                           self.first_serving, last, self.sat_beams_max, self.beams_limit,
                           self.detail)


def stitch(previous: ChunkResult | None, current: ChunkResult, rows: np.ndarray) -> None:
    """Count the handovers between the last epoch of ``previous`` and the first of
    ``current`` (chunks in time order), into ``current``'s first epoch and cell totals."""
    if previous is None:
        return
    a, b = previous.last_serving, current.first_serving
    handover = (a >= 0) & (b >= 0) & (a != b)
    current.epochs["handovers"][0] += int(handover.sum())
    current.cells.handovers[rows] += handover
    if current.records.get("handover"):
        current.records["handover"][0] |= handover
