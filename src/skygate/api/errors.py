"""How errors become answers: every user mistake is a 4xx with a message, never a 500.

``SkygateError`` subclasses raised anywhere below the API map to one status each; request
validation errors keep FastAPI's ``detail`` list (so the OpenAPI schema stays true) and add a
one-line ``message`` that names the field and what was wrong.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi.responses import JSONResponse

from skygate.api.approvals import RequestNotFound
from skygate.api.security import KeyNotFound
from skygate.api.simulations import RunNotFound
from skygate.terminals import TerminalNotFound, TerminalRefused, area_words
from skygate.errors import (
    InputError,
    LedgerIntegrityError,
    PermissionDenied,
    PolicyError,
    SkygateError,
    StoreError,
)

__all__ = ["install_error_handlers", "status_of"]

_STATUS = [  # most specific first
    (TerminalNotFound, 404),
    (RunNotFound, 404),
    (RequestNotFound, 404),
    (KeyNotFound, 404),
    (PermissionDenied, 403),
    (InputError, 422),
    (PolicyError, 409),
    (LedgerIntegrityError, 409),
    (StoreError, 503),
    (SkygateError, 400),
]


def status_of(exc: SkygateError) -> int:
    """The HTTP status for a skygate error."""
    return next(code for cls, code in _STATUS if isinstance(exc, cls))


async def _skygate_error(request: Request, exc: SkygateError) -> JSONResponse:
    body: dict = {"detail": getattr(exc, "message", None) or str(exc)}
    for attr in ("where", "hint", "entry"):
        if getattr(exc, attr, None) is not None:
            body[attr] = getattr(exc, attr)
    if isinstance(exc, TerminalRefused):  # the decision that refused it, with its reasons
        body.update(_refusal(request, body["detail"], exc.decision))
    return JSONResponse(body, status_code=status_of(exc))


def _refusal(request: Request, detail: str, d) -> dict:
    """A refusal's decision as the caller may read it: non-public restrictions' details
    redacted from the reasons and from the message that quotes them (:mod:`.redact`)."""
    from fastapi import HTTPException

    from skygate.api.deps import principal_of
    from skygate.api.redact import redact_area, redact_reasons, redact_text
    from skygate.api.security import PUBLIC

    try:  # the route authenticated the caller already; if that fails now, show the least
        principal = principal_of(request)
    except HTTPException:
        principal = PUBLIC
    state = request.app.state.services.policy.state()
    area = redact_area(d.area, principal, state)
    detail = redact_text(detail, d.reasons, principal, state)
    if area != d.area:
        detail = detail.replace(area_words(d.area), area_words(area))
    return {"detail": detail, "status": d.status, "serviceable": bool(d.serviceable),
            "region": d.region, "area": area,
            "cell": d.cell if isinstance(d.cell, str) else f"{int(d.cell):x}",
            "reasons": redact_reasons(d.reasons, principal, state),
            "entries": [int(e) for e in d.entries]}


def _field(loc) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts[1:] if len(parts) > 1 and parts[0] in {"query", "path", "body"} else parts)


def _auth_failure(request: Request) -> JSONResponse | None:
    """401/403 for a caller the route would refuse anyway, or None.

    FastAPI parses a JSON body before it runs any dependency, so a body that is not JSON
    reaches this handler before the role check; authentication and roles still come first."""
    from fastapi import HTTPException

    from skygate.api.deps import check_role, principal_of, required_roles

    roles = required_roles(request.scope.get("route"))
    if not roles:
        return None
    try:
        check_role(principal_of(request), roles)
    except HTTPException as exc:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=exc.headers)
    return None


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    refused = _auth_failure(request)
    if refused is not None:
        return refused
    errors = exc.errors()
    summary = "; ".join(f"{_field(e.get('loc', ())) or 'request'}: {e.get('msg', 'invalid')}"
                        for e in errors[:5])
    detail = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
              for e in errors]
    return JSONResponse({"detail": detail, "message": f"invalid request: {summary}"}, status_code=422)


async def _http_error(request: Request, exc: StarletteHTTPException):
    """FastAPI's own answer, except that an unreadable body (400, raised before any
    dependency runs) yields to the role check as in ``_validation_error``."""
    if exc.status_code == 400:
        refused = _auth_failure(request)
        if refused is not None:
            return refused
    return await http_exception_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on an app."""
    app.add_exception_handler(SkygateError, _skygate_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
