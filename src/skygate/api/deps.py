"""FastAPI dependencies, as ``Annotated`` aliases: the services, the caller, role checks.

Role checks are dependencies, which FastAPI resolves before it validates the request body, so
a caller without a key gets 401 (and one with the wrong role 403) whatever the body holds.
(A body that is not JSON at all is rejected while reading it, before any dependency runs.)

They are ``async``: a sync dependency costs a hop to the thread pool on every request, which
on the availability route cost more than the decision itself. The key lookup is one indexed
SQLite/PostgreSQL read and runs on the loop.
"""

from __future__ import annotations

from typing import Annotated, Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from skygate.api.security import PUBLIC, Principal, Role
from skygate.api.services import Services

__all__ = [
    "get_services",
    "ServicesDep",
    "get_principal",
    "principal_of",
    "PrincipalDep",
    "require",
    "check_role",
    "required_roles",
    "CustomerDep",
    "OperatorDep",
    "RegulatorDep",
    "AuditorDep",
    "AdminDep",
    "TerminalActorDep",
    "TerminalReaderDep",
    "PolicyReaderDep",
]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer sg_...`")


async def get_services(request: Request) -> Services:
    """The app's :class:`~skygate.api.services.Services` (store, caches, registries)."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller: ``public`` without a key; 401 for a key that is unknown or revoked."""
    header = request.headers.get("authorization")
    if credentials is None:
        if header:  # present but not "Bearer <key>"
            raise HTTPException(401, "the Authorization header must read 'Bearer <API key>'",
                                headers={"WWW-Authenticate": "Bearer"})
        return PUBLIC
    principal = request.app.state.services.keys.authenticate(credentials.credentials)
    if principal is None:
        raise HTTPException(401, "unknown or revoked API key; ask an admin for a key "
                                 "(skygate keys create --role ...)",
                            headers={"WWW-Authenticate": "Bearer"})
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def principal_of(request: Request) -> Principal:
    """The caller, for routes that read the header themselves (same rules as above)."""
    header = request.headers.get("authorization")
    if not header:
        return PUBLIC
    scheme, _, key = header.partition(" ")
    principal = (request.app.state.services.keys.authenticate(key.strip())
                 if scheme.lower() == "bearer" and key.strip() else None)
    if principal is None:
        raise HTTPException(401, "unknown or revoked API key, or not 'Bearer <key>'",
                            headers={"WWW-Authenticate": "Bearer"})
    return principal


def check_role(principal: Principal, roles: tuple[Role, ...]) -> None:
    """401 for the public, 403 for a key without one of ``roles`` (with a message)."""
    names = " or ".join(r.value for r in roles)
    if not principal.authenticated:
        raise HTTPException(401, f"this needs an API key with the role {names}; send "
                                 "'Authorization: Bearer <key>'",
                            headers={"WWW-Authenticate": "Bearer"})
    if principal.role not in roles:
        raise HTTPException(403, f"your key has the role {principal.role.value}; this "
                                 f"needs {names}")


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only ``roles`` through: 401 without a key, 403 otherwise.

    The roles are kept on the dependency (``required_roles``) so that the handler of request
    validation errors can answer 401/403 first even for a body that is not JSON at all,
    which FastAPI rejects before it runs any dependency."""

    async def check(principal: PrincipalDep) -> Principal:
        check_role(principal, roles)
        return principal

    check.required_roles = roles
    return check


def required_roles(route) -> tuple[Role, ...] | None:
    """The roles a route's dependencies demand (None for a public route)."""
    pending = list(getattr(getattr(route, "dependant", None), "dependencies", ()))
    while pending:
        dep = pending.pop()
        roles = getattr(dep.call, "required_roles", None)
        if roles:
            return roles
        pending.extend(dep.dependencies)
    return None


CustomerDep = Annotated[Principal, Depends(require(Role.customer))]
OperatorDep = Annotated[Principal, Depends(require(Role.operator))]
RegulatorDep = Annotated[Principal, Depends(require(Role.regulator))]
AuditorDep = Annotated[Principal, Depends(require(Role.auditor))]
AdminDep = Annotated[Principal, Depends(require(Role.admin))]
# Terminals: customers act on their own; operators on any; auditors and admins read.
TerminalActorDep = Annotated[Principal, Depends(require(Role.customer, Role.operator))]
TerminalReaderDep = Annotated[
    Principal, Depends(require(Role.customer, Role.operator, Role.auditor, Role.admin))]
# Non-public restrictions: their operators, and auditors.
PolicyReaderDep = Annotated[Principal, Depends(get_principal)]
