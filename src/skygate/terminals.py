"""The terminal lifecycle: order, activate, relocate, suspend — each one obeys the policy.

A terminal is ordered *at a location*. Every step that could start or move service asks the
one decision function (:func:`skygate.policy.decide`) about the terminal's location at that
moment, so a terminal can never be switched on where the policy in force says no:

==============  =====================================================================
``order``       refused (nothing stored, :class:`TerminalRefused` with the reasons) where
                the location is not serviceable; ``waitlisted`` (queued) where the status
                is ``waitlist``; else ``ordered``.
``activate``    re-checks the location *now*: ``active`` only where it is available. A
                waitlisted terminal stays queued until its cell becomes available or an
                operator releases capacity for it. A terminal suspended by an operator can
                only be resumed by an operator.
``relocate``    moves the service address; refused where the new location is not
                serviceable (the terminal keeps its old one).
``suspend``     by its owner or an operator; ``activate`` resumes it.
``status``      the stored record plus the decision at its location now: a restriction
                switched on after activation shows up as ``in_service: false``.
==============  =====================================================================

What the decision is told besides the place and time (shared facts §5):

- ``ocean_mode`` belongs to the terminal (stored): a ``maritime`` terminal is served in
  international waters, beyond 12 nmi, only with Ocean Mode. It is set when ordering and can
  be switched at ``activate`` and ``relocate`` (``None`` keeps it); every later check, ``status``
  included, uses the stored value. Other kinds cannot have it (Ocean Mode is a maritime plan;
  a roam terminal at sea is refused either way), so asking for it is an input error.
- ``speed_kmh`` (in motion: roam's 160 km/h, a region's own limit; none for aviation) and
  ``days_abroad`` (roam: 2 months) describe the terminal at the moment of the step. They are
  checked then and recorded in that step's history entry, not stored: ``status`` cannot know
  the speed now.

Every transition is appended to the terminal's ``history`` (time, action, actor, status,
the decision's custom ``area`` such as ``UA-43`` when there is one, reasons, the ledger
entries behind the decision), so support staff and auditors can see why a terminal is or is
not in service. The history is stored complete, reasons about non-public restrictions
included: the API redacts them for each caller when it sends a record
(:mod:`skygate.api.redact`).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Protocol

import sqlalchemy as sa

from skygate.errors import InputError, PermissionDenied, PolicyError

__all__ = [
    "TERMINAL_STATES",
    "Actor",
    "Terminal",
    "TerminalRefused",
    "TerminalNotFound",
    "TerminalRegistry",
    "area_words",
]

#: Lifecycle states stored in ``terminals.status``.
TERMINAL_STATES = ("waitlisted", "ordered", "active", "suspended")


class DecisionLike(Protocol):
    serviceable: bool
    status: str
    region: str
    area: str | None  # a custom policy area on top of the region (e.g. UA-43), or None
    cell: Any
    reasons: list[str]
    entries: list[int]


#: ``decide(lat_deg, lon_deg, at, kind, *, ocean_mode=False, speed_kmh=None,
#: days_abroad=None) -> Decision``: the policy layer's decision function at a point
#: (:meth:`skygate.api.services.PolicyView.decide_point`).
DecideFn = Callable[..., DecisionLike]


@dataclass(frozen=True)
class Actor:
    """Who acts on a terminal: a name and whether they act as the operator."""

    name: str
    operator: bool = False
    sees_all: bool = False  # operators, auditors and admins list every terminal


class TerminalRefused(PolicyError):
    """The policy does not allow this step here and now; carries the decision's reasons."""

    def __init__(self, message: str, decision: DecisionLike):
        self.decision = decision
        super().__init__(message)


class TerminalNotFound(InputError):
    """No terminal with that id (among the caller's own, for a customer)."""


