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

from skygate.sim.run import simulate
from skygate.sim.scenario import Scenario

__all__ = ["whatif", "compare_runs"]


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
        "regions": per_region,
    }


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
    return result
