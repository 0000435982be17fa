"""One settings object: where skygate keeps its data and which database it uses.

Read from the environment (``SKYGATE_HOME``, ``SKYGATE_DATABASE_URL``, ...) so that the CLI,
the API server and the tests agree without passing paths around.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """skygate's configuration. Every field can be set as ``SKYGATE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SKYGATE_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".skygate")
    database_url: str | None = None  # PostgreSQL when set, else SQLite in ``home``
    policy_preset: str = "reported-2024-10"  # seeded into a fresh home

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{self.home / 'skygate.db'}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or self.sqlite_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear it with ``get_settings.cache_clear()``)."""
    return Settings()
