"""Restriction requests waiting for a second operator (the four-eyes rule, over HTTP).

A restriction in the ledger carries ``requested_by`` and ``approved_by`` and the policy model
refuses one where they are the same actor. Over the API the two people act at different
times, so the first operator's request is kept here, *pending*, and becomes a ledger entry
only when a different operator approves it (or is closed when one rejects it). A pending
request changes no decision; the ledger stays the one record of policy.

The table ``api_restriction_requests`` is part of the store's schema (migration 0002), on
SQLite and PostgreSQL alike; every change to it is one transaction, so an acknowledged request
survives a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from skygate.errors import InputError, PolicyError
from skygate.store import schema

__all__ = ["RestrictionRequest", "RequestNotFound", "ApprovalQueue", "requests_table"]

requests_table = schema.restriction_requests


class RequestNotFound(InputError):
    """No restriction request with that id."""


@dataclass(frozen=True)
class RestrictionRequest:
    id: int
    created_at: datetime
    requested_by: str
    body: dict[str, Any]
    state: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    ledger_seq: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "created_at": self.created_at, "requested_by": self.requested_by,
                "request": self.body, "state": self.state, "decided_by": self.decided_by,
                "decided_at": self.decided_at, "decision_reason": self.decision_reason,
                "ledger_seq": self.ledger_seq}


class ApprovalQueue:
    """Pending restriction requests in the store (see the module docstring)."""

    def __init__(self, store):
        self.store = store

    def submit(self, requested_by: str, body: dict[str, Any]) -> RestrictionRequest:
        now = datetime.now(timezone.utc)
        with self.store.transaction() as conn:
            new_id = conn.execute(requests_table.insert().values(
                created_at=now, requested_by=requested_by, body=json.dumps(body, default=str),
                state="pending")).inserted_primary_key[0]
        return self.get(int(new_id))

    def get(self, request_id: int) -> RestrictionRequest:
        with self.store.connect() as conn:
            row = conn.execute(sa.select(requests_table)
                               .where(requests_table.c.id == request_id)).first()
        if row is None:
            raise RequestNotFound(f"no restriction request {request_id}", where="request_id",
                                  hint="list them with GET /api/v1/restrictions/requests")
        return _record(row)

    def list(self, state: str | None = None) -> list[RestrictionRequest]:
        query = sa.select(requests_table).order_by(requests_table.c.id)
        if state:
            query = query.where(requests_table.c.state == state)
        with self.store.connect() as conn:
            return [_record(r) for r in conn.execute(query)]

    def check_decidable(self, request_id: int, approver: str) -> RestrictionRequest:
        """The pending request, if ``approver`` may decide it (not its own requester)."""
        req = self.get(request_id)
        if req.state != "pending":
            raise PolicyError(f"restriction request {request_id} is already {req.state} "
                              f"(by {req.decided_by})")
        if req.requested_by.strip().lower() == approver.strip().lower():
            raise PolicyError(f"{approver!r} asked for restriction request {request_id}; a "
                              "second operator must approve it (four-eyes rule)")
        return req

    def close(self, conn, request_id: int, state: str, decided_by: str, reason: str,
              ledger_seq: int | None) -> None:
        """Mark a request decided, inside the caller's transaction (with the ledger write)."""
        done = conn.execute(requests_table.update().where(
            requests_table.c.id == request_id, requests_table.c.state == "pending").values(
            state=state, decided_by=decided_by, decided_at=datetime.now(timezone.utc),
            decision_reason=reason, ledger_seq=ledger_seq))
        if done.rowcount != 1:
            raise PolicyError(f"restriction request {request_id} was decided by someone else "
                              "meanwhile")


def _record(row) -> RestrictionRequest:
    return RestrictionRequest(int(row.id), row.created_at, row.requested_by, json.loads(row.body),
                              row.state, row.decided_by, row.decided_at, row.decision_reason,
                              row.ledger_seq)
