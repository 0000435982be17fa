"""Points at a known distance off a coast, measured independently of the region index's
12-nmi line: great-circle (haversine) distance to the Natural Earth coastline itself."""

from __future__ import annotations

import numpy as np
import shapely

R_KM = 6371.0088  # mean Earth radius (IUGG); the 12-nmi line is geodesic, this is within 0.5 %
NMI_KM = 1.852


def _haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * R_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _destination(lat, lon, bearing_deg, dist_km):
    p, lmb, b, d = np.radians(lat), np.radians(lon), np.radians(bearing_deg), dist_km / R_KM
    p2 = np.arcsin(np.sin(p) * np.cos(d) + np.cos(p) * np.sin(d) * np.cos(b))
    l2 = lmb + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p), np.cos(d) - np.sin(p) * np.sin(p2))
    return np.degrees(p2), np.degrees(l2)


def point_off_coast(code: str, lat: float, lon: float, bearing_deg: float,
                    nmi: float) -> tuple[float, float, float]:
    """From a point on ``code``'s land, along ``bearing_deg``: the sea point whose distance to
    that country's coastline is closest to ``nmi``; returns (lat, lon, its distance in nmi)."""
    from skygate.earth.regions import get_region_index

    index = get_region_index()
    box = shapely.box(lon - 2, lat - 1, lon + 2, lat + 1)
    coast = shapely.intersection(index.land_geometry(code).boundary, box)
    xy = shapely.get_coordinates(shapely.segmentize(coast, 0.002))  # ≤ 0.2 km apart
    s_lat, s_lon = _destination(lat, lon, bearing_deg, np.arange(0.0, nmi * NMI_KM + 80.0, 0.05))
    d_nmi = _haversine_km(s_lat[:, None], s_lon[:, None], xy[None, :, 1], xy[None, :, 0]
                          ).min(axis=1) / NMI_KM
    sea = np.flatnonzero(~index.is_land(s_lat, s_lon))
    i = sea[np.argmin(np.abs(d_nmi[sea] - nmi))]
    assert abs(d_nmi[i] - nmi) < 0.1, f"no sea point {nmi} nmi off {code} on that bearing"
    return float(s_lat[i]), float(s_lon[i]), float(d_nmi[i])
