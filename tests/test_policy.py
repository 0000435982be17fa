"""The decision function: precedence, time windows, conflicts, terminal rules, the preset's
hard cases, rebuilding the past from the ledger, policy files and what-if copies."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from policy_fixtures import seeded_home, seeded_store, seeded_template  # noqa: F401
from skygate.earth import cells as _cells
from skygate.errors import InputError, PolicyError, TimeInputError, UnknownRegionError
from skygate.policy import (
    Authorization,
    PolicyState,
    Restriction,
    Scope,
    control,
    decide,
)
from skygate.policy.ledger import read_entries
from skygate.policy.presets import preset_path, read_cells_file, read_policy_file

UTC = timezone.utc
T0 = datetime(2024, 1, 1, tzinfo=UTC)
AT = datetime(2024, 10, 26, 12, 0, tzinfo=UTC)
DATA = Path(__file__).resolve().parents[1] / "src" / "skygate" / "data"
KYIV = (50.45, 30.52)
TAIPEI = (25.03, 121.56)


def auth(i, scope, status, start=T0, until=None, **kw):
    return Authorization(id=i, scope=scope, valid_from=start, valid_until=until, revoked_at=None,
                         revoked_by=None, status=status, **kw)


def restr(i, scope, effect, start=T0, until=None, **kw):
    kw.setdefault("requested_by", "ministry")
    kw.setdefault("approved_by", "operator")
    return Restriction(id=i, scope=scope, valid_from=start, valid_until=until, revoked_at=None,
                       revoked_by=None, effect=effect, reason="test", **kw)


def cell_of(lat, lon):
    return int(_cells.latlng_to_cells(lat, lon, 5)[0])


def cells_scope(cells, name):
    return Scope.of_cells(np.asarray(cells, dtype=np.uint64), name=name)


def _restricted_cell_in(code: str) -> int:
    """One of the operator's restricted cells whose centre lies in ``code``."""
    from skygate.earth.regions import get_region_index

    cells = read_cells_file(DATA / "availability" / "operator_restricted_cells_2025-01.txt")[None]
    regions = get_region_index().cells_regions(cells)
    return int(cells[regions == code][0])


def state(*rules):
    return PolicyState(tuple(r for r in rules if isinstance(r, Authorization)),
                       tuple(r for r in rules if isinstance(r, Restriction)), version="test")


# ---------------------------------------------------------------------- precedence


def test_no_authorization_means_not_authorized():
    d = decide(KYIV, AT, policy=state())
    assert (d.status, d.serviceable, d.region) == ("not_authorized", False, "UA")
    assert any("no authorization on record" in r for r in d.reasons)


def test_a_restriction_beats_an_authorization():
    kyiv = cell_of(*KYIV)
    p = state(auth(1, Scope.of_region("UA"), "available"),
              restr(2, cells_scope([kyiv], "kyiv"), "terminal_disable"))
    d = decide(KYIV, AT, policy=p)
    assert d.status == "available" and not d.serviceable
    assert d.entries == [1, 2]
    assert any("restriction #2" in r for r in d.reasons)
    other = decide((49.84, 24.03), AT, policy=p)  # Lviv: same country, not restricted
    assert other.serviceable and other.entries == [1]


def test_the_most_specific_region_wins():
    kyiv = cell_of(*KYIV)
    ring = _cells.latlng_to_cells([50.45, 50.5, 50.4], [30.52, 30.6, 30.4], 5)
    p = state(auth(1, Scope.of_region("UA"), "available"),
              auth(2, cells_scope(np.unique(np.append(ring, np.uint64(kyiv))), "greater kyiv"), "waitlist",
                   label="Sold Out"),
              auth(3, cells_scope([kyiv], "kyiv centre"), "coming_soon"))
    assert decide(KYIV, AT, policy=p).status == "coming_soon"  # 1 cell beats 3 beats country
    assert decide((50.5, 30.6), AT, policy=p).status == "waitlist"
    assert decide((49.84, 24.03), AT, policy=p).status == "available"
    # the order rules were recorded in does not matter
    p2 = state(*reversed(p.authorizations))
    assert decide(KYIV, AT, policy=p2).entries == decide(KYIV, AT, policy=p).entries == [3]


