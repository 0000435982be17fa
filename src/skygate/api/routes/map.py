"""The service-map layers: res-5 cells with status, per-country statuses, the areas scoped
by their own authorizations (merged polygons), country outlines."""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from importlib import resources
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from skygate.api.deps import ServicesDep
from skygate.api.routes.availability import AtQuery, parse_at
from skygate.api.schemas import RegionList
from skygate.errors import InputError
from skygate.policy.model import check_terminal

router = APIRouter(tags=["map"])

GEOJSON_MEDIA_TYPE = "application/geo+json"


def geojson_doc(description: str) -> dict:
    """The OpenAPI ``responses`` of a route that answers GeoJSON rather than JSON."""
    return {200: {"content": {GEOJSON_MEDIA_TYPE: {}}, "description": description}}


def geojson_response(request: Request, body: bytes, *, gzipped: bool = False) -> Response:
    """GeoJSON bytes as a response, gzip-encoded when the client accepts it (coordinates
    compress well). ``gzipped``: ``body`` is already gzip (a cached layer), so it is sent as
    is, or decompressed for a client that does not take gzip."""
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        data = body if gzipped else gzip.compress(body, compresslevel=5, mtime=0)
        return Response(data, media_type=GEOJSON_MEDIA_TYPE,
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    data = gzip.decompress(body) if gzipped else body
    return Response(data, media_type=GEOJSON_MEDIA_TYPE, headers={"Vary": "Accept-Encoding"})


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``W,S,E,N`` in degrees → floats, with a message that teaches on any mistake."""
    parts = text.split(",")
    hint = "bbox=W,S,E,N in degrees, e.g. bbox=119.3,21.8,122.1,25.4 (Taiwan)"
    if len(parts) != 4:
        raise InputError(f"bbox needs 4 numbers, got {len(parts)}", where="bbox", hint=hint)
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"bbox {text!r} holds something that is not a number", where="bbox",
                         hint=hint) from None
    if not all(np.isfinite([w, s, e, n])):
        raise InputError("bbox values must be finite", where="bbox", hint=hint)
    if not (-90 <= s < n <= 90):
        raise InputError(f"bbox latitudes must satisfy -90 <= south < north <= 90, got "
                         f"south={s}, north={n}", where="bbox", hint=hint)
    if not (-180 <= w <= 180 and -180 <= e <= 180):
        raise InputError(f"bbox longitudes must lie in [-180, 180], got west={w}, east={e}",
                         where="bbox", hint=hint + "; west > east crosses the antimeridian")
    return w, s, e, n


def _cells_for(request: Request, bbox: str | None, region: str | None) -> np.ndarray:
    from skygate.earth import cells as _cells
    from skygate.earth.regions import get_region_index

    if (bbox is None) == (region is None):
        raise InputError("give exactly one of bbox or region", where="query",
                         hint="e.g. ?bbox=119.3,21.8,122.1,25.4 or ?region=TW")
    if region is not None:
        return get_region_index().region_cells(get_region_index().check_code(region), 5)
    return _cells.cells_in_bbox(*parse_bbox(bbox), res=5)


@router.get("/cells", responses=geojson_doc("GeoJSON FeatureCollection (RFC 7946)"))
def cells(
    request: Request,
    services: ServicesDep,
    bbox: Annotated[str | None, Query(max_length=200, description="W,S,E,N degrees")] = None,
    region: Annotated[str | None, Query(max_length=8, description="ISO alpha-2, e.g. TW")] = None,
    at: AtQuery = None,
    terminal: Annotated[str, Query(max_length=16)] = "fixed",
) -> Response:
    """Res-5 service cells of a box or region as GeoJSON, each with its map status."""
    from skygate.earth import cells as _cells

    when = parse_at(at)
    kind = check_terminal(terminal)
    chosen = _cells_for(request, bbox, region)
    limit = services.config.api.max_cells
    if chosen.size > limit:
        raise InputError(
            f"that area holds {chosen.size:,} res-5 cells; the limit is {limit:,} per request",
            where="bbox" if bbox is not None else "region",
            hint="ask for a smaller box (zoom in), or use /api/v1/regions for whole countries")
    cells64, statuses, regions = services.policy.cell_statuses(chosen, when, kind)
    collection = _cells.cell_boundaries_geojson(
        cells64, properties={"status": statuses, "region": regions})
    collection["at"] = when.isoformat()
    collection["count"] = int(cells64.size)
    body = json.dumps(collection, separators=(",", ":"))
    return Response(body, media_type=GEOJSON_MEDIA_TYPE)


@router.get("/regions", response_model=RegionList)
def regions(services: ServicesDep, at: AtQuery = None):
    """Every country's own service status (region-wide rules) at a time (default now)."""
    when = parse_at(at)
    return {"at": when, "regions": services.policy.region_statuses(when)}


@router.get("/authorizations/areas", responses=geojson_doc("GeoJSON FeatureCollection, draw order"))
def authorization_areas(request: Request, services: ServicesDep, at: AtQuery = None) -> Response:
    """Area-scoped authorizations in force (e.g. Crimea), merged into polygons, in draw order."""
    when = parse_at(at)
    return geojson_response(request, services.areas.geojson(services.policy.state(), when))


@lru_cache(maxsize=1)
def _outlines() -> bytes:
    data = resources.files("skygate") / "data" / "web" / "countries_50m.geojson.gz"
    return gzip.decompress(data.read_bytes())


@router.get("/outlines", responses=geojson_doc("GeoJSON FeatureCollection"))
def outlines() -> Response:
    """Country outlines for drawing the map (Natural Earth 1:50m, simplified; a2/a3/name)."""
    return Response(_outlines(), media_type=GEOJSON_MEDIA_TYPE,
                    headers={"Cache-Control": "public, max-age=86400"})
