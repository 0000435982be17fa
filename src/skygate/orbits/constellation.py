"""The :class:`Constellation`: arrays over satellites, from real element sets or filed designs.

A constellation is format-neutral: ``__init__`` takes arrays, and alternate constructors read
each input (``from_tle``, ``from_omm``, ``from_walker``; ``load`` picks one from a name or a
path). Every array is read-only and indexed by satellite, so ``subset`` can slice them all at
once and propagation can hand the whole set to ``sgp4``'s ``SatrecArray`` in one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Sequence

import numpy as np
from sgp4.api import Satrec, SatrecArray

from skygate.errors import ElementSetError, InputError
from skygate.orbits import elements as el
from skygate.orbits.shells import TRANSIT, ShellInfo, group_into_shells, mean_altitude_km
from skygate.orbits.walker import (
    SYNTHETIC_ID_BASE,
    WalkerDesign,
    WalkerShell,
    build_satrecs,
    builtin_designs,
    load_design,
)
from skygate.timeutil import UTC, to_datetime64

__all__ = ["Constellation", "SNAPSHOT_FILE", "snapshot_epoch", "builtin_sources"]

SNAPSHOT_FILE = "starlink_2026-02-24.tle.gz"
_SNAPSHOT_LABEL = "starlink (bundled CelesTrak snapshot fetched 2026-02-24T14:13:58Z)"
_NS_PER_DAY = 86_400 * 10**9


def builtin_sources() -> list[str]:
    """Names ``Constellation.load`` understands besides paths."""
    return ["starlink", *builtin_designs()]


@dataclass(frozen=True, eq=False)
class Constellation:
    """Satellites as parallel arrays (index i is one satellite everywhere).

    ``shell``, ``plane`` and ``slot`` are int32 with -1 where unknown (a real satellite's plane
    and slot, or a satellite in transit between shells); ``shells`` describes each shell id.
    """

    norad_ids: np.ndarray  # int64
    names: np.ndarray  # str (object)
    epochs: np.ndarray  # datetime64[ns], UTC
    shell: np.ndarray  # int32
    plane: np.ndarray  # int32
    slot: np.ndarray  # int32
    satrecs: tuple[Satrec, ...]
    source: str
    shells: tuple[ShellInfo, ...] = field(default=())

    def __post_init__(self) -> None:
        n = len(self.satrecs)
        casts = {"norad_ids": np.int64, "names": object, "epochs": "datetime64[ns]",
                 "shell": np.int32, "plane": np.int32, "slot": np.int32}
        for name, dtype in casts.items():
            array = np.array(getattr(self, name), dtype=dtype)
            if array.shape != (n,):
                raise ValueError(f"{name} has shape {array.shape}, expected ({n},)")
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        object.__setattr__(self, "satrecs", tuple(self.satrecs))

    def __len__(self) -> int:
        return len(self.satrecs)

    def __repr__(self) -> str:
        return f"Constellation({len(self)} satellites, {len(self.shells)} shells, {self.source!r})"

    # ------------------------------------------------------------------ derived views

    @cached_property
    def satrec_array(self) -> SatrecArray:
        """All satellites as one ``sgp4`` ``SatrecArray`` (built once, then reused)."""
        return SatrecArray(list(self.satrecs))

    @property
    def reference_epoch(self) -> np.datetime64:
        """The median element-set epoch (``datetime64[ns]``): the snapshot's "now"."""
        ns = np.median(self.epochs.astype(np.int64))
        return np.datetime64(int(round(ns)), "ns")

    @property
    def reference_time(self) -> datetime:
        """:attr:`reference_epoch` as an aware UTC ``datetime`` (microsecond precision)."""
        us = int(self.reference_epoch.astype("datetime64[us]").astype(np.int64))
        return datetime.fromtimestamp(0, UTC) + np.timedelta64(us, "us").item()

    def subset(self, mask_or_index) -> "Constellation":
        """A constellation of the selected satellites (boolean mask or integer indexes)."""
        index = np.asarray(mask_or_index)
        if index.dtype == bool:
            if index.shape != (len(self),):
                raise ValueError(f"mask has shape {index.shape}, expected ({len(self)},)")
            index = np.flatnonzero(index)
        index = np.atleast_1d(index).astype(np.intp)
        return Constellation(self.norad_ids[index], self.names[index], self.epochs[index],
                             self.shell[index], self.plane[index], self.slot[index],
                             tuple(self.satrecs[i] for i in index), self.source, self.shells)

    def index_of(self, norad_id: int) -> int:
        """Index of a catalogue number; an unknown number is an :class:`InputError`."""
        hits = np.flatnonzero(self.norad_ids == int(norad_id))
        if hits.size == 0:
            raise InputError(f"satellite {norad_id} is not in {self.source}", where="NORAD_ID",
                             hint="`skygate constellation info --format json` lists the shells; "
                                  f"ids here run {self.norad_ids.min()}…{self.norad_ids.max()}")
        return int(hits[0])

    def stale_report(self, at=None, max_age_days: float = el.DEFAULT_STALE_DAYS
                     ) -> el.StaleReport:
        """Element sets more than ``max_age_days`` from ``at`` (default: reference epoch)."""
        when = self.reference_epoch if at is None else _as_datetime64(at)
        return el.stale_report(self.epochs, when, max_age_days)

    def summary(self, at=None, max_age_days: float = el.DEFAULT_STALE_DAYS) -> dict:
        """A JSON-ready description: shells with counts, epoch spread, stale count."""
        stale = self.stale_report(at, max_age_days)
        counts = np.bincount(self.shell[self.shell >= 0], minlength=len(self.shells))
        shells = [{**s.as_dict(), "count": int(counts[s.id])} for s in self.shells]
        epochs = self.epochs
        return {
            "source": self.source,
            "satellites": len(self),
            "shells": shells,
            "in_transit": int(np.count_nonzero(self.shell == TRANSIT)),
            "epoch_min": _iso(epochs.min()), "epoch_median": _iso(self.reference_epoch),
            "epoch_max": _iso(epochs.max()),
            "epoch_spread_days": float((epochs.max() - epochs.min()).astype(np.int64)
                                       / _NS_PER_DAY),
            "stale": stale.stale, "stale_max_age_days": stale.max_age_days,
            "stale_reference_time": _iso(self.reference_epoch if at is None
                                         else _as_datetime64(at)),
        }

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_records(cls, records: Sequence[el.ElementRecord], source: str,
                     group_shells: bool = True) -> "Constellation":
        """From parsed element sets; shells found by :func:`group_into_shells`."""
        cols = el.records_to_arrays(records)
        n = len(records)
        if group_shells:
            incl_deg = np.degrees([s.inclo for s in cols["satrecs"]])
            shell, shells = group_into_shells(mean_altitude_km(cols["satrecs"]), incl_deg)
        else:
            shell, shells = np.full(n, TRANSIT), ()
        unknown = np.full(n, -1, dtype=np.int32)
        return cls(cols["norad_ids"], cols["names"], cols["epochs"], shell, unknown, unknown,
                   tuple(cols["satrecs"]), source, shells)

    @classmethod
    def from_tle(cls, source: str | Path | bytes, *, verify_checksum: bool = True,
                 label: str | None = None) -> "Constellation":
        """From a TLE/3LE file (path), or bytes; see :mod:`skygate.orbits.elements`."""
        records = el.read_elements(source, format="tle", verify_checksum=verify_checksum,
                                   label=label)
        return cls.from_records(records, label or str(source))

    @classmethod
    def from_omm(cls, source: str | Path | bytes, *, label: str | None = None
                 ) -> "Constellation":
        """From a CCSDS OMM file (JSON, CSV or XML, detected)."""
        records = el.read_elements(source, label=label)
        return cls.from_records(records, label or str(source))

    @classmethod
    def from_file(cls, path: str | Path) -> "Constellation":
        """From any element-set file, TLE or OMM, the format detected from its content."""
        return cls.from_records(el.read_elements(path), str(path))

    @classmethod
    def from_walker(cls, design: WalkerDesign | Sequence[WalkerShell], epoch=None
                    ) -> "Constellation":
        """Satellites of filed (or user) Walker-delta shells at ``epoch`` (default: snapshot)."""
        if not isinstance(design, WalkerDesign):
            design = WalkerDesign("custom", tuple(design))
        t64 = snapshot_epoch64() if epoch is None else _as_datetime64(epoch)
        sats, shell, plane, slot, infos = [], [], [], [], []
        for shell_id, spec in enumerate(design.shells):
            built, elements = build_satrecs(spec, t64, first_index=len(sats))
            sats += built
            shell.append(np.full(spec.total, shell_id))
            plane.append(elements["plane"])
            slot.append(elements["slot"])
            alt = spec.altitude_km if spec.altitude_km is not None else float(
                mean_altitude_km(built[:1])[0])
            infos.append(ShellInfo(shell_id, spec.name, alt, spec.inclination_deg, spec.total,
                                   spec.planes, spec.sats_per_plane, spec.phasing,
                                   spec.phasing_source or design.source))
        names = [f"{design.shells[s].name}-P{p:02d}-S{q:02d}" for s, p, q in
                 zip(np.concatenate(shell), np.concatenate(plane), np.concatenate(slot))]
        n = len(sats)
        return cls(SYNTHETIC_ID_BASE + np.arange(n), names, np.full(n, t64),
                   np.concatenate(shell), np.concatenate(plane), np.concatenate(slot),
                   tuple(sats), f"{design.name} (Walker design: {design.description or 'user shells'})",
                   tuple(infos))

    @classmethod
    def load(cls, src: str | Path | None = None, *, epoch=None) -> "Constellation":
        """A constellation by name or path.

        ``None``/``'starlink'``: the bundled 2026-02-24 snapshot (9,594 satellites).
        ``'starlink-gen1'``, ``'starlink-gen2-2022'``, ``'kuiper'``: filed Walker designs at
        ``epoch`` (default: the snapshot's median epoch). A ``.toml`` path: user shells. Any
        other path: a TLE/3LE or OMM (JSON/CSV/XML) file, gzip allowed.
        """
        if src is None or str(src).lower() == "starlink":
            return _bundled_snapshot()
        name = str(src)
        if name in builtin_designs():
            return cls.from_walker(builtin_designs()[name], epoch)
        path = Path(name).expanduser()
        if path.suffix.lower() == ".toml":
            return cls.from_walker(load_design(path), epoch)
        if not path.exists():
            raise ElementSetError(
                f"unknown source {name!r}: not a built-in name and no such file", where="--source",
                hint=f"built-in names: {', '.join(builtin_sources())}; or a TLE/OMM/.toml path")
        return cls.from_file(path)


# ---------------------------------------------------------------------------- helpers


def _as_datetime64(value) -> np.datetime64:
    if isinstance(value, np.datetime64):
        return np.datetime64(value, "ns")
    return to_datetime64(value)[0]


def _iso(t: np.datetime64) -> str:
    return str(np.datetime_as_string(np.datetime64(t, "ms"))) + "Z"


@lru_cache(maxsize=1)
def _bundled_snapshot() -> Constellation:
    data = resources.files("skygate").joinpath("data", "tle", SNAPSHOT_FILE).read_bytes()
    records = el.read_elements(data, format="tle", label=f"skygate/data/tle/{SNAPSHOT_FILE}")
    return Constellation.from_records(records, _SNAPSHOT_LABEL)


def snapshot_epoch64() -> np.datetime64:
    """The bundled snapshot's median epoch as ``datetime64[ns]``."""
    return _bundled_snapshot().reference_epoch


def snapshot_epoch() -> datetime:
    """The bundled snapshot's median element-set epoch, as an aware UTC datetime.

    The simulator and the demo start here by default: SGP4 is most accurate near the epochs.
    """
    return _bundled_snapshot().reference_time
