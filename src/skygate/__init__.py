"""skygate: a digital twin of a Starlink-style LEO satellite internet service and its
service-control plane.

The public face is this module; everything it does not list in ``__all__`` is internal.
Layers (lowest first): ``orbits`` → ``earth`` → ``policy``/``store`` → ``sim`` → ``network`` →
surfaces (``cli``, ``api``). See ``docs/architecture.md``.
"""

from __future__ import annotations

from skygate.errors import (
    CoordinateError,
    ElementSetError,
    GeometryError,
    InputError,
    LedgerIntegrityError,
    PermissionDenied,
    PolicyError,
    ScenarioError,
    SkygateError,
    StoreError,
    TimeInputError,
    UnknownRegionError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "SkygateError",
    "InputError",
    "ElementSetError",
    "CoordinateError",
    "TimeInputError",
    "GeometryError",
    "UnknownRegionError",
    "ScenarioError",
    "PolicyError",
    "LedgerIntegrityError",
    "StoreError",
    "PermissionDenied",
]

# Orbits and geodesy (layer 1 and 2): the constellation, propagation, look angles.
from skygate.earth.geodesy import (  # noqa: E402
    DEFAULT_MIN_ELEVATION_DEG,
    ecef_to_geodetic,
    geodetic_to_ecef,
    look_angles,
    visible_pairs,
)
from skygate.orbits import (  # noqa: E402
    Constellation,
    Ephemeris,
    propagate,
    propagate_blocks,
    snapshot_epoch,
)

__all__ += [
    "Constellation",
    "Ephemeris",
    "propagate",
    "propagate_blocks",
    "snapshot_epoch",
    "DEFAULT_MIN_ELEVATION_DEG",
    "geodetic_to_ecef",
    "ecef_to_geodetic",
    "look_angles",
    "visible_pairs",
]
