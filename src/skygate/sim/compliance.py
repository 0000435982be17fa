"""Compliance: did any assignment break the policy in force? Checked from the outputs.

The checks do not trust the scheduler: after each epoch they take what was actually assigned
and test it against the compiled policy again —

- ``restricted_beam_epochs``: (cell, epoch) pairs where a beam served a cell under
  ``beam_off``;
- ``disabled_terminal_epochs_served``: (cell, epoch) pairs where terminals located in a cell
  under ``terminal_disable`` (or where terminals may not be served at all) were served;
- ``no_transmit_violations``: (satellite, epoch) pairs where a satellite lit a beam while its
  sub-satellite point lay in a ``no_transmit`` cell — computed here from the satellite's
  position with H3 for *every* serving satellite, independently of the pre-filter the
  scheduler uses (:func:`muted_satellites`).

With enforcement on all three must be 0; with enforcement off they count what enforcement
removes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["muted_satellites", "subsatellite_cells", "check_epoch", "COMPLIANCE_KEYS",
           "compliance_statement", "no_transmit_bbox"]

COMPLIANCE_KEYS = ("restricted_beam_epochs", "no_transmit_violations",
                   "disabled_terminal_epochs_served")


def subsatellite_cells(pos_km: np.ndarray, res: int) -> np.ndarray:
    """The H3 cell under each satellite (geodetic sub-satellite point); 0 for NaN rows."""
    from skygate.earth.cells import latlng_to_cells
    from skygate.earth.geodesy import ecef_to_geodetic

    out = np.zeros(len(pos_km), np.uint64)
    ok = np.isfinite(pos_km).all(axis=1)
    if ok.any():
        lat, lon, _ = ecef_to_geodetic(pos_km[ok])
        out[ok] = latlng_to_cells(lat, lon, res)
    return out


def _in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    if sorted_set.size == 0 or values.size == 0:
        return np.zeros(values.size, bool)
    pos = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    return sorted_set[pos] == values


def muted_satellites(pos_km: np.ndarray, no_transmit_cells: np.ndarray, res: int,
                     bbox: tuple[float, float, float, float] | None) -> np.ndarray:
    """True for satellites whose sub-satellite point lies in a ``no_transmit`` cell.

    Only satellites inside ``bbox`` (lat_min, lat_max, lon_min, lon_max of the no-transmit
    cells, padded) are looked up with H3, so the common case (no such area, or a small one)
    costs almost nothing.
    """
    muted = np.zeros(len(pos_km), bool)
    if no_transmit_cells.size == 0 or bbox is None:
        return muted
    from skygate.earth.geodesy import ecef_to_geodetic

    ok = np.flatnonzero(np.isfinite(pos_km).all(axis=1))
    lat, lon, _ = ecef_to_geodetic(pos_km[ok])
    lat_min, lat_max, lon_min, lon_max = bbox
    near = (lat >= lat_min) & (lat <= lat_max) & (lon >= lon_min) & (lon <= lon_max)
    if near.any():
        from skygate.earth.cells import latlng_to_cells

        cells = latlng_to_cells(lat[near], lon[near], res)
        muted[ok[near]] = _in_sorted(cells, no_transmit_cells)
    return muted


def no_transmit_bbox(no_transmit_cells: np.ndarray, pad_deg: float = 0.5):
    """Padded lat/lon box of the no-transmit cells (whole longitude range if they straddle
    the antimeridian); None when there are none."""
    if no_transmit_cells.size == 0:
        return None
    from skygate.earth.cells import cell_centers

    lat, lon = cell_centers(no_transmit_cells)
    lon_min, lon_max = lon.min() - pad_deg, lon.max() + pad_deg
    if lon_max - lon_min > 180:
        lon_min, lon_max = -180.0, 180.0
    return (lat.min() - pad_deg, lat.max() + pad_deg, lon_min, lon_max)


def check_epoch(ctx, segment, assignment, pos_km: np.ndarray) -> tuple[int, int, int]:
    """The three violation counts of one epoch (see the module docstring), against the
    policy ``segment`` in force at that epoch (:class:`skygate.sim.context.PolicySegment`)."""
    served_cells = ctx.rows[assignment.n_sats > 0]
    restricted = int((~segment.beam_allowed[served_cells]).sum())
    disabled = int((~segment.terminal_allowed[served_cells]).sum())
    violations = 0
    if segment.no_transmit_cells.size:
        lit = np.flatnonzero(assignment.sat_cells > 0)
        under = subsatellite_cells(pos_km[lit], ctx.scenario.cells.resolution)
        violations = int(_in_sorted(under, segment.no_transmit_cells).sum())
    return restricted, disabled, violations


def compliance_statement(summary: dict) -> str:
    """A few plain sentences for the report and ``skygate compliance``."""
    comp = summary["compliance"]
    total = sum(int(comp[k]) for k in COMPLIANCE_KEYS)
    enforced = summary.get("enforcement", True)
    head = (f"Scenario {summary['scenario']}, {summary['start']} to {summary['end']} "
            f"({summary['epochs']} epochs of {summary.get('step_s', 15):g} s), policy version "
            f"{summary['policy_version']} as of {summary.get('policy_at', '?')}, enforcement "
            f"{'on' if enforced else 'OFF'}.")
    lines = [head,
             f"- beams into restricted (beam_off) cells: {comp['restricted_beam_epochs']} cell-epochs",
             f"- terminals under terminal_disable served: {comp['disabled_terminal_epochs_served']} cell-epochs",
             f"- satellites transmitting over no_transmit areas: {comp['no_transmit_violations']} satellite-epochs"]
    if total == 0:
        lines.append("COMPLIANT: no assignment broke the policy in force.")
    elif enforced:
        lines.append(f"NOT COMPLIANT: {total} violations with enforcement on.")
    else:
        lines.append(f"Enforcement was off: these {total} assignments are what enforcement removes.")
    return "\n".join(lines)
