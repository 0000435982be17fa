"""The terminal lifecycle over the API: every step obeys the policy in force at that moment,
customers see only their own terminals, and the history explains each transition."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import h3
import pytest

from test_api_support import LiveServer

TAIPEI = {"lat_deg": 25.0330, "lon_deg": 121.5654}
KYIV = {"lat_deg": 50.4501, "lon_deg": 30.5234}
LVIV = {"lat_deg": 49.8397, "lon_deg": 24.0297}
SIMFEROPOL = {"lat_deg": 44.95, "lon_deg": 34.10}  # Crimea: area UA-43 on top of region UA
KERCH_CELL = "852d76a3fffffff"  # a 'blacklisted' cell on the Kerch Strait (Taman side, RU)
# What the preset's non-public restriction says about who asked, who approved and why.
KERCH_SECRETS = ("undisclosed", "Isaacson", "Russian-held")
WAITLIST_CSV = (Path(__file__).resolve().parents[1] / "src" / "skygate" / "data" /
                "availability" / "operator_waitlist_cells_2025.csv")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("terminals_home")).start()
    yield live
    live.stop()


@pytest.fixture()
def carol(server):
    with server.client("customer") as client:
        yield client


def test_order_is_refused_with_reasons_where_not_authorized(carol):
    r = carol.post("/terminals", json=TAIPEI)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["status"] == "coming_soon" and body["region"] == "TW"
    assert any("49%" in reason for reason in body["reasons"]) and body["entries"]
    assert carol.get("/terminals").json() == []  # nothing was stored


def test_order_activate_relocate_suspend(server, carol):
    r = carol.post("/terminals", json=KYIV)
    assert r.status_code == 201, r.text
    term = r.json()
    assert (term["status"], term["region"], term["owner"]) == ("ordered", "UA", "customer carol")
    tid = term["id"]
    assert carol.post(f"/terminals/{tid}/activate").json()["status"] == "active"
    refused = carol.post(f"/terminals/{tid}/relocate", json=TAIPEI)
    assert refused.status_code == 409 and refused.json()["region"] == "TW"
    moved = carol.post(f"/terminals/{tid}/relocate", json=LVIV).json()
    assert (moved["lat_deg"], moved["status"]) == (LVIV["lat_deg"], "active")
    status = carol.get(f"/terminals/{tid}").json()
    assert status["in_service"] is True and status["decision"]["status"] == "available"
    with server.client("operator") as op:
        s = op.post(f"/terminals/{tid}/suspend", json={"reason": "unpaid invoice"})
        assert s.status_code == 200 and s.json()["status"] == "suspended"
    resume = carol.post(f"/terminals/{tid}/activate")
    assert resume.status_code == 403 and "operator" in resume.json()["detail"]
    with server.client("operator2") as op:
        assert op.post(f"/terminals/{tid}/activate").json()["status"] == "active"
    actions = [e["action"] for e in carol.get(f"/terminals/{tid}").json()["history"]]
    assert actions == ["order", "activate", "relocate", "suspend", "activate"]


def test_activation_checks_the_location_at_activation_time(server, carol):
    tid = carol.post("/terminals", json=LVIV).json()["id"]
    with server.client("operator") as alice, server.client("operator2") as bob:
        rid = alice.post("/restrictions", json={"region": "UA", "reason": "test: checks at activation"}).json()["id"]
        seq = bob.post(f"/restrictions/requests/{rid}/approve", json={}).json()["entry"]
        try:
            refused = carol.post(f"/terminals/{tid}/activate")
            assert refused.status_code == 409, refused.text
            assert seq in refused.json()["entries"]
            assert carol.get(f"/terminals/{tid}").json()["status"] == "ordered"
        finally:
            assert alice.post(f"/restrictions/{seq}/revoke", json={"reason": "test over"}).status_code == 200
    assert carol.post(f"/terminals/{tid}/activate").json()["status"] == "active"


def test_an_active_terminal_under_a_new_restriction_is_out_of_service(server, carol):
    tid = carol.post("/terminals", json=KYIV).json()["id"]
    carol.post(f"/terminals/{tid}/activate")
    with server.client("operator") as alice, server.client("operator2") as bob:
        rid = alice.post("/restrictions", json={"region": "UA", "reason": "test: live check"}).json()["id"]
        seq = bob.post(f"/restrictions/requests/{rid}/approve", json={}).json()["entry"]
        status = carol.get(f"/terminals/{tid}").json()
        assert status["status"] == "active" and status["in_service"] is False
        assert alice.post(f"/restrictions/{seq}/revoke", json={"reason": "test over"}).status_code == 200


def _waitlist_point() -> dict:
    with WAITLIST_CSV.open() as fh:
        row = next(r for r in csv.DictReader(fh) if r["label"] == "Sold Out")
    lat, lon = h3.cell_to_latlng(row["h3"])
    return {"lat_deg": lat, "lon_deg": lon}


def test_waitlist_orders_are_queued(server, carol):
    term = carol.post("/terminals", json=_waitlist_point())
    assert term.status_code == 201, term.text
    tid = term.json()["id"]
    assert term.json()["status"] == "waitlisted"
    queued = carol.post(f"/terminals/{tid}/activate")
    assert queued.status_code == 409 and "queued" in queued.json()["detail"]
    with server.client("operator") as op:  # the operator releases capacity
        assert op.post(f"/terminals/{tid}/activate").json()["status"] == "active"


def test_customers_see_only_their_own(server, carol):
    tid = carol.post("/terminals", json=KYIV).json()["id"]
    with server.client("customer2") as dave:
        assert dave.get(f"/terminals/{tid}").status_code == 404
        assert dave.post(f"/terminals/{tid}/activate").status_code == 404
        assert dave.post(f"/terminals/{tid}/relocate", json=LVIV).status_code == 404
        assert dave.post(f"/terminals/{tid}/suspend", json={"reason": "not mine"}).status_code == 404
        assert tid not in {t["id"] for t in dave.get("/terminals").json()}
        assert all(t["owner"] == "customer dave" for t in dave.get("/terminals").json())
    with server.client("auditor") as auditor:
        assert auditor.get(f"/terminals/{tid}").status_code == 200
        assert auditor.post(f"/terminals/{tid}/activate").status_code == 403
    assert {t["owner"] for t in carol.get("/terminals").json()} == {"customer carol"}
    assert carol.get(f"/terminals/{tid}").json()["status"] == "ordered"  # dave changed nothing
    with server.client("operator") as op:  # operators see every customer's terminals
        assert tid in {t["id"] for t in op.get("/terminals").json()}


def test_a_maritime_terminal_at_sea_needs_ocean_mode(server, carol):
    """Facts §5: maritime is served beyond 12 nmi only with Ocean Mode. The setting is
    stored with the terminal; every later check (activate, relocate, status) uses it."""
    from sea_points import point_off_coast

    lat20, lon20, _ = point_off_coast("PT", 38.78, -9.30, 270.0, 20)
    lat5, lon5, _ = point_off_coast("PT", 38.78, -9.30, 270.0, 5)
    at_sea = {"lat_deg": lat20, "lon_deg": lon20, "kind": "maritime"}
    refused = carol.post("/terminals", json=at_sea)
    assert refused.status_code == 409, refused.text
    assert refused.json()["region"] == "XZ" and "Ocean Mode" in refused.json()["detail"]
    r = carol.post("/terminals", json={**at_sea, "ocean_mode": True})
    assert r.status_code == 201, r.text
    term = r.json()
    assert (term["ocean_mode"], term["region"], term["status"]) == (True, "XZ", "ordered")
    assert term["history"][0]["decided_with"] == {"ocean_mode": True, "speed_kmh": None,
                                                  "days_abroad": None}
    tid = term["id"]
    assert carol.post(f"/terminals/{tid}/activate").json()["status"] == "active"
    status = carol.get(f"/terminals/{tid}").json()
    assert status["in_service"] is True and status["decision"]["region"] == "XZ"
    # switching Ocean Mode off while at sea is refused; the stored setting stays on
    off = carol.post(f"/terminals/{tid}/activate", json={"ocean_mode": False})
    assert off.status_code == 409 and carol.get(f"/terminals/{tid}").json()["ocean_mode"] is True
    # back in coastal waters it goes off with the move; out again without it is refused
    moved = carol.post(f"/terminals/{tid}/relocate",
                       json={"lat_deg": lat5, "lon_deg": lon5, "ocean_mode": False})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["ocean_mode"], moved.json()["region"]) == (False, "PT")
    again = carol.post(f"/terminals/{tid}/relocate", json={"lat_deg": lat20, "lon_deg": lon20})
    assert again.status_code == 409 and again.json()["serviceable"] is False
    # switched on while active (a re-check at the same place), then out to sea
    on = carol.post(f"/terminals/{tid}/activate", json={"ocean_mode": True}).json()
    assert (on["status"], on["ocean_mode"]) == ("active", True)
    out = carol.post(f"/terminals/{tid}/relocate", json={"lat_deg": lat20, "lon_deg": lon20})
    assert out.status_code == 200 and out.json()["region"] == "XZ"
    actions = [e["action"] for e in carol.get(f"/terminals/{tid}").json()["history"]]
    assert actions == ["order", "activate", "relocate", "activate", "relocate"]


def test_terminal_speed_and_days_abroad_are_checked_and_recorded(carol):
    roam = {**KYIV, "kind": "roam"}
    fast = carol.post("/terminals", json={**roam, "speed_kmh": 200})
    assert fast.status_code == 409 and any("160 km/h" in r for r in fast.json()["reasons"])
    away = carol.post("/terminals", json={**roam, "days_abroad": 90})
    assert away.status_code == 409 and any("2-month" in r for r in away.json()["reasons"])
    ok = carol.post("/terminals", json={**roam, "speed_kmh": 100, "days_abroad": 10})
    assert ok.status_code == 201, ok.text
    assert ok.json()["history"][0]["decided_with"]["speed_kmh"] == 100.0
    tid = ok.json()["id"]
    refused = carol.post(f"/terminals/{tid}/activate", json={"speed_kmh": 180})
    assert refused.status_code == 409
    assert carol.get(f"/terminals/{tid}").json()["status"] == "ordered"
    jet = carol.post("/terminals", json={**KYIV, "kind": "aviation", "speed_kmh": 900})
    assert jet.status_code == 201, jet.text
    # Ocean Mode is a maritime plan: asking for it on another kind is an input error
    wrong = carol.post("/terminals", json={**roam, "ocean_mode": True})
    assert wrong.status_code == 422 and wrong.json()["where"] == "ocean_mode"
    assert carol.post(f"/terminals/{tid}/activate", json={"ocean_mode": True}).status_code == 422
    for bad in ({"speed_kmh": -1}, {"speed_kmh": 1e6}, {"days_abroad": -3}, {"warp": 9}):
        assert carol.post("/terminals", json={**roam, **bad}).status_code == 422, bad
        assert carol.post(f"/terminals/{tid}/activate", json=bad).status_code == 422, bad


def test_terminal_bad_input(carol):
    assert carol.post("/terminals", json={"lat_deg": 91, "lon_deg": 0}).status_code == 422
    assert carol.post("/terminals", json={**KYIV, "kind": "tractor"}).status_code == 422
    assert carol.post("/terminals/nope/suspend", json={"reason": "x"}).status_code == 404
    assert carol.post("/terminals", content=b"{not json", headers={"content-type": "application/json"}
                      ).status_code == 422


def test_a_step_decided_on_a_stale_read_is_refused_not_lost(skygate_home):
    """Two requests on one terminal at once: the second one's write must not silently drop
    the first one's history entry (the registry re-reads inside its write transaction)."""
    from datetime import datetime, timezone

    from skygate.api.services import PolicyView
    from skygate.errors import PolicyError
    from skygate.policy.model import check_terminal
    from skygate.store import open_store
    from skygate.terminals import Actor, TerminalRegistry

    with open_store() as store:
        registry = TerminalRegistry(store, PolicyView(store).decide_point, check_terminal)
        carol = Actor("customer carol")
        term = registry.order(carol, KYIV["lat_deg"], KYIV["lon_deg"])
        stale = registry.get(term.id, carol)
        registry.suspend(term.id, Actor("ops alice", operator=True), "unpaid invoice")
        now = datetime.now(timezone.utc)
        with pytest.raises(PolicyError, match="changed while"):
            registry._transition(stale, "activate", carol, "active", now, None)
        after = registry.get(term.id, carol)
        assert after.status == "suspended"
        assert [e["action"] for e in after.history] == ["order", "suspend"]


