"""What-if studies: the same window under the base policy and under a changed one.

"What would it take, and what would change, if service over Taiwan were switched on?" is
``whatif(scenario, set_status={"TW": "available"})``: both runs share the orbits, the cells,
the demand model and the seed; only the policy differs (``PolicyState.with_changes``, which
never touches the ledger). Because terminals are sold only where the status is available or
waitlist, switching a region on also creates its demand — so the comparison shows the
terminals that would be sold there, the Gbps they would get, the satellites that would serve
them, and what the neighbours would lose when those satellites' beams are shared.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from skygate.sim.report import write_report
from skygate.sim.run import simulate
from skygate.sim.scenario import Scenario

__all__ = ["whatif", "compare_runs", "whatif_html"]


def _cells(path: Path) -> dict[str, np.ndarray]:
    t = pq.read_table(path / "cells.parquet",
                      columns=["h3", "region", "served_epochs", "served_gbps_mean", "demand_gbps"])
    return {c: t.column(c).to_numpy(zero_copy_only=False) for c in t.column_names}


def compare_runs(base_dir: Path, changed_dir: Path, changed_regions: list[str]) -> dict:
    """Differences between two finished runs over the same cells and window."""
    base = json.loads((base_dir / "summary.json").read_text())
    new = json.loads((changed_dir / "summary.json").read_text())
    a, b = _cells(base_dir), _cells(changed_dir)
    if not np.array_equal(a["h3"], b["h3"]):
        raise ValueError("the two runs do not cover the same cells")
    gained = (a["served_epochs"] == 0) & (b["served_epochs"] > 0)
    lost = (a["served_epochs"] > 0) & (b["served_epochs"] == 0)
    regions_a = {r["region"]: r for r in base["regions"]}
    per_region = []
    for r in new["regions"]:
        code, old = r["region"], regions_a.get(r["region"], {})
        per_region.append({
            "region": code,
            "status_base": old.get("status"), "status_changed": r["status"],
            "terminals_base": old.get("terminals", 0.0), "terminals_changed": r["terminals"],
            "demand_gbps_base": old.get("demand_gbps_mean", 0.0),
            "demand_gbps_changed": r["demand_gbps_mean"],
            "served_gbps_base": old.get("served_gbps_mean", 0.0),
            "served_gbps_changed": r["served_gbps_mean"],
            "served_gbps_delta": r["served_gbps_mean"] - old.get("served_gbps_mean", 0.0),
            "sats_in_view_mean": r["sats_in_view_mean"], "sats_in_view_min": r["sats_in_view_min"],
            "sats_serving_base": old.get("sats_serving_mean", 0.0),
            "sats_serving_changed": r["sats_serving_mean"],
        })
    neighbours = [p for p in per_region if p["region"] not in changed_regions]
    losers = [p for p in neighbours if p["served_gbps_delta"] < -1e-9]
    focus = _focus_of(new, changed_regions)
    series = _series(base_dir, changed_dir, focus, changed_regions) if focus else None
    capacity = _capacity(base, new, focus, per_region, losers, series)
    return {
        "base_policy_version": base["policy_version"],
        "changed_policy_version": new["policy_version"],
        "window": {"start": new["start"], "end": new["end"], "epochs": new["epochs"]},
        "changed_regions": changed_regions,
        "cells_gaining_service": int(gained.sum()),
        "cells_losing_service": int(lost.sum()),
        "cells_gaining_by_region": _count_by(b["region"][gained]),
        "cells_losing_by_region": _count_by(b["region"][lost]),
        "served_gbps_base": base["totals"]["served_gbps_mean"],
        "served_gbps_changed": new["totals"]["served_gbps_mean"],
        "neighbours_served_gbps_lost": float(-sum(p["served_gbps_delta"] for p in losers)),
        "neighbours_losing": [p["region"] for p in losers],
        "compliance_changed": new["compliance"],
        "focus_region": focus,
        "capacity": capacity,
        "regions": per_region,
        "series": series,
    }


def _focus_of(summary: dict, changed_regions: list[str]) -> str | None:
    """The region whose sky is followed: the first changed region in the run, else the
    scenario's focus region."""
    present = {r["region"] for r in summary["regions"]}
    for code in changed_regions:
        if code in present:
            return code
    return summary.get("focus_region") if summary.get("focus_region") in present else None


