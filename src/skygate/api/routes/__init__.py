"""One router per resource; ``ROUTERS`` is what the app includes under ``/api/v1``."""

from __future__ import annotations

from skygate.api.routes import availability, keys, ledger, map, policy, simulations, terminals

ROUTERS = [availability.router, map.router, policy.router, ledger.router, terminals.router,
           keys.router, simulations.router]

__all__ = ["ROUTERS"]
