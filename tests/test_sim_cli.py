"""The simulation CLI: simulate, compliance (its exit code), whatif, demo; clear errors."""

from __future__ import annotations

import json
from pathlib import Path


from skygate.cli import main

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_simulate_json_and_files(capsys, skygate_home, tmp_path):
    code, out, _ = run(capsys, "simulate", str(SCEN / "taiwan-2024.toml"), "--duration", "30s",
                       "--out", str(tmp_path), "--format", "json")
    assert code == 0
    summary = json.loads(out)
    assert summary["scenario"] == "taiwan-2024" and summary["epochs"] == 3
    # the store's ledger head is the policy version (seeded with reported-2024-10)
    assert len(summary["policy_version"]) == 64 and summary["policy_source"] == "store"
    for name in ("summary.json", "cells.parquet", "epochs.parquet", "cells.geojson", "report.html"):
        assert (tmp_path / name).is_file(), name
    tw = next(r for r in summary["regions"] if r["region"] == "TW")
    assert tw["status"] == "coming_soon" and tw["served_gbps_mean"] == 0.0
    assert tw["sats_in_view_min"] >= 20  # dozens overhead, none serving


def test_compliance_exit_codes(capsys, skygate_home):
    code, out, _ = run(capsys, "compliance", str(SCEN / "ukraine-2024.toml"), "--duration", "15s")
    assert code == 0 and "COMPLIANT" in out
    code, out, err = run(capsys, "compliance", str(SCEN / "ukraine-2024.toml"), "--duration",
                         "15s", "--no-enforce", "--format", "json")
    assert code == 1 and "Traceback" not in err
    report = json.loads(out)
    assert report["violations"] > 0 and report["compliant"] is False


def test_whatif_taiwan_available(capsys, skygate_home, tmp_path):
    code, out, _ = run(capsys, "whatif", str(SCEN / "taiwan-2024.toml"), "--set", "TW=available",
                       "--duration", "30s", "--out", str(tmp_path), "--format", "json")
    assert code == 0
    result = json.loads(out)
    tw = next(r for r in result["regions"] if r["region"] == "TW")
    assert tw["status_base"] == "coming_soon" and tw["status_changed"] == "available"
    assert tw["terminals_base"] == 0 and tw["terminals_changed"] > 1000
    assert tw["served_gbps_changed"] > 0 and tw["sats_serving_changed"] > 0
    assert result["cells_gaining_by_region"].get("TW", 0) > 100
    assert "+whatif:" in result["changed_policy_version"]
    assert (tmp_path / "whatif.json").is_file()


def test_bad_inputs_are_one_line_errors(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\n[cells]\nregions = ["TW"]\n[capacity]\nbeams = 8\n')
    code, _, err = run(capsys, "simulate", str(bad))
    assert code == 2 and "capacity.beams" in err and "Traceback" not in err
    code, _, err = run(capsys, "whatif", str(SCEN / "taiwan-2024.toml"), "--set", "TW")
    assert code == 2 and "REGION=STATUS" in err


def test_demo_runs_the_flagship(capsys, skygate_home, tmp_path):
    code, out, _ = run(capsys, "demo", "--duration", "15s", "--out", str(tmp_path))
    assert code == 0
    assert "Taipei" in out and "taiwan-2024" in out and str(tmp_path / "report.html") in out
    assert "what if TW were available" in out
    page = (tmp_path / "report.html").read_text()
    assert "What if TW were available?" in page
    assert (tmp_path / "whatif-TW-available" / "summary.json").is_file()
