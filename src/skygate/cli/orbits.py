"""Orbit commands: ``constellation info``, ``visible``, ``track``; the demo's sky report.

Machine-readable contract (later checks rely on it):

* ``skygate constellation info [--source SRC] [--format table|json]``
* ``skygate visible --lat DEG --lon DEG [--alt-m M] --at ISO8601 [--min-elevation DEG]
  [--source SRC] [--format table|json]`` — JSON: a list of objects with ``norad_id``,
  ``name``, ``elevation_deg``, ``azimuth_deg``, ``range_km`` (and ``shell``), highest first.
* ``skygate track NORAD_ID --start ISO --duration 90m --step 30s [--source SRC]
  [--format csv|geojson]`` — GeoJSON Feature: a LineString, or a MultiLineString split at
  the antimeridian (RFC 7946 §3.1.9).

Stale element sets produce one warning line with counts on stderr.
"""

from __future__ import annotations

import csv
import enum
import sys
from datetime import datetime

import numpy as np
import typer
from rich.table import Table

from skygate.cli._common import emit_json, stdout
from skygate.earth.geodesy import (
    DEFAULT_MIN_ELEVATION_DEG,
    check_coordinates,
    subsatellite_points,
    visible_satellites,
)
from skygate.orbits import DEFAULT_STALE_DAYS, SGP4_ERRORS, Constellation, propagate
from skygate.timeutil import format_time, parse_duration, parse_time, time_grid

__all__ = ["register", "DEMO_PLACES", "sky_report", "demo_report", "print_demo_report",
           "track_geojson", "split_antimeridian"]

# Demo places: (name, latitude deg N, longitude deg E). City-centre coordinates.
DEMO_PLACES = (("Taipei", 25.0330, 121.5654), ("Kyiv", 50.4501, 30.5234))

_SOURCE_HELP = ("constellation: 'starlink' (bundled 2026-02-24 snapshot, default), "
                "'starlink-gen1', 'starlink-gen2-2022', 'kuiper', or a TLE/OMM/.toml path")


class TableOrJson(str, enum.Enum):
    table = "table"
    json = "json"


class TrackFormat(str, enum.Enum):
    csv = "csv"
    geojson = "geojson"


def _warn(message: str) -> None:
    print(f"skygate: warning: {message}", file=sys.stderr)


def _load(source: str | None) -> Constellation:
    return Constellation.load(source)


def _warn_if_stale(constellation: Constellation, at, max_age_days=DEFAULT_STALE_DAYS) -> None:
    report = constellation.stale_report(at, max_age_days)
    if report.stale:
        _warn(report.message)


def _shell_name(constellation: Constellation, shell_id: int) -> str | None:
    if shell_id < 0 or shell_id >= len(constellation.shells):
        return None
    return constellation.shells[shell_id].name


# ---------------------------------------------------------------------------- library helpers


def sky_report(constellation: Constellation, lat_deg: float, lon_deg: float, alt_km: float,
               at: datetime, min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG) -> list[dict]:
    """Satellites in view from one place at one time, highest first, as JSON-ready dicts."""
    view = visible_satellites(constellation, lat_deg, lon_deg, alt_km, at, min_elevation_deg)
    return [
        {"norad_id": int(nid), "name": str(name), "elevation_deg": round(float(el), 4),
         "azimuth_deg": round(float(az), 4), "range_km": round(float(rng), 3),
         "shell": _shell_name(constellation, int(constellation.shell[i]))}
        for i, nid, name, el, az, rng in zip(view["index"], view["norad_id"], view["name"],
                                             view["elevation_deg"], view["azimuth_deg"],
                                             view["range_km"])
    ]


def demo_report(constellation: Constellation | None = None, at: datetime | None = None,
                places=DEMO_PLACES, min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG
                ) -> dict:
    """For each place: satellites in view above the mask and the best (highest) one, plus the
    constellation summary. Defaults: bundled snapshot at its median epoch, Taipei and Kyiv."""
    constellation = constellation or Constellation.load()
    at = at or constellation.reference_time
    rows = []
    for name, lat, lon in places:
        sky = sky_report(constellation, lat, lon, 0.0, at, min_elevation_deg)
        rows.append({"place": name, "lat_deg": lat, "lon_deg": lon, "in_view": len(sky),
                     "best": sky[0] if sky else None})
    return {"at": format_time(at), "min_elevation_deg": min_elevation_deg, "places": rows,
            "constellation": constellation.summary(at)}


