"""Region commands: ``skygate region at`` and ``skygate region list``.

Machine-readable contract:

* ``skygate region at --lat DEG --lon DEG [--res 5] [--format table|json]`` — JSON object with
  ``region`` (code; ``XZ`` = international waters), ``name``, ``cell`` (15-hex H3 index),
  ``cell_region`` (region of the cell's centre), ``cell_straddles_border`` (bool, res 5 only;
  null otherwise), ``land`` (bool) and ``surface`` (``"land"`` or ``"sea"``).
* ``skygate region list [--format table|json]`` — JSON list of ``{code, name, a3}``.
"""

from __future__ import annotations

import enum

import typer
from rich.table import Table

from skygate.cli._common import emit_json, stdout
from skygate.earth.cells import DEFAULT_RESOLUTION, latlng_to_cells, to_hex
from skygate.earth.regions import get_region_index

__all__ = ["register", "region_at"]


class TableOrJson(str, enum.Enum):
    table = "table"
    json = "json"


def region_at(lat_deg: float, lon_deg: float, res: int = DEFAULT_RESOLUTION) -> dict:
    """Region, cell and land/sea of one point, as a JSON-ready dict."""
    index = get_region_index()
    code = str(index.lookup(lat_deg, lon_deg)[0])
    cell = latlng_to_cells(lat_deg, lon_deg, res)
    land = bool(index.is_land(lat_deg, lon_deg)[0])
    return {
        "lat_deg": lat_deg,
        "lon_deg": lon_deg,
        "region": code,
        "name": index.name(code),
        "cell": str(to_hex(cell)[0]),
        "res": res,
        "cell_region": str(index.cells_regions(cell)[0]),
        "cell_straddles_border": bool(index.cells_straddle(cell)[0]) if res == 5 else None,
        "land": land,
        "surface": "land" if land else "sea",
    }


def at(
    lat: float = typer.Option(..., "--lat", help="latitude, degrees north (-90..90)"),
    lon: float = typer.Option(..., "--lon", help="longitude, degrees east"),
    res: int = typer.Option(DEFAULT_RESOLUTION, "--res", help="H3 resolution of the cell"),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="table or json"),
) -> None:
    """Which region (country with its 12-nmi sea, or XZ) and H3 cell a point is in."""
    info = region_at(lat, lon, res)
    if format is TableOrJson.json:
        emit_json(info)
        return
    stdout.print(f"{info['region']} ({info['name']}), {info['surface']}; "
                 f"cell {info['cell']} (res {res}, centre in {info['cell_region']}"
                 + (", straddles a border)" if info["cell_straddles_border"] else ")"))


def list_regions(
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="table or json"),
) -> None:
    """Every region code with its name (ISO 3166-1 alpha-2; XZ = international waters)."""
    index = get_region_index()
    rows = [{"code": c, "name": n, "a3": a} for c, n, a in zip(index.codes, index.names, index.a3)]
    if format is TableOrJson.json:
        emit_json(rows)
        return
    table = Table("code", "name", "alpha-3")
    for r in rows:
        table.add_row(r["code"], r["name"], r["a3"])
    stdout.print(table)


def register(app: typer.Typer) -> None:
    """Attach the region commands to the main app."""
    group = typer.Typer(help="Countries, territorial seas and international waters.",
                        no_args_is_help=True)
    group.command("at")(at)
    group.command("list")(list_regions)
    app.add_typer(group, name="region")
