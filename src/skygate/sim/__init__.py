"""The service simulation: 15-second scheduling epochs under capacity and policy.

scenario TOML → constellation → epoch chunks of ECEF positions → satellites muted by
``no_transmit`` → visible satellite–cell pairs (:mod:`~skygate.sim.visibility`) → the
scheduler (:mod:`~skygate.sim.scheduler`) → compliance re-checked from the assignment
(:mod:`~skygate.sim.compliance`) → records streamed to Parquet, a summary, a report.

Typical use::

    from skygate.sim import load_scenario, simulate
    summary = simulate(load_scenario("scenarios/taiwan-2024.toml"), "out/taiwan")
"""

from __future__ import annotations

from skygate.sim.compliance import COMPLIANCE_KEYS, compliance_statement
from skygate.sim.context import SimContext, build_context
from skygate.sim.engine import run_chunk, simulate_epoch
from skygate.sim.run import run_context, simulate
from skygate.sim.scenario import SLOT_SECONDS, Scenario, load_scenario, scenario_from_dict
from skygate.sim.scheduler import register_strategy, strategy_names
from skygate.sim.visibility import CellFrame, visible_pairs
from skygate.sim.whatif import compare_runs, whatif

__all__ = [
    "Scenario",
    "load_scenario",
    "scenario_from_dict",
    "SLOT_SECONDS",
    "SimContext",
    "build_context",
    "simulate",
    "run_context",
    "run_chunk",
    "simulate_epoch",
    "whatif",
    "compare_runs",
    "COMPLIANCE_KEYS",
    "compliance_statement",
    "register_strategy",
    "strategy_names",
    "CellFrame",
    "visible_pairs",
]
