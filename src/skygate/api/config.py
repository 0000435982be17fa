"""Settings of the API server, composed with skygate's core :class:`~skygate.settings.Settings`.

The core settings say *where* the data is (``SKYGATE_HOME``, ``SKYGATE_DATABASE_URL``); these
say how the server behaves (``SKYGATE_API_*``). Both come from the environment so that
``skygate serve``, the tests and a container agree without passing paths around.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from skygate.settings import Settings, get_settings

__all__ = ["ApiSettings", "ServerConfig"]


class ApiSettings(BaseSettings):
    """How the API behaves. Every field can be set as ``SKYGATE_API_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SKYGATE_API_", extra="ignore")

    # The cells endpoint answers at most this many res-5 cells (~252 km² each: 20,000 cells
    # is a box of roughly 2,200 km × 2,200 km); larger boxes get a 422 that says so.
    max_cells: int = 20_000
    # Satellite positions are computed once per slot and shared by every request in it.
    # 15 s is the scheduling epoch of the service (shared facts: 15-second epochs).
    sky_slot_s: float = 15.0
    # How often (seconds) the server re-checks whether another process (the CLI) changed the
    # policy; changes made through this server invalidate its caches immediately.
    policy_check_s: float = 1.0
    # Constellation for "satellites in view" (a built-in name or a path; see orbits).
    constellation: str = "starlink"
    # Where simulation runs are looked for (folders with a summary.json, up to 3 levels
    # down): `skygate demo` writes ./out/demo and `skygate simulate` ./out/sim, relative to
    # the working directory, so the default suits a server started where the demo ran.
    sim_dir: Path = Path("out")


@dataclass(frozen=True)
class ServerConfig:
    """Core settings plus API settings: the one object the app factory needs."""

    core: Settings
    api: ApiSettings

    @classmethod
    def from_env(cls, core: Settings | None = None, api: ApiSettings | None = None) -> "ServerConfig":
        return cls(core=core or get_settings(), api=api or ApiSettings())
