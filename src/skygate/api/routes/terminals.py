"""Terminals: order at a location, activate, relocate, suspend, status — all policy-checked.

Every record sent is redacted for its caller (:func:`skygate.api.redact.redact_terminal`):
the stored history keeps the full reasons, which auditors and operators read; customers and
admins read non-public restrictions as their id and effect only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from skygate.api.deps import ServicesDep, TerminalActorDep, TerminalReaderDep
from skygate.api.redact import redact_terminal
from skygate.api.schemas import TerminalActivate, TerminalOrder, TerminalRelocate, TerminalSuspend
from skygate.api.security import Principal, Role
from skygate.terminals import Actor

router = APIRouter(prefix="/terminals", tags=["terminals"])

_REFUSED = {409: {"description": "refused by the policy in force: the body holds the reasons"}}


def _out(record: dict, principal: Principal, services) -> dict:
    """A terminal record (``to_dict`` or ``status``) as the caller may read it."""
    return redact_terminal(record, principal, services.policy.state())


def _actor(principal: Principal) -> Actor:
    return Actor(name=principal.owner, operator=principal.role is Role.operator,
                 sees_all=principal.role in (Role.operator, Role.auditor, Role.admin))


@router.get("")
def list_terminals(principal: TerminalReaderDep, services: ServicesDep) -> list[dict]:
    """List terminals: a customer's own, or all for operators, auditors and admins."""
    return [_out(t.to_dict(), principal, services)
            for t in services.terminals.list(_actor(principal))]


@router.post("", status_code=201, responses=_REFUSED)
def order_terminal(principal: TerminalActorDep, services: ServicesDep, body: TerminalOrder) -> dict:
    """Order a terminal at a location: refused where not served, queued on a waitlist."""
    terminal = services.terminals.order(_actor(principal), body.lat_deg, body.lon_deg, body.kind,
                                        ocean_mode=body.ocean_mode, speed_kmh=body.speed_kmh,
                                        days_abroad=body.days_abroad)
    return _out(terminal.to_dict(), principal, services)


@router.get("/{terminal_id}")
def terminal_status(principal: TerminalReaderDep, services: ServicesDep, terminal_id: str) -> dict:
    """A terminal's record, history and the decision at its location now."""
    return _out(services.terminals.status(terminal_id, _actor(principal)), principal, services)


@router.post("/{terminal_id}/activate", responses=_REFUSED)
def activate_terminal(principal: TerminalActorDep, services: ServicesDep, terminal_id: str,
                      body: Annotated[TerminalActivate | None, Body()] = None) -> dict:
    """Activate (or resume) a terminal after checking its location against the policy now."""
    body = body or TerminalActivate()
    terminal = services.terminals.activate(terminal_id, _actor(principal),
                                           ocean_mode=body.ocean_mode, speed_kmh=body.speed_kmh,
                                           days_abroad=body.days_abroad)
    return _out(terminal.to_dict(), principal, services)


@router.post("/{terminal_id}/relocate", responses=_REFUSED)
def relocate_terminal(principal: TerminalActorDep, services: ServicesDep, terminal_id: str,
                      body: TerminalRelocate) -> dict:
    """Move a terminal's service address; refused where the new location has no service."""
    terminal = services.terminals.relocate(terminal_id, _actor(principal), body.lat_deg,
                                           body.lon_deg, ocean_mode=body.ocean_mode,
                                           speed_kmh=body.speed_kmh, days_abroad=body.days_abroad)
    return _out(terminal.to_dict(), principal, services)


@router.post("/{terminal_id}/suspend")
def suspend_terminal(principal: TerminalActorDep, services: ServicesDep, terminal_id: str,
                     body: TerminalSuspend) -> dict:
    """Suspend a terminal (its owner or an operator); activate resumes it."""
    terminal = services.terminals.suspend(terminal_id, _actor(principal), body.reason)
    return _out(terminal.to_dict(), principal, services)
