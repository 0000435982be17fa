"""The policy compiled to per-cell arrays: the vectorized twin of :func:`decide`.

The simulator asks "may this cell be served / this beam be lit / this satellite transmit"
millions of times per run; it gets arrays over all cells instead of calling ``decide``.
``tests/test_policy_compiled.py`` proves the two agree on random cells and times.

Time windows: a compiled policy covers ``[start, end)``. Inside it the policy is evaluated at
every instant where a rule starts or stops (``PolicyState.change_times``) and combined
**conservatively**: a restriction in force at any instant applies to the whole window, a
cell is ``terminal_allowed`` only if allowed at every instant, and ``status`` is the worst
(highest code) seen. To be exact, compile once per interval between change times.

Cost: the region of every cell is a precomputed array shipped with the region index, each
rule costs a ``searchsorted`` of its cells (or one compare over the region ids), so all
2,016,842 res-5 cells compile in tens of milliseconds (``benchmarks/policy.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from skygate.policy.decision import authorization_key, check_motion
from skygate.policy.model import (
    INTERNATIONAL_WATERS,
    ROAM_MAX_DAYS_ABROAD,
    ROAM_MAX_SPEED_KMH,
    STATUS_CODES,
    STATUSES,
    Authorization,
    Restriction,
    check_terminal,
)
from skygate.policy.state import PolicyState
from skygate.timeutil import as_utc

__all__ = ["CompiledPolicy", "compile_policy"]

_NOT_AUTHORIZED = STATUS_CODES["not_authorized"]


@dataclass(frozen=True, eq=False)
class CompiledPolicy:
    """Per-cell arrays, aligned with ``cells`` (sorted ``uint64``).

    ``status`` codes: 0 available, 1 waitlist, 2 coming_soon, 3 not_authorized
    (``STATUSES``). ``transmit_allowed`` is about a *satellite* whose sub-satellite point lies
    in the cell (``no_transmit``); ``beam_allowed`` about a user beam serving the cell;
    ``terminal_allowed`` about a terminal of kind ``terminal`` located in the cell (with the
    ``speed_kmh`` / ``days_abroad`` / ``ocean_mode`` it was compiled for). ``max_speed_kmh``
    (float64, NaN where none) is the in-motion limit for that terminal kind in each cell: the
    winning authorization's ``max_speed_kmh``, capped at 160 km/h for roam, none for aviation
    (:func:`skygate.policy.decision.speed_limit_kmh`); the lowest seen over the window.
    """

    resolution: int
    cells: np.ndarray
    region_codes: list[str]
    region_id: np.ndarray
    status: np.ndarray
    terminal_allowed: np.ndarray
    beam_allowed: np.ndarray
    transmit_allowed: np.ndarray
    policy_version: str
    valid_from: datetime
    valid_until: datetime
    terminal: str = "fixed"
    warnings: tuple[str, ...] = ()
    max_speed_kmh: np.ndarray | None = None

    def index_of(self, cells: Any) -> np.ndarray:
        """Positions of ``cells`` in :attr:`cells` (``int64``; -1 where absent)."""
        cells = np.asarray(cells, dtype=np.uint64).ravel()
        if self.cells.size == 0:
            return np.full(cells.size, -1, dtype=np.int64)
        pos = np.searchsorted(self.cells, cells)
        pos = np.minimum(pos, self.cells.size - 1)
        return np.where(self.cells[pos] == cells, pos, -1).astype(np.int64)

    def status_names(self, idx: Any) -> np.ndarray:
        return np.asarray(STATUSES)[self.status[idx]]

    def summary(self) -> dict[str, Any]:
        counts = np.bincount(self.status, minlength=len(STATUSES))
        return {
            "cells": int(self.cells.size),
            "status": {name: int(counts[i]) for i, name in enumerate(STATUSES)},
            "terminal_allowed": int(self.terminal_allowed.sum()),
            "beam_off": int((~self.beam_allowed).sum()),
            "no_transmit": int((~self.transmit_allowed).sum()),
            "policy_version": self.policy_version,
        }


def _region_ids(cells: np.ndarray, resolution: int) -> tuple[list[str], np.ndarray]:
    from skygate.earth.regions import get_region_index

    index = get_region_index()
    ids = index.cells_region_ids(cells, resolution)
    return list(index.codes), ids.astype(np.int16)


def _positions(compiled_cells: np.ndarray, scope_cells: np.ndarray) -> np.ndarray:
    if compiled_cells.size == 0 or scope_cells.size == 0:
        return np.zeros(0, dtype=np.int64)
    pos = np.searchsorted(compiled_cells, scope_cells)
    pos = np.minimum(pos, compiled_cells.size - 1)
    return pos[compiled_cells[pos] == scope_cells]


def _scope_mask_or_pos(rule, cells, region_id, code_ids):
    """Either a boolean mask over cells (region scope) or positions (cell scope)."""
    if rule.scope.kind == "region":
        rid = code_ids.get(rule.scope.region)
        return region_id == rid if rid is not None else np.zeros(cells.size, dtype=bool)
    return _positions(cells, rule.scope.cells)


def _speed_of(a: Authorization) -> float:
    return np.nan if a.max_speed_kmh is None else float(a.max_speed_kmh)


def _status_at(auths: list[Authorization], cells, region_id, codes, code_ids):
    """Per cell at one instant: the winning authorization's status code and its
    ``max_speed_kmh`` (NaN when none; None when no rule in force has a limit, the common case,
    which spares a 16-MB array per instant), plus conflict warnings."""
    by_region = np.full(len(codes), _NOT_AUTHORIZED, dtype=np.int8)
    speed_by_region = np.full(len(codes), np.nan, dtype=np.float64)
    with_speed = any(a.max_speed_kmh is not None for a in auths)
    custom = []
    for a in sorted(auths, key=authorization_key):
        if a.scope.kind == "region":
            rid = code_ids.get(a.scope.region)
            if rid is not None:
                by_region[rid] = STATUS_CODES[a.status]
                speed_by_region[rid] = _speed_of(a)
        else:
            custom.append(a)
    status = by_region[region_id]
    speed = speed_by_region[region_id] if with_speed else None
    for a in custom:  # ascending precedence: the most specific is written last
        pos = _positions(cells, a.scope.cells)
        status[pos] = STATUS_CODES[a.status]
        if with_speed:
            speed[pos] = _speed_of(a)
    return status, speed, _conflicts(custom)


def _conflicts(custom: list[Authorization]) -> list[str]:
    out = []
    for i, a in enumerate(custom):
        for b in custom[i + 1:]:
            if (authorization_key(a)[:2] == authorization_key(b)[:2] and a.status != b.status
                    and a.scope.key != b.scope.key
                    and np.intersect1d(a.scope.cells, b.scope.cells).size):
                win, lose = (b, a) if authorization_key(b) > authorization_key(a) else (a, b)
                out.append(f"conflicting authorizations #{win.id} ({win.status}) and "
                           f"#{lose.id} ({lose.status}) overlap with equal specificity; "
                           f"#{win.id} wins")
    return out


def _restricted(restr: list[Restriction], effect: str, cells, region_id, code_ids):
    mask = np.zeros(cells.size, dtype=bool)
    for r in restr:
        if r.effect != effect:
            continue
        sel = _scope_mask_or_pos(r, cells, region_id, code_ids)
        if sel.dtype == bool:
            mask |= sel
        else:
            mask[sel] = True
    return mask


def compile_policy(policy: PolicyState, start: datetime, end: datetime, *, resolution: int = 5,
                   cells: np.ndarray | None = None, terminal: str = "fixed",
                   speed_kmh: float | None = None, days_abroad: float | None = None,
                   ocean_mode: bool = False) -> CompiledPolicy:
    """Compile ``policy`` for ``[start, end)`` over ``cells`` (default: every cell of
    ``resolution``). See the module docstring for how time inside the window is combined;
    ``terminal``, ``speed_kmh``, ``days_abroad`` and ``ocean_mode`` mean what they mean for
    :func:`skygate.policy.decide`, whose terminal rules ``terminal_allowed`` applies."""
    from skygate.earth import cells as _cells

    start, end = as_utc(start, field="start"), as_utc(end, field="end")
    if end <= start:
        from skygate.errors import InputError

        raise InputError("end must be after start", where="end")
    terminal = check_terminal(terminal)
    speed_kmh, days_abroad = check_motion(speed_kmh, days_abroad)
    cells = (_cells.all_cells(resolution) if cells is None
             else np.unique(np.asarray(cells, dtype=np.uint64)))
    codes, region_id = _region_ids(cells, resolution)
    code_ids = {c: i for i, c in enumerate(codes)}
    status = np.zeros(cells.size, dtype=np.int8)
    ok = np.ones(cells.size, dtype=bool)
    limit: np.ndarray | None = None  # None: no authorization limit anywhere (yet)
    warnings: list[str] = []
    for t in policy.change_times(start, end):
        auths = [a for a in policy.authorizations if a.in_force(t)]
        s, speed, conflicts = _status_at(auths, cells, region_id, codes, code_ids)
        status = np.maximum(status, s)
        if speed is not None:  # the lowest limit seen; NaN (none) loses to a number
            limit = speed if limit is None else np.fmin(limit, speed)
        ok &= s <= STATUS_CODES["waitlist"]
        warnings.extend(w for w in conflicts if w not in warnings)
    restr = [r for r in policy.restrictions if r.active_between(start, end)]
    ok &= ~_restricted(restr, "terminal_disable", cells, region_id, code_ids)
    limit = _kind_speed_limit(terminal, limit, cells.size)
    _apply_terminal_rules(ok, terminal, region_id, code_ids, limit, speed_kmh, days_abroad,
                          ocean_mode)
    for arr in (cells, region_id, status, ok, limit):
        arr.setflags(write=False)
    return CompiledPolicy(
        resolution=resolution, cells=cells, region_codes=codes, region_id=region_id,
        status=status, terminal_allowed=ok,
        beam_allowed=~_restricted(restr, "beam_off", cells, region_id, code_ids),
        transmit_allowed=~_restricted(restr, "no_transmit", cells, region_id, code_ids),
        policy_version=policy.version, valid_from=start, valid_until=end, terminal=terminal,
        warnings=tuple(warnings), max_speed_kmh=limit,
    )


def _kind_speed_limit(terminal: str, limit: np.ndarray | None, n: int) -> np.ndarray:
    """Per-cell authorization limits (None: none anywhere) → the limit for this terminal
    kind (as :func:`skygate.policy.decision.speed_limit_kmh`)."""
    if terminal == "aviation" or (limit is None and terminal != "roam"):
        return np.full(n, np.nan, dtype=np.float64)
    if terminal == "roam":
        return (np.full(n, ROAM_MAX_SPEED_KMH) if limit is None
                else np.fmin(limit, ROAM_MAX_SPEED_KMH))
    return limit


def _apply_terminal_rules(ok, terminal, region_id, code_ids, limit, speed_kmh, days_abroad,
                          ocean_mode) -> None:
    """Rule 6 of :mod:`skygate.policy.decision` over all cells at once, in place on ``ok``."""
    xz = code_ids.get(INTERNATIONAL_WATERS)
    if xz is not None and (terminal == "roam" or (terminal == "maritime" and not ocean_mode)):
        ok &= region_id != xz
    if terminal == "roam" and days_abroad is not None and days_abroad > ROAM_MAX_DAYS_ABROAD:
        ok[:] = False
    if speed_kmh is not None:
        ok &= ~(limit < speed_kmh)  # NaN (no limit) compares False