def test_time_windows_and_supersession():
    later = datetime(2027, 1, 1, tzinfo=UTC)
    tw = Scope.of_region("TW")
    p = state(auth(1, tw, "coming_soon"), auth(2, tw, "available", start=later),
              restr(3, Scope.of_region("TW"), "beam_off", start=AT, until=AT + timedelta(days=1)))
    assert decide(TAIPEI, AT - timedelta(seconds=1), policy=p).beam_allowed
    d = decide(TAIPEI, AT, policy=p)
    assert d.status == "coming_soon" and not d.beam_allowed
    assert decide(TAIPEI, AT + timedelta(days=1), policy=p).beam_allowed  # until is exclusive
    assert decide(TAIPEI, later, policy=p).status == "available"
    assert decide(TAIPEI, datetime(2023, 1, 1, tzinfo=UTC), policy=p).status == "not_authorized"


def test_overlapping_conflicting_rules_are_deterministic_and_warned():
    a = _cells.latlng_to_cells([50.45, 50.5], [30.52, 30.6], 5)
    b = _cells.latlng_to_cells([50.45, 50.4], [30.52, 30.4], 5)
    r1 = auth(1, cells_scope(a, "plan A"), "waitlist")
    r2 = auth(2, cells_scope(b, "plan B"), "available")
    for p in (state(r1, r2), state(r2, r1)):
        d = decide(KYIV, AT, policy=p)
        assert d.status == "available" and d.entries == [2]  # same start: higher id wins
        assert d.warnings and "conflicting authorizations #2" in d.warnings[0]
    newer = auth(1, cells_scope(a, "plan A"), "waitlist", start=T0 + timedelta(days=1))
    assert decide(KYIV, AT, policy=state(newer, r2)).status == "waitlist"  # newest wins


def test_not_authorized_does_not_switch_beams_off():
    d = decide((35.7, 51.4), AT, policy=state(auth(1, Scope.of_region("IR"), "not_authorized")))
    assert not d.serviceable and d.beam_allowed and d.transmit_allowed


def test_terminal_kinds_follow_the_published_rules():
    p = state(auth(1, Scope.of_region("XZ"), "available"),
              auth(2, Scope.of_region("UA"), "available", max_speed_kmh=90.0),
              auth(3, Scope.of_region("US"), "waitlist"))
    sea = (30.0, -40.0)
    maritime = decide(sea, AT, "maritime", policy=p)
    assert not maritime.serviceable and any("Ocean Mode" in r for r in maritime.reasons)
    assert decide(sea, AT, "maritime", policy=p, ocean_mode=True).serviceable
    assert decide(sea, AT, "aviation", policy=p).serviceable
    roam = decide(sea, AT, "roam", policy=p)
    assert not roam.serviceable and any("Ocean Mode" in r for r in roam.reasons)
    assert decide((40.0, -100.0), AT, "roam", policy=p).serviceable  # waitlist market: ok
    assert not decide((40.0, -100.0), AT, "roam", policy=p, days_abroad=70).serviceable
    assert not decide((40.0, -100.0), AT, "roam", policy=p, speed_kmh=170).serviceable
    assert decide((40.0, -100.0), AT, "roam", policy=p, speed_kmh=150).serviceable
    assert not decide(KYIV, AT, "fixed", policy=p, speed_kmh=100).serviceable  # UA limit
    assert decide(KYIV, AT, "aviation", policy=p, speed_kmh=850).serviceable
    with pytest.raises(InputError, match="terminal"):
        decide(KYIV, AT, "tank", policy=p)


