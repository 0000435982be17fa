"""skygate: a digital twin of a Starlink-style LEO satellite internet service and its
service-control plane.

The public face is this module; everything it does not list in ``__all__`` is internal.
Layers (lowest first): ``orbits`` → ``earth`` → ``policy``/``store`` → ``sim`` → ``network`` →
surfaces (``cli``, ``api``). See ``docs/architecture.md``. Typical use::

    import skygate
    c = skygate.Constellation.load()                         # bundled Starlink snapshot
    eph = skygate.propagate(c, c.reference_time)             # ECEF km
    d = skygate.decide((25.03, 121.56), "2024-10-26T00:00:00Z", "fixed")  # from the store

Names are imported on first use (PEP 562), so ``import skygate`` stays cheap (no SQLAlchemy,
H3 or Numba until a name needs them); ``from skygate import decide`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import Any

from skygate import errors as _errors

__version__ = "0.1.0"

# name → module that defines it, by layer (the exceptions first: errors.py draws their tree).
_LAZY: dict[str, str] = {
    **dict.fromkeys(_errors.__all__, "skygate.errors"),
    # orbits (layer 1)
    "Constellation": "skygate.orbits",
    "Ephemeris": "skygate.orbits",
    "propagate": "skygate.orbits",
    "propagate_blocks": "skygate.orbits",
    "snapshot_epoch": "skygate.orbits",
    "read_elements": "skygate.orbits",
    "WalkerShell": "skygate.orbits",
    "WalkerDesign": "skygate.orbits",
    # earth (layer 2)
    "DEFAULT_MIN_ELEVATION_DEG": "skygate.earth.geodesy",
    "geodetic_to_ecef": "skygate.earth.geodesy",
    "ecef_to_geodetic": "skygate.earth.geodesy",
    "look_angles": "skygate.earth.geodesy",
    "visible_pairs": "skygate.earth.geodesy",
    "visible_satellites": "skygate.earth.geodesy",
    "subsatellite_points": "skygate.earth.geodesy",
    "latlng_to_cells": "skygate.earth.cells",
    "all_cells": "skygate.earth.cells",
    "get_region_index": "skygate.earth.regions",
    "RegionIndex": "skygate.earth.regions",
    "CustomRegion": "skygate.earth.regions",
    "read_geojson": "skygate.earth.geojson",
    # policy and store (layer 3)
    "decide": "skygate.policy",
    "Decision": "skygate.policy",
    "compile_policy": "skygate.policy",
    "CompiledPolicy": "skygate.policy",
    "PolicyState": "skygate.policy",
    "Authorization": "skygate.policy",
    "Restriction": "skygate.policy",
    "Scope": "skygate.policy",
    "load_policy": "skygate.policy",
    "authorize": "skygate.policy",
    "restrict": "skygate.policy",
    "amend": "skygate.policy",
    "revoke": "skygate.policy",
    "open_store": "skygate.store",
    "Store": "skygate.store",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'skygate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
