"""Earth: WGS84 geodesy and look angles (``geodesy``); service cells, regions and GeoJSON
are added by their own modules. Layer 2: imports only ``orbits`` and the foundation."""

from __future__ import annotations

from skygate.earth.geodesy import (
    DEFAULT_MIN_ELEVATION_DEG,
    LookAngles,
    VisiblePairs,
    ecef_to_geodetic,
    geodetic_to_ecef,
    look_angles,
    subsatellite_points,
    visible_pairs,
    visible_satellites,
)

from skygate.earth.cells import (
    DEFAULT_RESOLUTION,
    all_cells,
    cell_boundaries_geojson,
    cell_centers,
    cell_unit_vectors,
    cells_in_bbox,
    cells_is_land,
    from_hex,
    latlng_to_cells,
    to_hex,
)
from skygate.earth.geojson import GeometryRepairWarning, read_geojson
from skygate.earth.regions import (
    INTERNATIONAL_WATERS,
    CustomRegion,
    RegionIndex,
    get_region_index,
)

__all__ = [
    "DEFAULT_MIN_ELEVATION_DEG",
    "LookAngles",
    "VisiblePairs",
    "ecef_to_geodetic",
    "geodetic_to_ecef",
    "look_angles",
    "subsatellite_points",
    "visible_pairs",
    "visible_satellites",
    # cells, regions, geojson (helper B)
    "DEFAULT_RESOLUTION",
    "all_cells",
    "cell_boundaries_geojson",
    "cell_centers",
    "cell_unit_vectors",
    "cells_in_bbox",
    "cells_is_land",
    "from_hex",
    "latlng_to_cells",
    "to_hex",
    "GeometryRepairWarning",
    "read_geojson",
    "INTERNATIONAL_WATERS",
    "CustomRegion",
    "RegionIndex",
    "get_region_index",
]