def test_maritime_is_coastal_to_12_nmi_without_ocean_mode():
    """Facts §5: coastal waters to 12 nmi; beyond, Ocean Mode. Points 5 and 20 nmi off
    Taiwan's open east coast (the territorial sea is tested in test_regions)."""
    p = state(auth(1, Scope.of_region("XZ"), "available"), auth(2, Scope.of_region("TW"),
                                                                 "available"))
    nmi_deg = 1.852 / 111.32 / np.cos(np.radians(23.98))  # one nmi of longitude at 23.98° N
    coast_lon = 121.62  # a point on the coast at 23.98° N (test_regions COASTS)
    near = decide((23.98, coast_lon + 5 * nmi_deg + 0.02), AT, "maritime", policy=p)
    far = decide((23.98, coast_lon + 20 * nmi_deg + 0.05), AT, "maritime", policy=p)
    assert (near.region, near.serviceable) == ("TW", True)
    assert (far.region, far.serviceable) == ("XZ", False)
    assert decide((23.98, coast_lon + 20 * nmi_deg + 0.05), AT, "maritime", policy=p,
                  ocean_mode=True).serviceable
    assert not decide((23.98, coast_lon + 20 * nmi_deg + 0.05), AT, "roam", policy=p,
                      ocean_mode=True).serviceable  # Ocean Mode is a maritime plan


def test_speed_limits_per_region_and_kind():
    p = state(auth(1, Scope.of_region("UA"), "available", max_speed_kmh=90.0),
              auth(2, Scope.of_region("PL"), "available"),
              auth(3, Scope.of_region("DE"), "available", max_speed_kmh=200.0))
    warsaw, berlin = (52.23, 21.01), (52.52, 13.40)
    assert decide(KYIV, AT, "maritime", policy=p, speed_kmh=80).serviceable
    assert not decide(KYIV, AT, "maritime", policy=p, speed_kmh=95).serviceable
    too_fast = decide(KYIV, AT, "roam", policy=p, speed_kmh=120)  # the lower limit (90) applies
    assert not too_fast.serviceable and any("authorization #1" in r for r in too_fast.reasons)
    assert decide(warsaw, AT, "fixed", policy=p, speed_kmh=300).serviceable  # no limit in PL
    assert not decide(berlin, AT, "roam", policy=p, speed_kmh=170).serviceable  # roam's 160
    assert decide(berlin, AT, "fixed", policy=p, speed_kmh=170).serviceable
    assert decide(KYIV, AT, "roam", policy=p, days_abroad=61).serviceable
    assert not decide(KYIV, AT, "roam", policy=p, days_abroad=61.5).serviceable


@pytest.mark.parametrize("bad", [{"speed_kmh": -1.0}, {"speed_kmh": float("nan")},
                                 {"days_abroad": float("inf")}, {"speed_kmh": "fast"}])
def test_negative_or_nan_motion_is_an_input_error_not_a_pass(bad):
    """NaN compares false with every limit, so it would silently be served: refuse it."""
    from skygate.policy import compile_policy

    p = state(auth(1, Scope.of_region("UA"), "available", max_speed_kmh=90.0))
    field = next(iter(bad))
    with pytest.raises(InputError, match=field) as info:
        decide(KYIV, AT, "roam", policy=p, **bad)
    assert info.value.where == field and info.value.hint
    with pytest.raises(InputError, match=field):
        compile_policy(p, AT, AT + timedelta(hours=1), cells=[cell_of(*KYIV)], **bad)
    assert decide(KYIV, AT, "roam", policy=p, speed_kmh=0, days_abroad=0).serviceable


def test_effects_are_explained_and_no_transmit_is_about_satellites_overhead():
    cell = cell_of(*KYIV)
    p = state(auth(1, Scope.of_region("UA"), "available"),
              restr(2, cells_scope([cell], "Kyiv cell"), "no_transmit"),
              restr(3, cells_scope([cell], "Kyiv cell"), "beam_off"))
    d = decide(KYIV, AT, policy=p)
    # terminals there are not refused: satellites whose sub-satellite point is outside may
    # serve them at a slant; no beam may serve the cell and no satellite overhead transmits
    assert d.serviceable and not d.beam_allowed and not d.transmit_allowed
    assert d.entries == [1, 2, 3]
    assert any("sub-satellite point" in r for r in d.reasons)
    assert any("no user beam may serve this cell" in r for r in d.reasons)
    nearby = decide((50.9, 30.52), AT, policy=p)  # ~50 km north: another cell
    assert nearby.beam_allowed and nearby.transmit_allowed


