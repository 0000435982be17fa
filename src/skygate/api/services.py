"""The objects behind the routes: store, keys, policy view, area layer, sky cache, terminals,
simulation runs.

:class:`Services` is the app's context object (one per app, built at startup). Routes stay
thin: they parse, call a method here or in the layers below, and format.

:class:`PolicyView` is the API's read side of the policy. It keeps the current
:class:`~skygate.policy.PolicyState` (all ledger entries replayed; every rule carries its own
time window, so one state answers for any date) and rebuilds it when the ledger head moves:
at once after a write through this server, and within ``policy_check_s`` after a write by
another process (the CLI). For each decision it hands :func:`skygate.policy.decide` only the
rules that can cover the point (the region's own rules plus the cell-scoped rules containing
its cell) — the same function, the same answer, without scanning every rule per request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import sqlalchemy as sa

from skygate.api.approvals import ApprovalQueue
from skygate.api.areas import AreaLayer
from skygate.api.config import ServerConfig
from skygate.api.security import KeyStore
from skygate.api.simulations import SimulationRuns
from skygate.api.sky import SkyCache
from skygate.terminals import TerminalRegistry

__all__ = ["Services", "PolicyView", "STATUS_RESTRICTED", "MAP_STATUSES"]

STATUS_RESTRICTED = "restricted"
#: What the map colours a cell by: the authorization status, or ``restricted`` where a
#: ``terminal_disable`` restriction is in force (it overrides any status).
MAP_STATUSES = ("available", "waitlist", "coming_soon", "not_authorized", STATUS_RESTRICTED)


class _CellRuleIndex:
    """Which cell-scoped rules contain a cell: every (cell, rule) pair of the state sorted by
    cell, so one binary search answers instead of a membership test per rule. Membership is
    exactly ``Scope.contains_cells`` (a cell is in a scope iff it is one of its cells)."""

    def __init__(self, rules):
        from skygate.policy.model import Authorization

        self.rules = tuple(rules)
        self.is_auth = tuple(isinstance(r, Authorization) for r in self.rules)
        sizes = [r.scope.cells.size for r in self.rules]
        cells = (np.concatenate([r.scope.cells for r in self.rules]).astype(np.uint64)
                 if self.rules else np.zeros(0, np.uint64))
        owner = np.repeat(np.arange(len(self.rules), dtype=np.int64), sizes)
        order = np.argsort(cells, kind="stable")
        self.cells, self.owner = cells[order], owner[order]

    def rules_of(self, cell: int) -> tuple[tuple, tuple]:
        """(authorizations, restrictions) whose scope holds ``cell``, in the state's order."""
        key = np.uint64(cell)
        cells = self.cells
        lo = int(cells.searchsorted(key, "left"))
        if lo == cells.size or cells[lo] != key:  # the common case: no cell-scoped rule here
            return (), ()
        hi = int(cells.searchsorted(key, "right"))
        hits = sorted(set(self.owner[lo:hi].tolist()))
        return (tuple(self.rules[i] for i in hits if self.is_auth[i]),
                tuple(self.rules[i] for i in hits if not self.is_auth[i]))


