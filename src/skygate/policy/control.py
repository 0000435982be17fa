"""Changing the policy: every change is one ledger entry, written in one transaction.

``authorize``, ``restrict``, ``amend`` and ``revoke`` validate the change, append it to the
ledger and update the materialized ``authorizations`` / ``restrictions`` tables in the same
transaction, then return the new :class:`LedgerEntry`. A change is *acknowledged* when the
function returns: by then it is committed (SQLite ``synchronous=FULL``), and a crash before
that leaves no trace of it — never half an entry.

``load_policy`` rebuilds the policy from the ledger, as it stood at any time.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from skygate.errors import PolicyError
from skygate.policy.ledger import LedgerEntry, append_entries, read_entries, read_head
from skygate.policy.model import (
    Authorization,
    Restriction,
    Scope,
    check_effect,
    check_status,
    rule_from_dict,
)
from skygate.policy.state import PolicyState
from skygate.store.schema import authorizations, ledger_entries, restrictions
from skygate.timeutil import UTC, as_utc

__all__ = ["authorize", "restrict", "amend", "revoke", "load_policy", "seed_preset",
           "apply_changes", "apply_changes_in"]


def _now() -> datetime:
    return datetime.now(UTC)


def _default_store(store):
    if store is not None:
        return store
    from skygate.store import open_store

    return open_store()


def _materialize(conn: sa.Connection, rule: Authorization | Restriction) -> None:
    """Insert or replace the rule's row in its table (same transaction as its entry)."""
    table = authorizations if isinstance(rule, Authorization) else restrictions
    row = {
        "id": rule.id, "scope_kind": rule.scope.kind, "scope_key": rule.scope.key,
        "region": rule.scope.region, "valid_from": rule.valid_from,
        "valid_until": rule.valid_until, "revoked_at": rule.revoked_at,
        "n_cells": rule.scope.n_cells, "body": json.dumps(rule.to_dict(), sort_keys=True),
    }
    if isinstance(rule, Authorization):
        row.update(status=rule.status, label=rule.label)
    else:
        row.update(effect=rule.effect, requested_by=rule.requested_by,
                   approved_by=rule.approved_by, reason=rule.reason, public=rule.public)
    conn.execute(sa.delete(table).where(table.c.id == rule.id))
    conn.execute(sa.insert(table), [row])


def _current_rule(conn: sa.Connection, rule_id: int) -> Authorization | Restriction:
    for table in (authorizations, restrictions):
        body = conn.execute(sa.select(table.c.body).where(table.c.id == rule_id)).scalar()
        if body is not None:
            return rule_from_dict(json.loads(body))
    raise PolicyError(f"no rule #{rule_id}; `skygate policy list` shows the rule ids")


def apply_changes(store, changes: list[dict[str, Any]]) -> list[LedgerEntry]:
    """Append ``changes`` (ledger change dicts) in ONE transaction and materialize them."""
    with store.transaction() as conn:
        return _apply_in(conn, changes)


def apply_changes_in(conn: sa.Connection, changes: list[dict[str, Any]]) -> list[LedgerEntry]:
    """Like :func:`apply_changes`, inside the caller's ``Store.transaction()`` (so other rows,
    e.g. an approval record, commit atomically with the entry)."""
    return _apply_in(conn, changes)


def _apply_in(conn: sa.Connection, changes: list[dict[str, Any]]) -> list[LedgerEntry]:
    entries = append_entries(conn, changes)
    for entry in entries:
        data = entry.data
        if data["op"] in ("authorize", "restrict"):
            _materialize(conn, rule_from_dict({**data["after"], "id": entry.seq}))
        elif data["op"] == "amend":
            _materialize(conn, rule_from_dict(data["after"]))
        elif data["op"] == "revoke":
            rule = _current_rule(conn, int(data["target"]))
            from skygate.policy.model import revoked

            _materialize(conn, revoked(rule, entry.effective_at, entry.seq))
    return entries