def _region_series(path: Path, code: str, column: str) -> np.ndarray:
    t = pq.read_table(path / "regions.parquet", columns=["epoch", "region", column])
    region = t.column("region").to_numpy(zero_copy_only=False)
    m = region == code
    order = np.argsort(t.column("epoch").to_numpy()[m], kind="stable")
    return t.column(column).to_numpy()[m][order]


def _series(base_dir: Path, changed_dir: Path, focus: str, changed_regions: list[str]) -> dict:
    """Per epoch: the sky over ``focus`` and what the change does to it and its neighbours."""
    cols = ["time", "served_gbps", "focus_sats_over", "focus_capacity_gbps", "focus_spare_gbps"]
    a = pq.read_table(base_dir / "epochs.parquet", columns=cols)
    b = pq.read_table(changed_dir / "epochs.parquet", columns=cols)
    served = lambda d, code: _region_series(d, code, "served_gbps")  # noqa: E731
    focus_delta = served(changed_dir, focus) - served(base_dir, focus)
    changed_delta = sum(served(changed_dir, c) - served(base_dir, c) for c in changed_regions
                        if c != focus) if len(changed_regions) > 1 else 0.0
    total_delta = b.column("served_gbps").to_numpy() - a.column("served_gbps").to_numpy()
    demand = json.loads((changed_dir / "summary.json").read_text())
    focus_demand = next(r["demand_gbps_mean"] for r in demand["regions"] if r["region"] == focus)
    n = a.num_rows
    return {
        "time": [str(t) for t in a.column("time").to_numpy().astype("datetime64[s]")],
        "sats_over": a.column("focus_sats_over").to_numpy().tolist(),
        "capacity_gbps": a.column("focus_capacity_gbps").to_numpy().tolist(),
        "spare_gbps_base": a.column("focus_spare_gbps").to_numpy().tolist(),
        "spare_gbps_changed": b.column("focus_spare_gbps").to_numpy().tolist(),
        "demand_gbps_changed": [focus_demand] * n,
        "served_gbps_changed": served(changed_dir, focus).tolist(),
        "sats_serving_changed": _region_series(changed_dir, focus, "sats_serving").tolist(),
        "neighbours_served_gbps_delta": (total_delta - focus_delta - changed_delta).tolist(),
    }


def _capacity(base: dict, new: dict, focus: str | None, per_region: list[dict],
              losers: list[dict], series: dict | None) -> dict | None:
    """What capacity the switch-on finds over the region, whether it binds, and why."""
    if focus is None or series is None or base.get("focus") is None:
        return None
    r = next(p for p in per_region if p["region"] == focus)
    spare = np.asarray(series["spare_gbps_base"])
    lost = float(-sum(p["served_gbps_delta"] for p in losers))
    unserved = max(r["demand_gbps_changed"] - r["served_gbps_changed"], 0.0)
    binds = lost > 1e-6
    out = {
        "region": focus,
        "sats_over_mean": float(np.mean(series["sats_over"])),
        "sats_over_min": int(np.min(series["sats_over"])),
        "capacity_gbps_mean": float(np.mean(series["capacity_gbps"])),
        "spare_gbps_base_mean": float(spare.mean()),
        "spare_gbps_base_min": float(spare.min()),
        "spare_gbps_changed_min": float(np.min(series["spare_gbps_changed"])),
        "demand_gbps_changed": r["demand_gbps_changed"],
        "served_gbps_changed": r["served_gbps_changed"],
        "unserved_gbps_changed": unserved,
        "binds": binds,
    }
    cap = new.get("capacity", {})
    if binds:
        why = (f"Capacity binds: the satellites over {focus} are shared, so switching it on "
               f"takes {lost:.3f} Gbps from {', '.join(p['region'] for p in losers)} "
               f"while {focus} gets {r['served_gbps_changed']:.1f} of "
               f"{r['demand_gbps_changed']:.1f} Gbps.")
    else:
        sky = (f"{out['sats_over_mean']:.0f} satellites are over {focus} at an epoch (never "
               f"fewer than {out['sats_over_min']}), carrying {out['capacity_gbps_mean']:,.1f} "
               f"Gbps of which {out['spare_gbps_base_min']:,.1f} Gbps or more sit idle under "
               "the base policy")
        if unserved <= 1e-6:
            why = (f"Capacity does not bind: {sky}; {focus}'s {r['demand_gbps_changed']:.1f} "
                   "Gbps fits, so no neighbour loses service.")
        else:
            why = (f"No neighbour loses service: {sky}. {focus} is left "
                   f"{unserved:.2f} Gbps short by the per-cell limit (at most "
                   "max_beams_per_cell satellites, one beam's Gbps from each) in its busiest "
                   f"cells, while {out['spare_gbps_changed_min']:,.1f} Gbps or more stays idle "
                   "over it.")
        why += (" Sharing shows when demand approaches the idle capacity: raise "
                "demand.take_rate or lower capacity.*.gbps_per_beam / beams_per_satellite.")
    out["explanation"] = why
    out["cells_per_beam"] = cap.get("cells_per_beam")
    return out


