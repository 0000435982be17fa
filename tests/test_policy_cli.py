"""``skygate policy``: the JSON contract of ``check``, changes through the CLI, and the
messages for bad input (unknown region, time without zone, bad geometry, self-approval)."""

from __future__ import annotations

import json

import pytest

from policy_fixtures import seeded_home, seeded_store, seeded_template  # noqa: F401
from skygate.cli import main


def run_json(capsys, *args):
    capsys.readouterr()
    assert main(list(args)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_check_json_contract(seeded_home, capsys):
    out = run_json(capsys, "policy", "check", "--lat", "25.03", "--lon", "121.56",
                   "--at", "2024-10-26T00:00:00Z", "--format", "json")
    assert {"region", "cell", "status", "serviceable", "reasons"} <= set(out)
    assert (out["region"], out["status"], out["serviceable"]) == ("TW", "coming_soon", False)
    assert isinstance(out["reasons"], list) and all(isinstance(r, str) for r in out["reasons"])
    assert len(out["cell"]) == 15 and out["entries"]
    sea = run_json(capsys, "policy", "check", "--lat", "30", "--lon", "-40", "--terminal",
                   "roam", "--format", "json")
    assert sea["region"] == "XZ" and not sea["serviceable"]


def test_changes_through_the_cli(seeded_home, tmp_path, capsys):
    assert main(["policy", "authorize", "TW", "available", "--label", "Starting in 2027",
                 "--reason", "licence granted", "--actor", "ncc"]) == 0
    out = run_json(capsys, "policy", "check", "--lat", "25.03", "--lon", "121.56", "--format",
                   "json")
    assert out["status"] == "available" and out["serviceable"]
    area = tmp_path / "taipei.geojson"
    area.write_text(json.dumps({"type": "Polygon", "coordinates": [[
        [121.4, 24.9], [121.7, 24.9], [121.7, 25.2], [121.4, 25.2], [121.4, 24.9]]]}))
    assert main(["policy", "restrict", "--geojson", str(area), "--name", "Taipei",
                 "--effect", "terminal_disable", "--from", "2026-01-01T00:00:00Z",
                 "--requested-by", "ministry", "--approved-by", "operator-legal",
                 "--reason", "test", "--actor", "ops"]) == 0
    restricted_id = int(capsys.readouterr().out.split("#")[1].split()[0])
    out = run_json(capsys, "policy", "check", "--lat", "25.03", "--lon", "121.56", "--format",
                   "json")
    assert not out["serviceable"] and restricted_id in out["entries"]
    listing = run_json(capsys, "policy", "list", "--format", "json")
    assert any(r["id"] == restricted_id and r["in_force"] for r in listing["rules"])
    assert main(["policy", "amend", str(restricted_id), "--private", "--until",
                 "2099-01-01T00:00:00Z", "--reason", "classified", "--actor", "ops"]) == 0
    listing = run_json(capsys, "policy", "list", "--format", "json")
    amended = [r for r in listing["rules"] if r["id"] == restricted_id][0]
    assert amended["public"] is False and amended["valid_until"] == "2099-01-01T00:00:00Z"
    assert main(["policy", "revoke", str(restricted_id), "--reason", "lifted",
                 "--actor", "ops"]) == 0
    out = run_json(capsys, "policy", "check", "--lat", "25.03", "--lon", "121.56", "--format",
                   "json")
    assert out["serviceable"]
    past = run_json(capsys, "policy", "list", "--at", "2024-10-26T00:00:00Z", "--format", "json")
    tw = [r for r in past["rules"] if r["scope"].get("region") == "TW"]
    assert [r["status"] for r in tw] == ["coming_soon"]
    assert main(["ledger", "verify"]) == 0


def test_map_writes_geojson_cells(seeded_home, tmp_path, capsys):
    out = tmp_path / "tw.geojson"
    assert main(["policy", "map", "--out", str(out), "--region", "TW",
                 "--at", "2024-10-26T00:00:00Z"]) == 0
    fc = json.loads(out.read_text())
    from skygate.earth.regions import get_region_index

    assert len(fc["features"]) == get_region_index().region_cells("TW").size
    assert {f["properties"]["status"] for f in fc["features"]} == {"coming_soon"}
    assert main(["policy", "map", "--out", str(out), "--bbox", "36.3,45.1,36.9,45.5"]) == 0
    props = [f["properties"] for f in json.loads(out.read_text())["features"]]
    assert any(not p["terminal_allowed"] for p in props)  # the Kerch Strait cells


@pytest.mark.parametrize("args, message", [
    (["policy", "authorize", "TWN", "available", "--reason", "r", "--actor", "a"],
     "did you mean TW"),
    (["policy", "check", "--lat", "25", "--lon", "121", "--at", "2024-10-26T00:00:00"],
     "no time zone"),
    (["policy", "restrict", "UA", "--effect", "terminal_disable", "--requested-by", "Bob",
      "--approved-by", "bob", "--reason", "r", "--actor", "a"], "same actor"),
    (["policy", "restrict", "UA", "--effect", "jam", "--requested-by", "a",
      "--approved-by", "b", "--reason", "r", "--actor", "a"], "unknown effect"),
    (["policy", "revoke", "99999", "--reason", "r", "--actor", "a"], "no rule #99999"),
    (["policy", "map", "--out", "x.geojson", "--bbox", "1,2,3"], "W,S,E,N"),
])
def test_bad_input_is_one_clear_message(seeded_home, capsys, args, message):
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("skygate: error:") and message in err, err


def test_invalid_geometry_is_refused(seeded_home, tmp_path, capsys):
    bad = tmp_path / "line.geojson"
    bad.write_text(json.dumps({"type": "Polygon", "coordinates": [[[30, 50], [31, 50], [30, 50]]]}))
    capsys.readouterr()
    assert main(["policy", "restrict", "--geojson", str(bad), "--effect", "beam_off",
                 "--requested-by", "a", "--approved-by", "b", "--reason", "r",
                 "--actor", "a"]) == 2
    assert "skygate: error:" in capsys.readouterr().err
