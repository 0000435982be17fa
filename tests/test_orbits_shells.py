"""Grouping satellites into shells by altitude and inclination; the Constellation object."""

from __future__ import annotations

import numpy as np
import pytest

from skygate.orbits import Constellation, group_into_shells
from skygate.orbits.shells import mean_altitude_km


def test_grouping_recovers_the_filed_gen1_shells():
    gen1 = Constellation.load("starlink-gen1")
    incl = np.degrees([s.inclo for s in gen1.satrecs])
    shell, shells = group_into_shells(mean_altitude_km(gen1.satrecs), incl)
    # The two 97.6°/560 km shells share altitude and inclination: they group as one.
    # Grouping altitude is the Brouwer mean semi-major axis: within 5 km of the filed altitude.
    found = sorted((round(s.inclination_deg, 1), s.altitude_km, s.count) for s in shells)
    filed = [(53.0, 550, 1584), (53.2, 540, 1584), (70.0, 570, 720), (97.6, 560, 520)]
    assert [(i, n) for i, _, n in found] == [(i, n) for i, _, n in filed]
    assert np.abs(np.array([a for _, a, _ in found]) - [a for _, a, _ in filed]).max() < 5.0
    assert (shell >= 0).all()


def test_sparse_satellites_are_in_transit():
    alt = np.concatenate([np.full(200, 550.0), np.linspace(300, 540, 40)])
    incl = np.concatenate([np.full(200, 53.0), np.full(40, 53.0)])
    shell, shells = group_into_shells(alt, incl)
    assert len(shells) == 1 and shells[0].count == 200
    assert (shell[200:] == -1).all()


def test_snapshot_shells_summary():
    c = Constellation.load()
    summary = c.summary()
    assert summary["satellites"] == 9594
    assert sum(s["count"] for s in summary["shells"]) + summary["in_transit"] == 9594
    found = [(s["inclination_deg"], s["altitude_km"]) for s in summary["shells"]]
    # Shells known from the filings are there (±5 km): 53.2°/540, 70°/570, 97.6°/560, 43°/560.
    for incl, alt in [(53.2, 540), (70.0, 570), (97.6, 560), (43.0, 560)]:
        assert any(abs(i - incl) < 0.1 and abs(a - alt) < 5 for i, a in found), (incl, alt)
    assert summary["epoch_spread_days"] == pytest.approx(24.1, abs=0.05)


def test_subset_keeps_arrays_aligned_and_read_only():
    c = Constellation.load()
    picked = c.subset(c.shell == c.shell[100])
    assert len(picked) == int((c.shell == c.shell[100]).sum())
    assert (picked.shell == c.shell[100]).all()
    by_index = c.subset([5, 2])
    assert by_index.norad_ids.tolist() == [c.norad_ids[5], c.norad_ids[2]]
    assert by_index.satrecs[0] is c.satrecs[5]
    with pytest.raises(ValueError):
        c.norad_ids[0] = 1
    assert c.index_of(44714) == 0
