"""API keys (hashed at rest, shown once), the CLI that makes them, and the API's fast
decision path (it must give exactly what the policy layer's ``decide`` gives)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import numpy as np
import pytest
import sqlalchemy as sa

from skygate.api.security import KeyStore, Role, generate_key, hash_key
from skygate.errors import InputError, UnknownRegionError


@pytest.fixture()
def store(skygate_home):
    from skygate.store import open_store

    with open_store() as s:
        yield s


def test_keys_are_random_and_stored_only_as_sha256(store):
    keys = KeyStore(store)
    record, key = keys.create("regulator", "NCC Taiwan", "tw")
    assert record.country == "TW" and record.role is Role.regulator
    assert key.startswith("sg_") and len(key) == 46 and key != generate_key()
    with store.connect() as conn:
        rows = conn.execute(sa.select(store.tables.api_keys)).all()
    assert [r.key_hash for r in rows] == [hashlib.sha256(key.encode()).hexdigest()]
    assert all(key not in str(tuple(r)) for r in rows)  # the secret is nowhere in the table
    assert hash_key(key) == rows[0].key_hash


def test_authenticate_and_revoke(store):
    keys = KeyStore(store)
    record, key = keys.create("operator", "ops alice")
    who = keys.authenticate(key)
    assert (who.role, who.owner, who.key_id) == (Role.operator, "ops alice", record.id)
    assert keys.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert keys.authenticate("not-a-key") is None
    keys.revoke(record.id)
    assert keys.authenticate(key) is None
    assert keys.list()[0].revoked_at is not None


@pytest.mark.parametrize("role, country, error", [
    ("regulator", None, InputError),
    ("regulator", "Taiwan", InputError),
    ("regulator", "QQ", UnknownRegionError),
    ("public", None, InputError),
])
def test_bad_key_requests_are_refused_with_a_hint(store, role, country, error):
    with pytest.raises(error) as info:
        KeyStore(store).create(role, "someone", country)
    assert info.value.hint


def test_cli_keys_create_prints_the_key_alone_on_the_last_line(skygate_home, capsys):
    from skygate.cli import main

    assert main(["keys", "create", "--role", "regulator", "--country", "TW"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    key = out[-1]
    assert key.startswith("sg_") and " " not in key
    from skygate.store import open_store

    with open_store() as s:
        who = KeyStore(s).authenticate(key)
    assert (who.role, who.country, who.owner) == (Role.regulator, "TW", "regulator-TW")
    assert main(["keys", "create", "--role", "emperor"]) == 2


def test_fast_decisions_equal_the_policy_layers_decide(store):
    """The API hands ``decide`` only the rules that can cover a point; the answer must be
    identical to ``decide`` over the whole policy, including points near borders and in
    the operator's cell lists."""
    from skygate.api.services import PolicyView
    from skygate.earth import cells as _cells

    view = PolicyView(store)
    state = view.state()
    rng = np.random.default_rng(7)
    points = list(zip(rng.uniform(-60, 70, 300), rng.uniform(-180, 180, 300)))
    points += [(25.0330, 121.5654), (50.4501, 30.5234), (24.43, 118.32),  # Kinmen (TW)
               (45.36, 36.48), (48.0, 38.5),  # Kerch Strait, Donbas
               (44.95, 34.10), (44.62, 33.52)]  # Simferopol, Sevastopol (area UA-43)
    for rule in [*state.authorizations, *state.restrictions]:
        if rule.scope.n_cells:
            # ~40 cells spread over each cell-scoped rule (the API's cell index must find
            # every rule that holds a cell, including overlapping ones)
            lat, lon = _cells.cell_centers(rule.scope.cells[::max(1, rule.scope.n_cells // 40)])
            points += list(zip(lat, lon))
    at = datetime.now(timezone.utc)
    areas = set()
    for lat, lon in points:
        fast = view.decide_point(float(lat), float(lon), at)
        full = view.decide_full(float(lat), float(lon), at)
        assert fast.to_json() == full.to_json() | {"at": fast.to_json()["at"]}
        assert fast.area == full.area, (lat, lon)
        areas.add((fast.region, fast.area))
    assert {("UA", "UA-43"), ("UA", None)} <= areas  # the custom area was compared too


def test_fast_decisions_equal_decide_with_the_terminal_options(store):
    """The same, for every terminal kind with Ocean Mode, speeds and days abroad — with
    speed limits in force on a region and on a cell scope (the limit travels with the
    winning rule, so the subset must hold the same winner), on land, in coastal waters and
    in international waters."""
    from skygate.api.services import PolicyView
    from skygate.earth import cells as _cells
    from sea_points import point_off_coast
    from skygate.policy import control, decide
    from skygate.policy.model import TERMINAL_KINDS, Scope

    kyiv_cells = _cells.latlng_to_cells([50.45, 50.5], [30.52, 30.6], 5)
    control.authorize(store, Scope.of_region("UA"), "available", reason="test: a speed limit",
                      actor="test", max_speed_kmh=90.0)
    control.authorize(store, Scope.of_cells(kyiv_cells, name="Kyiv test cells"), "waitlist",
                      reason="test: a cell-scope limit", actor="test", max_speed_kmh=40.0)
    view = PolicyView(store)
    state = view.state()
    rng = np.random.default_rng(11)
    points = list(zip(rng.uniform(-60, 70, 60), rng.uniform(-180, 180, 60)))
    points += [(50.45, 30.52), (50.5, 30.6), (49.84, 24.03), (25.0330, 121.5654),
               (44.95, 34.10)]  # Simferopol: area UA-43
    points += [point_off_coast("PT", 38.78, -9.30, 270.0, n)[:2] for n in (5, 20)]
    options = [{}, {"ocean_mode": True}, {"speed_kmh": 30.0}, {"speed_kmh": 60.0},
               {"speed_kmh": 120.0}, {"speed_kmh": 200.0, "ocean_mode": True},
               {"speed_kmh": 900.0}, {"days_abroad": 30.0}, {"days_abroad": 90.0},
               {"days_abroad": 61.0, "speed_kmh": 100.0, "ocean_mode": True}]
    at = datetime.now(timezone.utc)
    seen = set()
    for lat, lon in points:
        for kind in TERMINAL_KINDS:
            for opts in options:
                fast = view.decide_point(float(lat), float(lon), at, kind, **opts)
                full = decide((float(lat), float(lon)), at, kind, policy=state, **opts)
                assert fast.to_json() == full.to_json(), (lat, lon, kind, opts)
                assert fast.area == full.area, (lat, lon, kind, opts)
                seen.add((kind, fast.serviceable, fast.region == "XZ"))
    # the options changed answers both ways, at sea and on land
    assert {("maritime", True, True), ("maritime", False, True), ("roam", False, False),
            ("fixed", False, False), ("aviation", True, False), ("roam", True, False)} <= seen


def test_skygate_serve_starts_the_app_on_loopback(skygate_home, tmp_path):
    """``skygate serve`` (the CLI entry point) serves the page and the API, then stops."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    from test_api_support import free_port

    port = free_port()
    exe = Path(sys.executable).with_name("skygate")
    env = {**os.environ, "SKYGATE_HOME": str(skygate_home)}
    with open(tmp_path / "serve.log", "wb") as log:
        proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--log-level", "warning"],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/regions", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)
        assert r.status_code == 200
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code in (200, 503)  # 503 + how to build, when assets are missing
        assert ("leaflet" in page.text) if page.status_code == 200 else ("make web" in page.text)
    finally:
        proc.terminate()
        proc.wait(10)
    assert "serving http://127.0.0.1" in (tmp_path / "serve.log").read_text()
