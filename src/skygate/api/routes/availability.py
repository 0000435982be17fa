"""Availability of the service at a point: the decision, its reasons and the sky overhead."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from skygate.api.deps import principal_of
from skygate.api.redact import redact_decision
from skygate.api.schemas import Availability
from skygate.api.sky import MIN_ELEVATION_DEG
from skygate.policy.model import check_terminal
from skygate.timeutil import parse_time

router = APIRouter(tags=["availability"])


def parse_at(at: str | None) -> datetime:
    """``at`` query parameter → aware UTC datetime (now when absent)."""
    return parse_time(at, field="at") if at else datetime.now(timezone.utc)


AtQuery = Annotated[str | None, Query(max_length=64, description="ISO 8601 time with zone "
                                      "(e.g. 2024-10-25T00:00:00Z); default now")]


@router.get("/availability", response_model=Availability)
async def availability(
    request: Request,
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude, degrees")],
    lon: Annotated[float, Query(ge=-180, le=180, description="longitude, degrees")],
    at: AtQuery = None,
    terminal: Annotated[str, Query(max_length=16, description="fixed, roam, maritime, aviation")] = "fixed",
):
    """The service decision at a point (status, reasons, ledger entries) and satellites in view."""
    # The hottest route: no dependency injection (each costs a measurable share of a
    # request); the optional key only changes what non-public reasons say.
    services = request.app.state.services
    principal = principal_of(request)
    when = parse_at(at)
    kind = check_terminal(terminal)
    decision = services.policy.decide_point(lat, lon, when, kind)
    snap = services.sky.snapshot()
    count, best = snap.in_view(lat, lon)
    reasons = redact_decision(decision, principal, services.policy.state())
    # Built as JSON directly (the shape is ``Availability``, which documents it): skipping
    # the response model's validate-and-dump pass is a tenth of this route's cost.
    return JSONResponse({
        "lat_deg": lat, "lon_deg": lon, "at": when.isoformat(), "terminal": kind,
        "region": decision.region, "cell": decision.cell, "status": decision.status,
        "serviceable": decision.serviceable, "reasons": reasons,
        "entries": list(decision.entries),
        "satellites": {"count": count, "best_elevation_deg": best,
                       "min_elevation_deg": MIN_ELEVATION_DEG, "slot_start": snap.at.isoformat(),
                       "elements_age_days": round(snap.elements_age_days, 2)},
    })
