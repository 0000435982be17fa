"""A real skygate server for the API, terminal and browser tests (no tests in this module).

The server runs in a subprocess (uvicorn on a free loopback port) over a temporary
``SKYGATE_HOME``, seeded with the default preset like a user's fresh home; keys for every
role are created in that store before it starts. Tests talk to it over HTTP only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROLES = {  # name -> (role, owner, country)
    "admin": ("admin", "root admin", None),
    "operator": ("operator", "ops alice", None),
    "operator2": ("operator", "ops bob", None),
    "regulator_tw": ("regulator", "NCC Taiwan", "TW"),
    "regulator_ua": ("regulator", "NCEC Ukraine", "UA"),
    "customer": ("customer", "customer carol", None),
    "customer2": ("customer", "customer dave", None),
    "auditor": ("auditor", "auditor erin", None),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """A running ``skygate`` API server; ``keys`` maps the ROLES names to API keys."""

    home: Path
    port: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    sim_dir: Path | None = None  # where the server looks for simulation runs
    database_url: str | None = None  # PostgreSQL instead of SQLite in ``home``


    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SKYGATE_")}
        env["SKYGATE_HOME"] = str(self.home)
        # Never the checkout's ./out: each server sees only the runs its test made.
        env["SKYGATE_API_SIM_DIR"] = str(self.sim_dir or self.home / "sim-runs")
        if self.database_url:
            env["SKYGATE_DATABASE_URL"] = self.database_url
        return env

    def create_keys(self) -> None:
        from skygate.api.security import KeyStore
        from skygate.settings import Settings
        from skygate.store import open_store

        with open_store(Settings(home=self.home, database_url=self.database_url)) as store:
            keystore = KeyStore(store)
            for name, (role, owner, country) in ROLES.items():
                self.keys[name] = keystore.create(role, owner, country)[1]

    def start(self, timeout_s: float = 90.0) -> "LiveServer":
        self.create_keys()
        self.port = free_port()
        with open(self.home / "server.log", "wb") as log:  # the child keeps its own handle
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "skygate.api.app:create_app",
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.home / 'server.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/api/v1/openapi.json", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout_s} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def client(self, who: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        return httpx.Client(base_url=f"{self.url}/api/v1", headers=headers, timeout=30)
