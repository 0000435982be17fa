"""``skygate simulate``, ``skygate compliance``, ``skygate whatif`` and the flagship ``demo``.

Machine-readable contract: ``simulate`` writes ``summary.json``, ``epochs.parquet``,
``regions.parquet``, ``cells.parquet``, ``cells.geojson`` and ``report.html`` to ``--out``
(plus ``cell_epochs.parquet`` / ``satellite_epochs.parquet`` with ``--records``);
``--format json`` prints the summary. ``compliance`` exits 1 when any violation is found.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path
from typing import List, Optional

import typer

from skygate.cli._common import emit_json, progress, stdout
from skygate.errors import InputError

__all__ = ["register", "demo_scenario_path", "DEMO_OUT"]

DEMO_OUT = Path("out") / "demo"  # relative to the working directory; out/ is gitignored


def _fmt(value: str) -> str:
    if value not in ("text", "json"):
        raise InputError(f"unknown format {value!r}", where="--format", hint="use text or json")
    return value


def _window(start: Optional[str], duration: Optional[str]):
    from skygate.timeutil import parse_duration, parse_time

    return (None if start is None else parse_time(start, field="--start"),
            None if duration is None else parse_duration(duration, field="--duration"))


def _scenario(path: str, enforce: Optional[bool] = None):
    from skygate.sim import load_scenario

    sc = load_scenario(path)
    if enforce is not None:
        sc = sc.with_overrides(policy={"enforce": enforce})
    return sc


def _print_summary(summary: dict, out: Path) -> None:
    from skygate.sim import compliance_statement

    t = summary["totals"]
    stdout.print(f"[bold]{summary['scenario']}[/bold]: {summary['start']} → {summary['end']}, "
                 f"{summary['epochs']} epochs, {summary['cells']:,} cells, "
                 f"{summary['constellation']['satellites']:,} satellites")
    stdout.print(f"policy {summary['policy_source']} @ {summary['policy_at']} "
                 f"(version {summary['policy_version'][:24]}…), enforcement "
                 f"{'on' if summary['enforcement'] else 'off'}")
    stdout.print(f"demand {t['demand_gbps_mean']:.1f} Gbps from {t['terminals']:,.0f} terminals; "
                 f"served {t['served_gbps_mean']:.1f} Gbps ({t['served_fraction']:.1%}); "
                 f"{t['handovers']:,} handovers")
    for r in summary["regions"]:
        stdout.print(f"  {r['region']:<3} {r['status']:<15} {r['cells']:>6,} cells  "
                     f"sats in view {r['sats_in_view_mean']:5.1f} (min {r['sats_in_view_min']:>2})  "
                     f"demand {r['demand_gbps_mean']:8.2f} Gbps  served {r['served_gbps_mean']:8.2f} Gbps")
    stdout.print(compliance_statement(summary))
    stdout.print(f"outputs in {out}/ (report: {out / 'report.html'})")


def simulate_cmd(
    scenario: str = typer.Argument(..., help="scenario TOML file"),
    start: Optional[str] = typer.Option(None, "--start", help="ISO time with zone (default: the scenario's)"),
    duration: Optional[str] = typer.Option(None, "--duration", help="e.g. 1h, 90m, 24h"),
    out: Path = typer.Option(Path("out") / "sim", "--out", help="output folder"),
    engine: Optional[str] = typer.Option(None, "--engine", help="local or dask"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler tcp://host:8786 (default: a LocalCluster)"),
    enforce: Optional[bool] = typer.Option(None, "--enforce/--no-enforce", help="apply the policy (default: the scenario's)"),
    records: Optional[str] = typer.Option(None, "--records", help="per-epoch detail: cells, satellites or cells,satellites (Parquet, streamed)"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Simulate a scenario; write summary, Parquet tables, GeoJSON and report.html to --out."""
    from skygate.sim import simulate

    fmt = _fmt(fmt)
    t0, dur = _window(start, duration)
    if engine is not None and engine not in ("local", "dask"):
        raise InputError(f"unknown engine {engine!r}", where="--engine", hint="local or dask")
    sc = _scenario(scenario, enforce)
    if records is not None:
        sc = sc.with_overrides(outputs={"records": _records(records)})
    summary = simulate(sc, out, start=t0, duration=dur,
                       engine=engine, scheduler_address=scheduler, progress=progress)
    if fmt == "json":
        emit_json(summary)
    else:
        _print_summary(summary, out)


