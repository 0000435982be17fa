"""``report.html``: one self-contained page (matplotlib PNGs embedded as base64) that a
reader can open offline — satellites in view over the focus region through time, served
against demanded capacity, a map of coverage and policy status, and the compliance statement
with the policy version it was checked against.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from skygate.sim.compliance import compliance_statement

__all__ = ["write_report", "whatif_figure_html"]

_STATUS_COLOURS = {"available": "#2b8a3e", "waitlist": "#e8a33d", "coming_soon": "#5c7cfa",
                   "not_authorized": "#adb5bd"}


def _figure_png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plt():
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - the sim extra installs it
        return None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _read(path: Path, columns: list[str] | None = None) -> dict[str, np.ndarray]:
    table = pq.read_table(path, columns=columns)
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


def _sats_in_view(plt, regions, focus: str | None, epochs):
    fig, ax = plt.subplots(figsize=(8, 3.2))
    if focus and focus in set(regions["region"].tolist()):
        m = regions["region"] == focus
        t = regions["time"][m]
        ax.fill_between(t, regions["sats_in_view_min"][m], regions["sats_in_view_max"][m],
                        alpha=0.25, label=f"{focus}: min–max over cells")
        ax.plot(t, regions["sats_in_view_mean"][m], label=f"{focus}: mean per cell")
        ax.plot(t, regions["sats_serving"][m], label=f"{focus}: satellites serving", lw=1)
        if "focus_sats_over" in epochs and np.any(epochs["focus_sats_over"] > 0):
            ax.plot(epochs["time"], epochs["focus_sats_over"], color="#7048e8", lw=1,
                    label=f"{focus}: satellites over the region (in view of any cell)")
    ax.plot(epochs["time"], epochs["sats_in_view_mean"], "k--", lw=1,
            label="all cells: mean per cell")
    ax.set_ylabel("satellites above the mask")
    ax.set_title("Satellites in view through time")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="lower right")
    fig.autofmt_xdate()
    return fig


def _served(plt, epochs):
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot(epochs["time"], epochs["demand_gbps"], label="demanded")
    ax.plot(epochs["time"], epochs["served_gbps"], label="served")
    ax.set_ylabel("Gbps")
    ax.set_ylim(bottom=0)
    ax.set_title("Served vs demanded capacity")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return fig


def _map(plt, cells):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharex=True, sharey=True,
                             layout="constrained")
    lon = np.asarray(cells["lon_deg"])
    lat = np.asarray(cells["lat_deg"])
    size = max(0.5, min(12.0, 40000.0 / max(len(lon), 1)))
    colours = [_STATUS_COLOURS.get(s, "#000") for s in cells["status"]]
    axes[0].scatter(lon, lat, c=colours, s=size, marker="h", linewidths=0)
    sellable = np.isin(np.asarray(cells["status"]), ["available", "waitlist"])
    # restricted: a geofence, not merely a status (terminal_allowed is also False where the
    # status forbids service)
    restricted = ~np.asarray(cells["beam_allowed"]) | (~np.asarray(cells["terminal_allowed"]) & sellable)
    axes[0].scatter(lon[restricted], lat[restricted], c="#c92a2a", s=size, marker="h",
                    linewidths=0)
    for name, colour in {**_STATUS_COLOURS, "restricted": "#c92a2a"}.items():
        axes[0].scatter([], [], c=colour, marker="h", label=name)
    axes[0].legend(fontsize=7, loc="lower left")
    axes[0].set_title("Policy status per cell")
    served = np.asarray(cells["served_gbps_mean"])
    demand = np.asarray(cells["demand_gbps"])
    frac = np.where(demand > 0, served / np.where(demand > 0, demand, 1), np.nan)
    sc = axes[1].scatter(lon, lat, c=np.asarray(cells["sats_in_view_mean"]), s=size, marker="h",
                         linewidths=0, cmap="viridis")
    fig.colorbar(sc, ax=axes.tolist(), label="satellites in view (mean)", shrink=0.8)
    unserved = demand > 0
    unserved &= np.nan_to_num(frac, nan=1.0) < 0.999
    axes[1].scatter(lon[unserved], lat[unserved], facecolors="none", edgecolors="#c92a2a",
                    s=size * 2, marker="h", linewidths=0.4, label="demand not fully served")
    axes[1].legend(fontsize=7, loc="lower left")
    axes[1].set_title("Coverage")
    for ax in axes:
        ax.set_xlabel("longitude (°)")
        ax.set_aspect(1.0 / max(np.cos(np.radians(np.nanmean(lat))), 0.2), adjustable="box")
    axes[0].set_ylabel("latitude (°)")
    return fig


def _whatif_figure(plt, series: dict, region: str):
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5.2), sharex=True, layout="constrained")
    t = np.asarray(series["time"], dtype="datetime64[ms]")
    top.plot(t, series["sats_over"], color="#7048e8", label=f"satellites over {region}")
    top.plot(t, series["sats_serving_changed"], color="#2b8a3e",
             label=f"satellites serving {region} (changed policy)")
    top.set_ylabel("satellites")
    top.set_ylim(bottom=0)
    top.legend(fontsize=7, loc="lower right")
    bottom.plot(t, series["spare_gbps_base"], label=f"idle capacity over {region} (base)")
    bottom.plot(t, series["demand_gbps_changed"], label=f"{region} demand (changed)")
    bottom.plot(t, series["served_gbps_changed"], "--", label=f"{region} served (changed)")
    bottom.plot(t, series["neighbours_served_gbps_delta"], label="neighbours: served change")
    bottom.set_ylabel("Gbps")
    bottom.set_yscale("symlog", linthresh=1.0)
    bottom.legend(fontsize=7, loc="lower right")
    top.set_title(f"What if {region} were switched on: its sky, capacity and neighbours")
    fig.autofmt_xdate()
    return fig


def whatif_figure_html(result: dict) -> str:
    """The what-if's per-epoch figure as an ``<img>`` (empty without matplotlib or series)."""
    plt = _plt()
    series = result.get("series")
    if plt is None or not series:
        return ""
    png = _figure_png(_whatif_figure(plt, series, result["focus_region"]))
    return f'<img alt="what-if figure" src="data:image/png;base64,{png}">'


