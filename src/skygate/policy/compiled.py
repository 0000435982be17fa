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

from skygate.policy.decision import authorization_key
from skygate.policy.model import (
    INTERNATIONAL_WATERS,
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
    ``terminal_allowed`` about a terminal of kind ``terminal`` located in the cell.
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


def _status_at(auths: list[Authorization], cells, region_id, codes, code_ids):
    by_region = np.full(len(codes), _NOT_AUTHORIZED, dtype=np.int8)
    custom = []
    for a in sorted(auths, key=authorization_key):
        if a.scope.kind == "region":
            rid = code_ids.get(a.scope.region)
            if rid is not None:
                by_region[rid] = STATUS_CODES[a.status]
        else:
            custom.append(a)
    status = by_region[region_id]
    for a in custom:  # ascending precedence: the most specific is written last
        status[_positions(cells, a.scope.cells)] = STATUS_CODES[a.status]
    return status, _conflicts(custom)


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
                   cells: np.ndarray | None = None, terminal: str = "fixed") -> CompiledPolicy:
    """Compile ``policy`` for ``[start, end)`` over ``cells`` (default: every cell of
    ``resolution``). See the module docstring for how time inside the window is combined."""
    from skygate.earth import cells as _cells

    start, end = as_utc(start, field="start"), as_utc(end, field="end")
    if end <= start:
        from skygate.errors import InputError

        raise InputError("end must be after start", where="end")
    terminal = check_terminal(terminal)
    cells = (_cells.all_cells(resolution) if cells is None
             else np.unique(np.asarray(cells, dtype=np.uint64)))
    codes, region_id = _region_ids(cells, resolution)
    code_ids = {c: i for i, c in enumerate(codes)}
    status = np.zeros(cells.size, dtype=np.int8)
    ok = np.ones(cells.size, dtype=bool)
    warnings: list[str] = []
    for t in policy.change_times(start, end):
        auths = [a for a in policy.authorizations if a.in_force(t)]
        s, conflicts = _status_at(auths, cells, region_id, codes, code_ids)
        status = np.maximum(status, s)
        ok &= s <= STATUS_CODES["waitlist"]
        warnings.extend(w for w in conflicts if w not in warnings)
    restr = [r for r in policy.restrictions if r.active_between(start, end)]
    ok &= ~_restricted(restr, "terminal_disable", cells, region_id, code_ids)
    if terminal == "roam" and INTERNATIONAL_WATERS in code_ids:
        ok &= region_id != code_ids[INTERNATIONAL_WATERS]
    for arr in (cells, region_id, status, ok):
        arr.setflags(write=False)
    return CompiledPolicy(
        resolution=resolution, cells=cells, region_codes=codes, region_id=region_id,
        status=status, terminal_allowed=ok,
        beam_allowed=~_restricted(restr, "beam_off", cells, region_id, code_ids),
        transmit_allowed=~_restricted(restr, "no_transmit", cells, region_id, code_ids),
        policy_version=policy.version, valid_from=start, valid_until=end, terminal=terminal,
        warnings=tuple(warnings),
    )
