"""Terminals: order at a location, activate, relocate, suspend, status — all policy-checked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from skygate.api.deps import ServicesDep, TerminalActorDep, TerminalReaderDep
from skygate.api.schemas import TerminalActivate, TerminalOrder, TerminalRelocate, TerminalSuspend
from skygate.api.security import Principal, Role
from skygate.terminals import Actor

router = APIRouter(prefix="/terminals", tags=["terminals"])

_REFUSED = {409: {"description": "refused by the policy in force: the body holds the reasons"}}


def _actor(principal: Principal) -> Actor:
    return Actor(name=principal.owner, operator=principal.role is Role.operator,
                 sees_all=principal.role in (Role.operator, Role.auditor, Role.admin))


@router.get("")
def list_terminals(principal: TerminalReaderDep, services: ServicesDep) -> list[dict]:
    """List terminals: a customer's own, or all for operators, auditors and admins."""
    return [t.to_dict() for t in services.terminals.list(_actor(principal))]


@router.post("", status_code=201, responses=_REFUSED)
def order_terminal(principal: TerminalActorDep, services: ServicesDep, body: TerminalOrder) -> dict:
    """Order a terminal at a location: refused where not served, queued on a waitlist."""
    terminal = services.terminals.order(_actor(principal), body.lat_deg, body.lon_deg, body.kind,
                                        ocean_mode=body.ocean_mode, speed_kmh=body.speed_kmh,
                                        days_abroad=body.days_abroad)
    return terminal.to_dict()


@router.get("/{terminal_id}")
def terminal_status(principal: TerminalReaderDep, services: ServicesDep, terminal_id: str) -> dict:
    """A terminal's record, history and the decision at its location now."""
    return services.terminals.status(terminal_id, _actor(principal))


@router.post("/{terminal_id}/activate", responses=_REFUSED)
def activate_terminal(principal: TerminalActorDep, services: ServicesDep, terminal_id: str,
                      body: Annotated[TerminalActivate | None, Body()] = None) -> dict:
    """Activate (or resume) a terminal after checking its location against the policy now."""
    body = body or TerminalActivate()
    return services.terminals.activate(terminal_id, _actor(principal), ocean_mode=body.ocean_mode,
                                       speed_kmh=body.speed_kmh,
                                       days_abroad=body.days_abroad).to_dict()


@router.post("/{terminal_id}/relocate", responses=_REFUSED)
def relocate_terminal(principal: TerminalActorDep, services: ServicesDep, terminal_id: str,
                      body: TerminalRelocate) -> dict:
    """Move a terminal's service address; refused where the new location has no service."""
    terminal = services.terminals.relocate(terminal_id, _actor(principal), body.lat_deg,
                                           body.lon_deg, ocean_mode=body.ocean_mode,
                                           speed_kmh=body.speed_kmh, days_abroad=body.days_abroad)
    return terminal.to_dict()


@router.post("/{terminal_id}/suspend")
def suspend_terminal(principal: TerminalActorDep, services: ServicesDep, terminal_id: str,
                     body: TerminalSuspend) -> dict:
    """Suspend a terminal (its owner or an operator); activate resumes it."""
    return services.terminals.suspend(terminal_id, _actor(principal), body.reason).to_dict()
