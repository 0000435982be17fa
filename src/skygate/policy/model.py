"""The policy vocabulary: authorizations, restrictions (geofences), terminal kinds.

Why two kinds of rule: an **authorization** says what the operator may *sell* in a region (a
licence, a waitlist because capacity is sold out, "coming soon"), while a **restriction** is a
geofence switched on at someone's request, whatever the licence says. The reporting of October
2024 was about the second kind being decided in private; here every rule carries who asked,
who approved, why, and the ledger entry that created it.

Rules are immutable values. Their ``id`` is the sequence number of the ledger entry that created
them, so ``revoke 42`` and "ledger entry 42" name the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import numpy as np

from skygate.errors import InputError, PolicyError
from skygate.timeutil import UTC, format_time, parse_time

__all__ = [
    "STATUSES",
    "STATUS_CODES",
    "SERVICEABLE_STATUSES",
    "EFFECTS",
    "TERMINAL_KINDS",
    "INTERNATIONAL_WATERS",
    "ROAM_MAX_SPEED_KMH",
    "ROAM_MAX_DAYS_ABROAD",
    "Scope",
    "Authorization",
    "Restriction",
    "check_status",
    "check_effect",
    "check_terminal",
]

#: Service statuses, in the order of their integer codes (0 best … 3 worst). The names follow
#: the operator's public map categories (shared facts §4): launched → available, waitlisted →
#: waitlist ("Sold Out", "Expanding in 2026"), coming_soon, and not authorized.
STATUSES: tuple[str, ...] = ("available", "waitlist", "coming_soon", "not_authorized")
STATUS_CODES: dict[str, int] = {name: code for code, name in enumerate(STATUSES)}
#: Waitlist limits *new orders* where capacity is sold out; service itself goes on, and the
#: Roam terms count "Available or Waitlist" markets as approved areas (shared facts §4).
SERVICEABLE_STATUSES: frozenset[str] = frozenset({"available", "waitlist"})

#: Restriction effects. terminal_disable: terminals located there are refused or cut off (the
#: ITU RRB heard of 2,500 terminals geolocated and disabled, facts §5); beam_off: no user beam
#: may serve cells there; no_transmit: satellites stop transmitting while their sub-satellite
#: point is inside ("do not activate satellites over X").
EFFECTS: tuple[str, ...] = ("terminal_disable", "beam_off", "no_transmit")

TERMINAL_KINDS: tuple[str, ...] = ("fixed", "roam", "maritime", "aviation")

#: Region code of the sea beyond every territorial sea (docs/architecture.md).
INTERNATIONAL_WATERS = "XZ"

# Roam works in motion up to 100 mph (160 km/h) and for up to 2 months abroad per trip:
# starlink.com support articles, shared facts §5 "Roaming, maritime and mobility rules".
ROAM_MAX_SPEED_KMH = 160.0
ROAM_MAX_DAYS_ABROAD = 61


def _choice(value: str, allowed: tuple[str, ...], field_name: str) -> str:
    text = str(value).strip().lower().replace("-", "_")
    if text not in allowed:
        raise InputError(
            f"unknown {field_name} {value!r}",
            where=field_name,
            hint=f"use one of: {', '.join(allowed)}",
        )
    return text


def check_status(value: str) -> str:
    """Return the normalized status name or raise ``InputError`` listing the valid ones."""
    return _choice(value, STATUSES, "status")


def check_effect(value: str) -> str:
    """Return the normalized effect name or raise ``InputError`` listing the valid ones."""
    return _choice(value, EFFECTS, "effect")


def check_terminal(value: str) -> str:
    """Return the normalized terminal kind or raise ``InputError`` listing the valid ones."""
    return _choice(value, TERMINAL_KINDS, "terminal")


def _opt_time(value: Any, field_name: str) -> datetime | None:
    if value is None or value == "":
        return None
    return parse_time(value, field=field_name)


def iso_time(value: datetime) -> str:
    """ISO 8601 UTC with 'Z', microseconds only when present (the ledger's time format)."""
    value = value.astimezone(UTC)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if value.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return value.strftime(fmt)


def _opt_str(value: datetime | None) -> str | None:
    return None if value is None else iso_time(value)


@dataclass(frozen=True, eq=False)
class Scope:
    """Where a rule applies: a region code, or a set of H3 cells (a GeoJSON area is stored as
    its geometry *and* the cells it covers, so replaying the ledger never depends on the
    geometry code of a later skygate version).

    ``cells`` is a sorted ``uint64`` array of H3 indexes (empty for a region scope). ``code``
    optionally names a cell/area scope as a region of its own (e.g. ``UA-43``, ISO 3166-2 for
    Crimea, which Natural Earth leaves in ``UA``); decisions report it as their ``area``.
    """

    kind: Literal["region", "cells", "area"]
    region: str | None = None
    name: str | None = None
    cells: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    geometry: dict | None = None
    resolution: int = 5
    code: str | None = None

    @property
    def key(self) -> str:
        """Identity used for supersession: a newer authorization on the same key replaces it."""
        if self.kind == "region":
            return f"region:{self.region}"
        return f"{self.kind}:{self.name}"

    @property
    def n_cells(self) -> int:
        return int(self.cells.size)

    def describe(self) -> str:
        if self.kind == "region":
            return f"region {self.region}"
        label = f" {self.name!r}" if self.name else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{self.kind}{label}{code} ({self.n_cells} cells)"

    def contains_cells(self, cells: np.ndarray) -> np.ndarray:
        """Boolean mask: which of ``cells`` (uint64) lie in this cell scope."""
        if self.cells.size == 0:
            return np.zeros(np.shape(cells), dtype=bool)
        pos = np.searchsorted(self.cells, cells)
        pos = np.minimum(pos, self.cells.size - 1)
        return self.cells[pos] == cells

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "region":
            out["region"] = self.region
        else:
            out["name"] = self.name
            if self.code:  # only when set: entries written before codes existed hash alike
                out["code"] = self.code
            out["resolution"] = self.resolution
            out["cells"] = [f"{int(c):x}" for c in self.cells]
            if self.geometry is not None:
                out["geometry"] = self.geometry
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Scope":
        kind = data["kind"]
        if kind == "region":
            return cls(kind="region", region=str(data["region"]).upper())
        cells = np.array([int(h, 16) for h in data.get("cells", [])], dtype=np.uint64)
        return cls(
            kind=kind,
            name=data.get("name"),
            cells=np.unique(cells),
            geometry=data.get("geometry"),
            resolution=int(data.get("resolution", 5)),
            code=data.get("code"),
        )

    @classmethod
    def of_region(cls, code: str) -> "Scope":
        return cls(kind="region", region=code.upper())

    @classmethod
    def of_cells(cls, cells, *, name: str, resolution: int = 5, geometry: dict | None = None,
                 code: str | None = None):
        arr = np.unique(np.asarray(cells, dtype=np.uint64))
        if arr.size == 0:
            raise InputError("the area covers no cells", where=name or "cells",
                             hint="give at least one H3 cell, or a larger polygon")
        return cls(kind="area" if geometry else "cells", name=name, cells=arr,
                   geometry=geometry, resolution=resolution, code=code)


def _window(valid_from: datetime, valid_until: datetime | None, revoked_at: datetime | None):
    ends = [t for t in (valid_until, revoked_at) if t is not None]
    return valid_from, (min(ends) if ends else None)


@dataclass(frozen=True, eq=False)
class _Rule:
    """Fields common to both rule kinds (times are aware UTC)."""

    id: int
    scope: Scope
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    revoked_by: int | None

    def in_force(self, at: datetime) -> bool:
        """True when ``valid_from <= at < min(valid_until, revoked_at)``."""
        start, end = _window(self.valid_from, self.valid_until, self.revoked_at)
        return start <= at and (end is None or at < end)

    def active_between(self, start: datetime, end: datetime) -> bool:
        """True when the rule is in force at any instant of ``[start, end)``."""
        lo, hi = _window(self.valid_from, self.valid_until, self.revoked_at)
        return lo < end and (hi is None or hi > start)

    def boundaries(self) -> list[datetime]:
        lo, hi = _window(self.valid_from, self.valid_until, self.revoked_at)
        return [lo] + ([hi] if hi is not None else [])

    @staticmethod
    def _common_from_dict(data: dict[str, Any]) -> dict[str, Any]:
        """The fields both rule kinds share, read back from :meth:`_times_dict`'s form."""
        return {
            "id": int(data["id"]),
            "scope": Scope.from_dict(data["scope"]),
            "valid_from": parse_time(data["valid_from"], field="valid_from"),
            "valid_until": _opt_time(data.get("valid_until"), "valid_until"),
            "revoked_at": _opt_time(data.get("revoked_at"), "revoked_at"),
            "revoked_by": data.get("revoked_by"),
        }

    def _times_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": self.scope.to_dict(),
            "valid_from": _opt_str(self.valid_from),
            "valid_until": _opt_str(self.valid_until),
            "revoked_at": _opt_str(self.revoked_at),
            "revoked_by": self.revoked_by,
        }


