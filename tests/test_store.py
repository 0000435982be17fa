"""The store against both backends: SQLite (default) and a real PostgreSQL server started
from Debian's binaries (``postgres`` marker). Migrations, newer-schema refusal, transactions,
concurrent writers, the tables other modules use, and ``kill -9`` during a burst of changes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timezone

import numpy as np
import pytest
import sqlalchemy as sa

from postgres_server import postgres_server, reset_database
from skygate.errors import StoreError
from skygate.policy import control
from skygate.policy.ledger import verify_store
from skygate.policy.model import Scope
from skygate.settings import get_settings
from skygate.store import open_store
from skygate.store.schema import api_keys, metadata, restrictions, terminals

CELLS = np.array([0x8511920BFFFFFFF, 0x85119213FFFFFFF], dtype=np.uint64)


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, skygate_home, monkeypatch):
    """Environment for one backend, with an empty database and no preset."""
    monkeypatch.setenv("SKYGATE_POLICY_PRESET", "none")
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        reset_database(url)
        monkeypatch.setenv("SKYGATE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield request.param
    get_settings.cache_clear()


def _restrict(store, i: int):
    return control.restrict(store, Scope.of_cells(CELLS, name=f"area {i}"), "beam_off",
                            requested_by="ministry", approved_by="operator",
                            reason=f"change {i}", actor="alice")


def test_migrations_build_exactly_the_declared_schema(backend):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from skygate.store.database import known_revisions

    with open_store() as store:
        assert store.dialect == ("sqlite" if backend == "sqlite" else "postgresql")
        assert store.schema_revision() == known_revisions()[1] == "0003"
        with store.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []


def test_terminals_stored_before_0003_keep_coastal_service(backend):
    """Migration 0003 adds ``terminals.ocean_mode``: a terminal stored by an older skygate
    comes back with Ocean Mode off (what it was decided with), and 0003 downgrades cleanly."""
    from alembic import command

    from skygate.store.database import _alembic_config

    with open_store() as store:
        with store.engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "0002")
        with store.engine.begin() as conn:
            cols = {c["name"] for c in sa.inspect(conn).get_columns("terminals")}
            assert "ocean_mode" not in cols
            conn.execute(sa.text(
                "INSERT INTO terminals (id, owner, kind, lat_deg, lon_deg, status) "
                "VALUES ('T0', 'carol', 'maritime', 38.78, -9.6, 'active')"))
    with open_store() as store:
        assert store.schema_revision() == "0003"
        with store.connect() as conn:
            row = conn.execute(sa.select(terminals).where(terminals.c.id == "T0")).one()
    assert row.ocean_mode is False and row.kind == "maritime"


def test_a_database_from_a_newer_skygate_is_refused(backend):
    with open_store() as store:
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StoreError, match="newer than this skygate"):
        open_store()


def test_sqlite_runs_in_wal_mode_with_full_sync(backend):
    if backend != "sqlite":
        pytest.skip("SQLite only")
    with open_store() as store, store.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    assert (get_settings().home / "skygate.db").is_file()


def test_a_failed_transaction_leaves_nothing(backend):
    with open_store() as store:
        _restrict(store, 0)
        with pytest.raises(RuntimeError):
            with store.transaction() as conn:
                from skygate.policy.control import _apply_in

                _apply_in(conn, [{"op": "revoke", "actor": "a", "reason": "r", "target": 1}])
                raise RuntimeError("crash in the middle of a change")
        assert verify_store(store).size == 1
        assert control.load_policy(store).get(1).revoked_at is None


def test_concurrent_writers_never_fork_the_chain(backend):
    with open_store() as store:
        errors: list[BaseException] = []

        def writer(k: int) -> None:
            try:
                for i in range(8):
                    _restrict(store, 100 * k + i)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        head = verify_store(store)
        assert head.size == 24
        with store.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(restrictions)).scalar() == 24


def test_tables_for_terminals_and_api_keys(backend):
    now = datetime(2026, 2, 24, 12, 0, tzinfo=timezone.utc)
    with open_store() as store:
        with store.transaction() as conn:
            conn.execute(sa.insert(api_keys), [{"id": "k1", "key_hash": "h", "owner": "ncc",
                                                "role": "regulator", "country": "TW",
                                                "created_at": now}])
            conn.execute(sa.insert(terminals), [{"id": "t1", "owner": "o", "kind": "roam",
                                                 "lat_deg": 25.0, "lon_deg": 121.5,
                                                 "status": "active", "created_at": now,
                                                 "history": [{"at": "x", "event": "created"}]}])
        with store.connect() as conn:
            key = conn.execute(sa.select(api_keys)).one()
            term = conn.execute(sa.select(terminals)).one()
        with pytest.raises(sa.exc.IntegrityError):
            with store.transaction() as conn:
                conn.execute(sa.insert(api_keys), [{"id": "k2", "key_hash": "h", "owner": "x",
                                                    "role": "customer"}])
    assert key.created_at == now and key.created_at.tzinfo is not None
    assert term.history == [{"at": "x", "event": "created"}]


def test_a_fresh_database_is_seeded_once_even_when_opened_concurrently(backend, monkeypatch):
    from skygate.policy import decide
    from skygate.policy.presets import preset_path, read_policy_file

    monkeypatch.setenv("SKYGATE_POLICY_PRESET", "reported-2024-10")
    get_settings.cache_clear()
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            open_store().close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with open_store() as store:
        head = verify_store(store)
        policy = control.load_policy(store)
    assert head.size == len(read_policy_file(preset_path("reported-2024-10")))
    at = datetime(2024, 10, 26, tzinfo=timezone.utc)
    assert decide((25.03, 121.56), at, policy=policy).status == "coming_soon"
    assert decide((50.45, 30.52), at, policy=policy).serviceable


_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from skygate.policy import control
    from skygate.policy.model import Scope
    from skygate.store import open_store
    store = open_store()
    cells = np.array([0x8511920BFFFFFFF, 0x85119213FFFFFFF], dtype=np.uint64)
    print("ready", flush=True)
    for i in range(100000):
        entry = control.restrict(store, Scope.of_cells(cells, name=f"burst {i}"), "beam_off",
                                 requested_by="ministry", approved_by="operator",
                                 reason=f"burst {i}", actor="writer")
        print(entry.seq, i, flush=True)  # acknowledged: committed before this line
""")


def test_kill_9_during_a_burst_loses_nothing_acknowledged(backend):
    open_store().close()  # create and migrate first, so the writer only appends
    proc = subprocess.Popen([sys.executable, "-c", _WRITER], stdout=subprocess.PIPE, text=True,
                            env=os.environ.copy())
    acked: list[tuple[int, int]] = []
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 30
        while len(acked) < 25 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seq, i = map(int, line.split())
            acked.append((seq, i))
    finally:
        proc.send_signal(signal.SIGKILL)  # in the middle of the next change
        proc.wait(timeout=30)
        proc.stdout.close()
    assert len(acked) >= 25, "the writer did not get going"
    with open_store() as store:
        head = verify_store(store)  # no half-written entry: every hash, link and the head agree
        policy = control.load_policy(store)
        with store.connect() as conn:
            n_rows = conn.execute(sa.select(sa.func.count()).select_from(restrictions)).scalar()
    assert head.size >= acked[-1][0]  # nothing acknowledged is lost
    assert n_rows == head.size  # each entry and its materialized rule committed together
    for seq, i in acked:
        assert policy.get(seq).reason == f"burst {i}"
