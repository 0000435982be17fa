"""Authorizations (regulators, own country) and restrictions (two operators), via the ledger."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import Response

from skygate.api.deps import (
    OperatorDep,
    PrincipalDep,
    RegulatorDep,
    ServicesDep,
    require,
)
from skygate.api.redact import sees_private
from skygate.api.routes.availability import AtQuery, parse_at
from skygate.api.routes.map import GEOJSON_MEDIA_TYPE, geojson_doc
from skygate.api.schemas import ApproveIn, AuthorizationIn, RestrictionIn, RevokeIn
from skygate.api.security import Principal, Role
from skygate.errors import InputError
from skygate.policy.model import check_effect, check_status

router = APIRouter(tags=["policy"])

RuleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the rule's id (its ledger entry)")]
_CONFLICT = {409: {"description": "the change breaks a policy rule (e.g. self-approval)"}}


def _in_force_filter(rules, when: datetime | None):
    return [r for r in rules if when is None or r.in_force(when)]


def _auth_out(a, when: datetime | None) -> dict[str, Any]:
    return {"id": a.id, "region": a.scope.region, "scope": a.scope.describe(),
            "cell_count": a.scope.n_cells, "status": a.status, "label": a.label,
            "legal_basis": a.legal_basis, "valid_from": a.valid_from,
            "valid_until": a.valid_until, "revoked_at": a.revoked_at,
            "in_force": a.in_force(when or datetime.now(timezone.utc)),
            "description": a.describe()}


def _restr_out(r, when: datetime | None) -> dict[str, Any]:
    return {"id": r.id, "region": r.scope.region, "label": r.scope.name,
            "scope": r.scope.describe(), "cell_count": r.scope.n_cells, "effect": r.effect,
            "requested_by": r.requested_by, "approved_by": r.approved_by, "reason": r.reason,
            "public": r.public, "valid_from": r.valid_from, "valid_until": r.valid_until,
            "revoked_at": r.revoked_at,
            "in_force": r.in_force(when or datetime.now(timezone.utc))}


def _when(at: str | None, include_all: bool) -> datetime | None:
    return None if include_all and not at else parse_at(at)


# ---- authorizations ----------------------------------------------------------------------
@router.get("/authorizations")
def list_authorizations(
    services: ServicesDep,
    at: AtQuery = None,
    region: Annotated[str | None, Query(max_length=8)] = None,
    all: Annotated[bool, Query(description="every authorization ever recorded")] = False,
) -> dict:
    """Authorizations in force at a time (default now), or all of them; optionally one region."""
    when = _when(at, all)
    rules = _in_force_filter(services.policy.state().authorizations, when)
    if region:
        code = region.strip().upper()
        rules = [a for a in rules if a.scope.region == code]
    return {"at": when, "authorizations": [_auth_out(a, when) for a in sorted(rules, key=lambda a: a.id)]}


def _own_country(principal: Principal, region: str) -> str:
    from skygate.earth.regions import get_region_index

    code = get_region_index().check_code(region)
    if code != (principal.country or "").upper():
        raise HTTPException(403, f"your regulator key is for {principal.country}; it cannot "
                                 f"authorize service in {code}")
    return code


@router.post("/authorizations", status_code=201)
def create_authorization(principal: RegulatorDep, services: ServicesDep,
                         body: AuthorizationIn) -> dict:
    """Set the service status of the regulator's own country (one ledger entry)."""
    from skygate.policy import Scope, authorize

    code = _own_country(principal, body.region)
    entry = authorize(services.store, Scope.of_region(code), check_status(body.status),
                      reason=body.reason, actor=principal.owner, label=body.label,
                      legal_basis=body.legal_basis, valid_from=body.valid_from,
                      valid_until=body.valid_until)
    services.policy.invalidate()
    rule = services.policy.state().get(entry.seq)
    return {"entry": entry.seq, "authorization": _auth_out(rule, None)}