@dataclass(frozen=True, eq=False)
class Authorization(_Rule):
    """What may be sold in a scope: ``status`` with its ``label`` and ``legal_basis``.

    ``max_speed_kmh`` is an optional in-motion limit for the region (e.g. the ~75–90 km/h limit
    reported for Ukraine in Feb 2026, shared facts §5).
    """

    status: str = "not_authorized"
    label: str | None = None
    legal_basis: str | None = None
    max_speed_kmh: float | None = None
    source: str | None = None

    rule_kind = "authorization"

    def __post_init__(self) -> None:
        check_status(self.status)
        if self.max_speed_kmh is not None and not self.max_speed_kmh > 0:
            raise InputError("max_speed_kmh must be positive", where="max_speed_kmh")

    def to_dict(self) -> dict[str, Any]:
        out = self._times_dict()
        out.update(rule="authorization", status=self.status, label=self.label,
                   legal_basis=self.legal_basis, max_speed_kmh=self.max_speed_kmh,
                   source=self.source)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Authorization":
        return cls(
            **cls._common_from_dict(data),
            status=check_status(data["status"]),
            label=data.get("label"),
            legal_basis=data.get("legal_basis"),
            max_speed_kmh=data.get("max_speed_kmh"),
            source=data.get("source"),
        )

    def describe(self) -> str:
        label = f" ({self.label})" if self.label else ""
        basis = f"; legal basis: {self.legal_basis}" if self.legal_basis else ""
        return (f"authorization #{self.id}: {self.scope.describe()} {self.status}{label} "
                f"since {format_time(self.valid_from)}{basis}")


