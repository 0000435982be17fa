"""Policy files and the bundled presets (``skygate/data/presets/*.toml``).

A policy file is a list of changes in a readable form (see the header of
``data/presets/reported-2024-10.toml``); :func:`read_policy_file` turns it into the change
dicts that the ledger appends (``op``, ``actor``, ``reason``, ``after``, ``effective_at``,
``source``). The same function serves ``PolicyState.from_file`` and the seeding of a fresh
home, so a preset is nothing more than a policy file that ships with skygate.

Cell scopes are read from files next to the policy file: ``.txt`` (one H3 hex per line,
``#`` comments), ``.csv`` (an ``h3`` column, optional ``label``), ``.json`` (a list of hex
strings) or, for areas, ``.geojson`` (``geojson_file`` + ``name`` and an optional ``code``
such as ``UA-43`` that makes the area a region of its own on top of the country: the
preset's Crimea, which Natural Earth leaves in Ukraine).
"""

from __future__ import annotations

import csv
import json
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from skygate.errors import InputError
from skygate.policy.model import Authorization, Restriction, Scope, check_effect, check_status
from skygate.timeutil import parse_time

__all__ = ["PRESETS_DIR", "preset_names", "preset_path", "read_policy_file", "read_cells_file",
           "geojson_scope", "region_scope"]

PRESETS_DIR = Path(__file__).resolve().parent.parent / "data" / "presets"


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def preset_path(name: str) -> Path:
    path = PRESETS_DIR / f"{name}.toml"
    if not path.is_file():
        raise InputError(f"unknown policy preset {name!r}", where="SKYGATE_POLICY_PRESET",
                         hint=f"use one of {preset_names()} or 'none'")
    return path


def _hex_cells(values: list[str], where: str, lines: list[int] | None = None) -> np.ndarray:
    """Hex strings → ``uint64``; a bad one is named with its line (``file:line``) when the
    caller knows the line numbers."""
    out = np.empty(len(values), dtype=np.uint64)
    for i, value in enumerate(values):
        try:
            out[i] = int(str(value).strip().removeprefix("0x"), 16)
        except (ValueError, OverflowError):
            at = f"{where}:{lines[i]}" if lines else where
            raise InputError(f"{value!r} is not an H3 cell index", where=at,
                             hint="cells are 15-character hex strings such as 851e0c1bfffffff"
                             ) from None
    return out


