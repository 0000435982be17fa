"""The policy as a value: every rule with its time window, rebuilt by replaying the ledger.

A :class:`PolicyState` is what the decision function and the compiler read. It is immutable;
"what if Taiwan were available?" is ``state.with_changes(set_status={"TW": "available"})``,
a new value that leaves the ledger alone.

Replay semantics (one entry at a time, in ledger order):

- ``authorize`` / ``restrict`` add the rule in ``after`` (its id is the entry's ``seq``);
- ``amend`` replaces rule ``target`` by ``after`` (same id);
- ``revoke`` ends rule ``target`` at the entry's ``effective_at``.

An authorization does not end when a newer one for the same scope arrives: both stay, each
with its ``valid_from``, and the decision picks the newest one in force at the asked time.
That is what makes "what applied on 2024-10-25?" answerable from one state.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping

from skygate.errors import InputError, PolicyError
from skygate.policy.model import (
    Authorization,
    Restriction,
    Scope,
    check_status,
    revoked,
    rule_from_dict,
)
from skygate.timeutil import UTC, as_utc, parse_time

__all__ = ["PolicyState"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, eq=False)
class PolicyState:
    """All rules known to a ledger (or a policy file), with their windows.

    ``version`` names where the state came from: the ledger's Merkle root (hex) for a state
    loaded from a store, ``file:<sha256>`` for a policy file, with ``+whatif:<sha>`` appended
    by :meth:`with_changes`. ``at`` is the time the state was rebuilt for (entries effective
    after it were not replayed), or None for all entries.
    """

    authorizations: tuple[Authorization, ...] = ()
    restrictions: tuple[Restriction, ...] = ()
    version: str = ""
    size: int = 0
    at: datetime | None = None
    origin: str = "ledger"

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def from_entries(cls, entries: Iterable[Mapping[str, Any]], *, version: str = "",
                     at: datetime | None = None, origin: str = "ledger") -> "PolicyState":
        """Replay ledger entry bodies (dicts) whose ``effective_at`` is not after ``at``."""
        rules: dict[int, Authorization | Restriction] = {}
        size = 0
        at = None if at is None else as_utc(at, field="at")
        for entry in entries:
            size += 1
            if at is not None and parse_time(entry["effective_at"]) > at:
                continue
            _apply(rules, entry)
        auths = tuple(r for r in rules.values() if isinstance(r, Authorization))
        restr = tuple(r for r in rules.values() if isinstance(r, Restriction))
        return cls(auths, restr, version=version, size=size, at=at, origin=origin)

    @classmethod
    def from_file(cls, path: str | Path, *, at: datetime | None = None) -> "PolicyState":
        """A policy file (TOML or JSON, the preset format: see ``data/presets``)."""
        from skygate.policy.presets import read_policy_file

        path = Path(path)
        changes = read_policy_file(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return cls.from_entries(_as_entries(changes), version=f"file:{digest}", at=at,
                                origin=str(path))

    # ---- queries --------------------------------------------------------------------------
    def rules(self) -> list[Authorization | Restriction]:
        return sorted([*self.authorizations, *self.restrictions], key=lambda r: r.id)

    def get(self, rule_id: int) -> Authorization | Restriction:
        for rule in self.rules():
            if rule.id == rule_id:
                return rule
        raise PolicyError(f"no rule #{rule_id} in this policy; `skygate policy list` shows ids")

    def in_force(self, at: datetime) -> list[Authorization | Restriction]:
        at = as_utc(at, field="at")
        return [r for r in self.rules() if r.in_force(at)]

    def change_times(self, start: datetime, end: datetime) -> list[datetime]:
        """Instants in ``[start, end)`` where some rule starts or stops, with ``start`` first.

        Between two consecutive instants the policy is constant, so the simulator can compile
        once per interval (``compile_policy(state, t[i], t[i+1])``) to be exact.
        """
        start, end = as_utc(start, field="start"), as_utc(end, field="end")
        times = {start}
        for rule in self.rules():
            times.update(t for t in rule.boundaries() if start < t < end)
        return sorted(times)

    def to_json(self, at: datetime | None = None) -> dict[str, Any]:
        rules = self.rules() if at is None else self.in_force(at)
        return {
            "version": self.version,
            "entries": self.size,
            "at": None if self.at is None else self.at.isoformat(),
            "rules": [_summary(r, at) for r in rules],
        }

    # ---- what-if ---------------------------------------------------------------------------
    def with_changes(self, *, set_status: Mapping[str, str] | None = None,
                     drop_restrictions: Iterable[int] = (),
                     add: Iterable[Authorization | Restriction] = ()) -> "PolicyState":
        """A what-if copy: ``set_status`` replaces every authorization of those regions by one
        valid for all time; ``drop_restrictions`` removes restrictions by id; ``add`` appends
        rules. The ledger is not touched; ``version`` gains ``+whatif:<sha>``."""
        from skygate.earth.regions import get_region_index

        index = get_region_index()
        set_status = {index.check_code(k): check_status(v) for k, v in (set_status or {}).items()}
        drop = {int(i) for i in drop_restrictions}
        known = {r.id for r in self.restrictions}
        missing = sorted(drop - known)
        if missing:
            raise PolicyError(f"no restriction with id {missing[0]} to drop; "
                              f"known restriction ids: {sorted(known)}")
        auths = [a for a in self.authorizations
                 if not (a.scope.kind == "region" and a.scope.region in set_status)]
        next_id = -1
        for code, status in sorted(set_status.items()):
            auths.append(Authorization(id=next_id, scope=Scope.of_region(code), valid_from=_EPOCH,
                                       valid_until=None, revoked_at=None, revoked_by=None,
                                       status=status, label="what-if",
                                       legal_basis="what-if study (not in the ledger)"))
            next_id -= 1
        restr = [r for r in self.restrictions if r.id not in drop]
        for rule in add:
            (auths if isinstance(rule, Authorization) else restr).append(rule)
        tag = hashlib.sha256(json.dumps(
            {"set": set_status, "drop": sorted(drop),
             "add": [r.to_dict() for r in add]}, sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        return replace(self, authorizations=tuple(auths), restrictions=tuple(restr),
                       version=f"{self.version}+whatif:{tag}")


def _apply(rules: dict[int, Any], entry: Mapping[str, Any]) -> None:
    op, seq = entry["op"], int(entry["seq"])
    if op in ("authorize", "restrict"):
        data = dict(entry["after"])
        data["id"] = seq
        rules[seq] = rule_from_dict(data)
    elif op == "amend":
        data = dict(entry["after"])
        rules[int(entry["target"])] = rule_from_dict(data)
    elif op == "revoke":
        target = int(entry["target"])
        if target in rules:
            rules[target] = revoked(rules[target], parse_time(entry["effective_at"]), seq)
    else:
        raise InputError(f"ledger entry {seq}: unknown operation {op!r}")


def _as_entries(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Number a policy file's changes as a ledger would (seq 1, 2, ...)."""
    out = []
    for seq, change in enumerate(changes, start=1):
        eff = change.get("effective_at")
        out.append({**change, "seq": seq,
                    "effective_at": eff.isoformat() if isinstance(eff, datetime) else eff})
    return out


def _summary(rule: Authorization | Restriction, at: datetime | None) -> dict[str, Any]:
    data = rule.to_dict()
    scope = data["scope"]
    if "cells" in scope:
        scope = {k: v for k, v in scope.items() if k not in ("cells", "geometry")}
        scope["n_cells"] = rule.scope.n_cells
    data["scope"] = scope
    data["description"] = rule.describe()
    if at is not None:
        data["in_force"] = rule.in_force(at)
    return data
