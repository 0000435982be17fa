"""``skygate region at`` / ``skygate region list``: the JSON contract."""

from __future__ import annotations

import json

import h3

from skygate.cli import main


def test_region_at_json(capsys):
    assert main(["region", "at", "--lat", "24.434", "--lon", "118.317", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["region"] == "TW" and out["name"] == "Taiwan"
    assert out["cell"] == h3.latlng_to_cell(24.434, 118.317, 5)
    assert out["land"] is True and out["surface"] == "land"
    assert isinstance(out["cell_straddles_border"], bool)


def test_region_at_sea_and_table(capsys):
    assert main(["region", "at", "--lat", "30", "--lon", "-40", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["region"], out["surface"], out["cell_region"]) == ("XZ", "sea", "XZ")
    assert main(["region", "at", "--lat", "50.45", "--lon", "30.52"]) == 0
    assert "UA (Ukraine), land" in capsys.readouterr().out


def test_region_at_bad_latitude_is_a_clear_error(capsys):
    assert main(["region", "at", "--lat", "95", "--lon", "0"]) == 2
    assert "skygate: error:" in capsys.readouterr().err


def test_region_list_json(capsys):
    assert main(["region", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"code": "TW", "name": "Taiwan", "a3": "TWN"} in rows
    assert rows[0]["code"] == "XZ" and len(rows) == 246
