"""Simulation results for the map: the runs found under the server's simulation folder."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from skygate.api.deps import ServicesDep
from skygate.api.routes.map import geojson_doc, geojson_response

router = APIRouter(prefix="/simulations", tags=["simulations"])

RunQuery = Annotated[str, Query(min_length=1, max_length=300,
                                description="the run's name, as GET /simulations lists it")]


@router.get("")
def list_runs(services: ServicesDep) -> dict:
    """Simulation runs found (newest first), each with its key figures; empty when none."""
    return {"root": str(services.simulations.root), "runs": services.simulations.list()}


@router.get("/summary")
def run_summary(services: ServicesDep, run: RunQuery) -> dict:
    """One run's full summary.json (scenario, window, policy version, compliance, regions)."""
    return services.simulations.summary(run)


@router.get("/cells", responses=geojson_doc("GeoJSON FeatureCollection (RFC 7946)"))
def run_cells(request: Request, services: ServicesDep, run: RunQuery) -> Response:
    """One run's per-cell results as GeoJSON (coverage, satellites in view, demand, served)."""
    return geojson_response(request, services.simulations.cells_geojson_gz(run), gzipped=True)