async def _own_authorization(principal: RegulatorDep, services: ServicesDep,
                             rule_id: RuleId) -> Principal:
    """The regulator, if authorization ``rule_id`` is of its own country (a dependency, so
    the country is checked before the body is validated: the path says which rule)."""
    from skygate.policy.model import Authorization

    rule = _rule(services, rule_id, Authorization, "authorization")
    if rule.scope.kind != "region":
        raise HTTPException(403, f"authorization #{rule_id} covers cells, not a country; "
                                 "only the operator's policy files change those")
    _own_country(principal, rule.scope.region)
    return principal


@router.post("/authorizations/{rule_id}/revoke", responses=_CONFLICT)
def revoke_authorization(principal: Annotated[Principal, Depends(_own_authorization)],
                         services: ServicesDep, rule_id: RuleId, body: RevokeIn) -> dict:
    """End an authorization of the regulator's own country (one ledger entry)."""
    from skygate.policy import revoke

    entry = revoke(services.store, rule_id, reason=body.reason, actor=principal.owner)
    services.policy.invalidate()
    return {"entry": entry.seq, "revoked": rule_id}


def _rule(services, rule_id: int, kind, name: str):
    for rule in services.policy.state().rules():
        if rule.id == rule_id and isinstance(rule, kind):
            return rule
    raise InputError(f"no {name} #{rule_id}", where="rule_id",
                     hint=f"list them with GET /api/v1/{name}s?all=true")


# ---- restrictions ------------------------------------------------------------------------
@router.get("/restrictions")
def list_restrictions(
    principal: PrincipalDep,
    services: ServicesDep,
    at: AtQuery = None,
    all: Annotated[bool, Query(description="every restriction ever recorded")] = False,
) -> dict:
    """Restrictions in force (or all), with who asked and why; non-public ones for auditors."""
    when = _when(at, all)
    rules = _in_force_filter(services.policy.state().restrictions, when)
    visible = [r for r in rules if r.public or sees_private(principal)]
    hidden = len(rules) - len(visible)
    return {"at": when, "hidden_non_public": hidden,
            "restrictions": [_restr_out(r, when) for r in sorted(visible, key=lambda r: r.id)]}


@router.get("/restrictions/areas", responses=geojson_doc("GeoJSON FeatureCollection"))
def restriction_areas(services: ServicesDep, at: AtQuery = None) -> Response:
    """Cells under a terminal_disable restriction in force (the map's low-zoom overlay)."""
    import json

    import numpy as np

    from skygate.earth import cells as _cells

    when = parse_at(at)
    rules = [r for r in services.policy.state().restrictions
             if r.in_force(when) and r.effect == "terminal_disable" and r.scope.kind != "region"]
    cells = np.unique(np.concatenate([r.scope.cells for r in rules])) if rules else np.zeros(0, np.uint64)
    cells = cells[:services.config.api.max_cells]
    body = _cells.cell_boundaries_geojson(cells, properties={"status": np.full(cells.size, "restricted")})
    return Response(json.dumps(body, separators=(",", ":")), media_type=GEOJSON_MEDIA_TYPE)


def _scope_of(body: RestrictionIn):
    from skygate.earth import cells as _cells
    from skygate.earth.regions import get_region_index
    from skygate.policy import Scope
    from skygate.policy.presets import geojson_scope

    given = [x for x in (body.region, body.cells, body.geometry) if x is not None]
    if len(given) != 1:
        raise InputError("a restriction needs exactly one of region, cells or geometry",
                         where="body", hint='e.g. {"region": "UA", ...} or {"cells": ["85..."], "name": ...}')
    if body.region is not None:
        return Scope.of_region(get_region_index().check_code(body.region))
    name = body.name or "api-area"
    if body.cells is not None:
        cells = _cells.from_hex(body.cells)
        if np.any(_cells.cell_resolutions(cells) != 5):
            raise InputError("restriction cells must be H3 resolution 5", where="cells")
        return Scope.of_cells(cells, name=name)
    return geojson_scope(body.geometry, name)


