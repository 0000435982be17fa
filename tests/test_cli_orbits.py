"""The orbit CLI contract: constellation info, visible, track, demo; errors without tracebacks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from skygate.cli import main
from skygate.cli.orbits import demo_report, print_demo_report, split_antimeridian

BAD = Path(__file__).parent / "data" / "bad_elements"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_constellation_info_json(capsys):
    code, out, err = run(capsys, "constellation", "info", "--format", "json")
    assert code == 0
    info = json.loads(out)
    assert info["satellites"] == 9594
    assert sum(s["count"] for s in info["shells"]) + info["in_transit"] == 9594
    assert {"epoch_min", "epoch_max", "epoch_spread_days", "stale"} <= set(info)
    assert "element sets are more than 3 days" in err  # stale warning with counts, on stderr


def test_constellation_info_table_for_a_filed_design(capsys):
    code, out, _ = run(capsys, "constellation", "info", "--source", "starlink-gen1")
    assert code == 0
    assert "gen1-550-53.0" in out and "72 × 22" in out


def test_visible_json_contract(capsys):
    code, out, _ = run(capsys, "visible", "--lat", "25.0330", "--lon", "121.5654",
                       "--at", "2026-02-24T12:00:00Z", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) > 10
    for row in rows:
        assert {"norad_id", "name", "elevation_deg", "azimuth_deg", "range_km"} <= set(row)
        assert row["elevation_deg"] >= 25.0 and 0 <= row["azimuth_deg"] < 360
    elevations = [r["elevation_deg"] for r in rows]
    assert elevations == sorted(elevations, reverse=True)


def test_visible_with_mask_altitude_and_a_file_source(capsys, tmp_path):
    code, out, _ = run(capsys, "visible", "--lat", "50.45", "--lon", "30.52", "--alt-m", "180",
                       "--at", "2026-02-24T03:00:00+02:00", "--min-elevation", "60",
                       "--source", str(BAD / "mixed_line_endings.tle"), "--format", "json")
    assert code == 0
    assert all(r["elevation_deg"] >= 60 for r in json.loads(out))


def test_track_geojson_splits_at_the_antimeridian(capsys):
    code, out, _ = run(capsys, "track", "44714", "--start", "2026-02-24T00:00:00Z",
                       "--duration", "3h", "--step", "30s", "--format", "geojson")
    assert code == 0
    feature = json.loads(out)
    geometry = feature["geometry"]
    assert feature["type"] == "Feature" and geometry["type"] == "MultiLineString"
    for line in geometry["coordinates"]:
        lons = np.array([p[0] for p in line])
        assert np.abs(np.diff(lons)).max() < 180  # no segment wraps around the map
        assert (np.abs(lons) <= 180).all()
    edges = [line[-1][0] for line in geometry["coordinates"][:-1]]
    assert set(np.abs(edges)) == {180.0}
    assert feature["properties"]["points"] == 361


def test_track_csv(capsys):
    code, out, _ = run(capsys, "track", "44714", "--start", "2026-02-24T00:00:00Z",
                       "--duration", "90m", "--step", "30s", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 181 and rows[0]["time"] == "2026-02-24T00:00:00Z"
    alt = np.array([float(r["alt_km"]) for r in rows])
    assert 400 < alt.min() and alt.max() < 600
    assert {r["error"] for r in rows} == {"0"}


def test_split_antimeridian_interpolates_the_crossing():
    lines = split_antimeridian(np.array([170.0, 179.0, -179.0, -170.0]),
                               np.array([0.0, 1.0, 3.0, 4.0]))
    assert lines == [[[170.0, 0.0], [179.0, 1.0], [180.0, 2.0]],
                     [[-180.0, 2.0], [-179.0, 3.0], [-170.0, 4.0]]]


def test_demo_report_for_taipei_and_kyiv(capsys):
    """The reusable part of ``skygate demo``: satellites in view above 25° and the best one."""
    report = demo_report()
    assert report["at"] == "2026-02-24T03:43:13Z"  # the snapshot's median epoch
    assert [p["place"] for p in report["places"]] == ["Taipei", "Kyiv"]
    for place in report["places"]:
        assert place["in_view"] > 0 and place["best"]["elevation_deg"] >= 25
    assert report["constellation"]["satellites"] == 9594
    json.dumps(report)  # JSON-ready
    print_demo_report(report)
    out = capsys.readouterr().out
    assert "Taipei" in out and "Kyiv" in out and "satellites in view" in out


@pytest.mark.parametrize("argv, expected", [
    (["visible", "--lat", "95", "--lon", "0"], "latitude 95° is outside"),
    (["visible", "--lat", "10", "--lon", "0", "--at", "2026-02-24T12:00"], "has no time zone"),
    (["visible", "--lat", "10", "--lon", "0", "--at", "yesterday"], "cannot read 'yesterday'"),
    (["visible", "--lat", "10", "--lon", "0", "--source", str(BAD / "bad_checksum.tle")],
     "bad_checksum.tle:3: TLE line 2 of STARLINK-1008, column 69 (checksum)"),
    (["constellation", "info", "--source", str(BAD / "omm_missing_field.json")],
     "record 1: OMM field MEAN_MOTION is missing"),
    (["constellation", "info", "--source", "nowhere.tle"], "unknown source 'nowhere.tle'"),
    (["track", "1"], "satellite 1 is not in"),
    (["track", "44714", "--duration", "ninety"], "cannot read 'ninety' as a duration"),
])
def test_user_errors_are_one_message_and_exit_2(capsys, argv, expected):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("skygate: error: ")
    assert expected in err
    assert "Traceback" not in err and out == ""


def _corpus():
    from test_orbits_elements import CORPUS

    return CORPUS


@pytest.mark.parametrize("name", sorted(_corpus()))
def test_every_broken_file_is_one_specific_message_through_the_cli(capsys, name):
    """The malformed-input corpus through `constellation info` and `visible --source`: exit 2,
    no traceback, and the first line names the file (and line) and the field."""
    for argv in (["constellation", "info", "--source", str(BAD / name)],
                 ["visible", "--lat", "25", "--lon", "121", "--source", str(BAD / name)]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "" and "Traceback" not in err
        first = err.splitlines()[0]
        assert first.startswith(f"skygate: error: {BAD / name}")
        for expected in _corpus()[name]:
            assert expected in err, f"{expected!r} not in:\n{err}"
        specific = [e for e in _corpus()[name] if e not in ("^", "NNNNN")]
        assert any(e in first for e in specific), first  # the field is on the first line


@pytest.mark.parametrize("argv, expected", [
    (["visible", "--lat", "10"], "Missing option '--lon'"),
    (["visible", "--lat", "10", "--lon", "0", "--min-elevation", "100"], "--min-elevation"),
    (["track"], "Missing argument"),
    (["track", "44714", "--bogus"], "No such option: --bogus"),
    (["orbitz"], "No such command 'orbitz'"),
    (["policy", "check", "--lat", "north", "--lon", "0"], "Invalid value for '--lat'"),
])
def test_usage_errors_never_show_a_traceback(capsys, argv, expected):
    code, out, err = run(capsys, *argv)
    assert code == 2 and "Traceback" not in err
    assert expected in err, err
