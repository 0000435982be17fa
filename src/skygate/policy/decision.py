"""The one decision function: may a terminal of this kind be served here, now — and why?

Precedence (documented here, tested in ``tests/test_policy_decision.py``, and mirrored by
the compiled arrays in :mod:`skygate.policy.compiled`):

1. **Time windows.** Only rules in force at ``at`` count: ``valid_from <= at <
   min(valid_until, revoked_at)``.
2. **Most specific authorization wins.** A cell scope (a set of cells, or a GeoJSON area
   resolved to cells) beats a region (country / international waters); between cell scopes,
   the one with fewer cells wins. For the same scope the newest ``valid_from`` wins (it
   supersedes the older one), then the higher ledger id.
3. **Conflicts are deterministic and reported.** Two *different* cell scopes of the same size
   that overlap with different statuses are a conflict: the newest ``valid_from`` (then the
   higher id) wins and the decision carries a warning.
4. **No authorization** means ``not_authorized`` ("no authorization on record").
5. **A restriction beats an authorization.** Every restriction in force that covers the cell
   (or the point's region) applies: ``terminal_disable`` makes the place unserviceable
   whatever its status; ``beam_off`` / ``no_transmit`` clear ``beam_allowed`` /
   ``transmit_allowed``.
6. **Terminal rules** (shared facts §5): ``fixed``, ``roam``, ``maritime`` and ``aviation``
   are served where the status is available or waitlist (waitlist stops new orders, not
   service). ``roam`` covers land and coastal waters to 12 nmi only (international waters
   need Ocean Mode, i.e. a maritime plan), at most 2 months abroad (``days_abroad``), and
   in motion up to 160 km/h. ``maritime`` covers coastal waters to 12 nmi (and land); beyond,
   in international waters (``XZ``), only with Ocean Mode (``ocean_mode=True``).
   ``aviation`` has no kind-specific limit. An authorization's ``max_speed_kmh`` (the
   optional in-motion limit of a region) limits every kind but aviation
   (:func:`speed_limit_kmh`). ``fixed`` has no rule of its own beyond status and
   restrictions.

What the effects mean for one place: ``terminal_disable`` makes it unserviceable;
``beam_off`` leaves terminals allowed but clears ``beam_allowed`` (no user beam may be
pointed at the cell, so a terminal there gets no service while it is in force);
``no_transmit`` clears ``transmit_allowed``: a satellite whose *sub-satellite point* is in the
cell must not transmit at all. Terminals in such a cell stay serviceable — satellites whose
sub-satellite point is outside the area may still serve them at a slant.

A point is placed in its H3 cell (for cell scopes) and in its own region (exact, from the
region index); a cell is placed in the region of its centre. ``region`` stays the country
of the boundary data; ``area`` names a coded area on top of it (``UA-43``: Crimea, which
Natural Earth leaves in Ukraine) when the winning rule is scoped to one. So the compiled arrays, which
are per cell, agree with ``decide`` on cells; for a point in a cell that straddles a border
``decide`` is the more exact of the two.

"Not authorized" does not switch beams off: reports show terminals working where the service
is unlicensed (Iran, shared facts §5). Only restrictions change ``beam_allowed`` and
``transmit_allowed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

import numpy as np

from skygate.policy.model import (
    INTERNATIONAL_WATERS,
    ROAM_MAX_DAYS_ABROAD,
    ROAM_MAX_SPEED_KMH,
    EFFECTS,
    SERVICEABLE_STATUSES,
    Authorization,
    Restriction,
    check_terminal,
)
from skygate.policy.state import PolicyState
from skygate.timeutil import as_utc, format_time, parse_time

__all__ = ["Decision", "decide", "authorization_key", "pick_authorization", "speed_limit_kmh",
           "check_motion"]


@dataclass(frozen=True)
class Decision:
    """The answer for one place, time and terminal kind (JSON-ready via :meth:`to_json`)."""

    serviceable: bool
    status: str
    region: str
    cell: str
    at: datetime
    terminal: str
    reasons: list[str] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)
    beam_allowed: bool = True
    transmit_allowed: bool = True
    label: str | None = None
    warnings: list[str] = field(default_factory=list)
    policy_version: str = ""
    area: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region, "area": self.area, "cell": self.cell, "at": format_time(self.at),
            "terminal": self.terminal, "status": self.status, "label": self.label,
            "serviceable": self.serviceable, "beam_allowed": self.beam_allowed,
            "transmit_allowed": self.transmit_allowed, "reasons": list(self.reasons),
            "entries": list(self.entries), "warnings": list(self.warnings),
            "policy_version": self.policy_version,
        }


def authorization_key(a: Authorization) -> tuple:
    """Sort key: larger is more specific / newer (rules 2–3 of the module docstring)."""
    if a.scope.kind == "region":
        return (0, 0, a.valid_from, a.id)
    return (1, -a.scope.n_cells, a.valid_from, a.id)


def pick_authorization(candidates: Sequence[Authorization]) -> tuple[Authorization | None, str | None]:
    """The winning authorization among those covering one place, and a conflict warning."""
    if not candidates:
        return None, None
    ranked = sorted(candidates, key=authorization_key, reverse=True)
    win = ranked[0]
    for other in ranked[1:]:
        if authorization_key(other)[:2] != authorization_key(win)[:2]:
            break
        if other.scope.key != win.scope.key and other.status != win.status:
            return win, (f"conflicting authorizations #{win.id} ({win.status}) and #{other.id} "
                         f"({other.status}) overlap with equal specificity; #{win.id} wins "
                         "(newest valid_from, then highest id)")
    return win, None


def _locate(where: Any) -> tuple[str, int, str]:
    """(region, cell uint64, cell hex) for ``(lat, lon)`` or a res-5 cell (int or hex)."""
    from skygate.earth import cells as _cells
    from skygate.earth.regions import get_region_index

    index = get_region_index()
    if isinstance(where, (tuple, list)) and len(where) == 2:
        # The scalar twins of latlng_to_cells / lookup: same answers, without NumPy's
        # per-call overhead (one point per decision; the API decides one per request).
        lat, lon = where
        cell = _cells.latlng_to_cell(lat, lon, 5)
        region = index.lookup_point(lat, lon)
    else:
        cell = _res5_cell(where)
        region = str(index.cells_regions(np.array([cell], dtype=np.uint64))[0])
    return region, cell, f"{cell:x}"


def _res5_cell(where: Any) -> int:
    """A policy cell: valid H3 at resolution 5 (a finer cell would silently miss every cell
    scope, which is worse than an error)."""
    from h3.api import basic_int as h3i

    from skygate.earth import cells as _cells
    from skygate.errors import InputError

    try:
        cell = int(_cells.from_hex(where)[0]) if isinstance(where, str) else int(where)
    except InputError as exc:
        raise InputError(exc.message, where="cell", hint=exc.hint) from None
    if not h3i.is_valid_cell(cell) or h3i.get_resolution(cell) != 5:
        res = h3i.get_resolution(cell) if h3i.is_valid_cell(cell) else None
        raise InputError(f"{cell:x} is not a resolution-5 H3 cell"
                         + (f" (it is resolution {res})" if res is not None else ""),
                         where="cell", hint="the policy grid is H3 resolution 5: give "
                         "h3.cell_to_parent(cell, 5), or the point's latitude and longitude")
    return cell


def _covers(rule: Authorization | Restriction, region: str, cell: int) -> bool:
    if rule.scope.kind == "region":
        return rule.scope.region == region
    return bool(rule.scope.contains_cells(np.array([cell], dtype=np.uint64))[0])


def decide(where: Any, at: datetime | str | None = None, terminal: str = "fixed", *,
           policy: PolicyState | None = None, speed_kmh: float | None = None,
           days_abroad: float | None = None, ocean_mode: bool = False) -> Decision:
    """Decide for ``where`` — ``(lat_deg, lon_deg)`` or an H3 res-5 cell — at ``at`` (aware;
    default now) for a terminal kind. ``policy`` defaults to the store's current policy.
    ``speed_kmh`` (terminal in motion), ``days_abroad`` (roam) and ``ocean_mode`` (maritime)
    feed the terminal rules of the module docstring."""
    from skygate.policy.control import load_policy

    at = parse_time(at, field="at") if isinstance(at, str) else at
    at = as_utc(at, field="at") if at is not None else parse_time("now")
    terminal = check_terminal(terminal)
    speed_kmh, days_abroad = check_motion(speed_kmh, days_abroad)
    policy = policy if policy is not None else load_policy()
    region, cell, cell_hex = _locate(where)
    reasons: list[str] = []
    warnings: list[str] = []

    auths = [a for a in policy.authorizations if a.in_force(at) and _covers(a, region, cell)]
    win, conflict = pick_authorization(auths)
    if conflict:
        warnings.append(conflict)
    status = win.status if win else "not_authorized"
    reasons.append(win.describe() if win else f"no authorization on record for {region}")
    entries = [win.id] if win else []

    restr = [r for r in policy.restrictions if r.in_force(at) and _covers(r, region, cell)]
    effects = {r.effect for r in restr}
    for r in sorted(restr, key=lambda r: r.id):
        reasons.append(r.describe())
        entries.append(r.id)

    ok = status in SERVICEABLE_STATUSES
    if not ok:
        reasons.append(f"status {status}: the service is not sold here")
    reasons.extend(_EFFECT_REASONS[e] for e in EFFECTS if e in effects)
    if "terminal_disable" in effects:
        ok = False
    terminal_ok, why = _terminal_rules(terminal, region, win, speed_kmh, days_abroad, ocean_mode)
    reasons.extend(why)
    return Decision(
        serviceable=ok and terminal_ok, status=status, region=region, area=_area(win, restr),
        cell=cell_hex, at=at,
        terminal=terminal, reasons=reasons, entries=entries,
        beam_allowed="beam_off" not in effects, transmit_allowed="no_transmit" not in effects,
        label=win.label if win else None, warnings=warnings, policy_version=policy.version,
    )


def _area(win: Authorization | None, restr: list[Restriction]) -> str | None:
    """The coded area (a region defined on top of the country, e.g. ``UA-43``) the place is
    in: the winning authorization's, else the first coded restriction's; None when none."""
    for rule in ([win] if win is not None else []) + sorted(restr, key=lambda r: r.id):
        if rule.scope.kind != "region" and rule.scope.code:
            return rule.scope.code
    return None


_EFFECT_REASONS = {
    "terminal_disable": "a terminal_disable restriction is in force: terminals here are refused",
    "beam_off": "a beam_off restriction is in force: no user beam may serve this cell",
    "no_transmit": "a no_transmit restriction is in force: satellites whose sub-satellite point "
                   "is in this cell must not transmit (terminals here can only be served at a "
                   "slant by satellites outside the area)",
}


def check_motion(speed_kmh: float | None,
                 days_abroad: float | None) -> tuple[float | None, float | None]:
    """``speed_kmh`` and ``days_abroad`` as floats (``None`` stays: not in motion / unknown),
    or an :class:`InputError`: a negative or NaN value would silently pass every limit (NaN
    compares false with all of them)."""
    import math

    from skygate.errors import InputError

    out = []
    for name, value, example in (("speed_kmh", speed_kmh, "95 for a car on a motorway"),
                                 ("days_abroad", days_abroad, "30 for a month abroad")):
        if value is None:
            out.append(None)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not (math.isfinite(number) and number >= 0):
            raise InputError(f"{name} must be a finite number >= 0, got {value!r}", where=name,
                             hint=f"e.g. {example}; leave it out when it does not apply")
        out.append(number)
    return out[0], out[1]


def speed_limit_kmh(terminal: str, win: Authorization | None) -> tuple[float, str] | None:
    """The in-motion limit for a terminal kind under the winning authorization, with what it
    is: the lower of roam's 160 km/h and the authorization's ``max_speed_kmh``; aviation has
    none. ``None`` when no limit applies."""
    if terminal == "aviation":
        return None
    limits = []
    if terminal == "roam":
        limits.append((ROAM_MAX_SPEED_KMH, "roam in-motion limit"))
    if win is not None and win.max_speed_kmh is not None:
        limits.append((float(win.max_speed_kmh), f"speed limit of authorization #{win.id}"))
    return min(limits, key=lambda x: x[0]) if limits else None


def _terminal_rules(terminal: str, region: str, win: Authorization | None,
                    speed_kmh: float | None, days_abroad: float | None,
                    ocean_mode: bool = False) -> tuple[bool, list[str]]:
    ok, why = True, []
    if terminal == "roam" and region == INTERNATIONAL_WATERS:
        ok = False
        why.append("roam covers land and coastal waters to 12 nmi only; beyond needs Ocean "
                   "Mode (a maritime plan)")
    if terminal == "maritime" and region == INTERNATIONAL_WATERS and not ocean_mode:
        ok = False
        why.append("maritime without Ocean Mode covers coastal waters to 12 nmi only; "
                   "international waters need Ocean Mode")
    if terminal == "roam" and days_abroad is not None and days_abroad > ROAM_MAX_DAYS_ABROAD:
        ok = False
        why.append(f"roam: {days_abroad:g} days abroad exceeds the 2-month limit")
    limit = speed_limit_kmh(terminal, win)
    if speed_kmh is not None and limit is not None and speed_kmh > limit[0]:
        ok = False
        why.append(f"{limit[1]}: {speed_kmh:g} km/h exceeds {limit[0]:g} km/h")
    return ok, why
