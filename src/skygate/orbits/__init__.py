"""Orbits: element sets, Walker-delta shells, the :class:`Constellation`, SGP4 propagation.

Layer 1 of skygate (see ``docs/architecture.md``): it imports only the foundation
(``errors``, ``timeutil``). Typical use::

    from skygate.orbits import Constellation, propagate
    c = Constellation.load()                      # bundled Starlink snapshot, 2026-02-24
    eph = propagate(c, c.reference_time)          # ECEF km, (n_sat, 1, 3)
"""

from __future__ import annotations

from skygate.orbits.constellation import (
    Constellation,
    builtin_sources,
    snapshot_epoch,
)
from skygate.orbits.elements import (
    DEFAULT_STALE_DAYS,
    ElementRecord,
    StaleReport,
    detect_format,
    read_elements,
)
from skygate.orbits.frames import gmst82_rad, teme_to_ecef, ut1_minus_utc_s
from skygate.orbits.propagate import (
    SGP4_ERRORS,
    Ephemeris,
    propagate,
    propagate_blocks,
    propagate_teme,
)
from skygate.orbits.shells import ShellInfo, group_into_shells
from skygate.orbits.walker import (
    WalkerDesign,
    WalkerShell,
    builtin_designs,
    load_design,
    mean_motion_for_altitude,
)

__all__ = [
    "Constellation",
    "builtin_sources",
    "snapshot_epoch",
    "DEFAULT_STALE_DAYS",
    "ElementRecord",
    "StaleReport",
    "detect_format",
    "read_elements",
    "gmst82_rad",
    "teme_to_ecef",
    "ut1_minus_utc_s",
    "SGP4_ERRORS",
    "Ephemeris",
    "propagate",
    "propagate_blocks",
    "propagate_teme",
    "ShellInfo",
    "group_into_shells",
    "WalkerDesign",
    "WalkerShell",
    "builtin_designs",
    "load_design",
    "mean_motion_for_altitude",
]
