"""Walker-delta shells: filed altitudes, inclinations, plane spacing, phasing, user TOML."""

from __future__ import annotations

import numpy as np
import pytest

from skygate.errors import ElementSetError
from skygate.orbits import Constellation, builtin_designs, propagate
from skygate.orbits.walker import EARTH_EQUATORIAL_RADIUS_KM, SYNTHETIC_ID_BASE

FILED = {  # design → [(altitude km, inclination °, planes, per plane)], shared facts §1 / FCC
    "starlink-gen1": [(550, 53.0, 72, 22), (540, 53.2, 72, 22), (570, 70.0, 36, 20),
                      (560, 97.6, 6, 58), (560, 97.6, 4, 43)],
    "starlink-gen2-2022": [(525, 53.0, 28, 120), (530, 43.0, 28, 120), (535, 33.0, 28, 120)],
    "kuiper": [(630, 51.9, 34, 34), (610, 42.0, 36, 36), (590, 33.0, 28, 28)],
}


def test_builtin_designs_hold_the_filed_shells():
    designs = builtin_designs()
    for name, shells in FILED.items():
        got = [(s.altitude_km, s.inclination_deg, s.planes, s.sats_per_plane)
               for s in designs[name].shells]
        assert got == [tuple(map(float, x[:2])) + x[2:] for x in shells]
        assert designs[name].source
    assert builtin_designs()["starlink-gen1"].total == 4408  # facts §1: 4,408
    assert builtin_designs()["kuiper"].total == 3236


@pytest.mark.parametrize("name", sorted(FILED))
def test_orbit_averaged_altitude_and_inclination_match_the_filing(name):
    c = Constellation.load(name)
    one_from_each_plane = c.slot == 0
    sample = c.subset(one_from_each_plane)
    start = c.reference_epoch
    times = start + np.arange(0, 100 * 60, 30).astype("timedelta64[s]")  # > one revolution
    eph = propagate(sample, times)
    radius = np.linalg.norm(eph.r_ecef_km, axis=2)
    z = eph.r_ecef_km[..., 2]
    for shell in c.shells:
        members = sample.shell == shell.id
        period_s = 2 * np.pi / sample.satrecs[np.flatnonzero(members)[0]].no * 60.0
        whole = times < start + np.timedelta64(int(period_s), "s")
        mean_alt = radius[members][:, whole].mean(axis=1) - EARTH_EQUATORIAL_RADIUS_KM
        assert np.abs(mean_alt - shell.altitude_km).max() < 2.0, shell.name  # "within a few km"
        # The highest latitude reached (geocentric) equals the inclination (or 180° − i).
        top = np.degrees(np.arcsin(np.abs(z[members]) / radius[members])).max()
        expected = min(shell.inclination_deg, 180 - shell.inclination_deg)
        assert top == pytest.approx(expected, abs=0.3), shell.name
        inclo = {round(np.degrees(s.inclo), 6) for s, m in zip(sample.satrecs, members) if m}
        assert inclo == {shell.inclination_deg}


def test_planes_are_spaced_360_over_p_and_slots_360_over_s():
    c = Constellation.load("starlink-gen1")
    for shell in c.shells:
        members = np.flatnonzero(c.shell == shell.id)
        raan = np.degrees([c.satrecs[i].nodeo for i in members])
        plane = c.plane[members]
        per_plane = np.array([raan[plane == p][0] for p in range(shell.planes)])
        spacing = np.diff(np.unwrap(np.radians(per_plane), period=2 * np.pi))
        assert np.degrees(spacing) == pytest.approx(360.0 / shell.planes, abs=1e-9)
        assert np.bincount(plane).tolist() == [shell.sats_per_plane] * shell.planes
        ma = np.degrees([c.satrecs[i].mo for i in members])
        first = ma[plane == 0]
        assert np.diff(first) == pytest.approx(360.0 / shell.sats_per_plane, abs=1e-9)
        # Walker phasing: plane p is shifted by 360·F·p/T degrees.
        shift = (ma[(plane == 1)][0] - ma[plane == 0][0]) % 360
        assert shift == pytest.approx(360.0 * shell.phasing / (shell.planes * shell.sats_per_plane))


def test_every_walker_satellite_knows_shell_plane_and_slot():
    c = Constellation.load("kuiper")
    assert (c.shell >= 0).all() and (c.plane >= 0).all() and (c.slot >= 0).all()
    assert c.norad_ids.min() == SYNTHETIC_ID_BASE
    assert c.names[0] == "kuiper-630-51.9-P00-S00"
    keys = set(zip(c.shell.tolist(), c.plane.tolist(), c.slot.tolist()))
    assert len(keys) == len(c) == 3236
    assert str(c.epochs[0]) == str(Constellation.load().reference_epoch)


def test_walker_epoch_argument():
    c = Constellation.load("kuiper", epoch=np.datetime64("2030-01-01T00:00", "ns"))
    assert str(c.reference_epoch).startswith("2030-01-01T00:00:00")


def test_user_shells_from_toml_with_altitude_or_mean_motion(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[shells]]\nname = "low"\naltitude_km = 480\ninclination_deg = 53\nplanes = 10\n'
        'sats_per_plane = 5\nphasing = 3\n\n'
        '[[shells]]\nname = "by-n"\nmean_motion_rev_per_day = 15.05\ninclination_deg = 97.6\n'
        'planes = 4\nsats_per_plane = 3\n'
    )
    c = Constellation.load(path)
    assert len(c) == 62 and [s.name for s in c.shells] == ["low", "by-n"]
    by_n = c.satrecs[int(np.flatnonzero(c.shell == 1)[0])]
    assert by_n.no_kozai == pytest.approx(15.05 * 2 * np.pi / 1440, rel=1e-12)
    assert c.shells[0].phasing == 3


@pytest.mark.parametrize("body, message", [
    ("[[shells]]\ninclination_deg = 53\nplanes = 2\nsats_per_plane = 2\n",
     "exactly one of altitude_km or mean_motion_rev_per_day"),
    ("[[shells]]\naltitude_km = 50\ninclination_deg = 53\nplanes = 2\nsats_per_plane = 2\n",
     "altitude_km = 50.0 is outside"),
    ("[[shells]]\naltitude_km = 550\ninclination_deg = 53\nplanes = 0\nsats_per_plane = 2\n",
     "planes = 0 must be a whole number"),
    ("[[shells]]\naltitude_km = 550\ninclination_deg = 53\nplanes = 4\nsats_per_plane = 2\n"
     "phasing = 9\n", "phasing = 9 must be in"),
    ("[[shells]]\naltitude = 550\n", "unknown key 'altitude'"),
    ("[[shells]\n", "invalid TOML"),
])
def test_bad_user_shells_are_named(tmp_path, body, message):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(ElementSetError, match=message) as info:
        Constellation.load(path)
    assert "bad.toml" in str(info.value)
