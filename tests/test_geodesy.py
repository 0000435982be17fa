"""WGS84 geodesy and look angles: hand geometry, Skyfield, and the pruned visibility kernel."""

from __future__ import annotations

from datetime import timezone

import numpy as np
import pytest

from skygate.earth.geodesy import (
    DEFAULT_MIN_ELEVATION_DEG,
    WGS84_A_KM,
    ecef_to_geodetic,
    enu_basis,
    geodetic_to_ecef,
    look_angles,
    subsatellite_points,
    visible_pairs,
    visible_satellites,
)
from skygate.errors import CoordinateError
from skygate.orbits import Constellation, propagate

POLAR_RADIUS_KM = 6356.752314245  # WGS84 b


def test_default_mask_is_the_filed_25_degrees():
    assert DEFAULT_MIN_ELEVATION_DEG == 25.0


def test_known_points():
    assert geodetic_to_ecef(0, 0, 0) == pytest.approx([WGS84_A_KM, 0, 0], abs=1e-9)
    assert geodetic_to_ecef(90, 0, 0) == pytest.approx([0, 0, POLAR_RADIUS_KM], abs=1e-6)
    assert geodetic_to_ecef(0, 90, 1.0) == pytest.approx([0, WGS84_A_KM + 1, 0], abs=1e-9)
    lat, lon, alt = ecef_to_geodetic(np.array([0.0, 0.0, -POLAR_RADIUS_KM - 2]))
    assert (lat, alt) == (pytest.approx(-90), pytest.approx(2.0, abs=1e-9))


def test_geodetic_round_trip_to_a_millimetre():
    rng = np.random.default_rng(1)
    lat = rng.uniform(-90, 90, 5000)
    lon = rng.uniform(-180, 180, 5000)
    alt = rng.uniform(-0.4, 36_000, 5000)
    back = ecef_to_geodetic(geodetic_to_ecef(lat, lon, alt))
    assert np.abs(back[0] - lat).max() < 1e-8  # degrees (~1 mm)
    assert np.abs(((back[1] - lon + 180) % 360) - 180).max() < 1e-8
    assert np.abs(back[2] - alt).max() < 1e-6  # km = 1 mm


def test_overhead_is_90_degrees_and_horizon_is_0():
    lat, lon = 50.4501, 30.5234
    ground = geodetic_to_ecef(lat, lon, 0.0)
    east, north, up = enu_basis(lat, lon)
    overhead = ground + 550.0 * up
    on_horizon_east = ground + 1000.0 * east
    on_horizon_north = ground + 1000.0 * north
    below = ground - 10.0 * up
    looks = look_angles(lat, lon, 0.0, np.stack([overhead, on_horizon_east, on_horizon_north,
                                                  below]))
    assert looks.elevation_deg[0] == pytest.approx(90.0, abs=1e-9)
    assert looks.range_km[0] == pytest.approx(550.0, abs=1e-9)
    assert looks.elevation_deg[1:3] == pytest.approx([0.0, 0.0], abs=1e-9)
    assert looks.azimuth_deg[1:3] == pytest.approx([90.0, 0.0], abs=1e-9)
    assert looks.elevation_deg[3] == pytest.approx(-90.0, abs=1e-9)
    # The sub-satellite point of the overhead satellite is the observer.
    sub = subsatellite_points(overhead)
    assert (sub[0], sub[1], sub[2]) == (pytest.approx(lat), pytest.approx(lon),
                                        pytest.approx(550.0))


def test_the_25_degree_mask_from_550_km_is_reached_at_the_facts_sheet_slant_range():
    """Facts §2 [C]: at 550 km and 25° the slant range is 1,123 km. In the equatorial plane
    the WGS84 ellipsoid is a circle, so spherical trigonometry is exact there."""
    radius = WGS84_A_KM + 550.0
    el = np.radians(25.0)
    central = np.arccos(WGS84_A_KM * np.cos(el) / radius) - el  # Earth-central angle
    sat = np.array([radius * np.cos(central), radius * np.sin(central), 0.0])
    looks = look_angles(0.0, 0.0, 0.0, sat)
    assert looks.elevation_deg == pytest.approx(25.0, abs=1e-9)
    assert looks.azimuth_deg == pytest.approx(90.0, abs=1e-9)
    law_of_cosines = np.sqrt(WGS84_A_KM**2 + radius**2
                             - 2 * WGS84_A_KM * radius * np.cos(central))
    assert looks.range_km == pytest.approx(law_of_cosines, abs=1e-9)
    assert looks.range_km == pytest.approx(1123, abs=3)  # 6,371 km sphere in the facts


def test_shapes_broadcast_observers_by_satellites_by_times():
    r = np.random.default_rng(0).normal(size=(7, 5, 3)) * 7000
    looks = look_angles(np.zeros(4), np.linspace(-90, 90, 4), 0.0, r)
    assert looks.elevation_deg.shape == (4, 7, 5)
    assert look_angles(0.0, 0.0, 0.0, r).azimuth_deg.shape == (7, 5)
    nan = look_angles(0.0, 0.0, 0.0, np.full((2, 3), np.nan))
    assert np.isnan(nan.elevation_deg).all()


