"""``skygate policy``: the JSON contract of ``check``, changes through the CLI, and the
messages for bad input (unknown region, time without zone, bad geometry, self-approval)."""

from __future__ import annotations

import json

import numpy as np
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


# A rough outline of the Sevastopol area, written clockwise (wrong winding on purpose). The
# preset already defines Crimea (UA-43) on top of Ukraine (tests/test_policy_crimea.py); a
# smaller area defined through the CLI is more specific and wins inside it.
SEVASTOPOL = {"type": "Feature", "properties": {"name": "Sevastopol"}, "geometry": {
    "type": "Polygon", "coordinates": [[[33.35, 44.45], [33.35, 44.75], [33.85, 44.75],
                                        [33.85, 44.45], [33.35, 44.45]]]}}


def test_a_custom_region_on_top_of_a_country_through_the_cli(seeded_home, tmp_path, capsys):
    area = tmp_path / "sevastopol.geojson"
    area.write_text(json.dumps(SEVASTOPOL))
    capsys.readouterr()
    assert main(["policy", "authorize", "--geojson", str(area), "--name", "Sevastopol",
                 "coming_soon", "--from", "2024-10-25T00:00:00Z",
                 "--reason", "a study", "--actor", "ops"]) == 0
    rule_id = int(capsys.readouterr().out.split("#")[1].split()[0])
    sevastopol = run_json(capsys, "policy", "check", "--lat", "44.62", "--lon", "33.52",
                          "--at", "2024-10-26T00:00:00Z", "--format", "json")
    assert sevastopol["region"] == "UA"  # the country is still Natural Earth's answer ...
    assert (sevastopol["status"], sevastopol["serviceable"]) == ("coming_soon", False)
    assert sevastopol["entries"][0] == rule_id  # ... but the most specific area wins
    assert "area 'Sevastopol'" in sevastopol["reasons"][0]
    simferopol = run_json(capsys, "policy", "check", "--lat", "44.9521", "--lon", "34.1024",
                          "--at", "2024-10-26T00:00:00Z", "--format", "json")
    assert (simferopol["area"], simferopol["status"]) == ("UA-43", "not_authorized")
    kyiv = run_json(capsys, "policy", "check", "--lat", "50.45", "--lon", "30.52", "--at",
                    "2024-10-26T00:00:00Z", "--format", "json")
    assert (kyiv["status"], kyiv["serviceable"]) == ("available", True)
    # before its valid_from the area did not apply
    before = run_json(capsys, "policy", "check", "--lat", "44.62", "--lon", "33.52",
                      "--at", "2024-10-24T00:00:00Z", "--format", "json")
    assert rule_id not in before["entries"]
    # a region and an area at once is refused, naming the usage
    assert main(["policy", "authorize", "UA", "--geojson", str(area), "not_authorized",
                 "--reason", "r", "--actor", "a"]) == 2
    assert "expected STATUS only" in capsys.readouterr().err


def test_terminal_options_of_check(seeded_home, capsys):
    sea = ["policy", "check", "--lat", "30", "--lon", "-40", "--at", "2024-10-26T00:00:00Z",
           "--format", "json"]
    plain = run_json(capsys, *sea, "--terminal", "maritime")
    assert plain["region"] == "XZ" and not plain["serviceable"]
    assert any("Ocean Mode" in r for r in plain["reasons"])
    assert run_json(capsys, *sea, "--terminal", "maritime", "--ocean-mode")["serviceable"]
    paris = ["policy", "check", "--lat", "48.86", "--lon", "2.35", "--at",
             "2024-10-26T00:00:00Z", "--terminal", "roam", "--format", "json"]
    assert run_json(capsys, *paris, "--days-abroad", "30", "--speed-kmh", "120")["serviceable"]
    assert not run_json(capsys, *paris, "--days-abroad", "70")["serviceable"]
    assert not run_json(capsys, *paris, "--speed-kmh", "170")["serviceable"]


def test_restrict_geojson_messages_and_cells_files(seeded_home, tmp_path, capsys):
    common = ["--requested-by", "a", "--approved-by", "b", "--reason", "r", "--actor", "x"]
    bowtie = tmp_path / "bow.geojson"
    bowtie.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[30, 50], [31, 51], [31, 50], [30, 51], [30, 50]]]}))
    capsys.readouterr()
    assert main(["policy", "restrict", "--geojson", str(bowtie), "--effect", "beam_off",
                 *common]) == 0
    err = capsys.readouterr().err
    assert err.startswith("skygate: warning: ") and "Self-intersection" in err
    assert "GeometryRepairWarning" not in err and ".py:" not in err  # no Python warning format
    fiji = tmp_path / "fiji.geojson"  # crosses the antimeridian
    fiji.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[179, -17], [-179, -17], [-179, -16], [179, -16], [179, -17]]]}))
    assert main(["policy", "restrict", "--geojson", str(fiji), "--effect", "no_transmit",
                 *common]) == 0
    from skygate.earth import cells as sc

    assert f"({sc.cells_in_bbox(179, -17, -179, -16).size} cells)" in capsys.readouterr().out
    cells = tmp_path / "cells.txt"
    cells.write_text("# Kerch\n851e0c1bfffffff\n\nnot-a-cell\n")
    assert main(["policy", "restrict", "--cells", str(cells), "--effect", "beam_off",
                 *common]) == 2
    assert f"{cells}:4: 'not-a-cell' is not an H3 cell index" in capsys.readouterr().err


def _rings(geometry):
    polys = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
             else geometry["coordinates"])
    return [ring for poly in polys for ring in poly]


def test_map_is_rfc7946_across_the_antimeridian(seeded_home, tmp_path, capsys):
    """RFC 7946: FeatureCollection of Features, [lon, lat] within range, closed rings with
    counter-clockwise exteriors (§3.1.6), geometries cut at ±180° (§3.1.9)."""
    import shapely

    from skygate.earth import cells as sc

    out = tmp_path / "fiji.geojson"
    assert main(["policy", "map", "--out", str(out), "--bbox", "177,-18,-177,-15",
                 "--at", "2024-10-26T00:00:00Z", "--terminal", "maritime"]) == 0
    fc = json.loads(out.read_text())
    assert fc["type"] == "FeatureCollection"
    split = 0
    for feature in fc["features"]:
        assert feature["type"] == "Feature" and set(feature) == {"type", "geometry", "properties"}
        for ring in _rings(feature["geometry"]):
            xy = np.asarray(ring)
            assert len(ring) >= 4 and ring[0] == ring[-1]
            assert (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()
            assert shapely.LinearRing(xy).is_ccw
        if feature["geometry"]["type"] == "MultiPolygon":
            split += 1
            # the two halves together have the area of the unwrapped hexagon
            whole = shapely.Polygon(sc.cell_boundaries(feature["properties"]["h3"])[0]).area
            halves = sum(shapely.Polygon(r).area for r in _rings(feature["geometry"]))
            assert halves == pytest.approx(whole, rel=1e-6)
    assert split > 10
    props = {(f["properties"]["region"], f["properties"]["terminal_allowed"])
             for f in fc["features"]}
    assert ("FJ", True) in props and ("XZ", False) in props  # maritime without Ocean Mode