def print_demo_report(report: dict) -> None:
    """Human-readable rendering of :func:`demo_report` on stdout."""
    summary = report["constellation"]
    stdout.print(f"[bold]skygate demo[/bold] — {summary['source']}")
    stdout.print(f"{summary['satellites']:,} satellites, epochs {summary['epoch_min']} … "
                 f"{summary['epoch_max']}; sky at {report['at']}, "
                 f"mask {report['min_elevation_deg']:g}° (FCC 21-48)\n")
    for row in report["places"]:
        best = row["best"]
        line = (f"{row['place']:<8} ({row['lat_deg']:.4f}, {row['lon_deg']:.4f}): "
                f"{row['in_view']} satellites in view")
        if best:
            line += (f"; best {best['name']} (NORAD {best['norad_id']}) at "
                     f"{best['elevation_deg']:.1f}° elevation, azimuth {best['azimuth_deg']:.1f}°, "
                     f"{best['range_km']:.0f} km")
        stdout.print(line)
    stdout.print()
    _print_summary(summary)


def _print_summary(summary: dict) -> None:
    table = Table(title=f"{summary['source']}: {summary['satellites']:,} satellites")
    for column in ("shell", "inclination °", "altitude km", "satellites", "planes × per plane"):
        table.add_column(column, justify="right" if column != "shell" else "left")
    for shell in summary["shells"]:
        layout = (f"{shell['planes']} × {shell['sats_per_plane']}" if shell["planes"] > 0 else "—")
        table.add_row(shell["name"], f"{shell['inclination_deg']:.2f}",
                      f"{shell['altitude_km']:.1f}", f"{shell['count']:,}", layout)
    if summary["in_transit"]:
        table.add_row("in transit", "", "", f"{summary['in_transit']:,}", "")
    stdout.print(table)
    stdout.print(f"epochs {summary['epoch_min']} … {summary['epoch_max']} "
                 f"(spread {summary['epoch_spread_days']:.1f} days, median "
                 f"{summary['epoch_median']}); {summary['stale']} element sets more than "
                 f"{summary['stale_max_age_days']:g} days from {summary['stale_reference_time']}")


def split_antimeridian(lon_deg: np.ndarray, lat_deg: np.ndarray) -> list[list[list[float]]]:
    """Split a track into lines wherever it crosses ±180° (or has a NaN gap).

    At each crossing both pieces get a vertex exactly on the meridian (latitude interpolated
    on the unwrapped longitude), so drawn lines meet at the map edge without a wrap-around
    stroke across the whole map.
    """
    lines, current = [], []
    for k in range(len(lon_deg)):
        lon, lat = float(lon_deg[k]), float(lat_deg[k])
        if not (np.isfinite(lon) and np.isfinite(lat)):
            if len(current) > 1:
                lines.append(current)
            current = []
            continue
        if current and abs(lon - current[-1][0]) > 180.0:
            prev_lon, prev_lat = current[-1]
            edge = 180.0 if prev_lon > 0 else -180.0
            unwrapped = lon + 360.0 if prev_lon > 0 else lon - 360.0
            frac = (edge - prev_lon) / (unwrapped - prev_lon)
            cross_lat = prev_lat + frac * (lat - prev_lat)
            current.append([edge, round(cross_lat, 6)])
            lines.append(current)
            current = [[-edge, round(cross_lat, 6)]]
        current.append([round(lon, 6), round(lat, 6)])
    if len(current) > 1:
        lines.append(current)
    return lines


def track_geojson(name: str, norad_id: int, times: np.ndarray, lon_deg, lat_deg,
                  alt_km) -> dict:
    """A GeoJSON Feature for a ground track (LineString, or MultiLineString when split)."""
    lines = split_antimeridian(lon_deg, lat_deg)
    if len(lines) == 1:
        geometry = {"type": "LineString", "coordinates": lines[0]}
    else:
        geometry = {"type": "MultiLineString", "coordinates": lines}
    step_s = (float((times[1] - times[0]) / np.timedelta64(1, "s")) if times.size > 1 else 0.0)
    return {"type": "Feature", "geometry": geometry,
            "properties": {"norad_id": norad_id, "name": name, "start": format_time(times[0]),
                           "end": format_time(times[-1]), "step_s": step_s,
                           "points": int(times.size),
                           "mean_altitude_km": round(float(np.nanmean(alt_km)), 3)
                           if np.isfinite(alt_km).any() else None}}


# ---------------------------------------------------------------------------- commands


def constellation_info(
    source: str = typer.Option(None, "--source", help=_SOURCE_HELP),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="table or json"),
    at: str = typer.Option(None, "--at", help="time for the stale count (default: median epoch)"),
    stale_days: float = typer.Option(DEFAULT_STALE_DAYS, "--stale-days",
                                     help="element sets further than this from --at are stale"),
) -> None:
    """Satellites per shell, epoch spread and stale element sets of a constellation."""
    constellation = _load(source)
    when = parse_time(at, field="--at") if at else None
    summary = constellation.summary(when, stale_days)
    if summary["stale"]:
        _warn(constellation.stale_report(when, stale_days).message)
    if format is TableOrJson.json:
        emit_json(summary)
    else:
        _print_summary(summary)


