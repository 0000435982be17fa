"""Request and response bodies of the API (pydantic), with units in the field names."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "SatellitesInView",
    "Availability",
    "RegionStatus",
    "RegionList",
    "AuthorizationIn",
    "RestrictionIn",
    "ApproveIn",
    "RevokeIn",
    "TerminalOrder",
    "TerminalRelocate",
    "TerminalSuspend",
    "KeyIn",
    "KeyOut",
    "KeyCreated",
]

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SatellitesInView(BaseModel):
    """Satellites above the user-terminal minimum elevation, in the current 15-s slot."""

    count: int
    best_elevation_deg: float | None
    min_elevation_deg: float
    slot_start: datetime
    elements_age_days: float = Field(description="median age of the element sets at slot_start")


class Availability(BaseModel):
    """The decision for one point (and time, and terminal kind), with its reasons."""

    lat_deg: float
    lon_deg: float
    at: datetime
    terminal: str
    region: str
    cell: str
    status: str
    serviceable: bool
    reasons: list[str]
    entries: list[int] = Field(description="ledger entries behind the decision")
    satellites: SatellitesInView | None


class RegionStatus(BaseModel):
    region: str
    name: str
    status: str
    label: str | None = None
    entries: list[int] = []


class RegionList(BaseModel):
    at: datetime
    regions: list[RegionStatus]


class AuthorizationIn(BaseModel):
    """A regulator's decision for its own country."""

    model_config = _STRICT
    region: str = Field(min_length=2, max_length=8, description="ISO 3166-1 alpha-2, e.g. TW")
    status: str = Field(description="available, waitlist, coming_soon or not_authorized")
    reason: str = Field(min_length=1, max_length=2000)
    label: str | None = Field(default=None, max_length=200)
    legal_basis: str | None = Field(default=None, max_length=2000)
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class RestrictionIn(BaseModel):
    """A geofence request; it takes effect only when a second operator approves it.

    The requesting operator is the key's owner (recorded as ``requested_by``; the approver
    as ``approved_by``); say in ``reason`` on whose behalf, e.g. a government's order."""

    model_config = _STRICT
    region: str | None = Field(default=None, min_length=2, max_length=8)
    cells: list[str] | None = Field(default=None, max_length=50_000,
                                    description="H3 cells (15-character hex)")
    geometry: dict[str, Any] | None = Field(default=None, description="a GeoJSON Polygon/MultiPolygon")
    name: str | None = Field(default=None, max_length=200, description="name of a cell/area scope")
    effect: str = Field(default="terminal_disable",
                        description="terminal_disable, beam_off or no_transmit")
    reason: str = Field(min_length=1, max_length=2000)
    public: bool = True
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class ApproveIn(BaseModel):
    model_config = _STRICT
    reason: str = Field(default="approved", min_length=1, max_length=2000)


class RevokeIn(BaseModel):
    model_config = _STRICT
    reason: str = Field(min_length=1, max_length=2000)


class TerminalOrder(BaseModel):
    model_config = _STRICT
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    kind: str = Field(default="fixed", description="fixed, roam, maritime or aviation")


class TerminalRelocate(BaseModel):
    model_config = _STRICT
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)


class TerminalSuspend(BaseModel):
    model_config = _STRICT
    reason: str = Field(min_length=1, max_length=2000)


class KeyIn(BaseModel):
    model_config = _STRICT
    role: Literal["customer", "operator", "regulator", "auditor", "admin"]
    owner: str = Field(min_length=1, max_length=200)
    country: str | None = Field(default=None, min_length=2, max_length=2)


class KeyOut(BaseModel):
    id: str
    owner: str
    role: str
    country: str | None
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    key: str = Field(description="the secret; shown once, store it now")