def read_cells_file(path: str | Path) -> dict[str | None, np.ndarray]:
    """Cells from a .txt/.csv/.json file, grouped by ``label`` (None when unlabelled)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such cells file {path}", where="cells",
                         hint="give a .txt (one H3 hex per line), .csv (h3 column) or .json list")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", where=str(path),
                         hint="a cells file is text: one H3 hex per line, a CSV or a JSON list"
                         ) from None
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        if not rows or "h3" not in rows[0]:
            raise InputError("a cells CSV needs an 'h3' column", where=f"{path}:1")
        groups: dict[str | None, tuple[list[str], list[int]]] = {}
        for lineno, row in enumerate(rows, start=2):
            values, lines = groups.setdefault(row.get("label") or None, ([], []))
            values.append(row["h3"] or "")
            lines.append(lineno)
        return {k: _hex_cells(v, str(path), n) for k, (v, n) in groups.items()}
    if path.suffix.lower() == ".json":
        try:
            values = json.loads(text)
        except ValueError as exc:
            raise InputError(f"invalid JSON: {exc}", where=str(path)) from None
        if not isinstance(values, list):
            raise InputError("a cells JSON file must hold a list of H3 hex strings", where=str(path))
        return {None: _hex_cells([str(v) for v in values], str(path))}
    numbered = [(n, ln.split("#", 1)[0].strip()) for n, ln in enumerate(text.splitlines(), 1)]
    numbered = [(n, v) for n, v in numbered if v]
    return {None: _hex_cells([v for _, v in numbered], str(path), [n for n, _ in numbered])}


def _validate_cells(cells: np.ndarray, resolution: int, where: str) -> None:
    from h3.api import basic_int as h3i

    for c in np.unique(cells).tolist():
        if not h3i.is_valid_cell(c) or h3i.get_resolution(c) != resolution:
            raise InputError(f"{c:x} is not a valid resolution-{resolution} H3 cell", where=where,
                             hint=f"the policy grid is H3 resolution {resolution}")


def cells_scope(path: str | Path, name: str | None = None, *, resolution: int = 5,
                label: str | None = None) -> list[tuple[str | None, Scope]]:
    """One cell scope per label found in the file (a single one for unlabelled files)."""
    path = Path(path)
    out = []
    for lab, cells in read_cells_file(path).items():
        _validate_cells(cells, resolution, str(path))
        base = name or path.stem
        scope_name = f"{base}: {lab}" if lab else base
        out.append((lab if label is None else label, Scope.of_cells(cells, name=scope_name,
                                                                    resolution=resolution)))
    return out


def geojson_scope(source: Any, name: str, *, resolution: int = 5,
                  code: str | None = None) -> Scope:
    """A GeoJSON area (file, text or dict) as a scope: its repaired geometry and the cells
    whose centre lies inside (:class:`skygate.earth.regions.CustomRegion`). ``code`` names
    the area as a region of its own (e.g. ``UA-43``), reported by decisions."""
    from skygate.earth.geojson import to_geojson
    from skygate.earth.regions import CustomRegion

    region = CustomRegion.from_geojson(source, code=code or _code_of(name), name=name)
    cells = region.cells(resolution)
    if cells.size == 0:
        raise InputError(f"the area {name!r} contains no resolution-{resolution} cell centre",
                         where=str(source)[:80],
                         hint="a res-5 cell is ~253 km²; draw a larger polygon or list cells")
    return Scope.of_cells(cells, name=name, resolution=resolution,
                          geometry=to_geojson(region.geometry), code=code)


def _code_of(name: str) -> str:
    code = "".join(ch if ch.isalnum() or ch in "_-.:" else "_" for ch in name)[:40]
    return code or "area"


def region_scope(code: str) -> Scope:
    from skygate.earth.regions import get_region_index

    return Scope.of_region(get_region_index().check_code(code))


def _scopes(item: dict[str, Any], base: Path, where: str) -> list[tuple[str | None, Scope]]:
    keys = [k for k in ("region", "regions", "cells_file", "geojson_file") if k in item]
    if len(keys) != 1:
        raise InputError("give exactly one of region, regions, cells_file, geojson_file",
                         where=where, hint="e.g. region = \"TW\"")
    key = keys[0]
    if key == "region":
        return [(None, region_scope(item["region"]))]
    if key == "regions":
        return [(None, region_scope(c)) for c in item["regions"]]
    if key == "geojson_file":
        return [(None, geojson_scope(base / item["geojson_file"], item.get("name", "area"),
                                     code=item.get("code")))]
    scopes = cells_scope(base / item["cells_file"], item.get("name"))
    if not item.get("group_by_label", False) and len(scopes) > 1:
        merged = np.concatenate([s.cells for _, s in scopes])
        scopes = [(None, Scope.of_cells(merged, name=item.get("name") or "cells"))]
    return scopes


def _time(item: dict[str, Any], key: str, default: datetime | None, where: str):
    value = item.get(key)
    if value is None:
        return default
    if isinstance(value, datetime):
        value = value.isoformat()
    return parse_time(str(value), field=f"{where}.{key}")


def read_policy_file(path: str | Path) -> list[dict[str, Any]]:
    """Read a TOML or JSON policy file into ledger change dicts (validated)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such policy file {path}", where="policy file")
    try:
        data = (tomllib.loads(path.read_text(encoding="utf-8")) if path.suffix == ".toml"
                else json.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise InputError(f"cannot parse: {exc}", where=str(path)) from None
    head = data.get("preset", {})
    default_from = _time(head, "effective", None, f"{path}:[preset]")
    actor = head.get("actor", f"file:{path.name}")
    sources = data.get("sources", {})
    changes: list[dict[str, Any]] = []
    for kind in ("authorization", "restriction"):
        for i, item in enumerate(data.get(kind, [])):
            where = f"{path}:[[{kind}]] #{i + 1}"
            changes.extend(_changes(kind, item, path.parent, where, default_from, actor, sources,
                                    head.get("name", path.stem)))
    return changes


def _changes(kind, item, base, where, default_from, actor, sources, preset):
    valid_from = _time(item, "valid_from", default_from, where)
    if valid_from is None:
        raise InputError("no valid_from and no [preset] effective time", where=where,
                         hint="add effective = \"2024-10-25T00:00:00Z\" under [preset]")
    valid_until = _time(item, "valid_until", None, where)
    source = f"preset {preset}: {item.get('source', '')}".strip()
    out = []
    for label, scope in _scopes(item, base, where):
        rule = _rule(kind, item, scope, valid_from, valid_until, label, where)
        after = rule.to_dict()
        after.pop("id")
        out.append({
            "op": "authorize" if kind == "authorization" else "restrict",
            "actor": actor,
            "reason": item.get("reason") or f"{kind} from {preset}",
            "after": after,
            "effective_at": valid_from,
            "source": source,
        })
    return out


def _rule(kind, item, scope, valid_from, valid_until, label, where):
    common = dict(id=0, scope=scope, valid_from=valid_from, valid_until=valid_until,
                  revoked_at=None, revoked_by=None)
    try:
        if kind == "authorization":
            return Authorization(**common, status=check_status(item["status"]),
                                 label=label or item.get("label"),
                                 legal_basis=item.get("legal_basis"),
                                 max_speed_kmh=item.get("max_speed_kmh"),
                                 source=item.get("source"))
        return Restriction(**common, effect=check_effect(item["effect"]),
                           requested_by=item["requested_by"], approved_by=item["approved_by"],
                           reason=item.get("reason", ""), public=bool(item.get("public", True)),
                           source=item.get("source"))
    except KeyError as exc:
        raise InputError(f"missing field {exc.args[0]!r}", where=where) from None
    except InputError as exc:
        raise InputError(exc.message, where=where, hint=exc.hint) from None
