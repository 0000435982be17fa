"""The map's area layer (``skygate.api.areas``): cells merged into polygons without gaps or
overlaps, and a layer that shows, painted in order, exactly what ``decide`` answers."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest
import shapely
from h3.api import basic_int as h3i

from skygate.api.areas import AreaLayer, area_features, merged_geometry
from skygate.earth import cells as _cells
from skygate.policy import decide
from skygate.policy.model import Authorization, Restriction, Scope
from skygate.policy.presets import preset_path
from skygate.policy.state import PolicyState

AT = datetime(2025, 6, 1, tzinfo=timezone.utc)  # the preset (effective 2024-10-25) in force
SIMFEROPOL = (44.95, 34.10)


@pytest.fixture(scope="module")
def preset():
    return PolicyState.from_file(preset_path("reported-2024-10"))


def _cell_area_deg2(cells) -> float:
    """Sum of the cells' own (planar lon/lat) areas: the reference for their union."""
    return float(sum(shapely.Polygon(ring).area for ring in _cells.cell_boundaries(cells)))


def _rings_ok(geometry: dict) -> None:
    assert geometry["type"] == "MultiPolygon"
    for polygon in geometry["coordinates"]:
        for ring in polygon:
            assert ring[0] == ring[-1] and len(ring) >= 4


def test_merged_cells_cover_exactly_the_cells(preset):
    crimea = next(a for a in preset.authorizations if a.scope.code == "UA-43")
    geometry = merged_geometry(crimea.scope.cells)
    _rings_ok(geometry)
    shape = shapely.geometry.shape(geometry)
    assert shape.is_valid and len(geometry["coordinates"]) == 1  # Crimea is one piece
    # No gap and no overlap: the union's area is the sum of the cells' areas (the coordinates
    # are rounded to 1e-4°, ~11 m, on a ~10 km edge: 1e-3 relative is ample).
    assert shape.area == pytest.approx(_cell_area_deg2(crimea.scope.cells), rel=1e-3)
    # Far fewer vertices than the cells' own outlines (175 cells × 6).
    assert shapely.get_num_coordinates(shape) < 175 * 6 / 4
    lat, lon = _cells.cell_centers(crimea.scope.cells)
    assert shapely.contains_xy(shape, lon, lat).all()
    assert shape.contains(shapely.Point(SIMFEROPOL[1], SIMFEROPOL[0]))


def test_scattered_cells_and_a_hole():
    centre = h3i.latlng_to_cell(45.0, 34.0, 5)
    ring = np.array(sorted(set(h3i.grid_disk(centre, 1)) - {centre}), dtype=np.uint64)
    far = np.array([h3i.latlng_to_cell(-33.9, 18.4, 5)], dtype=np.uint64)  # Cape Town
    geometry = merged_geometry(np.concatenate([ring, far]))
    _rings_ok(geometry)
    polygons = geometry["coordinates"]
    assert sorted(len(p) for p in polygons) == [1, 2]  # the lone cell; the ring with its hole
    shape = shapely.geometry.shape(geometry)
    lat, lon = _cells.cell_centers(np.array([centre], dtype=np.uint64))
    assert not shape.contains(shapely.Point(lon[0], lat[0]))  # the hole is not covered
    assert shape.area == pytest.approx(_cell_area_deg2(np.concatenate([ring, far])), rel=1e-3)
    assert merged_geometry(np.zeros(0, np.uint64)) is None


def test_cells_across_the_antimeridian_stay_one_polygon():
    disk = np.array(h3i.grid_disk(h3i.latlng_to_cell(-16.8, 180.0, 5), 3), dtype=np.uint64)
    geometry = merged_geometry(disk)
    _rings_ok(geometry)
    assert len(geometry["coordinates"]) == 1
    outer = np.array(geometry["coordinates"][0][0])
    # Unwrapped like /cells: one shape a degree or so wide, running past 180°, not two
    # slivers at the map's edges (a naive ring would span ~360°).
    assert outer[:, 0].max() - outer[:, 0].min() < 3.0 and outer[:, 0].max() > 180.0
    shape = shapely.geometry.shape(geometry)
    assert shape.is_valid
    assert shape.area == pytest.approx(_cell_area_deg2(disk), rel=1e-3)


def test_a_pole_cell_is_closed_over_the_pole():
    pole = np.array([h3i.latlng_to_cell(90.0, 0.0, 5)], dtype=np.uint64)
    geometry = merged_geometry(pole)
    _rings_ok(geometry)
    assert shapely.geometry.shape(geometry).contains(shapely.Point(10.0, 89.99))


def _top_status(features, lon: float, lat: float) -> str | None:
    """The status a client painting ``features`` in order shows at a point (None: none)."""
    shown = None
    for feature, shape in features:
        if shape.contains(shapely.Point(lon, lat)):
            shown = feature["properties"]["status"]
    return shown