def _regions_table(summary: dict) -> str:
    head = ("<tr><th>region</th><th>status</th><th>cells</th><th>covered</th><th>sats in view "
            "(mean / min)</th><th>terminals</th><th>demand Gbps</th><th>served Gbps</th></tr>")
    rows = []
    for r in summary["regions"]:
        rows.append(
            f"<tr><td>{html.escape(r['region'])}</td><td>{r['status']}</td><td>{r['cells']}</td>"
            f"<td>{r['covered_fraction']:.1%}</td><td>{r['sats_in_view_mean']:.1f} / "
            f"{r['sats_in_view_min']}</td><td>{r['terminals']:,.0f}</td>"
            f"<td>{r['demand_gbps_mean']:.2f}</td><td>{r['served_gbps_mean']:.2f}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def write_report(out_dir: Path, summary: dict, extra_html: str = "") -> Path:
    """Write ``report.html`` from the files of a finished run in ``out_dir``."""
    out_dir = Path(out_dir)
    plt = _plt()
    images = []
    if plt is not None:
        epochs = _read(out_dir / "epochs.parquet")
        regions = _read(out_dir / "regions.parquet")
        cells = _read(out_dir / "cells.parquet",
                      ["lat_deg", "lon_deg", "status", "beam_allowed", "terminal_allowed",
                       "served_gbps_mean", "demand_gbps", "sats_in_view_mean"])
        images = [_figure_png(_sats_in_view(plt, regions, summary.get("focus_region"), epochs)),
                  _figure_png(_served(plt, epochs)), _figure_png(_map(plt, cells))]
    statement = html.escape(compliance_statement(summary))
    totals = summary["totals"]
    imgs = "".join(f'<img alt="figure" src="data:image/png;base64,{b}">' for b in images)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>skygate — {html.escape(summary['scenario'])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}
img{{max-width:100%;display:block;margin:1em 0}}table{{border-collapse:collapse;font-size:90%}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}th{{background:#f1f3f5}}
pre{{background:#f8f9fa;padding:1em;white-space:pre-wrap}}code{{font-size:90%}}</style></head><body>
<h1>skygate service simulation: {html.escape(summary['scenario'])}</h1>
<p>{html.escape(summary.get('description') or '')}</p>
<p><b>Window</b> {summary['start']} → {summary['end']} ({summary['epochs']} epochs of
{summary['step_s']:g} s, aligned to the operator's slots) · <b>constellation</b>
{html.escape(str(summary['constellation']['source']))} ({summary['constellation']['satellites']:,}
satellites, mask {summary['constellation']['min_elevation_deg']:g}°) · <b>cells</b>
{summary['cells']:,} (H3 res {summary['resolution']})</p>
<p><b>Policy</b> {html.escape(summary['policy_source'])}, version <code>{html.escape(summary['policy_version'])}</code>
— {html.escape(summary['policy_note'])}; enforcement {'on' if summary['enforcement'] else 'off'}.</p>
<p><b>Demand</b> {totals['terminals']:,.0f} terminals asking {totals['demand_gbps_mean']:.1f} Gbps;
<b>served</b> {totals['served_gbps_mean']:.1f} Gbps ({totals['served_fraction']:.1%});
{totals['handovers']:,} handovers.</p>
<h2>Compliance</h2><pre>{statement}</pre>
{extra_html}
<h2>Figures</h2>{imgs}
<h2>Regions</h2>{_regions_table(summary)}
<p style="font-size:80%;color:#666">Generated by skygate at {summary.get('generated_at', '')}.
Files beside this report: summary.json, epochs.parquet, regions.parquet, cells.parquet, cells.geojson.</p>
</body></html>
"""
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path

