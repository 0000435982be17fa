"""``skygate policy``: check a place, change the policy (each change a ledger entry), list
the rules, and draw the status of cells as GeoJSON.

Machine-readable contract: ``policy check --format json`` prints an object with at least
``region``, ``cell``, ``status``, ``serviceable`` and ``reasons`` (a list of strings).
"""

from __future__ import annotations

import json
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

import typer

from skygate.cli._common import emit_json
from skygate.errors import InputError

__all__ = ["register"]

policy_app = typer.Typer(help="Service policy: decisions, authorizations, geofences.",
                         no_args_is_help=True)

_FORMATS = ("text", "json")


def _fmt(value: str) -> str:
    if value not in _FORMATS:
        raise InputError(f"unknown format {value!r}", where="--format", hint="use text or json")
    return value


def _time(text: Optional[str], field: str):
    from skygate.timeutil import parse_time

    return None if text is None else parse_time(text, field=field)


def _store():
    from skygate.store import open_store

    return open_store()


def _warn(lines) -> None:
    for line in lines:
        print(f"skygate: warning: {line}", file=sys.stderr)


@contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Show library warnings (e.g. a repaired GeoJSON polygon) as ``skygate: warning:``
    lines instead of Python's ``file.py:54: GeometryRepairWarning: ...`` with source code."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            _warn(str(w.message) for w in caught)


