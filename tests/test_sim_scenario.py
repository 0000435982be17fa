"""Scenario files validate, name the file and field of a mistake, and align to the slots."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from skygate.errors import ScenarioError
from skygate.sim.scenario import SLOT_SECONDS, load_scenario, scenario_from_dict, slot_aligned

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_validate(path):
    sc = load_scenario(path)
    assert sc.name == path.stem
    assert sc.constellation.min_elevation_deg == 25.0
    assert sc.time.step_s == 15.0 and sc.time.align_to_slots


def test_the_three_required_scenarios_ship():
    assert {"taiwan-2024.toml", "ukraine-2024.toml", "global.toml"} <= {p.name for p in SHIPPED}


def test_packaged_flagship_is_the_repository_copy():
    packaged = REPO / "src" / "skygate" / "data" / "scenarios" / "taiwan-2024.toml"
    assert packaged.read_bytes() == (REPO / "scenarios" / "taiwan-2024.toml").read_bytes()


def _write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def test_unknown_key_names_file_and_field(tmp_path):
    p = _write(tmp_path, '[scenario]\nname="x"\n[cells]\nregions=["TW"]\n[time]\nstep=15\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    text = str(err.value)
    assert str(p) in text and "time.step" in text and "unknown key" in text and "step_s" in text


def test_bad_values_and_missing_cells(tmp_path):
    with pytest.raises(ScenarioError, match="constellation.min_elevation_deg"):
        scenario_from_dict({"name": "x", "cells": {"regions": ["TW"]},
                            "constellation": {"min_elevation_deg": -5}})
    with pytest.raises(ScenarioError, match="name some cells"):
        scenario_from_dict({"name": "x", "cells": {}})
    with pytest.raises(ScenarioError, match="time.start"):
        scenario_from_dict({"name": "x", "cells": {"regions": ["TW"]},
                            "time": {"start": "2026-02-24 12:00"}})  # no zone
    with pytest.raises(ScenarioError, match="lat_min"):
        scenario_from_dict({"name": "x", "cells": {"bbox_deg": {
            "lon_min": 0, "lat_min": 10, "lon_max": 5, "lat_max": 5}}})


def test_broken_toml_and_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(_write(tmp_path, "[scenario\nname='x'"))
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")


def test_relative_paths_resolve_next_to_the_file(tmp_path):
    p = _write(tmp_path, '[scenario]\nname="x"\n[cells]\nregions=["TW"]\n'
                         '[demand]\nmodel="file"\nterminals_file="t.csv"\n')
    sc = load_scenario(p)
    assert sc.resolve_path(sc.demand.terminals_file) == tmp_path / "t.csv"


@pytest.mark.parametrize("second, micro, expected",
                         [(0, 0, 12), (12, 0, 12), (12, 500, 27), (13, 0, 27), (30, 0, 42), (58, 0, 12)])
def test_slot_alignment(second, micro, expected):
    t = datetime(2026, 2, 24, 3, 43, second, micro, tzinfo=timezone.utc)
    out = slot_aligned(t)
    assert out.second == expected and out.second in SLOT_SECONDS
    assert 0 <= (out - t).total_seconds() < 15


@pytest.mark.parametrize("body, field, hint", [
    ("[time]\nstep = 15\n", "time.step", "did you mean step_s?"),
    ("[constellation]\nmin_elevation = 25\n", "constellation.min_elevation",
     "did you mean min_elevation_deg?"),
    ('[time]\nduration = 3600\n', "time.duration", '"3600s"'),
    ('[time]\nduration = "1 hour"\n', "time.duration", "90m"),
    ('[capacity]\ngen2 = { beams_per_satellite = 8, gbps_per_beam = "12 Gbps" }\n',
     "capacity.gen2.gbps_per_beam", "the unit is in the key name"),
])
def test_mistakes_name_the_field_and_teach(tmp_path, body, field, hint):
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "x"\n[cells]\nregions = ["TW"]\n' + body)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert f"{path}: {field}" in text and hint in text and text.count("hint:") == 1


@pytest.mark.parametrize("cells", ['regions = ["TWN"]', 'regions = ["TW"]\nfocus_region = "TWN"'])
def test_bad_region_codes_suggest_the_closest(tmp_path, cells):
    from skygate.sim import build_context

    path = tmp_path / "s.toml"
    path.write_text(f'[scenario]\nname = "x"\n[cells]\n{cells}\n[policy]\nsource = "preset:reported-2024-10"\n')
    with pytest.raises(ScenarioError) as err:
        build_context(load_scenario(path))
    text = str(err.value)
    assert str(path) in text and "TWN" in text and "TW (Taiwan)" in text
    assert text.count("hint:") == 1
