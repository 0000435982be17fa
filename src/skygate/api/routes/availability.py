"""Availability of the service at a point: the decision, its reasons and the sky overhead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from skygate.api.deps import principal_of
from skygate.api.redact import redact_area, redact_decision
from skygate.api.schemas import (
    DAYS_ABROAD_DOC,
    MAX_DAYS_ABROAD,
    MAX_SPEED_KMH,
    OCEAN_MODE_DOC,
    SPEED_DOC,
    Availability,
)
from skygate.api.sky import MIN_ELEVATION_DEG
from skygate.policy.model import check_terminal
from skygate.timeutil import parse_time

router = APIRouter(tags=["availability"])


def parse_at(at: str | None) -> datetime:
    """``at`` query parameter → aware UTC datetime (now when absent)."""
    return parse_time(at, field="at") if at else datetime.now(timezone.utc)


AtQuery = Annotated[str | None, Query(max_length=64, description="ISO 8601 time with zone "
                                      "(e.g. 2024-10-25T00:00:00Z); default now")]


@dataclass(frozen=True)
class _Param:
    """One query parameter of the availability route: parsed by hand (see below) and
    documented in the OpenAPI schema from the same record, so the two cannot drift."""

    name: str
    description: str
    kind: str  # "number", "string" or "boolean"
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    default: str | bool | None = None

    def openapi(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.kind}
        for key, value in (("minimum", self.minimum), ("maximum", self.maximum),
                           ("maxLength", self.max_length), ("default", self.default)):
            if value is not None:
                schema[key] = value
        return {"name": self.name, "in": "query", "required": self.required,
                "description": self.description, "schema": schema}


_PARAMS = (
    _Param("lat", "latitude, degrees", "number", required=True, minimum=-90, maximum=90),
    _Param("lon", "longitude, degrees", "number", required=True, minimum=-180, maximum=180),
    _Param("at", "ISO 8601 time with zone (e.g. 2024-10-25T00:00:00Z); default now", "string",
           max_length=64),
    _Param("terminal", "fixed, roam, maritime, aviation", "string", max_length=16,
           default="fixed"),
    _Param("ocean_mode", OCEAN_MODE_DOC, "boolean", default=False),
    _Param("speed_kmh", SPEED_DOC, "number", minimum=0, maximum=MAX_SPEED_KMH),
    _Param("days_abroad", DAYS_ABROAD_DOC, "number", minimum=0, maximum=MAX_DAYS_ABROAD),
)

# What FastAPI (pydantic) accepts for a boolean query parameter, case-insensitively.
_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})


def _invalid(param: _Param, msg: str, kind: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", param.name), "msg": msg, "type": kind}])


def _parse(param: _Param, raw: str | None) -> float | str | bool | None:
    """One parameter's value, with FastAPI's 422 error shape for a bad one."""
    if raw is None:
        if param.required:
            raise _invalid(param, "Field required", "missing")
        return param.default
    if param.kind == "string":
        if len(raw) > param.max_length:
            raise _invalid(param, f"String should have at most {param.max_length} characters",
                           "string_too_long")
        return raw
    if param.kind == "boolean":
        word = raw.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise _invalid(param, "Input should be a valid boolean (true or false)", "bool_parsing")
    try:
        value = float(raw)
    except ValueError:
        raise _invalid(param, "Input should be a valid number", "float_parsing") from None
    if not param.minimum <= value <= param.maximum:  # False for NaN too
        raise _invalid(param, f"Input should be between {param.minimum:g} and "
                              f"{param.maximum:g}", "range")
    return value


@router.get("/availability", response_model=Availability,
            openapi_extra={"parameters": [p.openapi() for p in _PARAMS]})
async def availability(request: Request):
    """The service decision at a point (status, reasons, ledger entries) and satellites in view."""
    # ``ocean_mode``, ``speed_kmh`` and ``days_abroad`` are ``decide``'s terminal options
    # (maritime beyond 12 nmi, in-motion limits, roam's 2 months), passed through unchanged.
    # The hottest route, so it skips FastAPI's per-request machinery: no dependency
    # injection and no declared parameters (together a fifth of a request's cost; measured
    # with py-spy under benchmarks/api.py). ``_PARAMS`` parses the query and documents it.
    # The optional key only changes what non-public reasons say.
    query = request.query_params
    lat, lon, at, terminal, ocean_mode, speed_kmh, days_abroad = (
        _parse(p, query.get(p.name)) for p in _PARAMS)
    services = request.app.state.services
    principal = principal_of(request)
    when = parse_at(at)
    kind = check_terminal(terminal)
    decision = services.policy.decide_point(lat, lon, when, kind, ocean_mode=ocean_mode,
                                            speed_kmh=speed_kmh, days_abroad=days_abroad)
    snap = services.sky.snapshot()
    count, best = snap.in_view(lat, lon)
    state = services.policy.state()
    reasons = redact_decision(decision, principal, state)
    area = redact_area(decision.area, principal, state)
    # Built as JSON directly (the shape is ``Availability``, which documents it): skipping
    # the response model's validate-and-dump pass is a tenth of this route's cost.
    return JSONResponse({
        "lat_deg": lat, "lon_deg": lon, "at": when.isoformat(), "terminal": kind,
        "region": decision.region, "area": area, "cell": decision.cell, "status": decision.status,
        "serviceable": decision.serviceable, "reasons": reasons,
        "entries": list(decision.entries), "ocean_mode": ocean_mode, "speed_kmh": speed_kmh,
        "days_abroad": days_abroad,
        "satellites": {"count": count, "best_elevation_deg": best,
                       "min_elevation_deg": MIN_ELEVATION_DEG, "slot_start": snap.at.isoformat(),
                       "elements_age_days": round(snap.elements_age_days, 2)},
    })
