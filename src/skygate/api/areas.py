"""The map's area layer: authorizations scoped to cells or a GeoJSON area, merged into polygons.

Below the cell zoom the map fills whole countries with their own (region-wide) status. A rule
scoped to an area on top of a country — Crimea (``UA-43``, not authorized) inside Ukraine
(available), the operator's waitlist cells — wins over the country in every decision
(:mod:`skygate.policy.decision`, rule 2), so the map must draw it over the country too. Drawn
cell by cell that is thousands of hexagons (~250 bytes each); merged, a rule is a handful of
polygons: the preset's 3,296 waitlist cells and 175 Crimea cells become 87 polygons,
~63 kB of GeoJSON (~24 kB gzip) instead of ~0.9 MB.

What is drawn is exactly what is decided:

* each area-scoped authorization in force at the date, as the union of **its cells** (the
  cells decisions use, not the GeoJSON it was drawn from), merged with H3's own
  ``cells_to_h3shape`` (shared edges removed exactly, holes kept);
* features ordered by :func:`~skygate.policy.decision.authorization_key`, least specific
  first, so a client that paints them in order shows the winner where areas overlap (the
  same order :func:`~skygate.policy.decision.pick_authorization` uses);
* cells in a country under a region-wide ``terminal_disable`` restriction are left out: the
  restriction beats any authorization, and the country is drawn ``restricted`` underneath.
  Cell-scoped restrictions are their own layer (``/restrictions/areas``), drawn on top.

Authorizations are public rules (``GET /authorizations`` lists them to anyone), so their
status, label and area code are shown; nothing of a restriction is (who asked and why stay
with :mod:`skygate.api.redact`).

Longitudes are *unwrapped* as in ``/cells`` (a polygon across ±180° keeps going past 180, so
a web map draws one shape, not two slivers). Pole cells are closed over the pole.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

import numpy as np

__all__ = ["merged_geometry", "area_features", "AreaLayer"]

#: Coordinates are rounded to 1e-4° (~11 m): far below a res-5 cell's ~10 km edge, and
#: over 400 times finer than a pixel at zoom 5 (0.044° at the equator), the last zoom that
#: draws this layer.
_DIGITS = 4


def _continuous(ring: np.ndarray) -> np.ndarray:
    """A closed (lon, lat) ring with longitudes made continuous (no ±360° jumps) and shifted
    so that its westmost point lies in [-180, 180)."""
    ring = np.asarray(ring, dtype=np.float64).copy()
    ring[:, 0] = np.unwrap(ring[:, 0], period=360.0)
    ring[:, 0] -= 360.0 * np.floor((ring[:, 0].min() + 180.0) / 360.0)
    return ring


def _polygon(rings) -> list:
    """One GeoJSON polygon (outer ring, then holes) with holes kept beside their outer ring."""
    outer = _continuous(rings[0])
    mid = 0.5 * (outer[:, 0].min() + outer[:, 0].max())
    out = [outer]
    for hole in rings[1:]:
        hole = _continuous(hole)
        hole[:, 0] += 360.0 * np.round((mid - hole[:, 0].mean()) / 360.0)
        out.append(hole)
    return [np.round(r, _DIGITS).tolist() for r in out]


def merged_geometry(cells: np.ndarray) -> dict | None:
    """The union of H3 ``cells`` (uint64, one resolution) as a GeoJSON MultiPolygon, or
    None for no cells. Edges shared by two cells disappear; a gap inside is a hole."""
    import h3
    from h3.api import basic_int as h3i

    from skygate.earth.cells import cell_boundaries

    cells = np.unique(np.asarray(cells, dtype=np.uint64))
    if cells.size == 0:
        return None
    res = h3i.get_resolution(int(cells[0]))
    poles = np.array([h3i.latlng_to_cell(90.0, 0.0, res), h3i.latlng_to_cell(-90.0, 0.0, res)],
                     dtype=np.uint64)
    at_pole = np.isin(cells, poles)
    polygons = []
    rest = cells[~at_pole]
    if rest.size:
        geo = h3.h3shape_to_geo(h3i.cells_to_h3shape(rest.tolist()))
        parts = [geo["coordinates"]] if geo["type"] == "Polygon" else geo["coordinates"]
        polygons.extend(_polygon(rings) for rings in parts)
    # H3 cannot outline a cell that holds a pole on a lon/lat plane; the cell module closes
    # it over the pole (its ring is already planar).
    for ring in cell_boundaries(cells[at_pole]):
        polygons.append([np.round(ring, _DIGITS).tolist()])
    return {"type": "MultiPolygon", "coordinates": polygons}


def _cells_digest(cells: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(cells, dtype=np.uint64).tobytes(),
                           digest_size=16).hexdigest()


def _disabled_regions(state, at: datetime) -> frozenset[str]:
    """Countries under a region-wide ``terminal_disable`` restriction in force at ``at``."""
    return frozenset(r.scope.region for r in state.restrictions
                     if r.scope.kind == "region" and r.effect == "terminal_disable"
                     and r.in_force(at))


def _area_rules(state, at: datetime) -> list:
    """Area-scoped authorizations in force at ``at``, least specific first (draw order)."""
    from skygate.policy.decision import authorization_key

    rules = [a for a in state.authorizations if a.scope.kind != "region" and a.in_force(at)]
    return sorted(rules, key=authorization_key)


def _shown_cells(rule, disabled: frozenset[str]) -> np.ndarray:
    """The rule's cells, less those in a country that a region-wide restriction disables."""
    cells = rule.scope.cells
    if not disabled or cells.size == 0:
        return cells
    from skygate.earth.regions import get_region_index

    regions = get_region_index().cells_regions(cells)
    return cells[~np.isin(regions, list(disabled))]