def test_a_refusal_in_a_kerch_cell_hides_the_non_public_restriction(server, carol):
    """The preset's Kerch Strait restriction is not public: a customer's 409 names it by id
    and effect only, nowhere its requested_by, approved_by or reason; an operator, who answers
    for it, reads it in full."""
    lat, lon = h3.cell_to_latlng(KERCH_CELL)
    refused = carol.post("/terminals", json={"lat_deg": lat, "lon_deg": lon})
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert (body["region"], body["serviceable"]) == ("RU", False)
    assert [s for s in KERCH_SECRETS if s in refused.text] == []
    notices = [r for r in body["reasons"] if "it is not public" in r]
    assert len(notices) == 1 and "(terminal_disable) is in force" in notices[0]
    rule_id = int(notices[0].split("#")[1].split(" ")[0])
    assert rule_id in body["entries"]
    assert any("terminal_disable restriction is in force" in r for r in body["reasons"])
    with server.client("operator") as op:
        full = op.post("/terminals", json={"lat_deg": lat, "lon_deg": lon})
        assert full.status_code == 409
        assert [s for s in KERCH_SECRETS if s not in full.text] == []
    assert carol.get("/terminals").json() == [] or all(
        t["cell"] != KERCH_CELL for t in carol.get("/terminals").json())