@dataclass
class Terminal:
    """One terminal as stored (times aware UTC, ``history`` oldest first)."""

    id: str
    owner: str
    kind: str
    lat_deg: float
    lon_deg: float
    cell: str
    region: str
    status: str
    created_at: datetime
    updated_at: datetime
    history: list[dict] = field(default_factory=list)
    ocean_mode: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "owner": self.owner, "kind": self.kind, "lat_deg": self.lat_deg,
            "lon_deg": self.lon_deg, "cell": self.cell, "region": self.region,
            "status": self.status, "ocean_mode": self.ocean_mode,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(), "history": self.history,
        }


def _cell_hex(cell: Any) -> str:
    return cell if isinstance(cell, str) else f"{int(cell):x}"


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _event(action: str, actor: Actor, status: str, at: datetime, decision=None, **extra) -> dict:
    event = {"at": at.isoformat(), "action": action, "by": actor.name,
             "as_operator": actor.operator, "status": status}
    if decision is not None:
        event.update(decision_status=decision.status, area=decision.area,
                     reasons=list(decision.reasons), entries=[int(e) for e in decision.entries])
    event.update(extra)
    return event


class TerminalRegistry:
    """Terminals in the store's ``terminals`` table, with the lifecycle rules above."""

    def __init__(self, store, decide: DecideFn, check_kind: Callable[[str], str] | None = None):
        self.store = store
        self.table = store.tables.terminals
        self.decide = decide
        self.check_kind = check_kind or (lambda kind: kind)

    # -- reading -------------------------------------------------------------------------
    def _row_to_terminal(self, row) -> Terminal:
        history = row.history
        if isinstance(history, str):
            history = json.loads(history or "[]")
        return Terminal(row.id, row.owner, row.kind, float(row.lat_deg), float(row.lon_deg),
                        row.cell, row.region, row.status, _aware(row.created_at),
                        _aware(row.updated_at), list(history or []),
                        ocean_mode=bool(row.ocean_mode))

    def get(self, terminal_id: str, actor: Actor) -> Terminal:
        """One terminal; a customer sees only their own (others read as not found)."""
        with self.store.connect() as conn:
            row = conn.execute(sa.select(self.table).where(self.table.c.id == terminal_id)).first()
        if row is None or not (actor.sees_all or actor.operator or row.owner == actor.name):
            raise TerminalNotFound(f"no terminal {terminal_id} among those you can see",
                                   where="terminal_id",
                                   hint="list yours with GET /api/v1/terminals")
        return self._row_to_terminal(row)

    def list(self, actor: Actor) -> list[Terminal]:
        """Terminals the actor may see, oldest first."""
        query = sa.select(self.table).order_by(self.table.c.created_at, self.table.c.id)
        if not (actor.sees_all or actor.operator):
            query = query.where(self.table.c.owner == actor.name)
        with self.store.connect() as conn:
            return [self._row_to_terminal(r) for r in conn.execute(query)]

    def status(self, terminal_id: str, actor: Actor, at: datetime | None = None) -> dict:
        """The record plus the decision at its location now (``in_service``)."""
        terminal = self.get(terminal_id, actor)
        decision = self.decide(terminal.lat_deg, terminal.lon_deg, at or _now(), terminal.kind,
                               ocean_mode=terminal.ocean_mode)
        out = terminal.to_dict()
        out["decision"] = _decision_dict(decision)
        out["in_service"] = terminal.status == "active" and bool(decision.serviceable)
        return out

    # -- writing -------------------------------------------------------------------------
    def order(self, owner: Actor, lat_deg: float, lon_deg: float, kind: str = "fixed",
              at: datetime | None = None, *, ocean_mode: bool = False,
              speed_kmh: float | None = None, days_abroad: float | None = None) -> Terminal:
        """Order a terminal at a location (refused, queued or ordered; see the module doc).
        ``ocean_mode`` (maritime only) is stored; ``speed_kmh`` / ``days_abroad`` are checked
        now and recorded in the history."""
        kind = self.check_kind(kind)
        ocean_mode = _check_ocean_mode(kind, ocean_mode)
        at = at or _now()
        options = _options(ocean_mode, speed_kmh, days_abroad)
        decision = self.decide(lat_deg, lon_deg, at, kind, **options)
        if not decision.serviceable:
            raise TerminalRefused(
                f"cannot order a {kind} terminal at ({lat_deg}, {lon_deg}): "
                f"{_refusal_words(decision)}", decision)
        status = "waitlisted" if decision.status == "waitlist" else "ordered"
        history = [_event("order", owner, status, at, decision, decided_with=options)]
        values = dict(owner=owner.name, kind=kind, lat_deg=float(lat_deg), lon_deg=float(lon_deg),
                      cell=_cell_hex(decision.cell), region=decision.region, status=status,
                      created_at=at, updated_at=at, history=self._history_value(history),
                      ocean_mode=ocean_mode)
        new_id = "T" + secrets.token_hex(5).upper()
        with self.store.transaction() as conn:
            conn.execute(self.table.insert().values(id=new_id, **values))
        return self.get(new_id, Actor(owner.name, sees_all=True))

    def activate(self, terminal_id: str, actor: Actor, at: datetime | None = None, *,
                 ocean_mode: bool | None = None, speed_kmh: float | None = None,
                 days_abroad: float | None = None) -> Terminal:
        """Switch service on after checking the location against the policy in force now.
        ``ocean_mode`` switches the stored setting (``None`` keeps it; switching it on an
        active terminal re-checks its location with the new setting)."""
        at = at or _now()
        terminal = self.get(terminal_id, actor)
        mode = terminal.ocean_mode if ocean_mode is None else _check_ocean_mode(terminal.kind,
                                                                                 ocean_mode)
        if terminal.status == "active" and mode == terminal.ocean_mode:
            return terminal
        if terminal.status == "suspended" and _suspended_by_operator(terminal) and not actor.operator:
            raise PermissionDenied(
                f"terminal {terminal_id} was suspended by the operator; only an operator can resume it")
        options = _options(mode, speed_kmh, days_abroad)
        decision = self.decide(terminal.lat_deg, terminal.lon_deg, at, terminal.kind, **options)
        if not decision.serviceable:
            raise TerminalRefused(
                f"cannot activate terminal {terminal_id}: its location is "
                f"{_refusal_words(decision)} now", decision)
        if decision.status == "waitlist" and terminal.status == "waitlisted" and not actor.operator:
            raise TerminalRefused(
                f"terminal {terminal_id} is queued: {decision.region} is on the waitlist "
                "(capacity sold out); it activates when its cell becomes available or the "
                "operator releases capacity", decision)
        event = _event("activate", actor, "active", at, decision, decided_with=options)
        return self._write(terminal, event, at, status="active", ocean_mode=mode)

    def relocate(self, terminal_id: str, actor: Actor, lat_deg: float, lon_deg: float,
                 at: datetime | None = None, *, ocean_mode: bool | None = None,
                 speed_kmh: float | None = None, days_abroad: float | None = None) -> Terminal:
        """Move the service address; refused where the new location is not serviceable
        (with ``ocean_mode``, when given, as the terminal's new setting; ``None`` keeps it)."""
        at = at or _now()
        terminal = self.get(terminal_id, actor)
        mode = terminal.ocean_mode if ocean_mode is None else _check_ocean_mode(terminal.kind,
                                                                                 ocean_mode)
        options = _options(mode, speed_kmh, days_abroad)
        decision = self.decide(lat_deg, lon_deg, at, terminal.kind, **options)
        if not decision.serviceable:
            raise TerminalRefused(
                f"cannot relocate terminal {terminal_id} to ({lat_deg}, {lon_deg}): "
                f"{_refusal_words(decision)}", decision)
        event = _event("relocate", actor, terminal.status, at, decision, decided_with=options,
                       moved_from=[terminal.lat_deg, terminal.lon_deg],
                       moved_to=[float(lat_deg), float(lon_deg)])
        return self._write(terminal, event, at, status=terminal.status, lat_deg=float(lat_deg),
                           lon_deg=float(lon_deg), cell=_cell_hex(decision.cell),
                           region=decision.region, ocean_mode=mode)

    def suspend(self, terminal_id: str, actor: Actor, reason: str,
                at: datetime | None = None) -> Terminal:
        """Suspend service (owner or operator); ``reason`` is kept in the history."""
        at = at or _now()
        terminal = self.get(terminal_id, actor)
        if not reason.strip():
            raise InputError("a suspension needs a reason", where="reason",
                             hint='e.g. {"reason": "customer request"}')
        return self._transition(terminal, "suspend", actor, "suspended", at, None, reason=reason)

    # -- internals -----------------------------------------------------------------------
    def _history_value(self, history: list[dict]):
        column_type = self.table.c.history.type
        return json.dumps(history) if isinstance(column_type, (sa.Text, sa.String)) else history

    def _transition(self, terminal: Terminal, action: str, actor: Actor, status: str,
                    at: datetime, decision, **extra) -> Terminal:
        return self._write(terminal, _event(action, actor, status, at, decision, **extra), at,
                           status=status)

    def _write(self, terminal: Terminal, event: dict, at: datetime, **values) -> Terminal:
        history = terminal.history + [event]
        t = self.table
        with self.store.transaction() as conn:  # serialized: no other write in between
            # The step was decided on ``terminal`` as read before the transaction; if another
            # step was recorded since (two requests at once), refuse rather than lose it.
            stored = self._row_to_terminal(
                conn.execute(sa.select(t).where(t.c.id == terminal.id)).one())
            if len(stored.history) != len(terminal.history):
                raise PolicyError(f"terminal {terminal.id} changed while this request was "
                                  f"handled (now {stored.status}); look at it again and retry")
            conn.execute(t.update().where(t.c.id == terminal.id).values(
                updated_at=at, history=self._history_value(history), **values))
        return self.get(terminal.id, Actor(terminal.owner, sees_all=True))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _status_words(status: str) -> str:
    return str(status).replace("_", " ")


