"""Custom regions (policy-defined areas on top of countries) from GeoJSON and from cells."""

from __future__ import annotations

import h3
import numpy as np
import pytest
import shapely

from skygate.earth import cells as sc
from skygate.earth.geojson import GeometryRepairWarning
from skygate.earth.regions import CustomRegion, get_region_index
from skygate.errors import InputError

SIMFEROPOL = (44.9521, 34.1024)
KYIV = (50.4501, 30.5234)
# A rough outline of Crimea, written clockwise (wrong winding on purpose).
CRIMEA = {"type": "Feature", "properties": {"name": "Crimea"}, "geometry": {
    "type": "Polygon", "coordinates": [[[32.4, 45.3], [33.6, 46.2], [35.6, 46.2], [36.7, 45.3],
                                        [35.0, 44.3], [33.5, 44.3], [32.4, 45.3]]]}}


def test_crimea_from_geojson_overrides_what_the_data_says():
    crimea = CustomRegion.from_geojson(CRIMEA, code="UA-43", name="Crimea")
    lat, lon = np.array([SIMFEROPOL[0], KYIV[0]]), np.array([SIMFEROPOL[1], KYIV[1]])
    assert crimea.contains(lat, lon).tolist() == [True, False]
    assert get_region_index().lookup(*SIMFEROPOL)[0] == "UA"  # Natural Earth's answer
    cells = crimea.cells(5)
    clat, clon = sc.cell_centers(cells)
    poly = shapely.Polygon(CRIMEA["geometry"]["coordinates"][0])
    assert shapely.intersects_xy(poly, clon, clat).all()
    # polygon area in km² / 252.9 km² per res-5 cell, within 10 %
    area_km2 = poly.area * (111.32 ** 2) * np.cos(np.radians(45.3))
    assert cells.size == pytest.approx(area_km2 / 252.9, rel=0.1)
    # every res-5 cell whose centre is inside is found (nothing missed at the edges)
    box = sc.cells_in_bbox(*poly.bounds, 5)
    blat, blon = sc.cell_centers(box)
    assert np.array_equal(cells, box[shapely.intersects_xy(poly, blon, blat)])


def test_custom_region_across_the_antimeridian():
    ring = [[179.0, -17.0], [-179.0, -17.0], [-179.0, -16.0], [179.0, -16.0], [179.0, -17.0]]
    r = CustomRegion.from_geojson({"type": "Polygon", "coordinates": [ring]}, code="FJ-180")
    assert r.contains([-16.5, -16.5, -16.5], [179.5, -179.5, 0.0]).tolist() == [True, True, False]
    cells = r.cells(5)
    assert np.array_equal(cells, sc.cells_in_bbox(179.0, -17.0, -179.0, -16.0, 5))


def test_custom_region_from_cells_of_mixed_resolutions():
    coarse = sc.latlng_to_cells(45.3, 36.5, 4)  # near the Kerch Strait
    fine = sc.latlng_to_cells(KYIV[0], KYIV[1], 6)
    r = CustomRegion.from_cells(np.r_[sc.to_hex(coarse), sc.to_hex(fine), sc.to_hex(coarse)], code="kerch")
    assert r.cell_set.size == 2
    lat, lon = sc.cell_centers(np.r_[coarse, fine])
    assert r.contains(lat, lon).all()
    assert not r.contains(SIMFEROPOL[0], SIMFEROPOL[1])[0]
    res5 = r.cells(5)
    children = [int(c, 16) for c in h3.cell_to_children(sc.to_hex(coarse)[0], 5)]
    assert set(children) <= set(res5.tolist())
    # the res-5 parent of the res-6 cell belongs only if its centre falls in that res-6 cell
    parent = int(h3.cell_to_parent(sc.to_hex(fine)[0], 5), 16)
    plat, plon = sc.cell_centers([parent])
    assert (parent in res5.tolist()) == (sc.latlng_to_cells(plat, plon, 6)[0] == fine[0])
    assert len(res5) in (7, 8)
    gj = r.to_geojson()
    assert gj["properties"]["code"] == "kerch" and len(gj["features"]) == 2


def test_geojson_round_trip_and_repair_warning(tmp_path):
    crimea = CustomRegion.from_geojson(CRIMEA, code="UA-43")
    path = tmp_path / "crimea.geojson"
    import json

    path.write_text(json.dumps(crimea.to_geojson()))
    again = CustomRegion.from_geojson(path, code="UA-43")
    assert again.geometry.symmetric_difference(crimea.geometry).area < 1e-9
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.warns(GeometryRepairWarning, match="Self-intersection"):
        r = CustomRegion.from_geojson(bowtie, code="bow")
    assert r.contains([0.5, 0.2], [0.2, 0.5]).tolist() == [True, False]


@pytest.mark.parametrize("build, message", [
    (lambda: CustomRegion.from_cells([], code="x"), "no cells"),
    (lambda: CustomRegion.from_cells(["nothex"], code="x"), "not a valid H3 cell"),
    (lambda: CustomRegion.from_geojson(CRIMEA, code="has space"), "not usable"),
    (lambda: CustomRegion(code="x", name="x"), "exactly one of"),
])
def test_bad_custom_regions_raise(build, message):
    with pytest.raises(InputError, match=message):
        build()