@policy_app.command("check")
def check(
    lat: Optional[float] = typer.Option(None, "--lat", help="latitude, degrees north"),
    lon: Optional[float] = typer.Option(None, "--lon", help="longitude, degrees east"),
    cell: Optional[str] = typer.Option(None, "--cell", help="an H3 res-5 cell instead of a point"),
    at: Optional[str] = typer.Option(None, "--at", help="ISO time with zone (default now)"),
    terminal: str = typer.Option("fixed", "--terminal", help="fixed, roam, maritime, aviation"),
    speed_kmh: Optional[float] = typer.Option(None, "--speed-kmh", help="terminal speed, km/h"),
    days_abroad: Optional[float] = typer.Option(None, "--days-abroad",
                                                help="roam: days abroad on this trip"),
    ocean_mode: bool = typer.Option(False, "--ocean-mode",
                                    help="maritime: Ocean Mode (beyond 12 nmi) is on"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """May a terminal be served here and now? Prints the status and every reason."""
    from skygate.policy import decide
    from skygate.policy.control import load_policy

    fmt = _fmt(fmt)
    if cell is None and (lat is None or lon is None):
        raise InputError("give --lat and --lon, or --cell", where="policy check",
                         hint="e.g. skygate policy check --lat 25.03 --lon 121.56")
    if cell is None:
        from skygate.earth.geodesy import check_coordinates

        check_coordinates(lat, lon)  # names --lat/--lon mistakes the way `visible` does
    when = _time(at, "--at")
    policy = load_policy()  # opens the store and closes it again
    where = cell if cell is not None else (lat, lon)
    decision = decide(where, when, terminal, policy=policy, speed_kmh=speed_kmh,
                      days_abroad=days_abroad, ocean_mode=ocean_mode)
    _warn(decision.warnings)
    if fmt == "json":
        emit_json(decision.to_json())
        return
    verdict = "SERVICEABLE" if decision.serviceable else "NOT SERVICEABLE"
    label = f" ({decision.label})" if decision.label else ""
    print(f"{verdict}: {decision.region} cell {decision.cell} status {decision.status}{label}"
          f" for a {decision.terminal} terminal at {decision.at.isoformat()}")
    for reason in decision.reasons:
        print(f"  - {reason}")


def _scope(region: Optional[str], geojson: Optional[Path], cells: Optional[Path],
           name: Optional[str]):
    from skygate.policy.presets import cells_scope, geojson_scope, region_scope

    given = [x for x in (region, geojson, cells) if x is not None]
    if len(given) != 1:
        raise InputError("give exactly one of REGION, --geojson F or --cells F",
                         where="policy restrict", hint="e.g. skygate policy restrict UA ...")
    if region is not None:
        return region_scope(region)
    if geojson is not None:
        with _warnings_as_lines():
            return geojson_scope(geojson, name or geojson.stem)
    scopes = cells_scope(cells, name)
    if len(scopes) > 1:
        import numpy as np

        from skygate.policy.model import Scope

        return Scope.of_cells(np.concatenate([s.cells for _, s in scopes]), name=name or cells.stem)
    return scopes[0][1]


def _region_and_status(targets: list[str], *, area_given: bool) -> tuple[Optional[str], str]:
    """``REGION STATUS``, or just ``STATUS`` when the scope is a --cells/--geojson area."""
    want = 1 if area_given else 2
    if len(targets) != want:
        usage = ("STATUS only (the area comes from --cells/--geojson)" if area_given
                 else "REGION STATUS")
        raise InputError(f"expected {usage}, got {len(targets)} argument(s): "
                         f"{' '.join(targets)}", where="policy authorize",
                         hint="e.g. skygate policy authorize TW available ..., or "
                              "skygate policy authorize --geojson crimea.geojson not_authorized ...")
    return (None, targets[0]) if area_given else (targets[0], targets[1])


@policy_app.command("authorize")
def authorize_cmd(
    targets: List[str] = typer.Argument(..., metavar="[REGION] STATUS",
                                        help="region code (ISO alpha-2, XZ; omit with "
                                             "--cells/--geojson) and available, waitlist, "
                                             "coming_soon or not_authorized"),
    label: Optional[str] = typer.Option(None, help="map label, e.g. 'Sold Out'"),
    legal_basis: Optional[str] = typer.Option(None, "--legal-basis", help="licence, law, decision"),
    cells: Optional[Path] = typer.Option(None, "--cells", help="cells file instead of REGION"),
    geojson: Optional[Path] = typer.Option(None, "--geojson", help="GeoJSON area instead of REGION"),
    name: Optional[str] = typer.Option(None, help="name of a --cells/--geojson area"),
    valid_from: Optional[str] = typer.Option(None, "--from", help="ISO time with zone (default now)"),
    max_speed_kmh: Optional[float] = typer.Option(None, "--max-speed-kmh", help="in-motion limit"),
    reason: str = typer.Option(..., help="why (recorded in the ledger)"),
    actor: str = typer.Option(..., help="who makes the change (recorded in the ledger)"),
) -> None:
    """Set the service status of a region (or of an area) from now (or --from) on."""
    from skygate.policy.control import authorize

    region, status = _region_and_status(targets, area_given=geojson is not None or cells is not None)
    scope = _scope(region, geojson, cells, name)
    with _store() as store:
        entry = authorize(store, scope, status, reason=reason, actor=actor, label=label,
                          legal_basis=legal_basis, valid_from=_time(valid_from, "--from"),
                          max_speed_kmh=max_speed_kmh)
    print(f"authorization #{entry.seq} recorded: {scope.describe()} {status} "
          f"(ledger entry {entry.seq}, leaf {entry.leaf.hex()[:16]}…)")


@policy_app.command("restrict")
def restrict_cmd(
    region: Optional[str] = typer.Argument(None, help="region code; or use --geojson/--cells"),
    effect: str = typer.Option(..., help="terminal_disable, beam_off or no_transmit"),
    geojson: Optional[Path] = typer.Option(None, "--geojson", help="GeoJSON Polygon/MultiPolygon"),
    cells: Optional[Path] = typer.Option(None, "--cells", help="cells file (.txt/.csv/.json)"),
    name: Optional[str] = typer.Option(None, help="name of the area"),
    valid_from: Optional[str] = typer.Option(None, "--from", help="ISO time with zone (default now)"),
    valid_until: Optional[str] = typer.Option(None, "--until", help="ISO time with zone"),
    requested_by: str = typer.Option(..., "--requested-by", help="who asked for it"),
    approved_by: str = typer.Option(..., "--approved-by", help="who approved it (not the requester)"),
    reason: str = typer.Option(..., help="why (recorded in the ledger)"),
    actor: str = typer.Option(..., help="who records the change"),
    public: bool = typer.Option(True, "--public/--private", help="publish the restriction"),
) -> None:
    """Put a geofence on a region, a GeoJSON area or a set of cells."""
    from skygate.policy.control import restrict

    scope = _scope(region, geojson, cells, name)
    with _store() as store:
        entry = restrict(store, scope, effect, requested_by=requested_by,
                         approved_by=approved_by, reason=reason, actor=actor,
                         valid_from=_time(valid_from, "--from"),
                         valid_until=_time(valid_until, "--until"), public=public)
    print(f"restriction #{entry.seq} recorded: {effect} on {scope.describe()} "
          f"(ledger entry {entry.seq})")


@policy_app.command("revoke")
def revoke_cmd(
    rule_id: int = typer.Argument(..., metavar="ID", help="rule id (its ledger entry number)"),
    reason: str = typer.Option(..., help="why"),
    actor: str = typer.Option(..., help="who"),
) -> None:
    """End an authorization or restriction now."""
    from skygate.policy.control import revoke

    with _store() as store:
        entry = revoke(store, rule_id, reason=reason, actor=actor)
    print(f"rule #{rule_id} revoked (ledger entry {entry.seq})")


@policy_app.command("amend")
def amend_cmd(
    rule_id: int = typer.Argument(..., metavar="ID", help="rule id (its ledger entry number)"),
    valid_until: Optional[str] = typer.Option(None, "--until", help="new end, ISO with zone"),
    label: Optional[str] = typer.Option(None, help="new map label (authorizations)"),
    public: Optional[bool] = typer.Option(None, "--public/--private", help="publish or not"),
    reason: str = typer.Option(..., help="why"),
    actor: str = typer.Option(..., help="who"),
) -> None:
    """Change the end, label or visibility of a rule (recorded with before/after)."""
    from skygate.policy.control import amend

    fields = {k: v for k, v in (("valid_until", _time(valid_until, "--until")),
                                ("label", label), ("public", public)) if v is not None}
    if not fields:
        raise InputError("nothing to amend", where="policy amend",
                         hint="give --until, --label or --public/--private")
    with _store() as store:
        entry = amend(store, rule_id, reason=reason, actor=actor, **fields)
    print(f"rule #{rule_id} amended (ledger entry {entry.seq}): {', '.join(sorted(fields))}")


@policy_app.command("list")
def list_cmd(
    at: Optional[str] = typer.Option(None, "--at", help="the policy as it stood then (ISO)"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
    all_rules: bool = typer.Option(False, "--all", help="also rules not in force at --at"),
) -> None:
    """List the rules in force (at --at, default now), rebuilt from the ledger."""
    from skygate.policy.control import load_policy
    from skygate.timeutil import parse_time

    fmt = _fmt(fmt)
    when = _time(at, "--at") or parse_time("now")
    state = load_policy(at=when)
    payload = state.to_json(None if all_rules else when)
    payload["at"] = when.isoformat()
    if fmt == "json":
        emit_json(payload)
        return
    print(f"policy at {when.isoformat()} (ledger root {state.version[:16]}…, "
          f"{state.size} entries): {len(payload['rules'])} rules")
    for rule in payload["rules"]:
        print(f"  {rule['description']}")


@policy_app.command("map")
def map_cmd(
    out: Path = typer.Option(..., "--out", help="GeoJSON file to write"),
    region: Optional[str] = typer.Option(None, "--region", help="region code"),
    bbox: Optional[str] = typer.Option(None, "--bbox", help="W,S,E,N in degrees"),
    at: Optional[str] = typer.Option(None, "--at", help="ISO time with zone (default now)"),
    terminal: str = typer.Option("fixed", "--terminal", help="terminal kind for 'allowed'"),
    speed_kmh: Optional[float] = typer.Option(None, "--speed-kmh", help="terminal speed, km/h"),
    ocean_mode: bool = typer.Option(False, "--ocean-mode", help="maritime: Ocean Mode on"),
) -> None:
    """Write the status of every cell of a region or box as a GeoJSON FeatureCollection
    (RFC 7946: cells crossing ±180° are split into MultiPolygons)."""
    from datetime import timedelta

    import numpy as np

    from skygate.earth import cells as _cells
    from skygate.earth.regions import get_region_index
    from skygate.policy import compile_policy
    from skygate.policy.control import load_policy
    from skygate.policy.model import STATUSES
    from skygate.timeutil import parse_time

    if (region is None) == (bbox is None):
        raise InputError("give exactly one of --region or --bbox", where="policy map",
                         hint="e.g. --region TW or --bbox 119,21.5,122.5,25.5")
    if region is not None:
        cells = get_region_index().region_cells(region, 5)
    else:
        try:
            w, s, e, n = (float(x) for x in bbox.split(","))
        except ValueError:
            raise InputError(f"cannot read {bbox!r} as W,S,E,N", where="--bbox",
                             hint="four numbers in degrees, e.g. 119,21.5,122.5,25.5") from None
        cells = _cells.cells_in_bbox(w, s, e, n, 5)
    if cells.size > 200_000:
        raise InputError(f"{cells.size:,} cells is too many for one GeoJSON file",
                         where="--region/--bbox", hint="choose a smaller region or box")
    when = _time(at, "--at") or parse_time("now")
    state = load_policy()
    comp = compile_policy(state, when, when + timedelta(seconds=1), cells=cells, terminal=terminal,
                          speed_kmh=speed_kmh, ocean_mode=ocean_mode)
    speed = comp.max_speed_kmh
    props = {
        "region": np.asarray(comp.region_codes)[comp.region_id],
        "status": np.asarray(STATUSES)[comp.status],
        "terminal_allowed": comp.terminal_allowed, "beam_allowed": comp.beam_allowed,
        "transmit_allowed": comp.transmit_allowed,
        "max_speed_kmh": np.where(np.isnan(speed), None, speed).astype(object),
    }
    fc = _cells.cell_boundaries_geojson(comp.cells, props, antimeridian="split")
    fc["properties"] = {"at": when.isoformat(), "terminal": terminal,
                        "policy_version": comp.policy_version}
    out.write_text(json.dumps(fc, allow_nan=False), encoding="utf-8")
    print(f"wrote {comp.cells.size} cells to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
