"""Crimea in the reported-2024-10 preset: an explicit area (UA-43, Sevastopol UA-40 inside)
on top of Ukraine, not authorized under US sanctions (EO 13685) — not an accident of Natural
Earth, which puts the peninsula in Ukraine."""

from __future__ import annotations

import importlib.util
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from skygate.cli import main
from skygate.earth import cells as C
from skygate.policy import PolicyState, compile_policy, decide
from skygate.policy.presets import PRESETS_DIR, preset_path
from skygate.timeutil import parse_time

REPO = Path(__file__).resolve().parents[1]
AT = "2024-10-26T00:00:00Z"
CRIMEA = {"Simferopol": (44.95, 34.10), "Sevastopol": (44.62, 33.52), "Kerch": (45.36, 36.47)}
MAINLAND = {"Kherson": (46.64, 32.61), "Henichesk": (46.17, 34.82), "Kyiv": (50.45, 30.52)}


@pytest.fixture(scope="module")
def state():
    return PolicyState.from_file(preset_path("reported-2024-10"))


@pytest.mark.parametrize("name", sorted(CRIMEA))
def test_crimean_cities_are_not_authorized_with_the_legal_basis(state, name):
    d = decide(CRIMEA[name], AT, policy=state)
    assert d.region == "UA"  # the boundary data's answer is kept ...
    assert d.area == "UA-43"  # ... and the explicit area on top of it decides
    assert (d.status, d.serviceable) == ("not_authorized", False)
    assert "area 'Crimea' [UA-43]" in d.reasons[0] and "Executive Order 13685" in d.reasons[0]


@pytest.mark.parametrize("name", sorted(MAINLAND))
def test_mainland_ukraine_stays_available(state, name):
    d = decide(MAINLAND[name], AT, policy=state)
    assert (d.region, d.area, d.status, d.serviceable) == ("UA", None, "available", True)


def test_the_area_is_the_peninsula_and_its_sea(state):
    crimea = next(a for a in state.authorizations if a.scope.code == "UA-43")
    assert crimea.scope.kind == "area" and crimea.scope.name == "Crimea"
    # ~27,000 km² of land plus its 12-nmi sea, in res-5 cells of ~253 km²
    assert 140 <= crimea.scope.n_cells <= 220
    lat, lon = C.cell_centers(crimea.scope.cells)
    assert lat.min() > 44.0 and lat.max() < 46.2 and lon.min() > 31.9 and lon.max() < 36.9
    points = np.array(list(CRIMEA.values()) + list(MAINLAND.values()))
    cells = C.latlng_to_cells(points[:, 0], points[:, 1], 5)
    t0 = parse_time(AT)
    compiled = compile_policy(state, t0, t0 + timedelta(seconds=15), cells=cells)
    by_point = compiled.status[compiled.index_of(cells)]
    assert by_point.tolist() == [3, 3, 3, 0, 0, 0]  # the compiled twin agrees


def test_the_shipped_polygon_is_what_the_script_derives():
    spec = importlib.util.spec_from_file_location("derive_crimea", REPO / "scripts" / "derive_crimea.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = json.loads((PRESETS_DIR / "crimea.geojson").read_text())
    assert module.derive() == json.loads(json.dumps(shipped))


def test_a_fresh_home_records_crimea_in_the_ledger(skygate_home, capsys):
    assert main(["policy", "check", "--lat", "44.95", "--lon", "34.10", "--at", AT,
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["area"], out["status"], out["serviceable"]) == ("UA-43", "not_authorized", False)
    rule_id = out["entries"][0]
    assert main(["ledger", "proof", str(rule_id)]) == 0
    proof = json.loads(capsys.readouterr().out)
    body = proof["body"]
    assert body["op"] == "authorize" and body["after"]["scope"]["code"] == "UA-43"
    assert body["after"]["scope"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert "13685" in body["after"]["legal_basis"]
    assert main(["ledger", "verify"]) == 0
