"""The H3 service grid, checked against h3-py's scalar API and shapely."""

from __future__ import annotations

import h3
import numpy as np
import pytest
import shapely

from skygate.earth import cells as sc
from skygate.errors import CoordinateError, InputError


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20241025)


def random_points(rng, n):
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    return lat, lon


def test_default_resolution_is_the_operators_res_5():
    assert sc.DEFAULT_RESOLUTION == 5


def test_latlng_to_cells_matches_h3_scalar_api(rng):
    lat, lon = random_points(rng, 2000)
    for res in (0, 5, 9):
        got = sc.latlng_to_cells(lat, lon, res)
        assert got.dtype == np.uint64
        want = [int(h3.latlng_to_cell(a, o, res), 16) for a, o in zip(lat, lon)]
        assert got.tolist() == want


def test_scalar_latlng_to_cell_equals_the_vector_path(rng):
    """The one-point path (used per request by the API) gives exactly the vector answer,
    longitudes of any range and the ±180° seam included."""
    lat, lon = random_points(rng, 20000)
    lon = np.r_[lon * 3, 180.0, -180.0, 540.0, -179.9999999999, np.nextafter(180.0, 0)]
    lat = np.r_[lat, 10.0, 10.0, -10.0, 0.0, 45.0]
    for res in (0, 5, 9):
        want = sc.latlng_to_cells(lat, lon, res)
        got = [sc.latlng_to_cell(a, o, res) for a, o in zip(lat.tolist(), lon.tolist())]
        assert got == want.tolist()
    assert sc.latlng_to_cell(np.float32(25.0), 121, 5) == sc.latlng_to_cells(25.0, 121.0)[0]
    for bad in ((91.0, 0.0), (np.nan, 0.0), (0.0, np.inf), ("north", 0.0), ([1, 2], 0.0)):
        with pytest.raises(CoordinateError):
            sc.latlng_to_cell(*bad)
    with pytest.raises(InputError, match="resolution"):
        sc.latlng_to_cell(0.0, 0.0, 16)


def test_longitudes_beyond_180_wrap(rng):
    assert sc.latlng_to_cells(10.0, 190.0)[0] == sc.latlng_to_cells(10.0, -170.0)[0]


def test_bad_coordinates_and_resolution_raise():
    with pytest.raises(CoordinateError, match=r"point #1"):
        sc.latlng_to_cells([0.0, 91.0], [0.0, 0.0])
    with pytest.raises(CoordinateError):
        sc.latlng_to_cells(np.nan, 0.0)
    with pytest.raises(InputError, match="resolution"):
        sc.latlng_to_cells(0.0, 0.0, 16)


def test_hex_round_trip_and_format(rng):
    lat, lon = random_points(rng, 500)
    cells = sc.latlng_to_cells(lat, lon)
    hexes = sc.to_hex(cells)
    assert all(len(s) == 15 and s == s.lower() for s in hexes)
    assert hexes[0] == h3.latlng_to_cell(lat[0], lon[0], 5)
    assert np.array_equal(sc.from_hex(hexes), cells)
    assert sc.from_hex("0x851e0c1bfffffff")[0] == sc.from_hex("851E0C1BFFFFFFF")[0]


@pytest.mark.parametrize("bad", ["851e0c1bffffffg", "85", "", "851e0c1bfffffff0", "ffffffffffffffff"])
def test_from_hex_names_the_bad_entry(bad):
    with pytest.raises(InputError, match=r"cells\[1\].*not a valid H3 cell") as info:
        sc.from_hex(["851e0c1bfffffff", bad])
    assert "hint" in str(info.value)


def test_centres_match_h3_and_lie_in_their_cell(rng):
    lat, lon = random_points(rng, 300)
    cells = sc.latlng_to_cells(lat, lon)
    clat, clon = sc.cell_centers(cells)
    ref = np.array([h3.cell_to_latlng(h) for h in sc.to_hex(cells)])
    np.testing.assert_allclose(clat, ref[:, 0], atol=1e-12)
    np.testing.assert_allclose(clon, ref[:, 1], atol=1e-12)
    assert np.array_equal(sc.latlng_to_cells(clat, clon), cells)
    # hex strings are accepted anywhere cells are
    np.testing.assert_allclose(sc.cell_centers(sc.to_hex(cells))[0], clat)


def test_unit_vectors_are_unit_and_point_at_the_centres(rng):
    lat, lon = random_points(rng, 300)
    cells = sc.latlng_to_cells(lat, lon)
    v = sc.cell_unit_vectors(cells)
    assert v.shape == (300, 3)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-12)
    clat, clon = sc.cell_centers(cells)
    np.testing.assert_allclose(np.degrees(np.arcsin(v[:, 2])), clat, atol=1e-9)
    np.testing.assert_allclose(np.degrees(np.arctan2(v[:, 1], v[:, 0])), clon, atol=1e-9)
    # neighbouring res-5 centres are ~ 2 × 8.5 km apart: angle * 6371 km within 14..24 km
    ring = [int(x, 16) for x in h3.grid_ring(sc.to_hex(cells[:1])[0], 1)]
    d_km = np.degrees(np.arccos(np.clip(sc.cell_unit_vectors(ring) @ v[0], -1, 1))) * np.pi / 180 * 6371.0
    assert ((d_km > 14) & (d_km < 24)).all()