def _refusal_words(decision: DecisionLike) -> str:
    """Why in a few words: the status when the place has no service, else the terminal rule
    that refused (a maritime terminal at sea without Ocean Mode is in *available* XZ)."""
    words = f"{_status_words(decision.status)} in {decision.region}{area_words(decision.area)}"
    if decision.status in ("available", "waitlist") and decision.reasons:
        words += f" ({decision.reasons[-1]})"
    return words


def area_words(area: str | None) -> str:
    """`` (area UA-43)`` after a region's code in a message, or nothing (no custom area)."""
    return f" (area {area})" if area else ""


def _check_ocean_mode(kind: str, ocean_mode: bool) -> bool:
    if ocean_mode and kind != "maritime":
        raise InputError(f"Ocean Mode is a maritime plan option; a {kind} terminal cannot have it",
                         where="ocean_mode",
                         hint="leave ocean_mode false, or order a maritime terminal for "
                              "service in international waters")
    return bool(ocean_mode)


def _options(ocean_mode: bool, speed_kmh: float | None, days_abroad: float | None) -> dict:
    """The terminal's circumstances as ``decide`` takes them (also recorded in the history)."""
    return {"ocean_mode": bool(ocean_mode),
            "speed_kmh": None if speed_kmh is None else float(speed_kmh),
            "days_abroad": None if days_abroad is None else float(days_abroad)}


def _suspended_by_operator(terminal: Terminal) -> bool:
    last = next((e for e in reversed(terminal.history) if e.get("action") == "suspend"), None)
    return bool(last and last.get("as_operator"))


def _decision_dict(decision: DecisionLike) -> dict[str, Any]:
    return {"serviceable": bool(decision.serviceable), "status": decision.status,
            "region": decision.region, "area": decision.area, "cell": _cell_hex(decision.cell),
            "reasons": list(decision.reasons), "entries": [int(e) for e in decision.entries]}
