"""The service-policy control plane: authorizations, restrictions, decisions, the ledger.

- :func:`decide` — the one decision function (point or cell, time, terminal kind → serviceable,
  status, reasons, ledger entries); :func:`compile_policy` — its vectorized twin over cells.
- :class:`PolicyState` — the policy as a value (``load_policy(store, at)`` rebuilds it from the
  ledger as it stood at any time; ``PolicyState.from_file`` reads a policy file;
  ``with_changes`` makes what-if copies).
- :mod:`skygate.policy.control` — changes (authorize, restrict, amend, revoke), each one
  ledger entry; :mod:`skygate.policy.ledger` — the RFC 6962 hash-chained Merkle log.
"""

from skygate.policy.compiled import CompiledPolicy, compile_policy
from skygate.policy.control import amend, authorize, load_policy, restrict, revoke
from skygate.policy.decision import Decision, decide
from skygate.policy.model import (
    EFFECTS,
    STATUSES,
    TERMINAL_KINDS,
    Authorization,
    Restriction,
    Scope,
)
from skygate.policy.state import PolicyState

__all__ = [
    "STATUSES",
    "EFFECTS",
    "TERMINAL_KINDS",
    "Scope",
    "Authorization",
    "Restriction",
    "PolicyState",
    "Decision",
    "decide",
    "CompiledPolicy",
    "compile_policy",
    "load_policy",
    "authorize",
    "restrict",
    "amend",
    "revoke",
]