OperatorOrAuditorDep = Annotated[Principal, Depends(require(Role.operator, Role.auditor))]
RequestId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/restrictions", status_code=202, responses=_CONFLICT)
def request_restriction(principal: OperatorDep, services: ServicesDep, body: RestrictionIn) -> dict:
    """Ask for a geofence; it takes effect when a second operator approves the request."""
    scope = _scope_of(body)  # validate now, so the approver sees a well-formed request
    check_effect(body.effect)
    data = body.model_dump(mode="json")
    data["scope_description"] = scope.describe()
    req = services.approvals.submit(principal.owner, data)
    return {**req.to_dict(), "next": f"a different operator approves it with POST "
                                     f"/api/v1/restrictions/requests/{req.id}/approve"}


@router.get("/restrictions/requests")
def list_requests(principal: OperatorOrAuditorDep, services: ServicesDep,
                  state: Annotated[str | None, Query(pattern="^(pending|approved|rejected)$")] = None
                  ) -> dict:
    """Restriction requests (pending, approved, rejected) for operators and auditors."""
    return {"requests": [r.to_dict() for r in services.approvals.list(state)]}


@router.post("/restrictions/requests/{request_id}/approve", status_code=201, responses=_CONFLICT)
def approve_request(principal: OperatorDep, services: ServicesDep, request_id: RequestId,
                    body: ApproveIn) -> dict:
    """Approve another operator's request: the restriction enters the ledger (four eyes)."""
    req = services.approvals.check_decidable(request_id, principal.owner)
    data = RestrictionIn.model_validate({k: v for k, v in req.body.items()
                                         if k in RestrictionIn.model_fields})
    change = _restriction_change(_scope_of(data), data, req.requested_by, principal.owner)
    entry = _apply_with(services, change, request_id, principal.owner, body.reason)
    services.policy.invalidate()
    rule = services.policy.state().get(entry.seq)
    return {"entry": entry.seq, "request": request_id, "restriction": _restr_out(rule, None)}


@router.post("/restrictions/requests/{request_id}/reject", responses=_CONFLICT)
def reject_request(principal: OperatorDep, services: ServicesDep, request_id: RequestId,
                   body: RevokeIn) -> dict:
    """Reject another operator's request (it never enters the ledger)."""
    services.approvals.check_decidable(request_id, principal.owner)
    with services.store.transaction() as conn:
        services.approvals.close(conn, request_id, "rejected", principal.owner, body.reason, None)
    return services.approvals.get(request_id).to_dict()


@router.post("/restrictions/{rule_id}/revoke", responses=_CONFLICT)
def revoke_restriction(principal: OperatorDep, services: ServicesDep, rule_id: RuleId,
                       body: RevokeIn) -> dict:
    """Lift a restriction (one ledger entry)."""
    from skygate.policy import revoke
    from skygate.policy.model import Restriction

    _rule(services, rule_id, Restriction, "restriction")
    entry = revoke(services.store, rule_id, reason=body.reason, actor=principal.owner)
    services.policy.invalidate()
    return {"entry": entry.seq, "revoked": rule_id}


def _restriction_change(scope, data: RestrictionIn, requested_by: str, approved_by: str) -> dict:
    """The ledger change for an approved request (as ``skygate.policy.restrict`` builds it)."""
    from skygate.policy.model import Restriction
    from skygate.timeutil import as_utc

    now = datetime.now(timezone.utc)
    start = as_utc(data.valid_from, field="valid_from") if data.valid_from else now
    until = as_utc(data.valid_until, field="valid_until") if data.valid_until else None
    rule = Restriction(id=0, scope=scope, valid_from=start, valid_until=until, revoked_at=None,
                       revoked_by=None, effect=check_effect(data.effect),
                       requested_by=requested_by, approved_by=approved_by, reason=data.reason,
                       public=data.public)
    after = rule.to_dict()
    after.pop("id")
    return {"op": "restrict", "actor": approved_by, "reason": data.reason, "after": after,
            "effective_at": min(start, now)}


def _apply_with(services, change: dict, request_id: int, approver: str, reason: str):
    """Append the restriction and close its request in ONE transaction (no half-approval)."""
    from skygate.policy.control import apply_changes_in

    with services.store.transaction() as conn:
        entry = apply_changes_in(conn, [change])[0]
        services.approvals.close(conn, request_id, "approved", approver, reason, entry.seq)
    return entry
