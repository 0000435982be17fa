"""What the public may read of non-public restrictions: that one is in force, not its details.

A restriction marked ``public = false`` still changes decisions (a place is refused), and the
refusal says so, naming the rule id; who asked for it and why are shown only to auditors and
operators, the roles that answer for it.
"""

from __future__ import annotations

from skygate.api.security import Principal, Role

__all__ = ["sees_private", "redact_decision", "private_notice"]


def sees_private(principal: Principal) -> bool:
    return principal.role in (Role.auditor, Role.operator)


def private_notice(rule_id: int) -> str:
    return (f"restriction #{rule_id} is in force here; it is not public, so who asked for it "
            "and why are shown to auditors only")


def redact_decision(decision, principal: Principal, state) -> list[str]:
    """The decision's reasons, with non-public restrictions' details replaced by a notice."""
    if sees_private(principal) or not any(
            isinstance(e, int) and e in _private_ids(state) for e in decision.entries):
        return list(decision.reasons)
    texts = {r.describe(): r.id for r in state.restrictions if not r.public}
    return [private_notice(texts[r]) if r in texts else r for r in decision.reasons]


_CACHE: dict[tuple, frozenset[int]] = {}


def _private_ids(state) -> frozenset[int]:
    """Ids of the non-public restrictions of a state (memoized per ledger root and size)."""
    key = (state.version, state.size, len(state.restrictions))
    ids = _CACHE.get(key)
    if ids is None:
        ids = frozenset(r.id for r in state.restrictions if not r.public)
        _CACHE.clear()  # one state is current at a time
        _CACHE[key] = ids
    return ids
