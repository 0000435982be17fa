"""The REST API over a real server on loopback: availability, map layers, policy writes
through the ledger with their roles, ledger proofs checked independently (RFC 6962)."""

from __future__ import annotations

import hashlib
import json

import pytest

from test_api_support import LiveServer

TAIPEI = (25.0330, 121.5654)
KYIV = (50.4501, 30.5234)
TAIWAN_BBOX = "119.3,21.8,122.1,25.4"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("api_home")).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def public(server):
    with server.client() as client:
        yield client


def test_openapi_is_versioned_and_every_route_has_a_one_line_summary(public):
    spec = public.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path, methods in spec["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method, op in methods.items():
            text = op.get("description") or op.get("summary")
            assert text and "\n" not in text.strip(), (method, path)


def test_availability_taipei_is_coming_soon_with_the_reason(public):
    r = public.get("/availability", params={"lat": TAIPEI[0], "lon": TAIPEI[1]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["region"], body["status"], body["serviceable"]) == ("TW", "coming_soon", False)
    assert any("49%" in reason for reason in body["reasons"])
    assert body["entries"] and len(body["cell"]) == 15
    sats = body["satellites"]
    # ~8,500 propagating satellites at 550 km: dozens above 25 deg at 25 deg N (see test_api_sky)
    assert 10 <= sats["count"] <= 150 and 25.0 <= sats["best_elevation_deg"] <= 90.0


def test_availability_kyiv_is_available(public):
    body = public.get("/availability", params={"lat": KYIV[0], "lon": KYIV[1]}).json()
    assert (body["region"], body["status"], body["serviceable"]) == ("UA", "available", True)


def test_availability_names_the_custom_area(public):
    """Crimea: Ukraine in the boundary data (region UA), its own policy area UA-43 (not
    authorized under US sanctions); Kyiv is in no custom area."""
    simferopol = public.get("/availability", params={"lat": 44.95, "lon": 34.10}).json()
    assert (simferopol["region"], simferopol["area"], simferopol["status"],
            simferopol["serviceable"]) == ("UA", "UA-43", "not_authorized", False)
    assert any("EO 13685" in r or "Executive Order 13685" in r for r in simferopol["reasons"])
    kyiv = public.get("/availability", params={"lat": KYIV[0], "lon": KYIV[1]}).json()
    assert (kyiv["region"], kyiv["area"], kyiv["status"]) == ("UA", None, "available")
    props = public.get("/openapi.json").json()["components"]["schemas"]["Availability"]["properties"]
    assert "area" in props and "UA-43" in props["area"]["description"]


def test_availability_on_a_past_date_replays_the_policy(public):
    body = public.get("/availability", params={"lat": KYIV[0], "lon": KYIV[1],
                                               "at": "2024-01-01T00:00:00Z"}).json()
    assert body["status"] == "not_authorized"  # the preset takes effect on 2024-10-25


def test_maritime_at_sea_needs_ocean_mode(public):
    """Shared facts §5: a maritime plan covers coastal waters to 12 nmi; beyond, in
    international waters, only with Ocean Mode. Points 5 and 20 nmi off Portugal's open
    coast (distance measured to the coastline by haversine, not by the region index)."""
    from sea_points import point_off_coast

    lat5, lon5, _ = point_off_coast("PT", 38.78, -9.30, 270.0, 5)
    lat20, lon20, _ = point_off_coast("PT", 38.78, -9.30, 270.0, 20)

    def ask(lat, lon, **extra):
        r = public.get("/availability", params={"lat": lat, "lon": lon,
                                                "terminal": "maritime", **extra})
        assert r.status_code == 200, r.text
        return r.json()

    coastal = ask(lat5, lon5)
    assert (coastal["region"], coastal["serviceable"], coastal["ocean_mode"]) == ("PT", True, False)
    refused = ask(lat20, lon20)
    assert (refused["region"], refused["status"]) == ("XZ", "available")
    assert refused["serviceable"] is False
    assert any("Ocean Mode" in reason for reason in refused["reasons"])
    for spelling in ("true", "1", "YES"):
        served = ask(lat20, lon20, ocean_mode=spelling)
        assert (served["region"], served["serviceable"], served["ocean_mode"]) == ("XZ", True, True)
    assert ask(lat20, lon20, ocean_mode="false")["serviceable"] is False
    roam = public.get("/availability", params={"lat": lat20, "lon": lon20, "terminal": "roam",
                                               "ocean_mode": "true"}).json()
    assert roam["serviceable"] is False  # Ocean Mode is a maritime plan


def test_availability_speed_limits_and_days_abroad(public):
    """Roam is served in motion up to 160 km/h and for 2 months abroad; aviation has no
    speed limit (shared facts §5). Kyiv is available in the default preset."""
    def ask(terminal, **extra):
        r = public.get("/availability", params={"lat": KYIV[0], "lon": KYIV[1],
                                                "terminal": terminal, **extra})
        assert r.status_code == 200, r.text
        return r.json()

    assert ask("roam", speed_kmh=150)["serviceable"] is True
    fast = ask("roam", speed_kmh=200)
    assert fast["serviceable"] is False and fast["speed_kmh"] == 200.0
    assert any("160 km/h" in reason for reason in fast["reasons"])
    jet = ask("aviation", speed_kmh=900)
    assert (jet["serviceable"], jet["speed_kmh"], jet["days_abroad"]) == (True, 900.0, None)
    assert ask("roam", days_abroad=30)["serviceable"] is True
    away = ask("roam", days_abroad=90)
    assert away["serviceable"] is False and any("2-month" in r for r in away["reasons"])


def test_availability_options_are_documented(public):
    spec = public.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/availability"]["get"]["parameters"]}
    assert params["ocean_mode"]["schema"] == {"type": "boolean", "default": False}
    assert "Ocean Mode" in params["ocean_mode"]["description"]
    assert params["speed_kmh"]["schema"]["minimum"] == 0
    assert "roam" in params["days_abroad"]["description"]
    props = spec["components"]["schemas"]["Availability"]["properties"]
    assert {"ocean_mode", "speed_kmh", "days_abroad"} <= set(props)


@pytest.mark.parametrize("params, field", [
    ({"lat": 91, "lon": 0}, "lat"),
    ({"lat": 0}, "lon"),
    ({"lat": "north", "lon": 0}, "lat"),
    ({"lat": 0, "lon": 0, "at": "2024-01-01T00:00:00"}, "at"),  # naive time
    ({"lat": 0, "lon": 0, "at": "yesterday-ish"}, "at"),
    ({"lat": 0, "lon": 0, "terminal": "bicycle"}, "terminal"),
    ({"lat": 0, "lon": 0, "ocean_mode": "maybe"}, "ocean_mode"),
    ({"lat": 0, "lon": 0, "speed_kmh": -5}, "speed_kmh"),
    ({"lat": 0, "lon": 0, "speed_kmh": "nan"}, "speed_kmh"),
    ({"lat": 0, "lon": 0, "speed_kmh": 1e9}, "speed_kmh"),
    ({"lat": 0, "lon": 0, "days_abroad": "a while"}, "days_abroad"),
])
def test_availability_bad_input_is_a_clear_422(public, params, field):
    r = public.get("/availability", params=params)
    assert r.status_code == 422, r.text
    assert field in r.text


def test_cells_of_taiwan_are_geojson_with_status(public):
    r = public.get("/cells", params={"bbox": TAIWAN_BBOX})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and 500 < len(fc["features"]) < 5000
    by_region = {}
    for f in fc["features"]:
        ring = f["geometry"]["coordinates"][0]
        assert f["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) >= 6
        by_region.setdefault(f["properties"]["region"], set()).add(f["properties"]["status"])
    assert by_region["TW"] == {"coming_soon"}
    assert by_region["CN"] == {"not_authorized"}  # Fujian coast inside the box


def test_cells_by_region_and_limits(public):
    tw = public.get("/cells", params={"region": "TW"}).json()
    assert {f["properties"]["status"] for f in tw["features"]} == {"coming_soon"}
    too_big = public.get("/cells", params={"bbox": "-180,-80,180,80"})
    assert too_big.status_code == 422 and "limit" in too_big.json()["detail"]
    for bad in ("1,2,3", "a,b,c,d", "10,50,20,40", "0,0,200,10"):
        r = public.get("/cells", params={"bbox": bad})
        assert r.status_code == 422 and r.json()["where"] == "bbox", bad
    assert public.get("/cells").status_code == 422
    assert public.get("/cells", params={"region": "ZZ"}).status_code == 422


def test_restricted_cells_show_as_restricted(public):
    # A cell of the operator's published 'blacklisted' list, on the Kerch Strait.
    areas = public.get("/restrictions/areas").json()
    assert len(areas["features"]) > 100
    ring = areas["features"][0]["geometry"]["coordinates"][0]
    lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
    lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    body = public.get("/availability", params={"lat": lat, "lon": lon}).json()
    assert body["serviceable"] is False
    # The restriction is not public: the reason names the rule but not who asked or why.
    assert any("not public" in reason for reason in body["reasons"])
    assert not any("Isaacson" in reason for reason in body["reasons"])


def test_authorization_areas_draw_crimea_over_ukraine(public):
    import shapely

    r = public.get("/authorizations/areas", params={"at": "2025-06-01T00:00:00Z"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and fc["at"] == "2025-06-01T00:00:00Z"
    by_code = {f["properties"]["code"]: f for f in fc["features"]}
    crimea = by_code["UA-43"]
    assert crimea["properties"]["status"] == "not_authorized"
    assert crimea["properties"]["region"] == "UA" and crimea["properties"]["cells"] == 175
    shape = shapely.geometry.shape(crimea["geometry"])
    simferopol, kyiv = shapely.Point(34.10, 44.95), shapely.Point(KYIV[1], KYIV[0])
    assert shape.contains(simferopol)
    assert not any(shapely.geometry.shape(f["geometry"]).contains(kyiv) for f in fc["features"])
    # The layer says what a decision there says.
    d = public.get("/availability", params={"lat": 44.95, "lon": 34.10,
                                            "at": "2025-06-01T00:00:00Z"}).json()
    assert (d["status"], d["area"]) == ("not_authorized", "UA-43")
    # The operator's waitlist cells, merged: thousands of cells, under 100 kB.
    waitlist = [f for f in fc["features"] if f["properties"]["status"] == "waitlist"]
    assert sum(f["properties"]["cells"] for f in waitlist) == 3296
    assert len(r.content) < 100_000
    # Draw order: least specific (most cells) first.
    sizes = [f["properties"]["cells"] for f in fc["features"]]
    assert sizes == sorted(sizes, reverse=True)
    # Redaction: the only restriction is not public, and nothing of it is here.
    assert "Isaacson" not in r.text and "requested_by" not in r.text
    # Before the preset took effect (2024-10-25) no area had an authorization.
    past = public.get("/authorizations/areas", params={"at": "2024-10-24T23:59:59Z"}).json()
    assert past["features"] == [] and past["at"] == "2024-10-24T23:59:59Z"
    # gzip when the client accepts it: the same body, a third of the bytes.
    z = public.get("/authorizations/areas", params={"at": "2025-06-01T00:00:00Z"},
                   headers={"Accept-Encoding": "gzip"})
    assert z.headers["content-encoding"] == "gzip" and z.num_bytes_downloaded < len(r.content) / 2
    assert z.content == r.content  # httpx decoded it
    bad = public.get("/authorizations/areas", params={"at": "yesterday-ish"})
    assert bad.status_code == 422


def test_regions_list_statuses(public):
    body = public.get("/regions").json()
    status = {r["region"]: r["status"] for r in body["regions"]}
    assert status["TW"] == "coming_soon" and status["UA"] == "available"
    assert status["RU"] == "not_authorized" and status["US"] == "available"
    past = public.get("/regions", params={"at": "2024-01-01T00:00:00Z"}).json()
    assert {r["region"]: r["status"] for r in past["regions"]}["US"] == "not_authorized"


def test_outlines_are_bundled_geojson(public):
    fc = public.get("/outlines").json()
    codes = {f["properties"]["a2"] for f in fc["features"]}
    assert {"TW", "UA", "US", "FR", "NO"} <= codes and len(fc["features"]) > 200


# ---- the ledger ------------------------------------------------------------------------
def _rfc6962_root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """Independent RFC 9162 §2.1.3.2 inclusion verification (not skygate's code)."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise AssertionError("path too long")
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    assert sn == 0
    return r


def _canonical(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_ledger_pages_verify_and_proofs(public, server):
    page = public.get("/ledger", params={"limit": 5}).json()
    assert page["size"] > 5 and [e["seq"] for e in page["entries"]] == [1, 2, 3, 4, 5]
    assert public.get("/ledger/verify").json()["ok"] is True
    for seq in (1, page["size"] // 2, page["size"]):
        proof = public.get(f"/ledger/{seq}/proof").json()
        if proof["entry"] is not None:
            leaf = hashlib.sha256(b"\x00" + _canonical(proof["entry"])).digest()
            assert leaf.hex() == proof["leaf_hash"]
        root = _rfc6962_root_from_path(bytes.fromhex(proof["leaf_hash"]), seq - 1,
                                       proof["tree_size"],
                                       [bytes.fromhex(h) for h in proof["audit_path"]])
        assert root.hex() == proof["root_hash"] == page["root_hash"]
    assert public.get("/ledger/0/proof").status_code == 422
    assert public.get(f"/ledger/{page['size'] + 1}/proof").status_code == 422
    assert public.get("/ledger", params={"limit": 501}).status_code == 422


def test_non_public_entries_are_redacted_except_for_auditors(public, server):
    size = public.get("/ledger", params={"limit": 1}).json()["size"]
    entries = public.get("/ledger", params={"limit": 500}).json()["entries"]
    hidden = [e for e in entries if e.get("redacted")]
    assert hidden and all(e["entry"] is None and len(e["leaf_hash"]) == 64 for e in hidden)
    with server.client("auditor") as auditor:
        full = auditor.get("/ledger", params={"limit": 500}).json()["entries"]
        assert len(full) == min(size, 500) and not any(e.get("redacted") for e in full)
        seq = hidden[0]["seq"]
        assert auditor.get(f"/ledger/{seq}/proof").json()["entry"]["op"] == "restrict"
    restr = public.get("/restrictions").json()
    assert restr["hidden_non_public"] >= 1


# ---- policy writes -----------------------------------------------------------------------
def test_regulator_authorizes_its_own_country_only(server, public):
    body = {"region": "TW", "status": "available", "reason": "licence granted (test)",
            "label": "test licence"}
    with server.client("regulator_ua") as ua:
        r = ua.post("/authorizations", json=body)
        assert r.status_code == 403 and "UA" in r.json()["detail"]
    with server.client("regulator_tw") as tw:
        r = tw.post("/authorizations", json=body)
        assert r.status_code == 201, r.text
        seq = r.json()["entry"]
        decision = public.get("/availability", params={"lat": TAIPEI[0], "lon": TAIPEI[1]}).json()
        assert decision["status"] == "available" and seq in decision["entries"]
        entry = public.get(f"/ledger/{seq}/proof").json()["entry"]
        assert entry["actor"] == "NCC Taiwan" and entry["op"] == "authorize"
        with server.client("regulator_ua") as ua:  # another country's regulator may not end it
            r = ua.post(f"/authorizations/{seq}/revoke", json={"reason": "not yours"})
            assert r.status_code == 403 and "TW" in r.json()["detail"], r.text
            r = ua.post(f"/authorizations/{seq}/revoke", json={})  # country before body
            assert r.status_code == 403 and "TW" in r.json()["detail"], r.text
            # ... nor the preset's authorization of TW (region scope, another country)
            preset_tw = min(a["id"] for a in public.get(
                "/authorizations", params={"region": "TW"}).json()["authorizations"])
            assert preset_tw != seq
            assert ua.post(f"/authorizations/{preset_tw}/revoke", json={"reason": "x"}).status_code == 403
        r = tw.post(f"/authorizations/{seq}/revoke", json={"reason": "test over"})
        assert r.status_code == 200, r.text
        assert tw.post(f"/authorizations/{seq}/revoke", json={"reason": "again"}).status_code == 409
    decision = public.get("/availability", params={"lat": TAIPEI[0], "lon": TAIPEI[1]}).json()
    assert decision["status"] == "coming_soon"
    with server.client("regulator_tw") as tw:
        assert tw.post("/authorizations", json={**body, "status": "sold"}).status_code == 422
        assert tw.post("/authorizations", json={**body, "extra": 1}).status_code == 422


def test_restriction_needs_a_second_operator(server, public):
    body = {"region": "UA", "effect": "terminal_disable", "reason": "test geofence",
            "public": True}
    with server.client("operator") as alice, server.client("operator2") as bob:
        req = alice.post("/restrictions", json=body)
        assert req.status_code == 202, req.text
        rid = req.json()["id"]
        # Pending: nothing changed yet.
        assert public.get("/availability", params={"lat": KYIV[0], "lon": KYIV[1]}).json()[
            "serviceable"] is True
        selfie = alice.post(f"/restrictions/requests/{rid}/approve", json={})
        assert selfie.status_code == 409 and "second operator" in selfie.json()["detail"]
        ok = bob.post(f"/restrictions/requests/{rid}/approve", json={"reason": "checked"})
        assert ok.status_code == 201, ok.text
        seq = ok.json()["entry"]
        assert bob.post(f"/restrictions/requests/{rid}/approve", json={}).status_code == 409
        kyiv = public.get("/availability", params={"lat": KYIV[0], "lon": KYIV[1]}).json()
        assert kyiv["serviceable"] is False and seq in kyiv["entries"]
        listed = {r["id"]: r for r in public.get("/restrictions").json()["restrictions"]}
        assert listed[seq]["requested_by"] == "ops alice" and listed[seq]["approved_by"] == "ops bob"
        assert alice.post(f"/restrictions/{seq}/revoke", json={"reason": "lifted"}).status_code == 200
    assert public.get("/availability", params={"lat": KYIV[0], "lon": KYIV[1]}).json()[
        "serviceable"] is True
    assert public.get("/ledger/verify").json()["ok"] is True


def test_rejected_request_never_enters_the_ledger(server, public):
    size = public.get("/ledger", params={"limit": 1}).json()["size"]
    with server.client("operator") as alice, server.client("operator2") as bob:
        rid = alice.post("/restrictions", json={"region": "FR", "reason": "test"}).json()["id"]
        r = bob.post(f"/restrictions/requests/{rid}/reject", json={"reason": "no basis"})
        assert r.status_code == 200 and r.json()["state"] == "rejected"
        assert alice.post("/restrictions", json={"reason": "no scope"}).status_code == 422
        assert alice.post("/restrictions", json={"region": "FR", "cells": ["85"], "reason": "x"}
                          ).status_code == 422
    assert public.get("/ledger", params={"limit": 1}).json()["size"] == size


# Every write route: no key -> 401, a key of the wrong role -> 403 (before body validation).
WRITE_ROUTES = [
    ("/authorizations", {"regulator_tw", "regulator_ua"}),  # country: checked above
    ("/authorizations/1/revoke", {"regulator_tw", "regulator_ua"}),
    ("/restrictions", {"operator", "operator2"}),
    ("/restrictions/requests/1/approve", {"operator", "operator2"}),
    ("/restrictions/requests/1/reject", {"operator", "operator2"}),
    ("/restrictions/1/revoke", {"operator", "operator2"}),
    ("/terminals", {"customer", "customer2", "operator", "operator2"}),
    ("/terminals/T0/activate", {"customer", "customer2", "operator", "operator2"}),
    ("/terminals/T0/relocate", {"customer", "customer2", "operator", "operator2"}),
    ("/terminals/T0/suspend", {"customer", "customer2", "operator", "operator2"}),
    ("/keys", {"admin"}),
    ("/keys/k_0/revoke", {"admin"}),
]


@pytest.mark.parametrize("path, allowed", WRITE_ROUTES)
def test_write_routes_check_the_key_and_role(server, public, path, allowed):
    r = public.post(path, json={"junk": True})
    assert r.status_code == 401 and "key" in r.json()["detail"], r.text
    # Even a body that is not JSON at all is answered by the key check first.
    broken = public.post(path, content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 401, broken.text
    with server.client() as anonymous:
        bad = anonymous.post(path, json={}, headers={"Authorization": "Bearer sg_not-a-real-key"})
        assert bad.status_code == 401
    for who in server.keys:
        if who in allowed:
            continue
        with server.client(who) as client:
            r = client.post(path, json={"junk": True})
            assert r.status_code == 403, (who, path, r.text)
            assert "role" in r.json()["detail"]
            r = client.post(path, content=b"\xff", headers={"content-type": "application/json"})
            assert r.status_code == 403, (who, path, r.text)


def test_admin_manages_keys_and_revocation_takes_effect(server):
    with server.client("admin") as admin:
        made = admin.post("/keys", json={"role": "auditor", "owner": "temp auditor"})
        assert made.status_code == 201
        key, key_id = made.json()["key"], made.json()["id"]
        assert key.startswith("sg_") and len(key) > 40
        listed = admin.get("/keys").json()
        assert key_id in {k["id"] for k in listed} and "key" not in listed[0]
        with server.client() as c:
            hdr = {"Authorization": f"Bearer {key}"}
            assert c.get("/restrictions/requests", headers=hdr).status_code == 200
            assert admin.post(f"/keys/{key_id}/revoke").status_code == 200
            assert c.get("/restrictions/requests", headers=hdr).status_code == 401
        assert admin.post("/keys", json={"role": "regulator", "owner": "x"}).status_code == 422
        assert admin.post("/keys/k_nothere/revoke").status_code == 404