def test_rules_refuse_bad_input():
    with pytest.raises(PolicyError, match="same actor"):
        restr(1, Scope.of_region("UA"), "beam_off", requested_by="Bob", approved_by="bob ")
    with pytest.raises(InputError, match="effect"):
        restr(1, Scope.of_region("UA"), "jam")
    with pytest.raises(InputError, match="status"):
        from skygate.policy.model import check_status

        check_status("sold_out")
    with pytest.raises(TimeInputError, match="no time zone"):
        decide(KYIV, datetime(2024, 10, 26), policy=state())


# ---------------------------------------------------------------------- the preset


def test_every_preset_entry_went_through_the_ledger(seeded_store):
    changes = read_policy_file(preset_path("reported-2024-10"))
    with seeded_store.connect() as conn:
        rows = list(read_entries(conn))
    assert len(rows) == len(changes) > 100
    assert all(r.actor == "preset:reported-2024-10" for r in rows)
    restricted = [r for r in rows if r.op == "restrict"]
    assert len(restricted) == 1


def test_preset_hard_cases(seeded_store, shared_data):
    p = control.load_policy(seeded_store)
    # Taipei, Kinmen, Matsu (Nangan), Penghu, Pratas
    for place in (TAIPEI, (24.43, 118.32), (26.16, 119.95), (23.57, 119.58), (20.70, 116.72)):
        d = decide(place, AT, policy=p)
        assert (d.region, d.status, d.serviceable) == ("TW", "coming_soon", False), place
        assert "49%" in d.reasons[0]
    for place, code in (((55.75, 37.62), "RU"), ((54.71, 20.51), "RU"), ((39.9, 116.4), "CN"),
                        ((35.7, 51.4), "IR"), ((39.03, 125.75), "KP")):
        d = decide(place, AT, policy=p)
        assert (d.region, d.status) == (code, "not_authorized"), place
        assert d.beam_allowed
    assert decide(KYIV, AT, policy=p).serviceable
    # the operator's own published cells, from the shared data (an independent copy)
    import csv

    with (shared_data / "availability" / "operator_cells_by_status.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    black = [r["h3_cell"] for r in rows if r["status"] == "blacklisted"]
    sold_out = [r["h3_cell"] for r in rows if r["label"] == "Sold Out"]
    for cell in black[::37]:
        d = decide(cell, AT, policy=p)
        assert not d.serviceable and any("terminal_disable" in r for r in d.reasons)
    for cell in sold_out[::401]:
        d = decide(cell, AT, policy=p)
        assert (d.status, d.label) == ("waitlist", "Sold Out")


def test_the_policy_as_it_stood_at_any_past_time(seeded_store):
    now = datetime.now(UTC)
    control.authorize(seeded_store, Scope.of_region("TW"), "available", reason="licence granted",
                      actor="ncc-liaison", legal_basis="hypothetical FTA exemption")
    kerch = control.load_policy(seeded_store).restrictions[0]
    control.revoke(seeded_store, kerch.id, reason="front line moved", actor="ops")
    kerch_cell = _restricted_cell_in("UA")

    then = control.load_policy(seeded_store, at=datetime(2024, 10, 25, 12, tzinfo=UTC))
    assert decide(TAIPEI, then.at, policy=then).status == "coming_soon"
    assert not decide(int(kerch_cell), then.at, policy=then).serviceable
    current = control.load_policy(seeded_store)
    later = now + timedelta(seconds=5)
    assert decide(TAIPEI, later, policy=current).status == "available"
    assert decide(int(kerch_cell), later, policy=current).serviceable
    before = control.load_policy(seeded_store, at=datetime(2023, 6, 1, tzinfo=UTC))
    assert not before.authorizations and len(before.restrictions) == 1  # in force since 2022


def test_policy_file_and_what_if(seeded_store):
    from_file = PolicyState.from_file(preset_path("reported-2024-10"))
    from_ledger = control.load_policy(seeded_store)
    assert from_file.version.startswith("file:")
    assert len(from_file.rules()) == len(from_ledger.rules())
    for place in (TAIPEI, KYIV, (47.6, -122.33), (30.0, -40.0)):
        a, b = decide(place, AT, policy=from_file), decide(place, AT, policy=from_ledger)
        assert (a.status, a.serviceable, a.label) == (b.status, b.serviceable, b.label)
    kerch = from_ledger.restrictions[0].id
    what_if = from_ledger.with_changes(set_status={"tw": "available"}, drop_restrictions=[kerch])
    assert "+whatif:" in what_if.version
    assert decide(TAIPEI, AT, policy=what_if).serviceable
    assert decide(_restricted_cell_in("UA"), AT, policy=what_if).serviceable
    assert decide(TAIPEI, AT, policy=from_ledger).status == "coming_soon"  # original untouched
    with pytest.raises(UnknownRegionError, match="TW"):
        from_ledger.with_changes(set_status={"Taiwan": "available"})
    with pytest.raises(PolicyError, match="no restriction"):
        from_ledger.with_changes(drop_restrictions=[99999])


def test_unknown_region_suggests_the_closest():
    from skygate.policy.presets import region_scope

    with pytest.raises(UnknownRegionError) as info:
        region_scope("TWN")
    assert "TW" in str(info.value)


def test_decide_reads_the_store_when_no_policy_is_given(seeded_home):
    d = decide(TAIPEI, AT)
    assert d.status == "coming_soon" and len(d.policy_version) == 64


def test_json_policy_files_and_their_errors(tmp_path):
    import json

    (tmp_path / "cells.txt").write_text("# two cells\n8511920bfffffff\n85119213fffffff\n")
    doc = {
        "preset": {"name": "mine", "effective": "2025-01-01T00:00:00Z", "actor": "me"},
        "authorization": [{"region": "UA", "status": "available", "reason": "licence"},
                          {"cells_file": "cells.txt", "status": "waitlist", "label": "Sold Out"}],
        "restriction": [{"region": "BY", "effect": "no_transmit", "requested_by": "a",
                         "approved_by": "b", "valid_until": "2025-06-01T00:00:00Z"}],
    }
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(doc))
    p = PolicyState.from_file(path)
    assert [r.id for r in p.rules()] == [1, 2, 3]
    at = datetime(2025, 2, 1, tzinfo=UTC)
    assert decide(KYIV, at, policy=p).status == "available"
    assert decide("8511920bfffffff", at, policy=p).label == "Sold Out"
    assert not decide((53.9, 27.56), at, policy=p).transmit_allowed  # Minsk
    assert decide((53.9, 27.56), datetime(2025, 7, 1, tzinfo=UTC), policy=p).transmit_allowed
    doc["restriction"][0]["valid_until"] = "2025-06-01T00:00:00"
    path.write_text(json.dumps(doc))
    with pytest.raises(TimeInputError, match="no time zone"):
        PolicyState.from_file(path)
    del doc["restriction"]
    doc["authorization"][0]["status"] = "open"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"authorization\]\] #1"):
        PolicyState.from_file(path)
    (tmp_path / "cells.txt").write_text("not-a-cell\n")
    doc["authorization"][0]["status"] = "available"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="not an H3 cell"):
        PolicyState.from_file(path)


def test_a_cell_must_be_a_valid_resolution_5_cell():
    p = state(auth(1, Scope.of_region("UA"), "available"))
    fine = int(_cells.latlng_to_cells(*KYIV, 7)[0])
    with pytest.raises(InputError, match="resolution 7") as info:
        decide(fine, AT, policy=p)
    assert info.value.where == "cell"
    with pytest.raises(InputError, match="not a valid H3 cell"):
        decide("zz", AT, policy=p)
    assert decide(f"{cell_of(*KYIV):x}", AT, policy=p).serviceable
