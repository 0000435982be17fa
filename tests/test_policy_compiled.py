"""The compiled policy is the vectorized twin of ``decide``: they agree on random cells and
times; windows that contain a change are combined conservatively; all cells compile."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from policy_fixtures import seeded_home, seeded_store, seeded_template  # noqa: F401
from skygate.earth import cells as _cells
from skygate.earth.regions import get_region_index
from skygate.errors import InputError
from skygate.policy import (
    Authorization,
    Restriction,
    Scope,
    compile_policy,
    control,
    decide,
)
from skygate.policy.decision import speed_limit_kmh
from skygate.policy.model import STATUS_CODES

UTC = timezone.utc
SEC = timedelta(seconds=1)


def _rich_policy(store):
    """The preset plus overlapping, timed rules of every kind, to give the twin work."""
    rng = np.random.default_rng(7)
    ua = get_region_index().region_cells("UA")
    t = lambda y, m, d: datetime(y, m, d, tzinfo=UTC)  # noqa: E731
    base = control.load_policy(store)
    some = lambda n: np.sort(rng.choice(ua, n, replace=False))  # noqa: E731
    a, b = some(400), some(400)
    extra = [
        Authorization(id=10_001, scope=Scope.of_cells(a, name="A"), valid_from=t(2024, 11, 1),
                      valid_until=t(2025, 6, 1), revoked_at=None, revoked_by=None,
                      status="waitlist", label="Sold Out"),
        Authorization(id=10_002, scope=Scope.of_cells(b, name="B"), valid_from=t(2024, 11, 1),
                      valid_until=None, revoked_at=None, revoked_by=None, status="coming_soon"),
        Authorization(id=10_003, scope=Scope.of_region("TW"), valid_from=t(2025, 3, 1),
                      valid_until=None, revoked_at=None, revoked_by=None, status="available"),
        Restriction(id=10_004, scope=Scope.of_cells(some(300), name="C"), valid_from=t(2024, 12, 1),
                    valid_until=t(2025, 2, 1), revoked_at=None, revoked_by=None,
                    effect="beam_off", requested_by="x", approved_by="y", reason="r"),
        Restriction(id=10_005, scope=Scope.of_region("BY"), valid_from=t(2024, 1, 1),
                    valid_until=None, revoked_at=t(2025, 1, 15), revoked_by=1,
                    effect="no_transmit", requested_by="x", approved_by="y", reason="r"),
        Restriction(id=10_006, scope=Scope.of_cells(some(200), name="D"), valid_from=t(2025, 1, 1),
                    valid_until=None, revoked_at=None, revoked_by=None,
                    effect="terminal_disable", requested_by="x", approved_by="y", reason="r"),
        # Ukraine's in-motion limit from Dec 2024 on (facts §5 reports ~75-90 km/h in 2026)
        Authorization(id=10_007, scope=Scope.of_region("UA"), valid_from=t(2024, 12, 1),
                      valid_until=None, revoked_at=None, revoked_by=None, status="available",
                      max_speed_kmh=90.0),
        Authorization(id=10_008, scope=Scope.of_cells(some(100), name="E"),
                      valid_from=t(2024, 11, 1), valid_until=None, revoked_at=None,
                      revoked_by=None, status="available", max_speed_kmh=50.0),
    ]
    return base.with_changes(add=extra), np.concatenate([a, b])


def _sample_cells(policy, hot, rng):
    all5 = _cells.all_cells(5)
    picks = [all5[rng.integers(0, all5.size, 1500)], hot[rng.integers(0, hot.size, 300)],
             get_region_index().region_cells("TW")[:50], get_region_index().region_cells("BY")[:50]]
    for rule in [*policy.authorizations, *policy.restrictions]:
        if rule.scope.n_cells:
            picks.append(rule.scope.cells[rng.integers(0, rule.scope.n_cells, 5)])
    return np.unique(np.concatenate(picks))


TERMINAL_CASES = [
    ("fixed", {}), ("roam", {}), ("roam", {"speed_kmh": 120.0, "days_abroad": 30}),
    ("roam", {"days_abroad": 75}), ("maritime", {"speed_kmh": 70.0}),
    ("maritime", {"ocean_mode": True, "speed_kmh": 95.0}), ("aviation", {"speed_kmh": 900.0}),
]


@pytest.mark.parametrize("terminal, kw", TERMINAL_CASES,
                         ids=[f"{t}-{'-'.join(map(str, k.values())) or 'plain'}"
                              for t, k in TERMINAL_CASES])
def test_compiled_arrays_agree_with_decide(seeded_store, terminal, kw):
    policy, hot = _rich_policy(seeded_store)
    rng = np.random.default_rng(11 + TERMINAL_CASES.index((terminal, kw)))
    cells = _sample_cells(policy, hot, rng)
    sea = _cells.latlng_to_cells([30.0, -45.0, 0.0], [-40.0, 100.0, -150.0])  # XZ cells
    cells = np.union1d(cells, sea)
    times = [datetime(2024, 10, 26, tzinfo=UTC), datetime(2024, 12, 15, tzinfo=UTC),
             datetime(2025, 1, 20, tzinfo=UTC), datetime(2025, 4, 1, 6, tzinfo=UTC)]
    checked = 0
    for at in times:
        assert policy.change_times(at, at + SEC) == [at]  # no change inside the window
        comp = compile_policy(policy, at, at + SEC, cells=cells, terminal=terminal, **kw)
        picks = np.union1d(rng.choice(cells.size, 697, replace=False), comp.index_of(sea))
        for i in picks[:700]:
            d = decide(int(cells[i]), at, terminal, policy=policy, **kw)
            got = (int(comp.status[i]), bool(comp.terminal_allowed[i]),
                   bool(comp.beam_allowed[i]), bool(comp.transmit_allowed[i]))
            want = (STATUS_CODES[d.status], d.serviceable, d.beam_allowed, d.transmit_allowed)
            assert got == want, (hex(int(cells[i])), at, d.reasons)
            assert comp.region_codes[comp.region_id[i]] == d.region
            win = next((a for a in policy.authorizations if d.entries and a.id == d.entries[0]),
                       None)
            limit = speed_limit_kmh(terminal, win)
            assert (np.isnan(comp.max_speed_kmh[i]) if limit is None
                    else comp.max_speed_kmh[i] == limit[0])
            checked += 1
    assert checked >= 4 * 697
    assert kw.get("days_abroad", 0) > 61 or comp.terminal_allowed.any()


def test_a_window_with_a_change_is_compiled_conservatively(seeded_store):
    policy, _ = _rich_policy(seeded_store)
    start, end = datetime(2024, 11, 20, tzinfo=UTC), datetime(2025, 3, 10, tzinfo=UTC)
    changes = policy.change_times(start, end)
    assert changes[0] == start and datetime(2024, 12, 1, tzinfo=UTC) in changes
    c = policy.restrictions[-3].scope.cells  # beam_off only from Dec 1 to Feb 1
    tw = get_region_index().region_cells("TW")[:20]  # coming_soon, available from Mar 1
    cells = np.concatenate([c, tw])
    comp = compile_policy(policy, start, end, cells=cells)
    idx = comp.index_of(c)
    assert not comp.beam_allowed[idx].any()
    tw_idx = comp.index_of(tw)
    assert (comp.status[tw_idx] == STATUS_CODES["coming_soon"]).all()  # the worst in the window
    assert not comp.terminal_allowed[tw_idx].any()
    # compiling each constant piece exactly: the beam is off only in the middle piece
    pieces = [*changes, end]
    lit = [bool(compile_policy(policy, a, b, cells=c).beam_allowed.all())
           for a, b in zip(pieces[:-1], pieces[1:])]
    assert False in lit and True in lit


def test_all_cells_compile_and_index_of(seeded_store):
    policy = control.load_policy(seeded_store)
    at = datetime(2024, 10, 26, tzinfo=UTC)
    comp = compile_policy(policy, at, at + timedelta(hours=1))
    assert comp.cells.size == 2_016_842 and comp.cells.dtype == np.uint64
    assert comp.status.dtype == np.int8 and comp.region_id.dtype == np.int16
    assert comp.policy_version == policy.version
    summary = comp.summary()
    assert summary["status"]["waitlist"] >= 3000  # the operator's waitlist cells (some in RU etc.)
    restricted = policy.restrictions[0].scope.cells
    assert not comp.terminal_allowed[comp.index_of(restricted)].any()
    tw = comp.index_of(get_region_index().region_cells("TW"))
    assert (comp.status[tw] == STATUS_CODES["coming_soon"]).all()
    assert comp.beam_allowed.all() and comp.transmit_allowed.all()  # no beam_off in the preset
    assert list(comp.index_of(np.array([0, comp.cells[5]], dtype=np.uint64))) == [-1, 5]
    with pytest.raises(InputError):
        compile_policy(policy, at, at)
