"""One call from a scenario to its output folder: prepare, run the chunks (locally or on Dask),
stream the records, write the summary and the report."""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, ContextManager

from skygate.sim.context import SimContext, build_context
from skygate.sim.engine import run_chunks
from skygate.sim.report import write_report
from skygate.sim.scenario import Scenario
from skygate.sim.writers import RunWriter

__all__ = ["simulate", "run_context"]

ProgressFactory = Callable[[str, int], ContextManager[Callable[[int], None]]]


def run_context(ctx: SimContext, out_dir: Path, *, engine: str | None = None,
                scheduler_address: str | None = None, progress: ProgressFactory | None = None,
                cluster_kwargs: dict | None = None, report: bool | None = None,
                extra: dict[str, Any] | None = None) -> dict:
    """Run a prepared context into ``out_dir``; returns the summary (also in summary.json)."""
    sc = ctx.scenario
    engine = engine or sc.engine.kind
    address = scheduler_address or sc.engine.scheduler_address
    t0 = time.perf_counter()
    writer = RunWriter(ctx, out_dir)
    bar = progress(f"simulating {sc.name}", int(ctx.times.size)) if progress else nullcontext(None)
    try:
        with bar as advance:
            for chunk in run_chunks(ctx, engine, advance, address=address,
                                    cluster_kwargs=cluster_kwargs):
                writer.add(chunk)
    finally:
        writer.close_streams()
    summary = writer.finish(engine=engine, runtime_s=time.perf_counter() - t0, extra=extra)
    if sc.outputs.report if report is None else report:
        write_report(Path(out_dir), summary)
    return summary


def simulate(scenario: Scenario, out_dir: str | Path, *, start: datetime | None = None,
             duration: timedelta | None = None, engine: str | None = None,
             scheduler_address: str | None = None, progress: ProgressFactory | None = None,
             cluster_kwargs: dict | None = None, report: bool | None = None) -> dict:
    """Simulate ``scenario`` (with optional window overrides) and write its outputs."""
    ctx = build_context(scenario, start=start, duration=duration)
    return run_context(ctx, Path(out_dir), engine=engine, scheduler_address=scheduler_address,
                       progress=progress, cluster_kwargs=cluster_kwargs, report=report)