def test_status_and_history_hide_non_public_restrictions_from_customers(server, carol):
    """Restrictions made non-public through the API: the terminal's history is stored with
    the full reasons (auditors read them) but a customer's every view of it — order,
    activation refusal, status, list — shows the rules by id and effect only."""
    cell = h3.latlng_to_cell(49.2331, 28.4682, 5)  # Vinnytsia, UA: no other test goes there
    lat, lon = h3.cell_to_latlng(cell)
    secret = ("test: sealed court order 77", "test sealed cell", "ops alice", "ops bob")

    def hidden(text: str) -> bool:
        return not any(s in text for s in secret)

    with server.client("operator") as alice, server.client("operator2") as bob, \
            server.client("auditor") as auditor:
        def restrict(effect: str) -> int:
            rid = alice.post("/restrictions", json={
                "cells": [cell], "name": "test sealed cell", "effect": effect, "public": False,
                "reason": "test: sealed court order 77"}).json()["id"]
            return bob.post(f"/restrictions/requests/{rid}/approve", json={}).json()["entry"]

        seqs = [restrict("no_transmit")]  # terminals stay serviceable under no_transmit
        try:
            order = carol.post("/terminals", json={"lat_deg": lat, "lon_deg": lon})
            assert order.status_code == 201, order.text
            tid, event = order.json()["id"], order.json()["history"][0]
            assert hidden(order.text) and seqs[0] in event["entries"]
            notice = f"restriction #{seqs[0]} (no_transmit) is in force here; it is not public"
            assert any(r.startswith(notice) for r in event["reasons"])
            seqs.append(restrict("terminal_disable"))
            refused = carol.post(f"/terminals/{tid}/activate")
            assert refused.status_code == 409 and hidden(refused.text), refused.text
            assert sum("it is not public" in r for r in refused.json()["reasons"]) == 2
            status = carol.get(f"/terminals/{tid}")
            assert status.status_code == 200 and hidden(status.text)
            assert status.json()["in_service"] is False
            assert set(seqs) <= set(status.json()["decision"]["entries"])
            assert sum("it is not public" in r for r in status.json()["decision"]["reasons"]) == 2
            (listed,) = [t for t in carol.get("/terminals").json() if t["id"] == tid]
            assert hidden(json.dumps(listed))
            # The record is stored complete: auditors (and operators) read every detail.
            for reader in (auditor, alice):
                full = reader.get(f"/terminals/{tid}").json()
                assert all(s in " ".join(full["history"][0]["reasons"]) for s in secret)
                assert all(s in " ".join(full["decision"]["reasons"]) for s in secret)
                assert not any("it is not public" in r for r in full["decision"]["reasons"])
            assert not hidden(alice.post(f"/terminals/{tid}/activate").text)
        finally:
            for seq in seqs:
                alice.post(f"/restrictions/{seq}/revoke", json={"reason": "test over"})


def test_decisions_name_the_custom_area(server, carol):
    """Crimea is in UA in the boundary data and UA-43 in the policy: a refusal there says
    both; a terminal elsewhere in Ukraine has no area."""
    refused = carol.post("/terminals", json=SIMFEROPOL)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert (body["region"], body["area"], body["status"]) == ("UA", "UA-43", "not_authorized")
    assert "not authorized in UA (area UA-43)" in body["detail"]
    term = carol.post("/terminals", json=KYIV).json()
    assert term["history"][0]["area"] is None
    status = carol.get(f"/terminals/{term['id']}").json()
    assert (status["decision"]["region"], status["decision"]["area"]) == ("UA", None)
