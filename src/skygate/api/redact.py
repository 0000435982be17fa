"""What the public may read of non-public restrictions: that one is in force, not its details.

A restriction marked ``public = false`` still changes decisions (a place is refused), and the
refusal says so, naming the rule id and its effect; who asked for it and why are shown only to
auditors and operators, the roles that answer for it.

The one rule, applied wherever a decision or its reasons leave the API (availability, terminal
refusals, terminal status and history): a reason that describes a restriction is shown in full
only when that restriction is public in the policy now; otherwise it becomes
:func:`private_notice` (id and effect). Reasons are recognized by the form
:meth:`skygate.policy.model.Restriction.describe` gives them (``restriction #<id> (<effect>)
...``), not by comparing with today's text, so a terminal's history written months ago under
an older wording of the rule is redacted just the same. A restriction the current policy does
not know (it cannot happen with an append-only ledger) is treated as non-public: the rule
fails closed. The stored records stay complete; only what is sent is redacted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from skygate.api.security import Principal, Role

__all__ = [
    "sees_private",
    "private_notice",
    "redact_reasons",
    "redact_decision",
    "redact_area",
    "redact_text",
    "redact_terminal",
]

#: How :meth:`Restriction.describe` begins: ``restriction #12 (terminal_disable) on ...``.
_RESTRICTION_REASON = re.compile(r"restriction #(\d+) \((\w+)\)")


def sees_private(principal: Principal) -> bool:
    return principal.role in (Role.auditor, Role.operator)


def private_notice(rule_id: int, effect: str | None = None) -> str:
    what = f"restriction #{rule_id}" + (f" ({effect})" if effect else "")
    return (f"{what} is in force here; it is not public, so who asked for it and why are "
            "shown to auditors only")


@dataclass(frozen=True)
class _Visibility:
    """What one policy state lets the public see: the ids of its public restrictions, and
    for each coded cell scope (a custom area, e.g. ``UA-43``) whether a public rule has it."""

    public_ids: frozenset[int]
    public_codes: frozenset[str]


def _redacted(reason: str, public_ids: frozenset[int]) -> str:
    match = _RESTRICTION_REASON.match(reason)
    if match is None or int(match.group(1)) in public_ids:
        return reason
    return private_notice(int(match.group(1)), match.group(2))


def redact_reasons(reasons: Iterable[str], principal: Principal, state) -> list[str]:
    """``reasons`` as ``principal`` may read them (a new list; the input is not changed)."""
    reasons = list(reasons)
    if sees_private(principal) or not any(r.startswith("restriction #") for r in reasons):
        return reasons  # the common case costs one prefix test per reason
    public_ids = _visibility(state).public_ids
    return [_redacted(r, public_ids) for r in reasons]


def redact_decision(decision, principal: Principal, state) -> list[str]:
    """The decision's reasons, with non-public restrictions' details replaced by a notice."""
    return redact_reasons(decision.reasons, principal, state)


def redact_area(area: str | None, principal: Principal, state) -> str | None:
    """A decision's ``area`` (a custom area's code), unless only a non-public restriction
    carries that code: then the code would name what the restriction covers, so it is None."""
    if area is None or sees_private(principal) or area in _visibility(state).public_codes:
        return area
    return None


def redact_text(text: str, reasons: Iterable[str], principal: Principal, state) -> str:
    """A message that may quote some of ``reasons`` (a refusal's detail), with each quoted
    non-public reason replaced as :func:`redact_reasons` replaces it."""
    if sees_private(principal):
        return text
    reasons = list(reasons)
    for original, shown in zip(reasons, redact_reasons(reasons, principal, state)):
        if original != shown:
            text = text.replace(original, shown)
    return text


def redact_terminal(record: dict[str, Any], principal: Principal, state) -> dict[str, Any]:
    """A terminal as ``principal`` may read it: the reasons (and area) of its ``decision``
    and of every ``history`` event redacted. Returns a copy; the record is not changed."""
    if sees_private(principal):
        return record
    out = dict(record)
    if isinstance(out.get("history"), list):
        out["history"] = [_redact_event(e, principal, state) for e in out["history"]]
    if isinstance(out.get("decision"), dict):
        out["decision"] = _redact_event(out["decision"], principal, state)
    return out


def _redact_event(event: Any, principal: Principal, state) -> Any:
    if not isinstance(event, dict) or not isinstance(event.get("reasons"), list):
        return event
    out = dict(event, reasons=redact_reasons(event["reasons"], principal, state))
    if out.get("area") is not None:
        out["area"] = redact_area(out["area"], principal, state)
    return out


_CACHE: dict[tuple, _Visibility] = {}


def _visibility(state) -> _Visibility:
    """What the public may see of a state (memoized per ledger root and size)."""
    key = (state.version, state.size, len(state.restrictions), len(state.authorizations))
    seen = _CACHE.get(key)
    if seen is None:
        public_rules = [*state.authorizations, *(r for r in state.restrictions if r.public)]
        seen = _Visibility(
            public_ids=frozenset(r.id for r in state.restrictions if r.public),
            public_codes=frozenset(r.scope.code for r in public_rules
                                   if r.scope.kind != "region" and r.scope.code))
        _CACHE.clear()  # one state is current at a time
        _CACHE[key] = seen
    return seen
