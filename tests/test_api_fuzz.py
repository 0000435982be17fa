"""No request may produce a 500: schemathesis fuzzes every operation of the API's own
OpenAPI schema against a live server, anonymously and with a key of each role (bounded: a
few examples per operation and key, so the whole run stays well under a minute)."""

from __future__ import annotations

import pytest

from test_api_support import LiveServer

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

EXAMPLES_PER_OPERATION = 3
KEYS = [None, "customer", "operator", "regulator_tw", "auditor", "admin"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("fuzz_home")).start()
    yield live
    live.stop()


def _operations(server):
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    ops = [result.ok() for result in schema.get_all_operations()]
    assert len(ops) >= 20
    return ops


def test_no_request_produces_a_server_error(server):
    failures: list[str] = []
    calls = 0
    for op in _operations(server):
        for who in KEYS:
            headers = {"Authorization": f"Bearer {server.keys[who]}"} if who else {}

            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy())
            def run(case):
                nonlocal calls
                response = case.call(base_url=server.url, headers=headers, timeout=30)
                calls += 1
                if response.status_code >= 500:
                    failures.append(f"{who or 'public'} {case.method} {case.formatted_path} "
                                    f"{case.query} {case.body!r} -> {response.status_code} "
                                    f"{response.text[:200]}")

            run()
    assert calls > 200
    assert failures == [], "\n".join(failures[:10])
    log = (server.home / "server.log").read_text()
    assert "Traceback" not in log, log[-3000:]
