"""A throwaway PostgreSQL server from Debian's binaries, for the store tests (no mocks).

``initdb`` refuses to run as root, so when the tests run as root the server runs as the
``postgres`` system user (via ``runuser``); otherwise as the current user. The cluster lives in
a temporary directory, listens on a free loopback port with ``fsync=off`` (a test server),
and is stopped and deleted afterwards. ``postgres_url()`` skips the test when no server
binaries are installed (``scripts/setup-system.sh`` installs them).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


def _unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail under CI, where a missing server is a missing
    install step (``scripts/setup-system.sh``) that a skip would hide."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the store tests must run against PostgreSQL)")
    pytest.skip(reason)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield a SQLAlchemy URL of an empty database; stop and delete it."""
    bindir = _bindir()
    if bindir is None:
        _unavailable("PostgreSQL server binaries not installed (run scripts/setup-system.sh)")
    user = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            _unavailable("running as root without runuser: cannot start PostgreSQL")
        user = "postgres"
    tmp = Path(tempfile.mkdtemp(prefix="skygate-pg-"))
    data, sock = tmp / "data", tmp / "sock"
    sock.mkdir()
    if user:
        shutil.chown(tmp, user)
        shutil.chown(sock, user)
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    run = lambda cmd: subprocess.run(_as_user(cmd, user), check=True, env=env,  # noqa: E731
                                     capture_output=True, text=True, timeout=120)
    try:
        run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--no-sync"])
        opts = (f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off")
        run([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"),
             "-w", "-t", "60", "start"])
        try:
            run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                 "skygate"])
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/skygate"
        finally:
            subprocess.run(_as_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                     "-w", "stop"], user), env=env, capture_output=True,
                           timeout=60)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"could not start PostgreSQL: {exc.cmd}: {exc.stderr}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def reset_database(url: str) -> None:
    """Drop every table of the test database (between tests)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        engine.dispose()