def _properties(rule, n_cells: int) -> dict[str, Any]:
    from skygate.policy.model import iso_time

    scope = rule.scope
    ends = [t for t in (rule.valid_until, rule.revoked_at) if t is not None]  # window's end
    return {"id": rule.id, "status": rule.status, "label": rule.label, "code": scope.code,
            "name": scope.name, "scope": scope.kind, "region": _region_of(rule),
            "cells": n_cells, "valid_from": iso_time(rule.valid_from),
            "until": iso_time(min(ends)) if ends else None}


def _region_of(rule) -> str | None:
    """The one country all of an area's cells lie in, else None (e.g. waitlist cells of many
    countries)."""
    from skygate.earth.regions import get_region_index

    regions = np.unique(get_region_index().cells_regions(rule.scope.cells))
    return str(regions[0]) if regions.size == 1 else None


def area_features(state, at: datetime, geometry=merged_geometry) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the area-scoped authorizations of ``state`` in force at
    ``at``, one feature per rule, in draw order (later features win; see the module text).
    ``geometry`` turns a cell array into a geometry (a cache passes its memoized one)."""
    disabled = _disabled_regions(state, at)
    features = []
    for rule in _area_rules(state, at):
        cells = _shown_cells(rule, disabled)
        shape = geometry(cells)
        if shape is None:
            continue
        features.append({"type": "Feature", "properties": _properties(rule, int(cells.size)),
                         "geometry": shape})
    return {"type": "FeatureCollection", "features": features, "count": len(features),
            "order": "least specific first: where areas overlap, the later feature decides",
            "policy_version": state.version}


class AreaLayer:
    """:func:`area_features` as JSON bytes, cached per policy version and set of rules in
    force: dates between two policy changes share one body, and a set of cells is merged
    once for as long as the server runs (a new ledger entry does not merge old rules again)."""

    def __init__(self, max_bodies: int = 32, max_shapes: int = 256):
        self._lock = threading.Lock()
        self._bodies: OrderedDict[tuple, bytes] = OrderedDict()
        self._shapes: OrderedDict[str, dict | None] = OrderedDict()
        self.max_bodies, self.max_shapes = max_bodies, max_shapes

    def _shape(self, cells: np.ndarray) -> dict | None:
        key = _cells_digest(cells)
        with self._lock:
            if key in self._shapes:
                self._shapes.move_to_end(key)
                return self._shapes[key]
        shape = merged_geometry(cells)
        with self._lock:
            self._shapes[key] = shape
            while len(self._shapes) > self.max_shapes:
                self._shapes.popitem(last=False)
        return shape

    def geojson(self, state, at: datetime) -> bytes:
        """The layer at ``at`` as compact JSON, with ``"at"`` (ISO 8601 UTC) first."""
        from skygate.policy.model import iso_time

        key = (state.version, state.size, tuple(r.id for r in _area_rules(state, at)),
               _disabled_regions(state, at))
        with self._lock:
            raw = self._bodies.get(key)
            if raw is not None:
                self._bodies.move_to_end(key)
        if raw is None:
            collection = area_features(state, at, geometry=self._shape)
            raw = json.dumps(collection, separators=(",", ":")).encode()
            with self._lock:
                self._bodies[key] = raw
                while len(self._bodies) > self.max_bodies:
                    self._bodies.popitem(last=False)
        # The cached body is shared by every date with the same rules in force; the date
        # asked for goes in front of it.
        return b'{"at":' + json.dumps(iso_time(at)).encode() + b"," + raw[1:]
