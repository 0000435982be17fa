"""Demand: terminals sold only where the status allows (waitlist capped), cities stay in their
country, explicit terminals go wherever the file says — and are served only if the policy
allows it (enforcement) or when enforcement is off."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from skygate.earth import cells as C
from skygate.errors import ScenarioError
from skygate.sim import build_context, run_context, scenario_from_dict
from skygate.sim.demand import build_demand, read_terminals_file
from skygate.sim.scenario import DemandSpec

TAIPEI = (25.0330, 121.5654)


def test_status_gates_sales_and_waitlist_is_capped():
    cells = C.cells_in_bbox(121.3, 24.8, 121.8, 25.3)  # greater Taipei
    lat, lon = C.cell_centers(cells)
    land = np.ones(cells.size, bool)
    spec = DemandSpec(take_rate=0.01, waitlist_cap_terminals=5.0, rural_terminals_per_cell=0.0)
    for code, expect in ((0, "all"), (1, "capped"), (2, "none"), (3, "none")):
        d = build_demand(spec, cells, lat, lon, np.full(cells.size, code, np.int8), land, res=5)
        if expect == "none":
            assert d.total_terminals == 0
        elif expect == "capped":
            assert d.terminals.max() <= 5.0 + 1e-9 and d.total_terminals > 0
        else:
            # Taipei (2.5 M in GeoNames) and its neighbours at 1 % take-rate, mostly inside the box
            assert 20_000 < d.total_terminals < 120_000
            assert d.terminals.argmax() == np.argmin(np.hypot(lat - TAIPEI[0], lon - TAIPEI[1])) \
                or d.terminals.max() > 1000
    np.testing.assert_allclose(d.demand_gbps, d.terminals * spec.mbps_per_terminal / 1000)


def test_cities_do_not_spill_into_other_countries_or_the_sea():
    # Xiamen (CN) is 10 km from Kinmen (TW): with both sellable, Kinmen gets none of Xiamen
    cells = C.cells_in_bbox(117.9, 24.2, 118.6, 24.7)
    lat, lon = C.cell_centers(cells)
    from skygate.earth.regions import get_region_index

    region = get_region_index().cells_regions(cells, 5)
    spec = DemandSpec(take_rate=0.01, rural_terminals_per_cell=0.0)
    d = build_demand(spec, cells, lat, lon, np.zeros(cells.size, np.int8),
                     np.ones(cells.size, bool), res=5)
    assert d.terminals[region == "CN"].sum() > 10_000
    assert d.terminals[region == "XZ"].sum() == 0
    # Kinmen's terminals come from Kinmen's own towns only (Xiamen's 3.5 M would give ~35,000)
    from skygate.sim.demand import city_table

    clat, clon, pop, country = city_table(spec.min_city_population)
    near = (np.abs(clat - 24.45) < 1.0) & (np.abs(clon - 118.3) < 1.0) & (country == "TW")
    assert 0 < d.terminals[region == "TW"].sum() <= 0.01 * pop[near].sum() + 1e-6


def test_terminals_file_formats(tmp_path):
    cells = C.cells_in_bbox(50.5, 35.0, 52.0, 36.2)  # Tehran
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("lat,lon,terminals\n35.6892,51.3890,120\n35.70,51.40,30\n10,10,5\n")
    n = read_terminals_file(csv_path, cells, 5)
    assert n.sum() == 150  # the point outside the cells is dropped
    gj = tmp_path / "t.geojson"
    gj.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"terminals": 7},
         "geometry": {"type": "Point", "coordinates": [51.389, 35.6892]}},
        {"type": "Feature", "properties": {},
         "geometry": {"type": "Point", "coordinates": [51.40, 35.70]}}]}))
    assert read_terminals_file(gj, cells, 5).sum() == 8
    hexes = tmp_path / "h.csv"
    hexes.write_text("h3,terminals\n" + C.to_hex(cells[:2])[0] + ",4\n")
    assert read_terminals_file(hexes, cells, 5).sum() == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon,terminals\n35.6,51.3,many\n")
    with pytest.raises(ScenarioError, match=r"bad.csv:2"):
        read_terminals_file(bad, cells, 5)
    with pytest.raises(ScenarioError, match="lat,lon or h3"):
        (tmp_path / "x.csv").write_text("x,y\n1,2\n")
        read_terminals_file(tmp_path / "x.csv", cells, 5)


def test_unlicensed_terminals_come_only_from_a_file_and_enforcement_decides(tmp_path):
    (tmp_path / "iran.csv").write_text("lat,lon,terminals\n35.6892,51.3890,200\n32.65,51.67,50\n")
    base = {"name": "iran", "cells": {"bbox_deg": {"lon_min": 50.0, "lat_min": 32.0,
                                                   "lon_max": 53.0, "lat_max": 36.5}},
            "demand": {"model": "population", "terminals_file": str(tmp_path / "iran.csv")},
            "policy": {"source": "preset:reported-2024-10", "at": "2024-10-25T00:00:00Z"}}
    out = {}
    for enforce in (True, False):
        data = json.loads(json.dumps(base))
        data["policy"]["enforce"] = enforce
        ctx = build_context(scenario_from_dict(data), duration=timedelta(seconds=30))
        assert ctx.demand.total_terminals == 250  # nothing sold: Iran is not authorized
        out[enforce] = run_context(ctx, tmp_path / str(enforce), report=False)
    assert out[True]["totals"]["served_gbps_mean"] == 0
    assert out[True]["compliance"]["disabled_terminal_epochs_served"] == 0
    # 250 terminals × 4 Mbps = 1 Gbps, all of it served when nothing stops it
    assert out[False]["totals"]["served_gbps_mean"] == pytest.approx(1.0, rel=1e-9)
    assert out[False]["compliance"]["disabled_terminal_epochs_served"] == 2 * 3  # 2 cells × 3 epochs
