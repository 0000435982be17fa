"""Reading areas from GeoJSON (RFC 7946) into shapely, with repair and clear errors.

What is accepted: a Polygon, MultiPolygon, GeometryCollection of those, a Feature, or a
FeatureCollection (all area features are unioned), given as a dict, JSON text or a file path.

What is fixed, and why:

* **Winding.** RFC 7946 §3.1.6 wants counter-clockwise exteriors but tells parsers not to
  reject the other order; rings are re-oriented with ``shapely.orient_polygons``.
* **The antimeridian.** A ring whose consecutive longitudes jump by more than 180° (e.g.
  179.5 → -179.5) is taken to cross ±180° (RFC 7946 §3.1.9 would have it cut in two, which
  many writers do not do); it is unwrapped, built as one polygon, and split at ±180° into
  parts inside [-180, 180]. Longitudes written beyond ±180 (e.g. 170 … 190) are split the
  same way. A ring that winds all the way round a pole is closed over that pole.
* **Unclosed rings** are closed (with a warning).
* **Invalid geometry** (a self-intersecting "bowtie", a hole outside its shell ...) is
  repaired with ``shapely.make_valid`` and a :class:`GeometryRepairWarning` that says what and
  where (``on_invalid="fix"``, the default), or refused with :class:`GeometryError`
  (``on_invalid="raise"``).

Anything that cannot be an area (points, lines, bad coordinates, latitudes beyond ±90) raises
:class:`GeometryError` naming the feature and ring.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from skygate.errors import GeometryError

__all__ = ["GeometryRepairWarning", "read_geojson", "to_geojson", "split_antimeridian"]

_WORLD = shapely.box(-180.0, -90.0, 180.0, 90.0)


class GeometryRepairWarning(UserWarning):
    """An input geometry was changed to make it valid; the message says what and where."""


def read_geojson(source: Any, *, on_invalid: str = "fix") -> shapely.MultiPolygon:
    """Parse GeoJSON into one valid MultiPolygon in lon/lat degrees inside [-180, 180].

    ``on_invalid``: ``"fix"`` (repair and warn) or ``"raise"`` (:class:`GeometryError`).
    """
    if on_invalid not in ("fix", "raise"):
        raise ValueError("on_invalid must be 'fix' or 'raise'")
    obj, origin = _load(source)
    parts = [
        _polygon(rings, f"{where}.coordinates{suffix}", on_invalid, origin)
        for where, rings, suffix in _areas(obj, "$", origin)
    ]
    if not parts:
        raise GeometryError("no Polygon or MultiPolygon found", where=origin,
                            hint="give a Polygon/MultiPolygon geometry, Feature or FeatureCollection")
    geom = shapely.union_all(parts)
    geom = _as_multipolygon(shapely.orient_polygons(geom, exterior_cw=False))
    if geom.is_empty or geom.area == 0.0:
        raise GeometryError("the area is empty after repair", where=origin,
                            hint="check that the rings enclose an area (lon, lat order)")
    return geom


def _load(source: Any) -> tuple[Any, str]:
    if isinstance(source, dict):
        return source, "<geojson>"
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise GeometryError(f"cannot read GeoJSON file: {exc.strerror}", where=str(path),
                                hint="check the path") from None
        return _parse(text, str(path)), str(path)
    if isinstance(source, str):
        return _parse(source, "<geojson text>"), "<geojson text>"
    raise GeometryError(f"cannot read GeoJSON from a {type(source).__name__}",
                        hint="pass a dict, JSON text or a file path")


def _parse(text: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeometryError(f"not valid JSON: {exc.msg}", where=f"{origin}:{exc.lineno}:{exc.colno}",
                            hint="GeoJSON is JSON; check brackets and commas there") from None


def _areas(obj: Any, where: str, origin: str):
    """Yield ``(where, rings, suffix)`` for every polygon in a GeoJSON object."""
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind == "FeatureCollection":
        for i, feat in enumerate(_member(obj, "features", list, where, origin)):
            yield from _areas(feat, f"{where}.features[{i}]", origin)
    elif kind == "Feature":
        geom = obj.get("geometry")
        if geom is not None:
            yield from _areas(geom, f"{where}.geometry", origin)
    elif kind == "GeometryCollection":
        for i, g in enumerate(_member(obj, "geometries", list, where, origin)):
            yield from _areas(g, f"{where}.geometries[{i}]", origin)
    elif kind == "Polygon":
        yield where, _member(obj, "coordinates", list, where, origin), ""
    elif kind == "MultiPolygon":
        for i, rings in enumerate(_member(obj, "coordinates", list, where, origin)):
            yield where, rings, f"[{i}]"
    else:
        raise GeometryError(f"a {kind or type(obj).__name__} is not an area", where=f"{origin} {where}",
                            hint="regions must be Polygon or MultiPolygon geometries (lon, lat)")


def _member(obj: dict, key: str, kind: type, where: str, origin: str) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind):
        raise GeometryError(f"'{key}' is missing or not a {kind.__name__}",
                            where=f"{origin} {where}", hint="see RFC 7946 §3")
    return value


def _ring(raw: Any, where: str, on_invalid: str) -> np.ndarray:
    try:
        arr = np.array([p[:2] for p in raw], dtype=np.float64)
    except (TypeError, ValueError, IndexError):
        raise GeometryError("ring positions must be [lon, lat] number pairs", where=where,
                            hint="e.g. [[30.0, 45.0], [31.0, 45.0], [31.0, 46.0], [30.0, 45.0]]") from None
    if arr.ndim != 2 or len(np.unique(arr, axis=0)) < 3 or not np.isfinite(arr).all():
        raise GeometryError("a ring needs at least 3 distinct finite [lon, lat] positions", where=where,
                            hint="a closed ring repeats its first position at the end (4+ positions)")
    if np.abs(arr[:, 1]).max() > 90.0:
        i = int(np.argmax(np.abs(arr[:, 1])))
        raise GeometryError(f"latitude {arr[i, 1]} at position {i} is beyond ±90", where=where,
                            hint="GeoJSON positions are [longitude, latitude]; were they swapped?")
    if np.abs(arr[:, 0]).max() > 540.0:
        raise GeometryError("longitude beyond ±540", where=where, hint="longitudes are degrees")
    if not np.array_equal(arr[0], arr[-1]):
        if on_invalid == "raise":
            raise GeometryError("ring is not closed (first position != last)", where=where,
                                hint="repeat the first position at the end (RFC 7946 §3.1.6)")
        warnings.warn(f"{where}: ring was not closed; closed it", GeometryRepairWarning, stacklevel=4)
        arr = np.vstack([arr, arr[:1]])
    return arr


def _unwrap(arr: np.ndarray) -> tuple[np.ndarray, float]:
    """Unwrap longitudes so no step exceeds 180°; return ring and net longitude turn."""
    d = np.diff(arr[:, 0])
    d = (d + 180.0) % 360.0 - 180.0
    out = arr.copy()
    out[1:, 0] = arr[0, 0] + np.cumsum(d)
    return out, float(out[-1, 0] - out[0, 0])


def _polygon(rings: list, where: str, on_invalid: str, origin: str) -> shapely.Geometry:
    if not rings:
        raise GeometryError("polygon without rings", where=f"{origin} {where}",
                            hint="a polygon is a list of rings: [exterior, hole, ...]")
    built = []
    for k, raw in enumerate(rings):
        arr = _ring(raw, f"{origin} {where}[{k}]", on_invalid)
        arr, turn = _unwrap(arr)
        if abs(turn) > 180.0:  # winds round a pole: close it over the pole
            pole = 90.0 if arr[:, 1].mean() > 0 else -90.0
            arr = np.vstack([arr, [[arr[-1, 0], pole], [arr[0, 0], pole], arr[0]]])
        if built and arr[:, 0].mean() - built[0][:, 0].mean() > 180.0:
            arr[:, 0] -= 360.0
        elif built and built[0][:, 0].mean() - arr[:, 0].mean() > 180.0:
            arr[:, 0] += 360.0
        built.append(arr)
    poly = shapely.Polygon(built[0], built[1:])
    if not poly.is_valid:
        reason = shapely.is_valid_reason(poly)
        if on_invalid == "raise":
            raise GeometryError(f"invalid polygon: {reason}", where=f"{origin} {where}",
                                hint="fix the ring there, or read with on_invalid='fix' to repair it")
        fixed = shapely.make_valid(poly)
        fixed = _as_multipolygon(fixed)
        warnings.warn(f"{origin} {where}: invalid polygon ({reason}); repaired with make_valid "
                      f"(area {poly.area:.6g} → {fixed.area:.6g} square degrees)",
                      GeometryRepairWarning, stacklevel=3)
        poly = fixed
    return split_antimeridian(poly)


def split_antimeridian(geom: shapely.Geometry) -> shapely.Geometry:
    """Cut a polygon given in unwrapped longitudes (any range) into parts inside ±180°."""
    w, _, e, _ = geom.bounds
    if w >= -180.0 and e <= 180.0:
        return geom
    parts = []
    for shift in range(-720, 721, 360):
        window = shapely.box(-180.0 - shift, -90.0, 180.0 - shift, 90.0)
        piece = shapely.intersection(geom, window)
        if not piece.is_empty and piece.area > 0:
            parts.append(shapely.transform(piece, lambda c, s=shift: c + np.array([s, 0.0])))
    return _as_multipolygon(shapely.union_all(parts))


def _as_multipolygon(geom: shapely.Geometry) -> shapely.MultiPolygon:
    if geom.geom_type == "MultiPolygon":
        return geom
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    polys = []
    for g in getattr(geom, "geoms", []):
        sub = _as_multipolygon(g)
        polys.extend(sub.geoms)
    return shapely.MultiPolygon(polys)


def to_geojson(geom: shapely.Geometry, precision: int = 7) -> dict:
    """A GeoJSON geometry dict (counter-clockwise exteriors, coordinates rounded)."""
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    mapping = json.loads(shapely.to_geojson(shapely.set_precision(geom, 10.0**-precision)))
    return mapping
