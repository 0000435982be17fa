"""The what-if answers the flagship question with figures: the sky over the region per epoch,
the capacity there, whether switching it on binds — and, when it does, what the neighbours
lose."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from skygate.sim import load_scenario, whatif

REPO = Path(__file__).resolve().parents[1]


def _taiwan(**sections):
    sc = load_scenario(REPO / "scenarios" / "taiwan-2024.toml")
    return sc.with_overrides(policy={"source": "preset:reported-2024-10"}, **sections)


def test_default_capacity_does_not_bind_and_says_why(tmp_path):
    r = whatif(_taiwan(), tmp_path, set_status={"TW": "available"},
               duration=timedelta(seconds=30))
    cap = r["capacity"]
    assert r["focus_region"] == "TW" and cap["binds"] is False
    assert r["neighbours_served_gbps_lost"] == 0.0 and r["neighbours_losing"] == []
    # dozens of satellites over Taiwan, each epoch, with Tbps idle against ~200 Gbps asked
    assert 40 <= cap["sats_over_min"] <= cap["sats_over_mean"] <= 100
    assert cap["spare_gbps_base_min"] > 10 * cap["demand_gbps_changed"]
    assert "does not bind" in cap["explanation"] or "No neighbour loses" in cap["explanation"]
    s = r["series"]
    assert len(s["time"]) == len(s["sats_over"]) == 3
    assert all(x > 0 for x in s["served_gbps_changed"])
    page = (tmp_path / "changed" / "report.html").read_text()
    assert "What if TW were available?" in page and "what-if figure" in page
    assert json.loads((tmp_path / "whatif.json").read_text())["capacity"] == cap


def test_scarce_capacity_binds_and_neighbours_lose(tmp_path):
    """1 beam of 0.2 Gbps per satellite (≈12 Gbps over Taiwan) against ~200 Gbps of new
    demand: the satellites that served northern Luzon are shared, and the Philippines lose."""
    sc = _taiwan(capacity={"gen1": {"beams_per_satellite": 1, "gbps_per_beam": 0.2},
                           "gen2": {"beams_per_satellite": 1, "gbps_per_beam": 0.2},
                           "max_beams_per_cell": 8, "cells_per_beam": 64},
                 cells={"bbox_deg": {"lon_min": 119.0, "lat_min": 18.0, "lon_max": 124.5,
                                     "lat_max": 26.0}, "focus_region": "TW"},
                 outputs={"report": False})
    r = whatif(sc, tmp_path, set_status={"TW": "available"}, duration=timedelta(seconds=30))
    cap = r["capacity"]
    assert cap["binds"] is True and "PH" in r["neighbours_losing"]
    ph = next(p for p in r["regions"] if p["region"] == "PH")
    assert ph["served_gbps_changed"] < ph["served_gbps_base"] - 0.1  # a real loss, in Gbps
    assert r["neighbours_served_gbps_lost"] == pytest.approx(-ph["served_gbps_delta"], rel=1e-9)
    assert "binds" in cap["explanation"] and "PH" in cap["explanation"]
    # per epoch, the neighbours' change adds up to the run totals
    assert np.mean(r["series"]["neighbours_served_gbps_delta"]) == pytest.approx(
        sum(p["served_gbps_delta"] for p in r["regions"] if p["region"] != "TW"), abs=1e-9)
    # the satellites over Taiwan have less idle capacity once it is switched on
    assert cap["spare_gbps_changed_min"] < cap["spare_gbps_base_min"]
