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
    "TerminalActivate",
    "TerminalRelocate",
    "TerminalSuspend",
    "KeyIn",
    "KeyOut",
    "KeyCreated",
]

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)

#: Upper bounds the API accepts for a terminal's circumstances: faster than any airliner
#: (~900 km/h), longer than any trip; ``decide`` itself takes any finite value >= 0.
MAX_SPEED_KMH = 2500.0
MAX_DAYS_ABROAD = 36500.0

OCEAN_MODE_DOC = ("maritime terminals: Ocean Mode enabled, i.e. service in international "
                  "waters beyond 12 nmi (without it a maritime plan covers land and coastal "
                  "waters only)")
SPEED_DOC = ("the terminal's speed now, km/h, for the in-motion limits (roam 160 km/h, a "
             "region's own limit; none for aviation); omit when not moving")
DAYS_ABROAD_DOC = "roam: days the terminal has been abroad (roam allows 2 months)"


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
    region: str = Field(description="the country of the boundary data (ISO 3166-1 alpha-2; "
                        "XZ for international waters)")
    area: str | None = Field(default=None, description="the custom policy area the point falls "
                             "in, on top of its region (e.g. UA-43, Crimea); null when none")
    cell: str
    status: str
    serviceable: bool
    reasons: list[str]
    entries: list[int] = Field(description="ledger entries behind the decision")
    ocean_mode: bool = Field(default=False, description="as asked: " + OCEAN_MODE_DOC)
    speed_kmh: float | None = Field(default=None, description="as asked: " + SPEED_DOC)
    days_abroad: float | None = Field(default=None, description="as asked: " + DAYS_ABROAD_DOC)
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


def _speed_field():
    return Field(default=None, ge=0, le=MAX_SPEED_KMH, allow_inf_nan=False,
                 description=SPEED_DOC + "; checked now and kept in the history, not stored")


def _days_field():
    return Field(default=None, ge=0, le=MAX_DAYS_ABROAD, allow_inf_nan=False,
                 description=DAYS_ABROAD_DOC + "; checked now and kept in the history")


class TerminalOrder(BaseModel):
    model_config = _STRICT
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    kind: str = Field(default="fixed", description="fixed, roam, maritime or aviation")
    ocean_mode: bool = Field(default=False, description=OCEAN_MODE_DOC + "; stored with the "
                             "terminal (maritime only)")
    speed_kmh: float | None = _speed_field()
    days_abroad: float | None = _days_field()


class TerminalActivate(BaseModel):
    """Optional body of activate: switch Ocean Mode, or say how the terminal moves now."""

    model_config = _STRICT
    ocean_mode: bool | None = Field(default=None, description=OCEAN_MODE_DOC + "; switches "
                                    "the stored setting (maritime only); omit to keep it")
    speed_kmh: float | None = _speed_field()
    days_abroad: float | None = _days_field()


class TerminalRelocate(TerminalActivate):
    """Body of relocate: the new place, plus the same options as activate."""

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
