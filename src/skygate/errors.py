"""The exceptions skygate raises, drawn in one place.

Every error a *user* can cause (a bad file, a bad coordinate, a naive datetime, an unknown
region code) is a :class:`SkygateError`. The CLI and the API turn these into one clear message
(and a non-zero exit or a 4xx answer) instead of a traceback. Anything else is a bug.

::

    SkygateError
    ├── InputError               bad user input; carries where (file, line, field) and a hint
    │   ├── ElementSetError      a TLE/OMM file or line that cannot be parsed
    │   ├── CoordinateError      latitude/longitude/altitude out of range
    │   ├── TimeInputError       unparseable time, or a datetime without a time zone
    │   ├── GeometryError        GeoJSON that is invalid and cannot be repaired
    │   ├── UnknownRegionError   a region code that does not exist (suggests the closest)
    │   └── ScenarioError        a scenario file that does not validate
    ├── PolicyError              a policy change that is not allowed (e.g. self-approval)
    ├── LedgerIntegrityError     the ledger's hash chain does not verify
    ├── StoreError               the database cannot be used (e.g. newer schema than this code)
    └── PermissionDenied         an actor lacks the role or country for an action
"""

from __future__ import annotations

__all__ = [
    "SkygateError",
    "InputError",
    "ElementSetError",
    "CoordinateError",
    "TimeInputError",
    "GeometryError",
    "UnknownRegionError",
    "ScenarioError",
    "PolicyError",
    "LedgerIntegrityError",
    "StoreError",
    "PermissionDenied",
]


class SkygateError(Exception):
    """Base class of every error skygate raises on purpose."""


class InputError(SkygateError, ValueError):
    """Bad user input. ``where`` names the file/line/field; ``hint`` says how to fix it."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ElementSetError(InputError):
    """A TLE/3LE/OMM file, line or field that cannot be parsed."""


class CoordinateError(InputError):
    """A latitude, longitude or altitude outside its valid range."""


class TimeInputError(InputError):
    """An unparseable time, or a naive datetime (skygate wants time-zone-aware UTC)."""


class GeometryError(InputError):
    """GeoJSON geometry that is invalid and could not be repaired."""


class UnknownRegionError(InputError):
    """A region code that does not exist; the message suggests the closest known codes."""


class ScenarioError(InputError):
    """A scenario file that does not validate."""


class PolicyError(SkygateError):
    """A policy change that breaks a rule of the control plane (e.g. self-approval)."""


class LedgerIntegrityError(SkygateError):
    """The ledger's hash chain does not verify; ``entry`` names the first bad entry."""

    def __init__(self, message: str, *, entry: int | None = None):
        self.entry = entry
        super().__init__(message)


class StoreError(SkygateError):
    """The database cannot be used as asked (wrong URL, newer schema than this code, ...)."""


class PermissionDenied(SkygateError):
    """An actor lacks the role (or the country) needed for an action."""