def test_painted_in_order_the_layer_shows_what_decide_answers(preset):
    # A small area inside Crimea with a status of its own: more specific than Crimea, so it
    # wins there, and must be painted over it.
    centre = h3i.latlng_to_cell(*SIMFEROPOL, 5)
    inner = Authorization(id=9001, scope=Scope.of_cells(h3i.grid_disk(centre, 1), name="inner"),
                          valid_from=datetime(2025, 1, 1, tzinfo=timezone.utc), valid_until=None,
                          revoked_at=None, revoked_by=None, status="coming_soon")
    state = preset.with_changes(add=[inner])
    layer = area_features(state, AT)
    features = [(f, shapely.geometry.shape(f["geometry"])) for f in layer["features"]]
    ids = [f["properties"]["id"] for f, _ in features]
    crimea_id = next(a.id for a in state.authorizations if a.scope.code == "UA-43")
    assert ids.index(9001) > ids.index(crimea_id)  # the more specific is painted later
    crimea = next(a for a in state.authorizations if a.scope.code == "UA-43")
    waitlist = [a for a in state.authorizations if a.scope.kind == "cells" and a.id != 9001]
    rng = np.random.default_rng(5)
    sample = np.concatenate([
        crimea.scope.cells,  # every Crimea cell (the inner ones included)
        *(rng.choice(a.scope.cells, min(40, a.scope.n_cells), replace=False) for a in waitlist),
    ])
    # ... and their neighbours outside, where the country decides.
    sample = np.unique(np.concatenate([sample, np.array(
        [n for c in sample[::7].tolist() for n in h3i.grid_ring(c, 1)], dtype=np.uint64)]))
    lat, lon = _cells.cell_centers(sample)
    seen = set()
    for cell, y, x in zip(sample.tolist(), lat.tolist(), lon.tolist()):
        d = decide(cell, AT, policy=state)
        area_rule = [e for e in d.entries if state.get(e).scope.kind != "region"
                     and isinstance(state.get(e), Authorization)]
        expected = d.status if area_rule else None
        assert _top_status(features, x, y) == expected, (f"{cell:x}", d.reasons)
        seen.add(expected)
    assert {None, "not_authorized", "waitlist", "coming_soon"} <= seen


def test_the_layer_follows_the_date(preset):
    before = area_features(preset, datetime(2024, 10, 24, tzinfo=timezone.utc))
    assert before["features"] == [] and before["count"] == 0
    after = area_features(preset, datetime(2024, 10, 25, tzinfo=timezone.utc))
    assert {f["properties"]["code"] for f in after["features"]} >= {"UA-43"}
    # A revoked rule is drawn up to its revocation, and says until when.
    from dataclasses import replace

    end = datetime(2025, 1, 1, tzinfo=timezone.utc)
    state = replace(preset, authorizations=tuple(
        replace(a, revoked_at=end) if a.scope.code == "UA-43" else a
        for a in preset.authorizations))
    crimea = [f for f in area_features(state, datetime(2024, 12, 1, tzinfo=timezone.utc))[
        "features"] if f["properties"]["code"] == "UA-43"]
    assert crimea[0]["properties"]["until"] == "2025-01-01T00:00:00Z"
    assert "UA-43" not in [f["properties"]["code"] for f in area_features(state, end)["features"]]


def test_a_country_wide_restriction_hides_its_areas(preset):
    # A terminal_disable on all of Ukraine beats Crimea's authorization: the country is
    # drawn 'restricted' and nothing of Ukraine may be painted over it.
    stop = Restriction(id=9002, scope=Scope.of_region("UA"), valid_from=AT, valid_until=None,
                       revoked_at=None, revoked_by=None, effect="terminal_disable",
                       requested_by="test a", approved_by="test b", reason="test", public=False)
    state = preset.with_changes(add=[stop])
    codes = [f["properties"]["code"] for f in area_features(state, AT)["features"]]
    assert "UA-43" not in codes
    assert "UA-43" in [f["properties"]["code"] for f in area_features(preset, AT)["features"]]


def test_properties_are_public_facts_only(preset):
    layer = area_features(preset, AT)
    text = json.dumps(layer)
    for feature in layer["features"]:
        assert set(feature["properties"]) == {"id", "status", "label", "code", "name", "scope",
                                              "region", "cells", "valid_from", "until"}
    # The preset's only restriction is not public: nothing of it is in the layer.
    assert "Isaacson" not in text and "undisclosed" not in text and "restricted" not in text
    statuses = {f["properties"]["status"] for f in layer["features"]}
    assert statuses == {"not_authorized", "waitlist"}
    assert sum(f["properties"]["cells"] for f in layer["features"]
               if f["properties"]["status"] == "waitlist") == 3296


def test_cached_body_is_shared_between_dates_with_the_same_rules(preset):
    layer = AreaLayer()
    one = json.loads(layer.geojson(preset, AT))
    two = json.loads(layer.geojson(preset, datetime(2026, 1, 1, tzinfo=timezone.utc)))
    assert one.pop("at") == "2025-06-01T00:00:00Z" and two.pop("at") == "2026-01-01T00:00:00Z"
    assert one == two == json.loads(json.dumps(area_features(preset, AT)))
    empty = json.loads(layer.geojson(preset, datetime(2024, 1, 1, tzinfo=timezone.utc)))
    assert empty["features"] == []
