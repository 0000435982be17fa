"""Derive ``src/skygate/data/presets/crimea.geojson``: the Crimean peninsula (the Autonomous
Republic of Crimea, ISO 3166-2 ``UA-43``, and the city of Sevastopol, ``UA-40``) with its
12-nmi territorial sea, as one explicit area for the ``reported-2024-10`` preset.

Why a derived area: Natural Earth (and so skygate's region index) puts Crimea in Ukraine, and
the policy must say what applies there on purpose, not by accident of a data file (issue 3).

How (reproducible, no network): Ukraine's land + 12-nmi geometry from skygate's own region
index (``get_region_index().geometry("UA")``, Natural Earth 1:10m admin-0 + geodesic buffer)
intersected with ``CUT`` below — a hand-drawn polygon whose northern edge follows the
administrative line between Crimea and Kherson Oblast:

- Karkinit Bay: a line down the middle of the bay, between the Kherson shore (Skadovsk
  46.11 N, Khorly 46.07 N) and the Crimean shore (Bakal spit 45.77 N);
- the Perekop isthmus at 46.15 N (Armiansk 46.10 N and Perekop are Crimean; Kalanchak on the
  Kherson side);
- the Syvash, then south of the Chonhar peninsula (Kherson) to the Tup-Dzhankoi peninsula
  (Crimea) at ~45.99 N;
- the Arabat Spit at 45.94 N (its northern part, with Henichesk 46.17 N, Strilkove and
  Shchaslyvtseve, is Kherson Oblast's), then due east across the Sea of Azov.

The line is hand-checked to ~5 km against the oblast border as shown on OpenStreetMap; at H3
resolution 5 (cells ~8.5 km across) that is below a cell. The Kerch Strait and the Azov sea
are split with Russia on Natural Earth's equidistance line (done by the region index).

Run: ``.venv/bin/python scripts/derive_crimea.py`` (rewrites the file; prints the checks).
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import Polygon, mapping

OUT = Path(__file__).resolve().parents[1] / "src" / "skygate" / "data" / "presets" / "crimea.geojson"

# (lon, lat), counter-clockwise; see the module docstring for each northern vertex.
CUT = [
    (31.50, 44.00), (37.80, 44.00), (37.80, 45.94),  # south, east: open sea / Russia's side
    (34.95, 45.94),  # Arabat Spit, south of Shchaslyvtseve
    (34.62, 45.99), (34.50, 45.99),  # south of the Chonhar peninsula
    (34.30, 46.08), (33.90, 46.13),  # the Syvash
    (33.62, 46.15),  # the Perekop isthmus
    (33.55, 46.06), (33.20, 45.93), (32.60, 45.85), (31.80, 45.70),  # Karkinit Bay midline
    (31.50, 45.60),
]
SIMPLIFY_DEG = 0.002  # ~200 m: far below a res-5 cell, keeps the file small

CHECKS = {  # name: (lat, lon, inside?)
    "Simferopol": (44.95, 34.10, True),
    "Sevastopol": (44.62, 33.52, True),
    "Kerch": (45.36, 36.47, True),
    "Yevpatoria": (45.19, 33.37, True),
    "Armiansk": (46.10, 33.69, True),
    "Kherson": (46.64, 32.61, False),
    "Henichesk": (46.17, 34.82, False),
    "Skadovsk": (46.11, 32.91, False),
    "Chonhar": (46.03, 34.53, False),
    "Taman (Russia)": (45.21, 36.72, False),
}


def derive() -> dict:
    from skygate.earth.regions import get_region_index

    ua = get_region_index().geometry("UA")
    area = shapely.intersection(ua, Polygon(CUT)).simplify(SIMPLIFY_DEG, preserve_topology=True)
    # snap to the 1e-4° grid the file is written on, so what is read back is valid as is
    area = shapely.orient_polygons(shapely.make_valid(shapely.set_precision(area, 1e-4)))
    for name, (lat, lon, inside) in CHECKS.items():
        got = bool(area.contains(shapely.Point(lon, lat)))
        assert got == inside, f"{name} ({lat}, {lon}): inside={got}, expected {inside}"
    geometry = json.loads(json.dumps(mapping(area)))
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {
            "name": "Crimea", "code": "UA-43",
            "includes": "Autonomous Republic of Crimea (UA-43) and Sevastopol (UA-40)",
            "derived_by": "scripts/derive_crimea.py",
            "source": "Natural Earth 1:10m admin-0 (UA) + 12 nmi, cut at the Crimea/Kherson line",
        },
        "geometry": _rounded(geometry),
    }]}


def _rounded(geometry: dict, digits: int = 4) -> dict:
    def walk(x):
        return [walk(v) for v in x] if isinstance(x[0], (list, tuple)) else [round(v, digits) for v in x]
    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def main() -> None:
    from skygate.earth.geojson import read_geojson

    doc = derive()
    read_geojson(doc, on_invalid="raise")  # valid without repair (no warning when loaded)
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes); checks passed: {', '.join(CHECKS)}")


if __name__ == "__main__":
    main()