def compliance_cmd(
    scenario: str = typer.Argument(..., help="scenario TOML file"),
    start: Optional[str] = typer.Option(None, "--start", help="ISO time with zone"),
    duration: Optional[str] = typer.Option(None, "--duration", help="e.g. 1h, 24h"),
    out: Optional[Path] = typer.Option(None, "--out", help="keep the run's files here"),
    enforce: Optional[bool] = typer.Option(None, "--enforce/--no-enforce", help="apply the policy"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Run the scenario and print its compliance statement; exit 1 on any violation."""
    from skygate.sim import COMPLIANCE_KEYS, compliance_statement, simulate

    fmt = _fmt(fmt)
    t0, dur = _window(start, duration)
    with tempfile.TemporaryDirectory(prefix="skygate-compliance-") as tmp:
        summary = simulate(_scenario(scenario, enforce), out or Path(tmp), start=t0,
                           duration=dur, progress=progress, report=False)
    violations = sum(int(summary["compliance"][k]) for k in COMPLIANCE_KEYS)
    if fmt == "json":
        emit_json({k: summary[k] for k in ("scenario", "start", "end", "epochs", "policy_version",
                                            "policy_at", "enforcement", "compliance")}
                  | {"violations": violations, "compliant": violations == 0})
    else:
        stdout.print(compliance_statement(summary))
    if violations:
        raise typer.Exit(1)  # skygate.cli.main returns the code (tests/test_sim_cli.py)


def _records(value: str) -> list[str]:
    from skygate.sim.scenario import RECORD_KINDS

    kinds = [k.strip() for k in value.split(",") if k.strip()]
    bad = [k for k in kinds if k not in RECORD_KINDS]
    if bad or not kinds:
        raise InputError(f"unknown record kind {bad[0] if bad else value!r}", where="--records",
                         hint=f"use {', '.join(RECORD_KINDS)} or both, comma-separated")
    return list(dict.fromkeys(kinds))


def _parse_sets(values: List[str]) -> dict[str, str]:
    out = {}
    for v in values:
        code, sep, status = v.partition("=")
        if not sep or not code.strip() or not status.strip():
            raise InputError(f"cannot read --set {v!r}", where="--set",
                             hint="REGION=STATUS, e.g. --set TW=available")
        out[code.strip().upper()] = status.strip()
    return out


def whatif_cmd(
    scenario: str = typer.Argument(..., help="scenario TOML file"),
    set_: List[str] = typer.Option([], "--set", help="REGION=STATUS, e.g. TW=available (repeatable)"),
    drop: List[int] = typer.Option([], "--drop-restriction", help="restriction id to drop (repeatable)"),
    start: Optional[str] = typer.Option(None, "--start", help="ISO time with zone"),
    duration: Optional[str] = typer.Option(None, "--duration", help="e.g. 1h"),
    out: Path = typer.Option(Path("out") / "whatif", "--out", help="output folder"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Run base and changed policy over the same window and report what changes."""
    from skygate.sim import whatif

    fmt = _fmt(fmt)
    sets = _parse_sets(set_)
    if not sets and not drop:
        raise InputError("nothing to change", where="--set / --drop-restriction",
                         hint="e.g. --set TW=available")
    t0, dur = _window(start, duration)
    result = whatif(_scenario(scenario), out, set_status=sets, drop_restrictions=list(drop),
                    start=t0, duration=dur, progress=progress)
    if fmt == "json":
        emit_json(result)
        return
    stdout.print(f"what if {', '.join(f'{k}={v}' for k, v in sets.items()) or ''}"
                 f"{' drop ' + ', '.join(map(str, drop)) if drop else ''} "
                 f"({result['window']['start']} → {result['window']['end']}, "
                 f"{result['window']['epochs']} epochs)")
    stdout.print(f"cells gaining service: {result['cells_gaining_service']:,} "
                 f"{result['cells_gaining_by_region']}; losing: {result['cells_losing_service']:,}")
    stdout.print(f"served: {result['served_gbps_base']:.1f} → {result['served_gbps_changed']:.1f} Gbps; "
                 f"neighbours lose {result['neighbours_served_gbps_lost']:.3f} Gbps "
                 f"{result['neighbours_losing'] or ''}")
    for r in result["regions"]:
        if r["region"] in result["changed_regions"] or abs(r["served_gbps_delta"]) > 1e-9:
            stdout.print(f"  {r['region']:<3} {r['status_base']} → {r['status_changed']}: "
                         f"terminals {r['terminals_base']:,.0f} → {r['terminals_changed']:,.0f}, "
                         f"served {r['served_gbps_base']:.2f} → {r['served_gbps_changed']:.2f} Gbps "
                         f"of {r['demand_gbps_changed']:.2f}; satellites in view "
                         f"{r['sats_in_view_mean']:.1f} (min {r['sats_in_view_min']}), serving "
                         f"{r['sats_serving_base']:.1f} → {r['sats_serving_changed']:.1f}")
    if result.get("capacity"):
        stdout.print(result["capacity"]["explanation"])
    stdout.print(f"details: {out / 'whatif.json'}; reports: {out / 'base' / 'report.html'}, "
                 f"{out / 'changed' / 'report.html'}")


def demo_scenario_path() -> Path:
    """The flagship scenario: the repository's copy when run from a checkout, else the one
    shipped in the package (tests keep the two identical)."""
    repo = Path(__file__).resolve().parents[3] / "scenarios" / "taiwan-2024.toml"
    if repo.is_file():
        return repo
    return Path(str(resources.files("skygate").joinpath("data", "scenarios", "taiwan-2024.toml")))


def demo(
    out: Path = typer.Option(DEMO_OUT, "--out", help="output folder (default ./out/demo)"),
    duration: str = typer.Option("1h", "--duration", help="simulated time"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """The flagship: one hour of service over East Asia around Taiwan under the policy
    reported in October 2024, on the bundled snapshot, and the same hour if Taiwan were
    available; writes out/demo/report.html."""
    from skygate.sim import compare_runs, simulate
    from skygate.sim.report import write_report
    from skygate.sim.whatif import whatif_html

    fmt = _fmt(fmt)
    if fmt == "text":
        from skygate.cli.orbits import demo_report

        for row in demo_report()["places"]:
            stdout.print(f"{row['place']}: {row['in_view']} satellites above 25° at the snapshot epoch")
    _, dur = _window(None, duration)
    base = _scenario(str(demo_scenario_path()))
    summary = simulate(base, out, duration=dur, progress=progress)
    changed = base.with_overrides(policy={"set_status": {"TW": "available"}})
    simulate(changed, out / "whatif-TW-available", duration=dur, progress=progress)
    result = compare_runs(out, out / "whatif-TW-available", ["TW"])
    write_report(out, summary, extra_html=whatif_html(result))
    if fmt == "json":
        emit_json(summary | {"report": str(out / "report.html"), "whatif_TW_available": result})
        return
    _print_summary(summary, out)
    tw = next(r for r in result["regions"] if r["region"] == "TW")
    stdout.print(f"[bold]what if TW were available[/bold]: {tw['terminals_changed']:,.0f} terminals, "
                 f"{tw['served_gbps_changed']:.1f} of {tw['demand_gbps_changed']:.1f} Gbps served by "
                 f"{tw['sats_serving_changed']:.1f} satellites on average; "
                 f"{result['cells_gaining_service']:,} cells gain service; neighbours lose "
                 f"{result['neighbours_served_gbps_lost']:.3f} Gbps "
                 f"(run: {out / 'whatif-TW-available'}/)")
    if result.get("capacity"):
        stdout.print(result["capacity"]["explanation"])
    stdout.print(f"[bold]report:[/bold] {out / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
    app.command("compliance")(compliance_cmd)
    app.command("whatif")(whatif_cmd)
    app.command("demo")(demo)
