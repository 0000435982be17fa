"""Fixtures shared by the policy tests: a home seeded with the preset, built once per session
and copied for each test (seeding is a few hundred milliseconds; copying a file is not)."""

from __future__ import annotations

import shutil

import pytest

from skygate.settings import get_settings


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """A SQLite home seeded with ``reported-2024-10`` (do not write to it)."""
    import os

    from skygate.settings import Settings
    from skygate.store import open_store

    home = tmp_path_factory.mktemp("seeded-home")
    old = os.environ.pop("SKYGATE_DATABASE_URL", None)
    try:
        store = open_store(Settings(home=home, database_url=None, policy_preset="reported-2024-10"))
        store.close()
    finally:
        if old is not None:
            os.environ["SKYGATE_DATABASE_URL"] = old
    return home


@pytest.fixture()
def seeded_home(seeded_template, skygate_home):
    """``$SKYGATE_HOME`` holding a private copy of the seeded database."""
    shutil.copytree(seeded_template, skygate_home)
    get_settings.cache_clear()
    return skygate_home


@pytest.fixture()
def seeded_store(seeded_home):
    from skygate.store import open_store

    store = open_store()
    yield store
    store.close()
