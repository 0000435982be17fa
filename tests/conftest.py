"""Shared fixtures. Tests may read ``../shared`` only through ``shared_data``, which skips
cleanly when the folder is absent (a user's checkout has no ``../shared``)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; skips the test when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present in this checkout")
    return SHARED_DATA


@pytest.fixture()
def skygate_home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty ``$SKYGATE_HOME`` (SQLite) for one test."""
    from skygate.settings import get_settings

    home = tmp_path / "home"
    monkeypatch.setenv("SKYGATE_HOME", str(home))
    monkeypatch.delenv("SKYGATE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