@dataclass(frozen=True, eq=False)
class Restriction(_Rule):
    """A geofence: ``effect`` on ``scope`` during ``[valid_from, valid_until)``.

    Two people are needed: ``requested_by`` (who asked — a government, the operator's own
    staff) and ``approved_by`` (who signed it off); they must differ, so no one can switch off
    an area alone without it being visible.
    """

    effect: str = "terminal_disable"
    requested_by: str = ""
    approved_by: str = ""
    reason: str = ""
    public: bool = True
    source: str | None = None

    rule_kind = "restriction"

    def __post_init__(self) -> None:
        check_effect(self.effect)
        if not self.requested_by.strip() or not self.approved_by.strip():
            raise PolicyError("a restriction needs both requested_by and approved_by")
        if self.requested_by.strip().lower() == self.approved_by.strip().lower():
            raise PolicyError(
                f"restriction requested and approved by the same actor {self.requested_by!r}; "
                "a second person must approve a geofence (four-eyes rule)"
            )
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise InputError("valid_until must be after valid_from", where="until")

    def to_dict(self) -> dict[str, Any]:
        out = self._times_dict()
        out.update(rule="restriction", effect=self.effect, requested_by=self.requested_by,
                   approved_by=self.approved_by, reason=self.reason, public=self.public,
                   source=self.source)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Restriction":
        return cls(
            **cls._common_from_dict(data),
            effect=check_effect(data["effect"]),
            requested_by=str(data["requested_by"]),
            approved_by=str(data["approved_by"]),
            reason=str(data.get("reason", "")),
            public=bool(data.get("public", True)),
            source=data.get("source"),
        )

    def describe(self) -> str:
        until = f" until {format_time(self.valid_until)}" if self.valid_until else ""
        vis = "" if self.public else " [not public]"
        return (f"restriction #{self.id} ({self.effect}) on {self.scope.describe()} "
                f"since {format_time(self.valid_from)}{until}; requested by "
                f"{self.requested_by}, approved by {self.approved_by}: {self.reason}{vis}")


def rule_from_dict(data: dict[str, Any]) -> Authorization | Restriction:
    """Rebuild a rule from its ``to_dict`` form (the ``rule`` field says which kind)."""
    if data.get("rule") == "restriction":
        return Restriction.from_dict(data)
    return Authorization.from_dict(data)


def revoked(rule, at: datetime, by: int):
    """The same rule, ended at ``at`` by ledger entry ``by``."""
    return replace(rule, revoked_at=at, revoked_by=by)
