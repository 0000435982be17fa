"""Satellites in view for the availability endpoint: the per-slot cache and the fast
elevation test, checked against skyfield (an independent implementation of WGS84 topocentric
geometry) and against the orbits layer's own look angles."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from skygate.api.sky import MIN_ELEVATION_DEG, SkyCache, SkySnapshot

AT = datetime(2026, 2, 24, 12, 0, 7, tzinfo=timezone.utc)  # bundled snapshot's epoch day


@pytest.fixture(scope="module")
def sky():
    return SkyCache("starlink", slot_s=15.0)


def test_snapshot_is_computed_once_per_slot(sky):
    first = sky.snapshot(AT)
    assert sky.snapshot(AT + timedelta(seconds=5)) is first  # same 15-s slot
    assert first.at == datetime(2026, 2, 24, 12, 0, 0, tzinfo=timezone.utc)
    assert sky.snapshot(AT + timedelta(seconds=15)) is not first
    assert first.r_ecef_km.shape[0] > 9000  # ~9,600 satellites near their epoch
    assert abs(first.elements_age_days) < 2.0


def test_elevations_match_skyfield_within_a_hundredth_of_a_degree(sky):
    """skyfield rotates the topocentric vector into the observer's WGS84 horizon frame
    (public API: ICRF position from ITRS vectors, then ``frame_latlon(topos)``)."""
    from skyfield.api import load, wgs84
    from skyfield.framelib import itrs
    from skyfield.positionlib import ICRF
    from skyfield.units import Distance, Velocity

    snap = sky.snapshot(AT)
    t = load.timescale(builtin=True).from_datetime(snap.at)
    for lat, lon in [(25.03, 121.56), (50.45, 30.52), (-33.9, 151.2), (64.1, -21.9)]:
        topos = wgs84.latlon(lat, lon)
        rho = (snap.r_ecef_km - topos.itrs_xyz.km).T
        pos = ICRF.from_time_and_frame_vectors(t, itrs, Distance(km=rho),
                                               Velocity(km_per_s=np.zeros_like(rho)))
        el_ref = pos.frame_latlon(topos)[0].degrees
        count, best = snap.in_view(lat, lon)
        assert count == int((el_ref >= MIN_ELEVATION_DEG).sum())
        assert 5 < count < 150  # ~9,000 satellites at ~550 km: tens above 25 deg
        assert best == pytest.approx(el_ref.max(), abs=0.01)


def test_in_view_agrees_with_orbits_look_angles(sky):
    from skygate.earth.geodesy import look_angles

    snap = sky.snapshot(AT)
    for lat, lon in [(0.0, 0.0), (53.0, -120.0), (-60.0, 20.0)]:
        look = look_angles(lat, lon, 0.0, snap.r_ecef_km)
        count, best = snap.in_view(lat, lon)
        assert count == int((look.elevation_deg >= MIN_ELEVATION_DEG).sum())
        if count:
            assert best == pytest.approx(float(np.nanmax(look.elevation_deg)), abs=1e-6)


def test_empty_sky():
    empty = SkySnapshot(at=AT, r_ecef_km=np.zeros((0, 3)), elements_age_days=0.0)
    assert empty.in_view(10.0, 10.0) == (0, None)


@pytest.mark.parametrize("mask_deg", [10.0, 25.0, 40.0])
def test_grid_prefilter_never_misses_a_satellite(sky, mask_deg):
    """The per-request test looks only at the grid bins near the observer; it must
    count exactly what a dense elevation test over every satellite counts, at any mask and
    near the poles and the antimeridian."""
    from skygate.earth.geodesy import look_angles

    snap = sky.snapshot(AT)
    rng = np.random.default_rng(11)
    points = [(90.0, 0.0), (-90.0, 0.0), (89.9, 179.9), (-53.0, -180.0), (0.0, 180.0)]
    points += list(zip(np.degrees(np.arcsin(rng.uniform(-1, 1, 150))), rng.uniform(-180, 180, 150)))
    for lat, lon in points:
        el = look_angles(float(lat), float(lon), 0.0, snap.r_ecef_km).elevation_deg
        count, best = snap.in_view(float(lat), float(lon), mask_deg)
        assert count == int((el >= mask_deg).sum()), (lat, lon)
        if count:
            assert best == pytest.approx(float(np.nanmax(el)), abs=1e-6)
        else:
            assert best is None


def test_stale_elements_give_no_implausible_satellites(sky):
    """Months past the snapshot's epoch SGP4 still returns positions for satellites that have
    decayed or diverged (no error code); they must not count as satellites in view."""
    from skygate.earth.geodesy import look_angles

    snap = sky.compute(AT + timedelta(days=270))
    radius_km = np.linalg.norm(snap.r_ecef_km, axis=1)
    assert radius_km.min() > 6356.7 + 99 and radius_km.max() < 6378.2 + 3001
    assert 0.8 * 9594 < radius_km.size < 9594  # a few implausible ones were dropped
    for lat, lon in [(25.03, 121.56), (-45.0, 170.0), (70.0, -150.0)]:
        el = look_angles(lat, lon, 0.0, snap.r_ecef_km).elevation_deg
        assert snap.in_view(lat, lon)[0] == int((el >= MIN_ELEVATION_DEG).sum())
