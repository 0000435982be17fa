"""Simulation results over the API: a real ``skygate simulate`` run (30 s of the Taiwan
scenario) written where the server looks, listed, summarized and served as the map layer."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from test_api_support import LiveServer

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "taiwan-2024.toml"


def simulate(home: Path, out: Path) -> None:
    """``skygate simulate`` as a user runs it, in its own process, over ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYGATE_")}
    env["SKYGATE_HOME"] = str(home)
    exe = Path(sys.executable).with_name("skygate")
    done = subprocess.run([str(exe), "simulate", str(SCENARIO), "--duration", "30s", "--out",
                           str(out), "--format", "json"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("sim_api_home")
    runs = home / "runs"
    simulate(home, runs / "taiwan")
    shutil.copytree(runs / "taiwan", runs / "taiwan" / "again")  # a nested run (as whatif's)
    (runs / "writing").mkdir()  # a run still being written: no summary.json yet
    (runs / "writing" / "cells.geojson").write_text("{")
    (runs / "broken").mkdir()
    (runs / "broken" / "summary.json").write_text("{not json")
    live = LiveServer(home, sim_dir=runs).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def public(server):
    with server.client() as client:
        yield client


def _written(server, name: str) -> dict:
    return json.loads((server.sim_dir / name / "summary.json").read_text())


def test_runs_are_listed_with_their_key_figures(server, public):
    body = public.get("/simulations").json()
    assert {r["id"] for r in body["runs"]} == {"taiwan", "taiwan/again"}
    run = next(r for r in body["runs"] if r["id"] == "taiwan")
    written = _written(server, "taiwan")
    assert run["scenario"] == "taiwan-2024" and run["epochs"] == 3 == written["epochs"]
    for key in ("start", "end", "policy_version", "policy_at", "totals", "compliance"):
        assert run[key] == written[key], key
    assert run["has_cells"] is True


def test_summary_is_the_runs_summary_without_server_paths(server, public):
    r = public.get("/simulations/summary", params={"run": "taiwan"})
    assert r.status_code == 200
    written = _written(server, "taiwan")
    assert r.json() == {k: v for k, v in written.items() if k != "scenario_file"}
    tw = next(x for x in r.json()["regions"] if x["region"] == "TW")
    assert tw["status"] == "coming_soon"


def test_cells_layer_is_the_runs_geojson_gzip_or_not(server, public):
    plain = httpx.get(f"{server.url}/api/v1/simulations/cells", params={"run": "taiwan"},
                      headers={"Accept-Encoding": "identity"}, timeout=30)
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    zipped = httpx.get(f"{server.url}/api/v1/simulations/cells", params={"run": "taiwan"},
                       headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.num_bytes_downloaded < len(plain.content) / 3  # httpx decodes it back
    assert zipped.json() == plain.json()
    on_disk = json.loads((server.sim_dir / "taiwan" / "cells.geojson").read_text())
    assert plain.json() == on_disk
    assert len(on_disk["features"]) == _written(server, "taiwan")["cells"]


def test_sim_statuses_agree_with_the_map_at_the_runs_policy_date(server, public):
    """The simulator compiled the policy as of ``policy_at``; the map's cells layer at that
    date must colour the same cells the same way."""
    policy_at = _written(server, "taiwan")["policy_at"]
    sim = {f["properties"]["h3"]: f["properties"]["status"]
           for f in public.get("/simulations/cells", params={"run": "taiwan"}).json()["features"]}
    live = public.get("/cells", params={"bbox": "119.3,21.8,122.1,25.4", "at": policy_at}).json()
    common = [f for f in live["features"] if f["properties"]["h3"] in sim]
    assert len(common) > 400
    assert all(sim[f["properties"]["h3"]] == f["properties"]["status"] for f in common)


def test_unknown_runs_are_404_and_never_read_other_files(public):
    for name in ("nothere", "writing", "../../etc/passwd", "/etc", "taiwan/../taiwan"):
        r = public.get("/simulations/summary", params={"run": name})
        assert r.status_code == 404, (name, r.text)
        assert "GET /api/v1/simulations" in r.json()["hint"]
    broken = public.get("/simulations/summary", params={"run": "broken"})
    assert broken.status_code == 404 and "summary.json" in broken.json()["detail"]
    assert public.get("/simulations/cells", params={"run": "writing"}).status_code == 404
    assert public.get("/simulations/summary").status_code == 422


def test_a_new_run_shows_up_without_a_restart(server, public):
    shutil.copytree(server.sim_dir / "taiwan", server.sim_dir / "later", ignore=shutil.ignore_patterns("again"))
    try:
        assert "later" in {r["id"] for r in public.get("/simulations").json()["runs"]}
        (server.sim_dir / "later" / "cells.geojson").unlink()
        r = public.get("/simulations/cells", params={"run": "later"})
        assert r.status_code == 404 and "cells.geojson" in r.json()["detail"]
    finally:
        shutil.rmtree(server.sim_dir / "later")
    assert "later" not in {r["id"] for r in public.get("/simulations").json()["runs"]}


def test_no_folder_means_no_runs(tmp_path):
    from skygate.api.simulations import SimulationRuns

    assert SimulationRuns(tmp_path / "missing").list() == []
