"""Derive the operator's published restricted and waitlist cells into the package.

Reads ``../shared/data/availability/operator_cells_by_status.csv`` (the operator's public
availability map, decomposed into H3 res-5 cells) and
``operator_blacklisted_2025-01.geojson`` (the ``blacklisted`` polygon, Jan 2025), and writes:

- ``src/skygate/data/availability/operator_restricted_cells_2025-01.txt`` — the 297
  ``blacklisted`` cells, one hex index per line, checked against the GeoJSON: every cell's
  centre lies inside the published polygon and the polygon's area equals the cells' area
  to within 1 %.
- ``src/skygate/data/availability/operator_waitlist_cells_2025.csv`` — ``h3,label`` of the
  ``waitlisted`` cells ("Sold Out", "Expanding in 2025/2026", "Service date is unknown at this
  time").

Run: ``.venv/bin/python scripts/derive_operator_cells.py [path/to/shared/data]``.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import h3
import shapely

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "skygate" / "data" / "availability"


def main(shared: Path) -> None:
    src = shared / "availability"
    with (src / "operator_cells_by_status.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    restricted = sorted(r["h3_cell"] for r in rows if r["status"] == "blacklisted")
    waitlist = sorted((r["h3_cell"], r["label"]) for r in rows if r["status"] == "waitlisted")
    assert len(restricted) == 297, len(restricted)
    assert all(h3.get_resolution(c) == 5 for c in restricted)
    gj = json.loads((src / "operator_blacklisted_2025-01.geojson").read_text(encoding="utf-8"))
    geom = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in gj["features"]])
    centres = [h3.cell_to_latlng(c) for c in restricted]
    inside = shapely.contains_xy(geom, [c[1] for c in centres], [c[0] for c in centres])
    assert inside.all(), f"{(~inside).sum()} restricted cell centres fall outside the polygon"
    cell_area = sum(shapely.Polygon([(lo, la) for la, lo in h3.cell_to_boundary(c)]).area
                    for c in restricted)
    assert abs(cell_area / geom.area - 1.0) < 0.01, (cell_area, geom.area)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "operator_restricted_cells_2025-01.txt").write_text(
        "# operator 'blacklisted' cells, H3 res 5, Jan 2025 snapshot (see PROVENANCE.md)\n"
        + "\n".join(restricted) + "\n", encoding="utf-8")
    with (OUT / "operator_waitlist_cells_2025.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["h3", "label"])
        writer.writerows(waitlist)
    print(f"{len(restricted)} restricted cells, {len(waitlist)} waitlist cells -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data")