def _count_by(codes: np.ndarray) -> dict[str, int]:
    u, n = np.unique(codes.astype(str), return_counts=True)
    return {str(k): int(v) for k, v in zip(u, n)}


def whatif(scenario: Scenario, out_dir: str | Path, *, set_status: dict[str, str] | None = None,
           drop_restrictions: list[int] | None = None, start: datetime | None = None,
           duration: timedelta | None = None, progress=None) -> dict:
    """Run base and changed policy into ``out_dir/base`` and ``out_dir/changed``; write and
    return ``whatif.json``."""
    out = Path(out_dir)
    set_status = {k.upper(): v for k, v in (set_status or {}).items()}
    changed = scenario.with_overrides(policy={
        "set_status": {**scenario.policy.set_status, **set_status},
        "drop_restrictions": [*scenario.policy.drop_restrictions,
                              *[int(i) for i in (drop_restrictions or [])]],
    })
    simulate(scenario, out / "base", start=start, duration=duration, progress=progress)
    simulate(changed, out / "changed", start=start, duration=duration, progress=progress)
    result = compare_runs(out / "base", out / "changed", sorted(set_status))
    result["changes"] = {"set_status": set_status,
                         "drop_restrictions": [int(i) for i in (drop_restrictions or [])]}
    (out / "whatif.json").write_text(json.dumps(result, indent=2) + "\n")
    changed_summary = json.loads((out / "changed" / "summary.json").read_text())
    if changed.outputs.report:
        write_report(out / "changed", changed_summary, extra_html=whatif_html(result))
    return result


def whatif_html(result: dict) -> str:
    """The what-if's answer for a report: figures in words, then the per-epoch figure."""
    import html

    from skygate.sim.report import whatif_figure_html

    focus = result.get("focus_region")
    r = next((p for p in result["regions"] if p["region"] == focus), None)
    if r is None:
        return ""
    cap = result.get("capacity") or {}
    return (f"<h2>What if {html.escape(focus)} were {html.escape(str(r['status_changed']))}?</h2>"
            f"<p>Same orbits, cells, demand model and seed; policy "
            f"<code>{html.escape(result['changed_policy_version'])}</code>. "
            f"{r['terminals_changed']:,.0f} terminals would be sold, asking "
            f"{r['demand_gbps_changed']:.1f} Gbps; {r['served_gbps_changed']:.1f} Gbps served "
            f"by {r['sats_serving_changed']:.1f} satellites on average (of "
            f"{r['sats_in_view_mean']:.1f} in view per cell, never fewer than "
            f"{r['sats_in_view_min']}); {result['cells_gaining_service']:,} cells gain service, "
            f"{result['cells_losing_service']:,} lose it; neighbours lose "
            f"{result['neighbours_served_gbps_lost']:.3f} Gbps.</p>"
            f"<p>{html.escape(cap.get('explanation', ''))}</p>{whatif_figure_html(result)}")
