"""Countries, territorial seas and international waters: hand-checked places, geodesic
distances computed independently (haversine to coastline vertices), and the fast index
against a brute-force shapely baseline."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.geometry

from skygate.earth import cells as sc
from skygate.earth.regions import INTERNATIONAL_WATERS, get_region_index
from skygate.errors import CoordinateError, UnknownRegionError

R_KM = 6371.0088
NMI_KM = 1.852


@pytest.fixture(scope="module")
def index():
    return get_region_index()


# (place, lat, lon, expected region, on land?) — coordinates from Wikipedia / GeoNames.
PLACES = [
    ("Taipei", 25.0330, 121.5654, "TW", True),
    ("Kinmen, Jincheng", 24.4340, 118.3170, "TW", True),
    ("Lesser Kinmen (Lieyu; island supplement)", 24.4330, 118.2330, "TW", True),
    ("Matsu, Nangan", 26.1500, 119.9330, "TW", True),
    ("Matsu, Beigan", 26.2200, 119.9830, "TW", True),
    ("Penghu, Magong", 23.5660, 119.5790, "TW", True),
    ("Pratas Island (NE omits it; island supplement)", 20.7000, 116.7170, "TW", True),
    ("Taiping / Itu Aba (in NE's Spratly Is. area)", 10.3770, 114.3650, "PGA", False),
    ("Xiamen", 24.4800, 118.0900, "CN", False),
    ("Fuzhou", 26.0745, 119.2965, "CN", True),
    ("Kaliningrad", 54.7104, 20.4522, "RU", True),
    ("Baltiysk (Kaliningrad exclave coast)", 54.6500, 19.9000, "RU", True),
    ("Vilnius", 54.6872, 25.2797, "LT", True),
    ("Kyiv", 50.4501, 30.5234, "UA", True),
    ("Simferopol (Crimea: Natural Earth says UA)", 44.9521, 34.1024, "UA", True),
    ("Paris", 48.8566, 2.3522, "FR", True),
    ("Clipperton Island (merged into FR)", 10.3000, -109.2170, "FR", None),
    ("Oslo", 59.9139, 10.7522, "NO", True),
    ("Suva, Fiji", -18.1416, 178.4419, "FJ", True),
    ("Taveuni, Fiji (east of 180)", -16.8500, -179.9700, "FJ", True),
    ("Anadyr, Chukotka (west of 180)", 64.7337, 177.4968, "RU", None),
    ("Uelen, Chukotka (east of 180)", 66.1590, -169.8090, "RU", None),
    ("Little Diomede (US, east of the Bering median)", 65.7500, -168.9500, "US", None),
    ("Big Diomede (RU)", 65.7800, -169.0600, "RU", True),
    ("North Pole", 90.0, 0.0, INTERNATIONAL_WATERS, False),
    ("South Pole", -90.0, 0.0, "AQ", True),
    ("Amundsen–Scott station", -89.99, 139.27, "AQ", True),
    ("mid-Atlantic", 30.0, -40.0, INTERNATIONAL_WATERS, False),
    ("Caspian Sea, middle", 42.0, 51.0, INTERNATIONAL_WATERS, False),
    ("Akrotiri (no ISO code: ADM0_A3)", 34.5900, 32.9870, "WSB", True),
]


@pytest.mark.parametrize("place, lat, lon, code, land", PLACES, ids=[p[0] for p in PLACES])
def test_hand_checked_places(index, place, lat, lon, code, land):
    assert index.lookup(lat, lon)[0] == code
    if land is not None:
        assert bool(index.is_land(lat, lon)[0]) is land


def test_ids_and_codes(index):
    assert index.codes[0] == "XZ" and index.name("XZ") == "International waters"
    assert len(index) == 246 and len(set(index.codes)) == 246
    ids = index.lookup_ids([25.033, 30.0], [121.5654, -40.0])
    assert ids.dtype == np.uint16 and ids[1] == 0 and index.codes[ids[0]] == "TW"
    assert index.name("tw") == "Taiwan" and "TW" in index and "ZZ" not in index
    assert {"WSB", "ESB", "USG", "BRT", "PGA", "SCR"} <= set(index.meta["synthetic_codes"])


def test_unknown_codes_suggest_the_closest(index):
    with pytest.raises(UnknownRegionError, match=r"(?s)TWN.*did you mean TW \(Taiwan\)"):
        index.check_code("TWN")
    with pytest.raises(UnknownRegionError, match=r"(?s)did you mean.*UA \(Ukraine\)"):
        index.check_code("Ukrain")
    with pytest.raises(UnknownRegionError, match="region list"):
        index.name("QQQQ")
    assert index.check_code(" fr ") == "FR"


def test_bad_points_raise(index):
    with pytest.raises(CoordinateError):
        index.lookup(95.0, 0.0)


# ---- the 12-nmi line, measured independently ---------------------------------------------
def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * R_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def coast_points(index, code, lat, lon, pad_deg=1.0):
    box = shapely.box(lon - 2 * pad_deg, lat - pad_deg, lon + 2 * pad_deg, lat + pad_deg)
    lines = shapely.intersection(index.land_geometry(code).boundary, box)
    xy = shapely.get_coordinates(shapely.segmentize(lines, 0.002))  # ≤ 0.1 km between points
    return xy[:, 1], xy[:, 0]


def distance_to_land_km(index, code, lat, lon, anchor):
    clat, clon = coast_points(index, code, *anchor)
    d = haversine_km(lat[:, None], lon[:, None], clat[None, :], clon[None, :])
    return d.min(axis=1)


def destination(lat, lon, bearing_deg, dist_km):
    p, lmb, b, d = np.radians(lat), np.radians(lon), np.radians(bearing_deg), dist_km / R_KM
    p2 = np.arcsin(np.sin(p) * np.cos(d) + np.cos(p) * np.sin(d) * np.cos(b))
    l2 = lmb + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p), np.cos(d) - np.sin(p) * np.sin(p2))
    return np.degrees(p2), np.degrees(l2)


# Open coasts with no foreign land within 40 nmi: (code, a point on land, bearing to sea).
COASTS = [
    ("PT", 38.78, -9.30, 270.0),
    ("CL", -33.05, -71.50, 270.0),
    ("NA", -22.95, 14.60, 270.0),
    ("AU", -33.89, 151.25, 90.0),
    ("BR", -8.05, -34.95, 90.0),
    ("LK", 7.70, 81.70, 90.0),
    ("TW", 23.98, 121.62, 90.0),
]


@pytest.mark.parametrize("code, lat, lon, bearing", COASTS, ids=[c[0] for c in COASTS])
def test_territorial_sea_is_12_nmi(index, code, lat, lon, bearing):
    s_lat, s_lon = destination(lat, lon, bearing, np.arange(0.0, 70.0, 0.05))
    d_km = distance_to_land_km(index, code, s_lat, s_lon, (lat, lon))
    at_sea = ~index.is_land(s_lat, s_lon)
    got = index.lookup(s_lat, s_lon)

    def pick(nmi):  # the ray point whose true distance to land is closest to ``nmi``
        i = np.flatnonzero(at_sea)[np.argmin(np.abs(d_km[at_sea] - nmi * NMI_KM))]
        assert abs(d_km[i] - nmi * NMI_KM) < 0.1
        return got[i]

    assert pick(5) == code
    assert pick(11.5) == code  # 0.5 nmi (0.9 km) inside the line
    assert pick(12.5) == INTERNATIONAL_WATERS
    assert pick(20) == INTERNATIONAL_WATERS
    # where along the ray the answer flips: within 0.3 km of 22.224 km from land
    flip = np.flatnonzero(got[:-1] != got[1:])
    assert flip.size >= 1
    assert abs(d_km[flip[-1]] - 12 * NMI_KM) < 0.3


@pytest.mark.parametrize("a, b, box", [
    ("TW", "CN", (118.05, 24.20, 118.60, 24.65)),   # Kinmen and Xiamen
    ("GB", "FR", (1.00, 50.70, 2.00, 51.30)),       # Strait of Dover
])
def test_overlapping_seas_split_on_the_median_line(index, a, b, box):
    rng = np.random.default_rng(7)
    w, s, e, n = box
    lat, lon = rng.uniform(s, n, 3000), rng.uniform(w, e, 3000)
    anchor = ((s + n) / 2, (w + e) / 2)
    da = distance_to_land_km(index, a, lat, lon, anchor)
    db = distance_to_land_km(index, b, lat, lon, anchor)
    sea = ~index.is_land(lat, lon)
    got = index.lookup(lat, lon)
    near = np.minimum(da, db)
    clear = sea & (np.abs(da - db) > 0.5) & (near < 12 * NMI_KM - 0.5)
    want = np.where(da < db, a, b)
    assert clear.sum() > 500
    assert (got[clear] == want[clear]).mean() > 0.995
    far = sea & (near > 12 * NMI_KM + 0.5)
    assert (got[far] == INTERNATIONAL_WATERS).all()


# ---- the index against brute force --------------------------------------------------------
def test_scalar_lookup_equals_the_vector_lookup(index):
    """``lookup_point`` (one point, the API's per-request path) answers exactly as
    ``lookup_ids``: random points, points in pixels crossed by a boundary (settled by the
    polygons), polygon vertices (on a boundary: the first candidate wins in both), and
    longitudes past ±180°."""
    rng = np.random.default_rng(2024)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 20000)))
    lon = rng.uniform(-540, 540, 20000)
    # near coasts and borders (mixed pixels), and exactly on boundaries
    lat = np.r_[lat, rng.uniform(20, 60, 20000), rng.uniform(21.5, 26.5, 5000)]
    lon = np.r_[lon, rng.uniform(-10, 40, 20000), rng.uniform(118, 122.5, 5000)]
    for code in ("TW", "UA", "FJ", "LI"):
        xy = shapely.get_coordinates(index.geometry(code))[::7]
        lat, lon = np.r_[lat, xy[:, 1]], np.r_[lon, xy[:, 0]]
    lat = np.r_[lat, 90.0, -90.0, 62.0, 62.0, 62.0, -16.8, 0.0]
    lon = np.r_[lon, 0.0, 0.0, 180.0, -180.0, np.nextafter(-180.0, -200.0), 180.0, 1e6]
    want = index.lookup_ids(lat, lon)
    mixed = index._raster[index._pixels(lat, lon)] >= 0x8000
    assert mixed.sum() > 5000  # the refinement is well exercised
    got = np.array([index.lookup_point_id(a, o) for a, o in zip(lat.tolist(), lon.tolist())])
    assert np.array_equal(got, want)
    codes = [index.lookup_point(a, o) for a, o in zip(lat[:2000].tolist(), lon[:2000].tolist())]
    assert codes == index.lookup(lat[:2000], lon[:2000]).tolist()
    assert isinstance(codes[0], str) and index.lookup_point(25.0330, 121.5654) == "TW"
    for bad in ((95.0, 0.0), (np.nan, 1.0), (0.0, -np.inf), (None, 0.0)):
        with pytest.raises(CoordinateError, match="lat"):
            index.lookup_point(*bad)


def test_lookup_equals_shapely_point_in_polygon(index):
    rng = np.random.default_rng(3)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 4000)))
    lon = rng.uniform(-180, 180, 4000)
    # plus points near coasts and borders, where the raster must defer to the polygons
    lat = np.r_[lat, rng.uniform(20, 60, 4000)]
    lon = np.r_[lon, rng.uniform(-10, 40, 4000)]
    got = index.lookup_ids(lat, lon)
    want = np.zeros(lat.size, np.uint16)
    pts = shapely.points(lon, lat)
    for rid in range(1, len(index)):
        want[shapely.intersects(index.geometry(index.codes[rid]), pts)] = rid
    assert np.array_equal(got, want)
    land = np.zeros(lat.size, bool)
    for rid in range(1, len(index)):
        land |= shapely.intersects(index.land_geometry(index.codes[rid]), pts)
    assert np.array_equal(index.is_land(lat, lon), land)


def test_cell_arrays_agree_with_point_lookups(index):
    rng = np.random.default_rng(11)
    cells = np.sort(rng.choice(sc.all_cells(5), 3000, replace=False))
    lat, lon = sc.cell_centers(cells)
    assert np.array_equal(index.cells_region_ids(cells), index.lookup_ids(lat, lon))
    assert np.array_equal(index.cells_is_land(cells), index.is_land(lat, lon))
    straddle = index.cells_straddle(cells)
    ids = index.cells_region_ids(cells)
    for c, s_, rid in zip(cells[:600].tolist(), straddle, ids):
        if not s_:  # a cell that does not straddle is wholly in one region: vertices, children
            vert = np.array(sc._h3i.cell_to_boundary(c))
            kids = np.array(sc._h3i.cell_to_children(c, 7), dtype=np.uint64)
            assert (index.lookup_ids(vert[:, 0], vert[:, 1]) == rid).all()
            assert (index.cells_region_ids(kids) == rid).all()
    # where the answer flips along a line (Taiwan's 12-nmi line east of Hualien; the
    # Kinmen–Xiamen median line), the cells on either side of the flip straddle
    for lat, lon in (destination(23.98, 121.62, 90.0, np.arange(0, 60, 0.05)),
                     (np.full(1000, 24.40), np.linspace(118.15, 118.30, 1000))):
        got = index.lookup_ids(lat, lon)
        flip = np.flatnonzero(got[:-1] != got[1:])
        assert flip.size
        both = sc.latlng_to_cells(np.r_[lat[flip], lat[flip + 1]], np.r_[lon[flip], lon[flip + 1]])
        assert index.cells_straddle(both).all()
    every = index.cells_regions(sc.all_cells(5))
    assert every.shape == (2_016_842,) and set(every[:0]) == set()
    assert (every == "XZ").mean() > 0.5  # most of the globe is high sea


def test_region_cells(index):
    tw = index.region_cells("TW")
    kinmen = sc.latlng_to_cells(24.434, 118.317)[0]
    assert kinmen in tw and np.all(np.diff(tw.astype(np.float64)) > 0)
    lat, lon = sc.cell_centers(tw)
    assert (index.lookup(lat, lon) == "TW").all()
    # Taiwan's land ~36,000 km² plus its 12-nmi sea: several hundred res-5 cells
    assert 250 < tw.size < 600
    coarse = index.region_cells("TW", 3)
    assert coarse.size > 0 and (sc.cell_resolutions(coarse) == 3).all()
    fine = index.region_cells("LI", 6)  # Liechtenstein, 160 km²: a handful of res-6 cells
    assert 3 <= fine.size <= 10
    assert (index.lookup(*sc.cell_centers(fine)) == "LI").all()


def test_geometries(index):
    tw = index.geometry("TW")
    assert tw.geom_type == "MultiPolygon" and tw.is_valid
    assert tw.contains(shapely.Point(121.5654, 25.033))
    assert index.land_geometry("TW").area < tw.area
    fj = index.geometry("FJ")
    w, _, e, _ = fj.bounds
    assert w == pytest.approx(-180.0) and e == pytest.approx(180.0)
    assert index.land_geometry("XZ").is_empty


def test_bundled_regions_match_natural_earth(index, shared_data):
    """The shipped codes and land areas are those of the source file (via the fixture)."""
    shapefile = pytest.importorskip("shapefile")
    reader = shapefile.Reader(str(shared_data / "boundaries/ne_10m_admin_0_countries_deu.zip"))
    areas: dict[str, float] = {}
    for sr in reader.iterShapeRecords():
        rec = sr.record.as_dict()
        code = rec["ISO_A2_EH"] if rec["ISO_A2_EH"] != "-99" else rec["ADM0_A3"]
        geom = shapely.make_valid(shapely.geometry.shape(sr.shape.__geo_interface__))
        areas[code] = areas.get(code, 0.0) + geom.area
    assert sorted(areas) == sorted(index.codes[1:])
    for code in ("FR", "RU", "UA", "FJ", "NO", "LI"):
        assert index.land_geometry(code).area == pytest.approx(areas[code], rel=1e-4)
    # Taiwan gains only the island supplement (Matsu, Lieyu, Wuqiu, Pratas: ≈ 46 km²)
    extra_km2 = (index.land_geometry("TW").area - areas["TW"]) * 111.32**2 * np.cos(np.radians(25))
    assert 35 < extra_km2 < 55


# Fiji's Taveuni side; Chukotka's land on 180°; the Bering Sea at 62°N on 180° is ~56 km
# from Cape Navarin (62.27°N 179.1°E), beyond 12 nmi.
@pytest.mark.parametrize("lat, code", [(-16.80, "FJ"), (67.00, "RU"), (62.0, "XZ")],
                         ids=["Fiji", "Chukotka", "Bering Sea"])
def test_cells_crossing_the_antimeridian(index, lat, code):
    cell = sc.latlng_to_cells(lat, 180.0)
    ring = sc.cell_boundaries(cell)[0]
    assert ring[:, 0].min() < 180.0 < ring[:, 0].max()  # the hexagon straddles ±180°
    assert index.lookup([lat, lat, lat], [180.0, -180.0, 179.9999])[0] == code
    assert (index.lookup([lat, lat, lat], [180.0, -180.0, 179.9999]) == code).all()
    assert (index.lookup([lat, lat], [-179.9999, 539.9999]) == code).all()  # wrapped input
    clat, clon = sc.cell_centers(cell)
    assert index.cells_regions(cell)[0] == index.lookup(clat, clon)[0]


def test_pole_cells(index):
    north, south = sc.latlng_to_cells([90.0, -90.0], [0.0, 0.0])
    assert index.cells_regions([north, south]).tolist() == ["XZ", "AQ"]
    assert index.cells_is_land([north, south]).tolist() == [False, True]
    assert sc.cells_is_land([north, south]).tolist() == [False, True]