def test_all_cells_counts_sorted_read_only():
    for res in (0, 1, 2):
        cells = sc.all_cells(res)
        assert cells.size == h3.get_num_cells(res)
        assert (np.diff(cells.astype(np.float64)) >= 0).all() and np.all(cells[1:] > cells[:-1])
        assert not cells.flags.writeable
        assert set(sc.cell_resolutions(cells).tolist()) == {res}
    assert sc.all_cells(5).size == 2_016_842


def brute_bbox(res, w, s, e, n):
    cells = sc.all_cells(res)
    lat, lon = sc.cell_centers(cells)
    inlon = (lon >= w) & (lon <= e) if w <= e else (lon >= w) | (lon <= e)
    return cells[(lat >= s) & (lat <= n) & inlon]


@pytest.mark.parametrize("box", [(118.0, 21.5, 122.5, 26.5), (170.0, -22.0, -175.0, -12.0),
                                 (-10.0, 80.0, 30.0, 90.0), (-180.0, -90.0, 180.0, -80.0),
                                 (-150.0, -60.0, 10.0, 75.0), (0.0, 0.0, 360.0, 10.0)])
def test_cells_in_bbox_matches_brute_force(box):
    got = sc.cells_in_bbox(*box, res=3)
    w, s, e, n = box if box[2] - box[0] < 360 else (-180.0, box[1], 180.0, box[3])
    want = brute_bbox(3, w, s, e, n)
    assert got.size > 0 and np.array_equal(got, want)


def test_cells_in_bbox_res5_matches_brute_force():
    box = (118.0, 21.5, 122.5, 26.5)  # Taiwan and the strait
    assert np.array_equal(sc.cells_in_bbox(*box, 5), brute_bbox(5, *box))
    assert sc.cells_in_bbox(121.5, 25.0, 121.5, 25.0, 5).size == 0  # a zero-area box


def test_cells_in_bbox_res5_crossing_the_antimeridian():
    got = sc.cells_in_bbox(179.0, -17.0, -179.0, -16.0, 5)
    lat, lon = sc.cell_centers(got)
    assert ((lat >= -17) & (lat <= -16)).all()
    assert ((lon >= 179) | (lon <= -179)).all()
    assert (lon > 0).any() and (lon < 0).any()
    # about (2° × 111 km × cos 16.5°) × 111 km / 252.9 km² per cell ≈ 94 cells
    assert 70 < got.size < 120


def test_cells_in_bbox_fine_resolution_matches_h3_polyfill():
    w, s, e, n = 121.40, 24.95, 121.60, 25.10
    got = sc.cells_in_bbox(w, s, e, n, 7)
    poly = h3.LatLngPoly([(s, w), (s, e), (n, e), (n, w)])
    want = np.sort(np.array([int(c, 16) for c in h3.h3shape_to_cells(poly, 7)], dtype=np.uint64))
    assert np.array_equal(got, want)


def test_boundaries_contain_their_centre_and_unwrap_at_180(rng):
    lat, lon = random_points(rng, 200)
    cells = sc.latlng_to_cells(lat, lon)
    clat, clon = sc.cell_centers(cells)
    for ring, a, o in zip(sc.cell_boundaries(cells), clat, clon):
        poly = shapely.Polygon(ring)
        assert poly.is_valid and poly.exterior.is_ccw
        assert poly.contains(shapely.Point(o, a)) or poly.contains(shapely.Point(o + 360, a))
    # a Fiji cell on the antimeridian: one compact hexagon with some longitudes > 180
    fiji = sc.latlng_to_cells(-16.8, 179.999)
    ring = sc.cell_boundaries(fiji)[0]
    assert ring[:, 0].max() > 180.0 and np.ptp(ring[:, 0]) < 0.5
    gj = sc.cell_boundaries_geojson(fiji, {"status": np.array(["available"])})
    feat = gj["features"][0]
    assert feat["properties"] == {"h3": sc.to_hex(fiji)[0], "status": "available"}
    assert shapely.Polygon(feat["geometry"]["coordinates"][0]).area == pytest.approx(
        shapely.Polygon(ring).area, rel=1e-6)


@pytest.mark.parametrize("pole", [90.0, -90.0])
def test_pole_cells_cover_the_pole(pole):
    cell = sc.latlng_to_cells(pole, 0.0)
    poly = shapely.Polygon(sc.cell_boundaries(cell)[0])
    assert poly.is_valid and poly.exterior.is_ccw
    assert poly.intersects(shapely.Point(0.0, pole))
    assert poly.contains(shapely.Point(45.0, pole - np.sign(pole) * 0.05))
    # its band in lon/lat spans all longitudes: area = 360° × ~0.1° of latitude
    assert 10 < poly.area < 80


def test_public_names_exist():
    from skygate.earth import geojson, regions

    for module in (sc, regions, geojson):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
    assert sc.from_hex(np.array([b"851e0c1bfffffff"]))[0] == 0x851E0C1BFFFFFFF
