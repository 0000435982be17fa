"""The API over PostgreSQL (``SKYGATE_DATABASE_URL``): the same writes as on SQLite — the
four-eyes restriction queue, a regulator's authorization, the terminal lifecycle with its
JSON history — against a real server from Debian's binaries, then the ledger verifies."""

from __future__ import annotations

import pytest

from postgres_server import postgres_server
from test_api_support import LiveServer

pytestmark = pytest.mark.postgres

KYIV = {"lat_deg": 50.4501, "lon_deg": 30.5234}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with postgres_server() as url:
        live = LiveServer(tmp_path_factory.mktemp("pg_api_home"), database_url=url).start()
        yield live
        live.stop()


def test_writes_through_the_api_on_postgresql(server):
    with server.client() as public, server.client("operator") as alice, \
            server.client("operator2") as bob, server.client("regulator_tw") as tw, \
            server.client("customer") as carol:
        assert not (server.home / "skygate.db").exists()  # nothing went to SQLite
        rid = alice.post("/restrictions", json={"cells": ["85f2c0c7fffffff"], "name": "pg test",
                                                "reason": "test"}).json()["id"]
        assert alice.post(f"/restrictions/requests/{rid}/approve", json={}).status_code == 409
        seq = bob.post(f"/restrictions/requests/{rid}/approve", json={}).json()["entry"]
        listed = {r["id"]: r for r in public.get("/restrictions").json()["restrictions"]}
        assert (listed[seq]["requested_by"], listed[seq]["approved_by"]) == ("ops alice", "ops bob")
        auth = tw.post("/authorizations", json={"region": "TW", "status": "waitlist",
                                                "reason": "pg test"})
        assert auth.status_code == 201, auth.text
        taipei = public.get("/availability", params={"lat": 25.033, "lon": 121.5654}).json()
        assert taipei["status"] == "waitlist" and auth.json()["entry"] in taipei["entries"]
        tid = carol.post("/terminals", json=KYIV).json()["id"]
        assert carol.post(f"/terminals/{tid}/activate").json()["status"] == "active"
        assert carol.post(f"/terminals/{tid}/suspend", json={"reason": "holiday"}).status_code == 200
        history = carol.get(f"/terminals/{tid}").json()["history"]
        assert [e["action"] for e in history] == ["order", "activate", "suspend"]
        assert history[-1]["reason"] == "holiday"
        assert public.get("/ledger/verify").json()["ok"] is True