def visible(
    lat: float = typer.Option(..., "--lat", help="observer latitude, degrees north"),
    lon: float = typer.Option(..., "--lon", help="observer longitude, degrees east"),
    alt_m: float = typer.Option(0.0, "--alt-m", help="observer height above the ellipsoid, m"),
    at: str = typer.Option(None, "--at", help="ISO 8601 time with zone (default: median epoch)"),
    min_elevation: float = typer.Option(DEFAULT_MIN_ELEVATION_DEG, "--min-elevation",
                                        help="elevation mask, degrees (25 = FCC 21-48)"),
    source: str = typer.Option(None, "--source", help=_SOURCE_HELP),
    format: TableOrJson = typer.Option(TableOrJson.table, "--format", help="table or json"),
) -> None:
    """Satellites above the elevation mask from one place at one time, highest first."""
    check_coordinates(lat, lon, alt_m / 1000.0)
    if not -90.0 <= min_elevation <= 90.0:
        raise typer.BadParameter("must be within −90…90", param_hint="--min-elevation")
    constellation = _load(source)
    when = parse_time(at, field="--at") if at else constellation.reference_time
    _warn_if_stale(constellation, when)
    rows = sky_report(constellation, lat, lon, alt_m / 1000.0, when, min_elevation)
    if format is TableOrJson.json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} satellites above {min_elevation:g}° from "
                        f"({lat:g}, {lon:g}) at {format_time(when)}")
    for column in ("NORAD", "name", "elevation °", "azimuth °", "range km", "shell"):
        table.add_column(column, justify="left" if column in ("name", "shell") else "right")
    for row in rows:
        table.add_row(str(row["norad_id"]), row["name"], f"{row['elevation_deg']:.2f}",
                      f"{row['azimuth_deg']:.2f}", f"{row['range_km']:.1f}", row["shell"] or "")
    stdout.print(table)


def track(
    norad_id: int = typer.Argument(..., help="catalogue number of the satellite"),
    start: str = typer.Option(None, "--start", help="ISO 8601 start with zone "
                                                    "(default: median epoch)"),
    duration: str = typer.Option("90m", "--duration", help="e.g. 90m, 2h, 1d"),
    step: str = typer.Option("30s", "--step", help="e.g. 30s, 1m"),
    source: str = typer.Option(None, "--source", help=_SOURCE_HELP),
    format: TrackFormat = typer.Option(TrackFormat.geojson, "--format", help="csv or geojson"),
) -> None:
    """Ground track of one satellite (sub-satellite points) as CSV or GeoJSON."""
    constellation = _load(source)
    index = constellation.index_of(norad_id)
    sat = constellation.subset([index])
    begin = parse_time(start, field="--start") if start else constellation.reference_time
    times = time_grid(begin, parse_duration(duration), parse_duration(step, field="--step"))
    if times.size > 1_000_000:
        raise typer.BadParameter(f"{times.size:,} points; use a longer --step",
                                 param_hint="--step")
    _warn_if_stale(sat, times)
    eph = propagate(sat, times)
    lat, lon, alt = subsatellite_points(eph.r_ecef_km[0])
    failed = int(np.count_nonzero(eph.error[0]))
    if failed:
        code = int(eph.error[0][eph.error[0] != 0][0])
        _warn(f"propagation failed at {failed} of {times.size} times "
              f"(sgp4 error {code}: {SGP4_ERRORS.get(code, 'unknown')})")
    name = str(constellation.names[index])
    if format is TrackFormat.geojson:
        emit_json(track_geojson(name, int(norad_id), times, lon, lat, alt))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["time", "norad_id", "lat_deg", "lon_deg", "alt_km", "error"])
    for k in range(times.size):
        ok = eph.error[0, k] == 0
        writer.writerow([format_time(times[k]), int(norad_id),
                         f"{lat[k]:.6f}" if ok else "", f"{lon[k]:.6f}" if ok else "",
                         f"{alt[k]:.4f}" if ok else "", int(eph.error[0, k])])


def register(app: typer.Typer) -> None:
    """Attach the orbit commands to the main app."""
    group = typer.Typer(help="Constellations: shells, epochs, element sets.",
                        no_args_is_help=True)
    group.command("info")(constellation_info)
    app.add_typer(group, name="constellation")
    app.command("visible")(visible)
    app.command("track")(track)
    # ``skygate demo`` itself belongs to skygate.cli.sim (the flagship run); it prints
    # demo_report()'s Taipei/Kyiv lines first.