class PolicyView:
    """Cached policy state with fast per-point decisions (see the module docstring)."""

    def __init__(self, store, check_every_s: float = 1.0):
        self.store = store
        self.check_every_s = check_every_s
        self._lock = threading.Lock()
        # (state, {region: (auths, restrictions)}, cell index), replaced as ONE object so
        # that a request never mixes an old state with a new index.
        self._view: tuple | None = None
        self._size = -1
        self._checked = 0.0

    # -- state ---------------------------------------------------------------------------
    def _head_size(self) -> int:
        table = self.store.tables.ledger_head
        with self.store.connect() as conn:
            return int(conn.execute(sa.select(table.c.size).where(table.c.id == 1)).scalar() or 0)

    def invalidate(self) -> None:
        """Forget the cached state (called after every write through this server)."""
        self._checked = 0.0
        self._size = -1

    def state(self):
        """The current :class:`PolicyState`, rebuilt when the ledger head has moved."""
        return self._current()[0]

    def _current(self) -> tuple:
        """(state, rules by region, cell index), rebuilt when the ledger head has moved."""
        view = self._view
        if view is not None and time.monotonic() - self._checked < self.check_every_s:
            return view
        with self._lock:
            if self._view is not None and time.monotonic() - self._checked < self.check_every_s:
                return self._view
            size = self._head_size()
            if size != self._size or self._view is None:
                from skygate.policy import load_policy

                self._view = self._index(load_policy(self.store))
                self._size = size
            self._checked = time.monotonic()
            return self._view

    @staticmethod
    def _index(state) -> tuple:
        by_region: dict[str, tuple[list, list]] = {}
        cell_auths, cell_restr = [], []
        for rule in state.authorizations:
            if rule.scope.kind == "region":
                by_region.setdefault(rule.scope.region, ([], []))[0].append(rule)
            else:
                cell_auths.append(rule)
        for rule in state.restrictions:
            if rule.scope.kind == "region":
                by_region.setdefault(rule.scope.region, ([], []))[1].append(rule)
            else:
                cell_restr.append(rule)
        return (state, {k: (tuple(a), tuple(r)) for k, (a, r) in by_region.items()},
                _CellRuleIndex([*cell_auths, *cell_restr]))

    # -- decisions -----------------------------------------------------------------------
    def _subset(self, lat_deg: float, lon_deg: float):
        """The state restricted to the rules that can cover the point: its region's own rules
        and the cell-scoped rules that contain its H3 cell — region and cell found exactly as
        ``decide`` finds them (the same scalar lookups)."""
        from skygate.earth import cells as _cells
        from skygate.earth.regions import get_region_index

        state, by_region, cell_index = self._current()
        region = get_region_index().lookup_point(lat_deg, lon_deg)
        cell_auths, cell_restr = cell_index.rules_of(_cells.latlng_to_cell(lat_deg, lon_deg, 5))
        auths, restr = by_region.get(region, ((), ()))
        return replace(state, authorizations=auths + cell_auths, restrictions=restr + cell_restr)

    def decide_point(self, lat_deg: float, lon_deg: float, at: datetime, terminal: str = "fixed",
                     *, ocean_mode: bool = False, speed_kmh: float | None = None,
                     days_abroad: float | None = None):
        """:func:`skygate.policy.decide` for a point, over the rules that can cover it.
        ``ocean_mode``, ``speed_kmh`` and ``days_abroad`` are ``decide``'s terminal options."""
        from skygate.policy import decide

        return decide((lat_deg, lon_deg), at, terminal, policy=self._subset(lat_deg, lon_deg),
                      ocean_mode=ocean_mode, speed_kmh=speed_kmh, days_abroad=days_abroad)

    def decide_full(self, lat_deg: float, lon_deg: float, at: datetime, terminal: str = "fixed",
                    *, ocean_mode: bool = False, speed_kmh: float | None = None,
                    days_abroad: float | None = None):
        """The same decision over the whole state (the benchmark's baseline; tests compare)."""
        from skygate.policy import decide

        return decide((lat_deg, lon_deg), at, terminal, policy=self.state(),
                      ocean_mode=ocean_mode, speed_kmh=speed_kmh, days_abroad=days_abroad)

    # -- map layers ------------------------------------------------------------------------
    def cell_statuses(self, cells: np.ndarray, at: datetime, terminal: str = "fixed"):
        """Map status names and region codes for ``cells`` (uint64, res 5) at ``at``."""
        from skygate.policy import compile_policy
        from skygate.policy.model import STATUSES

        state = self.state()
        compiled = compile_policy(state, at, at + timedelta(microseconds=1), cells=cells,
                                  terminal=terminal)
        names = np.asarray(STATUSES + (STATUS_RESTRICTED,))
        code = compiled.status.astype(np.int16)
        code[self._disabled(compiled, at)] = len(STATUSES)
        regions = np.asarray(compiled.region_codes)[compiled.region_id]
        return compiled.cells, names[code], regions

    def _disabled(self, compiled, at: datetime) -> np.ndarray:
        """Cells under a ``terminal_disable`` restriction in force at ``at``."""
        mask = np.zeros(compiled.cells.size, dtype=bool)
        codes = {c: i for i, c in enumerate(compiled.region_codes)}
        for r in self.state().restrictions:
            if r.effect != "terminal_disable" or not r.in_force(at):
                continue
            if r.scope.kind == "region":
                if r.scope.region in codes:
                    mask |= compiled.region_id == codes[r.scope.region]
            else:
                mask |= r.scope.contains_cells(compiled.cells)
        return mask

    def region_statuses(self, at: datetime) -> list[dict[str, Any]]:
        """Each region's own (region-scope) status at ``at``; cell-scoped rules are in /cells."""
        from skygate.earth.regions import get_region_index
        from skygate.policy.decision import pick_authorization

        by_region = self._current()[1]
        index = get_region_index()
        out = []
        for code, name in zip(index.codes, index.names):
            auths, restr = by_region.get(code, ((), ()))
            win, _ = pick_authorization([a for a in auths if a.in_force(at)])
            disabled = [r for r in restr if r.in_force(at) and r.effect == "terminal_disable"]
            status = STATUS_RESTRICTED if disabled else (win.status if win else "not_authorized")
            entries = ([win.id] if win else []) + [r.id for r in disabled]
            out.append({"region": code, "name": name, "status": status,
                        "label": win.label if win else None, "entries": entries})
        return out


class Services:
    """Everything the routes use, built once per app at startup."""

    def __init__(self, config: ServerConfig):
        from skygate.policy.model import check_terminal
        from skygate.store import open_store

        self.config = config
        self.store = open_store(config.core)
        self.keys = KeyStore(self.store)
        self.policy = PolicyView(self.store, config.api.policy_check_s)
        self.areas = AreaLayer()
        self.sky = SkyCache(config.api.constellation, config.api.sky_slot_s)
        self.approvals = ApprovalQueue(self.store)
        self.simulations = SimulationRuns(config.api.sim_dir)
        self.terminals = TerminalRegistry(self.store, self.policy.decide_point, check_terminal)

    def warm_up(self) -> None:
        """Load the indexes and the first snapshot now, not on the first request."""
        from skygate.earth import cells as _cells
        from skygate.earth.regions import get_region_index

        get_region_index()
        box = _cells.cells_in_bbox(0.0, 0.0, 1.0, 1.0)  # builds the res-5 centre table once
        self.policy.state()
        now = datetime.now(timezone.utc)
        self.policy.decide_point(0.0, 0.0, now)
        self.policy.cell_statuses(box, now)
        self.areas.geojson(self.policy.state(), now)  # merges today's areas once
        self.sky.snapshot().in_view(0.0, 0.0)  # compiles the in-view kernel (cached)

    def close(self) -> None:
        self.store.close()
