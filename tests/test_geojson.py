"""GeoJSON reading: winding, holes, the antimeridian, repair and refusal of bad shapes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import shapely

from skygate.earth.geojson import GeometryRepairWarning, read_geojson, split_antimeridian, to_geojson
from skygate.errors import GeometryError, InputError

SQUARE_CCW = [[30.0, 45.0], [31.0, 45.0], [31.0, 46.0], [30.0, 46.0], [30.0, 45.0]]


def poly(*rings):
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def test_polygon_area_and_ccw_exterior():
    g = read_geojson(poly(SQUARE_CCW))
    assert g.geom_type == "MultiPolygon"
    assert g.area == pytest.approx(1.0)
    assert g.geoms[0].exterior.is_ccw


def test_clockwise_exterior_is_reoriented_not_inverted():
    cw = SQUARE_CCW[::-1]
    g = read_geojson(poly(cw))
    assert g.area == pytest.approx(1.0)  # a 1°×1° square, not the rest of the world
    assert g.geoms[0].exterior.is_ccw
    assert g.contains(shapely.Point(30.5, 45.5))


def test_hole_excludes_its_inside_and_is_clockwise():
    hole = [[30.25, 45.25], [30.75, 45.25], [30.75, 45.75], [30.25, 45.75], [30.25, 45.25]]  # CCW: wrong
    g = read_geojson(poly(SQUARE_CCW, hole))
    assert g.area == pytest.approx(0.75)
    assert not g.contains(shapely.Point(30.5, 45.5))
    assert g.contains(shapely.Point(30.1, 45.1))
    assert not g.geoms[0].interiors[0].is_ccw


def test_feature_collection_unions_features_and_skips_null_geometry():
    other = [[c[0] + 2, c[1]] for c in SQUARE_CCW]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": poly(SQUARE_CCW)},
        {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [[other]]}},
        {"type": "Feature", "properties": {}, "geometry": None},
    ]}
    g = read_geojson(fc)
    assert len(g.geoms) == 2 and g.area == pytest.approx(2.0)


def test_ring_crossing_the_antimeridian_is_split_into_two_parts():
    # Around Fiji's 180° meridian: 178°E … 178°W written with the jump.
    ring = [[178.0, -18.0], [-178.0, -18.0], [-178.0, -16.0], [178.0, -16.0], [178.0, -18.0]]
    g = read_geojson(poly(ring))
    assert len(g.geoms) == 2
    assert g.area == pytest.approx(8.0)  # 4° × 2°, not 356° × 2°
    w, s, e, n = g.bounds
    assert (w, e) == (-180.0, 180.0)
    assert g.contains(shapely.Point(179.5, -17)) and g.contains(shapely.Point(-179.5, -17))
    assert not g.contains(shapely.Point(0.0, -17))


def test_longitudes_written_beyond_180_are_split():
    ring = [[170.0, 60.0], [190.0, 60.0], [190.0, 65.0], [170.0, 65.0], [170.0, 60.0]]
    g = read_geojson(poly(ring))
    assert g.area == pytest.approx(100.0)
    assert g.contains(shapely.Point(-175.0, 62.0))
    assert g.bounds[0] >= -180 and g.bounds[2] <= 180


def test_ring_around_the_pole_is_closed_over_the_pole():
    lons = np.arange(-180.0, 181.0, 30.0)
    ring = [[float(x), 80.0] for x in lons[:-1]] + [[-180.0, 80.0]]
    ring = [[x if x != 180 else 179.999, y] for x, y in ring]
    g = read_geojson(poly(ring))
    assert g.contains(shapely.Point(0.0, 85.0)) and g.contains(shapely.Point(179.0, 89.0))
    assert not g.contains(shapely.Point(0.0, 70.0))
    assert g.area == pytest.approx(3600.0, rel=1e-3)  # 360° × 10° in lon/lat degrees


def test_bowtie_is_repaired_with_a_message_saying_where():
    bowtie = [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": poly(SQUARE_CCW)},
        {"type": "Feature", "properties": {}, "geometry": poly(bowtie)},
    ]}
    with pytest.warns(GeometryRepairWarning, match=r"features\[1\].*Self-intersection"):
        g = read_geojson(fc)
    assert g.is_valid
    assert g.area == pytest.approx(1.0 + 0.5)  # the two triangles of the bowtie


def test_bowtie_is_refused_on_request_with_location():
    bowtie = [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    with pytest.raises(GeometryError, match=r"Self-intersection\[0\.5 0\.5\]") as info:
        read_geojson(poly(bowtie), on_invalid="raise")
    assert "coordinates" in str(info.value)
    assert isinstance(info.value, InputError)


def test_unclosed_ring_is_closed_with_warning():
    with pytest.warns(GeometryRepairWarning, match="not closed"):
        g = read_geojson(poly(SQUARE_CCW[:-1]))
    assert g.area == pytest.approx(1.0)
    with pytest.raises(GeometryError, match="not closed"):
        read_geojson(poly(SQUARE_CCW[:-1]), on_invalid="raise")


@pytest.mark.parametrize("obj, message", [
    ({"type": "Point", "coordinates": [1, 2]}, "Point is not an area"),
    (poly([[0, 0], [1, 95], [2, 0], [0, 0]]), "latitude 95.0 .* beyond"),
    (poly([[0, 0], ["a", 1], [2, 0], [0, 0]]), r"\[lon, lat\] number pairs"),
    (poly([[0, 0], [1, 1], [0, 0]]), "at least 3 distinct"),
    ({"type": "Polygon"}, "'coordinates' is missing"),
    ({"type": "FeatureCollection", "features": []}, "no Polygon or MultiPolygon"),
])
def test_bad_input_raises_geometry_error(obj, message):
    with pytest.raises(GeometryError, match=message):
        read_geojson(obj)


def test_file_and_text_sources_and_json_errors(tmp_path):
    path = tmp_path / "area.geojson"
    path.write_text(json.dumps(poly(SQUARE_CCW)))
    assert read_geojson(path).area == pytest.approx(1.0)
    assert read_geojson(str(path)).area == pytest.approx(1.0)
    assert read_geojson(json.dumps(poly(SQUARE_CCW))).area == pytest.approx(1.0)
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "Polygon",\n "coordinates": [[[0,0],]]}')
    with pytest.raises(GeometryError, match=r"bad.geojson:2:\d+: not valid JSON"):
        read_geojson(bad)
    with pytest.raises(GeometryError, match="cannot read"):
        read_geojson(tmp_path / "missing.geojson")


def test_round_trip_through_to_geojson():
    ring = [[178.0, -18.0], [-178.0, -18.0], [-178.0, -16.0], [178.0, -16.0], [178.0, -18.0]]
    g = read_geojson(poly(SQUARE_CCW, [[30.2, 45.2], [30.2, 45.4], [30.4, 45.4], [30.2, 45.2]]))
    again = read_geojson(to_geojson(g))
    assert again.symmetric_difference(g).area < 1e-9
    g2 = read_geojson(poly(ring))
    assert read_geojson(to_geojson(g2)).symmetric_difference(g2).area < 1e-9


def test_split_antimeridian_keeps_area():
    g = shapely.box(175.0, 10.0, 185.0, 11.0)
    out = split_antimeridian(g)
    assert math.isclose(out.area, g.area) and out.bounds[2] <= 180.0