@pytest.mark.parametrize("lat, lon, alt, field", [
    (91, 0, 0, "latitude"), (-90.5, 0, 0, "latitude"), (0, 181, 0, "longitude"),
    (np.nan, 0, 0, "latitude"), (0, 0, -20, "altitude"), (0, np.inf, 0, "longitude"),
])
def test_bad_coordinates_are_named(lat, lon, alt, field):
    with pytest.raises(CoordinateError) as info:
        geodetic_to_ecef(lat, lon, alt)
    assert info.value.where == field


def test_longitude_over_180_suggests_the_fix():
    with pytest.raises(CoordinateError, match="did you mean -160"):
        geodetic_to_ecef(0, 200, 0)


def test_look_angles_agree_with_skyfield_to_a_thousandth_of_a_degree():
    api = pytest.importorskip("skyfield.api")
    ts = api.load.timescale(builtin=True)
    rng = np.random.default_rng(11)
    snapshot = Constellation.load()
    sats = snapshot.subset(rng.choice(len(snapshot), 12, replace=False))
    us = rng.integers(-2 * 86400e6, 2 * 86400e6, 6).astype("timedelta64[us]")
    times = (snapshot.reference_epoch.astype("datetime64[us]") + us).astype("datetime64[ns]")
    t = ts.from_datetimes([x.astype("datetime64[us]").item().replace(tzinfo=timezone.utc)
                           for x in times])
    lat = rng.uniform(-70, 70, 8)
    lon = rng.uniform(-180, 180, 8)
    alt_km = rng.uniform(0, 3, 8)
    eph = propagate(sats, times)
    ours = look_angles(lat, lon, alt_km, eph.r_ecef_km)
    compared = 0
    for i in range(lat.size):
        place = api.wgs84.latlon(lat[i], lon[i], elevation_m=alt_km[i] * 1000)
        for k, satrec in enumerate(sats.satrecs):
            sat = api.EarthSatellite.from_satrec(satrec, ts)
            el, az, dist = (sat - place).at(t).altaz()
            assert np.abs(ours.elevation_deg[i, k] - el.degrees).max() < 1e-3
            assert np.abs(ours.range_km[i, k] - dist.km).max() < 1e-3  # 1 m
            ok = el.degrees < 89.0  # azimuth is undefined at the zenith
            daz = (ours.azimuth_deg[i, k][ok] - az.degrees[ok] + 180) % 360 - 180
            assert np.abs(daz).max(initial=0) < 1e-3
            compared += t.shape[0]
    assert compared == 8 * 12 * 6


def test_pruned_visible_pairs_equal_the_dense_computation():
    snapshot = Constellation.load()
    sats = snapshot.subset(np.arange(0, len(snapshot), 7))
    times = snapshot.reference_epoch + np.arange(0, 1800, 300).astype("timedelta64[s]")
    eph = propagate(sats, times)
    rng = np.random.default_rng(5)
    lat = np.concatenate([rng.uniform(-89, 89, 60), [90.0, -90.0, 0.0]])
    lon = np.concatenate([rng.uniform(-180, 180, 60), [0.0, 0.0, 180.0]])
    for mask_deg in (25.0, 0.0, -5.0, 60.0):
        pairs = visible_pairs(lat, lon, 0.0, eph.r_ecef_km, mask_deg)
        dense = look_angles(lat, lon, 0.0, eph.r_ecef_km)
        expected = set(zip(*np.nonzero(dense.elevation_deg >= mask_deg)))
        assert set(zip(pairs.observer, pairs.satellite, pairs.time)) == expected
        if len(pairs):
            el = dense.elevation_deg[pairs.observer, pairs.satellite, pairs.time]
            assert np.abs(el - pairs.elevation_deg).max() < 1e-4
            rng_km = dense.range_km[pairs.observer, pairs.satellite, pairs.time]
            assert np.abs(rng_km - pairs.range_km).max() < 1e-3
    assert np.all(np.diff(pairs.time) >= 0)


def test_visible_pairs_skip_failed_satellites():
    r = np.full((2, 1, 3), np.nan)
    r[1, 0] = geodetic_to_ecef(10, 20, 550)
    pairs = visible_pairs([10.0], [20.0], 0.0, r)
    assert pairs.satellite.tolist() == [1]
    assert pairs.elevation_deg[0] == pytest.approx(90, abs=1e-4)


def test_visible_satellites_are_sorted_and_above_the_mask():
    c = Constellation.load()
    view = visible_satellites(c, 25.0330, 121.5654, 0.0, c.reference_time)
    el = view["elevation_deg"]
    assert len(el) > 10 and (el >= 25).all() and (np.diff(el) <= 0).all()
    # Facts §7: 35–44 satellites are in view per 15 s slot (2023); 2026 has more satellites.
    assert 20 <= len(el) <= 120