def authorize(store, scope: Scope, status: str, *, reason: str, actor: str,
              label: str | None = None, legal_basis: str | None = None,
              valid_from: datetime | None = None, valid_until: datetime | None = None,
              max_speed_kmh: float | None = None) -> LedgerEntry:
    """Set the status of a scope from ``valid_from`` (default now) on."""
    valid_from = as_utc(valid_from, field="from") if valid_from else _now()
    rule = Authorization(id=0, scope=scope, valid_from=valid_from,
                         valid_until=as_utc(valid_until, field="until") if valid_until else None,
                         revoked_at=None, revoked_by=None, status=check_status(status),
                         label=label, legal_basis=legal_basis, max_speed_kmh=max_speed_kmh)
    after = rule.to_dict()
    after.pop("id")
    return apply_changes(store, [{"op": "authorize", "actor": actor, "reason": reason,
                                  "after": after, "effective_at": valid_from}])[0]


def restrict(store, scope: Scope, effect: str, *, requested_by: str, approved_by: str,
             reason: str, actor: str, valid_from: datetime | None = None,
             valid_until: datetime | None = None, public: bool = True) -> LedgerEntry:
    """Put a geofence on a scope. ``requested_by`` and ``approved_by`` must differ."""
    now = _now()
    start = as_utc(valid_from, field="from") if valid_from else now
    rule = Restriction(id=0, scope=scope, valid_from=start,
                       valid_until=as_utc(valid_until, field="until") if valid_until else None,
                       revoked_at=None, revoked_by=None, effect=check_effect(effect),
                       requested_by=requested_by, approved_by=approved_by, reason=reason,
                       public=public)
    after = rule.to_dict()
    after.pop("id")
    # The entry takes effect when recorded (or at valid_from if that is earlier), so that
    # load_policy(at) for any time inside the window replays it.
    return apply_changes(store, [{"op": "restrict", "actor": actor, "reason": reason,
                                  "after": after, "effective_at": min(start, now)}])[0]


def revoke(store, rule_id: int, *, reason: str, actor: str,
           at: datetime | None = None) -> LedgerEntry:
    """End rule ``rule_id`` at ``at`` (default now)."""
    at = as_utc(at, field="at") if at else _now()
    with store.transaction() as conn:
        rule = _current_rule(conn, int(rule_id))
        if rule.revoked_at is not None:
            raise PolicyError(f"rule #{rule_id} was already revoked by entry #{rule.revoked_by}")
        return _apply_in(conn, [{"op": "revoke", "actor": actor, "reason": reason,
                                 "target": int(rule_id), "before": rule.to_dict(),
                                 "after": None, "effective_at": at}])[0]


def amend(store, rule_id: int, *, reason: str, actor: str, **fields: Any) -> LedgerEntry:
    """Change fields of a rule (e.g. ``valid_until``, ``public``, ``label``) in place."""
    from dataclasses import replace

    allowed = {"valid_until", "public", "label", "legal_basis", "max_speed_kmh", "reason"}
    bad = set(fields) - allowed
    if bad:
        raise PolicyError(f"cannot amend {sorted(bad)}; amendable fields: {sorted(allowed)}")
    with store.transaction() as conn:
        rule = _current_rule(conn, int(rule_id))
        if "valid_until" in fields and fields["valid_until"] is not None:
            fields["valid_until"] = as_utc(fields["valid_until"], field="until")
        try:
            new = replace(rule, **fields)
        except TypeError as exc:
            raise PolicyError(f"rule #{rule_id} has no such field: {exc}") from None
        return _apply_in(conn, [{"op": "amend", "actor": actor, "reason": reason,
                                 "target": int(rule_id), "before": rule.to_dict(),
                                 "after": new.to_dict()}])[0]


def load_policy(store=None, at: datetime | None = None) -> PolicyState:
    """The policy as it stood at ``at`` (default: everything recorded), rebuilt by replaying
    the ledger entries effective up to ``at``. ``version`` is the ledger head's root hash."""
    own = store is None
    store = _default_store(store)
    try:
        with store.connect() as conn:
            head = read_head(conn)
            bodies = [json.loads(row.body) for row in read_entries(conn, upto=head.size)]
    finally:
        if own:
            store.close()
    return PolicyState.from_entries(bodies, version=head.root_hex, at=at)


def seed_preset(store, name: str) -> int:
    """Append preset ``name`` to an empty ledger (in one transaction); returns entries added.

    Idempotent and race-free: the emptiness check and the appends hold the write lock, so two
    processes opening a fresh home at once seed it once.
    """
    from skygate.policy.presets import preset_path, read_policy_file

    changes = read_policy_file(preset_path(name))
    with store.transaction() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(ledger_entries)).scalar():
            return 0
        return len(_apply_in(conn, changes))
