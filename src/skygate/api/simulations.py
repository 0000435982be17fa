"""Simulation results for the map: the runs ``skygate simulate`` / ``whatif`` / ``demo`` wrote.

A run is a folder holding ``summary.json`` (and, for the map, ``cells.geojson``), the files
whose layout :mod:`skygate.sim.writers` defines. The server looks for runs under one folder,
``SKYGATE_API_SIM_DIR`` (default ``out``, relative to the server's working directory: where
``skygate demo`` writes ``out/demo/`` and ``skygate simulate`` ``out/sim/``), up to three
levels deep (``out/demo/whatif-TW-available/`` is a run too).

A run is named by its path relative to that folder (``demo``,
``demo/whatif-TW-available``); requests name a run only by that name, which must be one
that the scan found, so no request can make the server read any other file. Files are
re-read when their modification time changes (a new ``skygate demo`` shows up without a
restart); a run still being written (no ``summary.json`` yet) is not listed.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skygate.errors import InputError

__all__ = ["SimulationRuns", "RunNotFound", "SUMMARY_FIELDS", "MAX_DEPTH"]

MAX_DEPTH = 3
#: What the run list shows of each ``summary.json`` (the full summary is one request away).
SUMMARY_FIELDS = ("scenario", "description", "start", "end", "step_s", "epochs", "cells",
                  "resolution", "focus_region", "policy_at", "policy_version", "policy_source",
                  "enforcement", "compliance", "totals", "generated_at")


class RunNotFound(InputError):
    """No simulation run of that name under the server's simulation folder."""


@dataclass(frozen=True)
class _Cached:
    mtime_ns: int
    value: Any


class SimulationRuns:
    """The runs under ``root`` (see the module docstring); thread-safe, cached by mtime."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._summaries: dict[Path, _Cached] = {}
        self._geojson_gz: dict[Path, _Cached] = {}

    def _run_dirs(self) -> dict[str, Path]:
        """Run name → folder, for every folder with a summary.json within MAX_DEPTH."""
        if not self.root.is_dir():
            return {}
        found = {}
        for depth in range(1, MAX_DEPTH + 1):
            for summary in sorted(self.root.glob("/".join(["*"] * depth) + "/summary.json")):
                run_dir = summary.parent
                if run_dir.is_dir() and not run_dir.is_symlink():
                    found[run_dir.relative_to(self.root).as_posix()] = run_dir
        return found

    def _summary(self, run_dir: Path) -> dict[str, Any] | None:
        path = run_dir / "summary.json"
        try:
            mtime = path.stat().st_mtime_ns
            cached = self._summaries.get(path)
            if cached is None or cached.mtime_ns != mtime:
                value = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(value, dict):
                    return None
                with self._lock:
                    self._summaries[path] = cached = _Cached(mtime, value)
            return cached.value
        except (OSError, ValueError):  # being rewritten, or not a run after all
            return None

    def list(self) -> list[dict[str, Any]]:
        """One entry per readable run, newest first: its name, key figures, and files."""
        runs = []
        for name, run_dir in self._run_dirs().items():
            summary = self._summary(run_dir)
            if summary is None:
                continue
            entry = {"id": name, **{k: summary.get(k) for k in SUMMARY_FIELDS}}
            entry["has_cells"] = (run_dir / "cells.geojson").is_file()
            entry["has_report"] = (run_dir / "report.html").is_file()
            runs.append(entry)
        runs.sort(key=lambda r: (str(r.get("generated_at") or ""), r["id"]), reverse=True)
        return runs

    def _dir_of(self, name: str) -> Path:
        runs = self._run_dirs()
        if name not in runs:
            known = ", ".join(sorted(runs)) or "none yet"
            raise RunNotFound(f"no simulation run {name!r} under {self.root} (runs: {known})",
                              where="run", hint="list them with GET /api/v1/simulations; "
                              "make one with `skygate demo` or `skygate simulate`")
        return runs[name]

    def summary(self, name: str) -> dict[str, Any]:
        """The run's full ``summary.json`` (without the server's own file paths)."""
        summary = self._summary(self._dir_of(name))
        if summary is None:
            raise RunNotFound(f"simulation run {name!r} has no readable summary.json",
                              where="run", hint="the run may still be writing; retry")
        return {k: v for k, v in summary.items() if k != "scenario_file"}

    def cells_geojson_gz(self, name: str) -> bytes:
        """The run's ``cells.geojson``, gzip-compressed (cached until the file changes)."""
        path = self._dir_of(name) / "cells.geojson"
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            raise RunNotFound(f"simulation run {name!r} has no cells.geojson", where="run",
                              hint="the map layer needs the run's cells.geojson") from None
        cached = self._geojson_gz.get(path)
        if cached is None or cached.mtime_ns != mtime:
            data = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
            with self._lock:
                self._geojson_gz.clear()  # keep one run's layer in memory at a time
                self._geojson_gz[path] = cached = _Cached(mtime, data)
        return cached.value
