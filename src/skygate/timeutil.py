"""Time handling: timezone-aware UTC at the edges, ``datetime64[ns]`` and Julian dates inside.

Why so strict: a naive ``datetime`` is ambiguous (local time? UTC?), and an orbit propagated
one hour off puts a LEO satellite ~27,000 km from where it is. So naive datetimes are an error
that says how to fix it, never silently assumed to be UTC.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Iterable

import numpy as np

from skygate.errors import TimeInputError

__all__ = [
    "UTC",
    "parse_time",
    "parse_duration",
    "as_utc",
    "to_datetime64",
    "datetime64_to_jd",
    "time_grid",
    "format_time",
]

UTC = timezone.utc
_NS_PER_DAY = 86_400 * 10**9
# Julian date of the Unix epoch 1970-01-01T00:00:00 UTC.
_JD_UNIX_EPOCH = 2440587.5


def as_utc(value: datetime, *, field: str = "time") -> datetime:
    """Return ``value`` converted to UTC; a naive datetime is an error (it is ambiguous)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise TimeInputError(
            f"{value.isoformat()} has no time zone",
            where=field,
            hint="give an aware time, e.g. 2026-02-24T12:00:00Z or datetime(..., tzinfo=timezone.utc)",
        )
    return value.astimezone(UTC)


def parse_time(text: str | datetime, *, field: str = "time") -> datetime:
    """Parse an ISO 8601 time that names its zone ('Z' or '+hh:mm'); returns aware UTC."""
    if isinstance(text, datetime):
        return as_utc(text, field=field)
    raw = text.strip()
    if raw.lower() == "now":
        return datetime.now(UTC)
    iso = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        raise TimeInputError(
            f"cannot read {text!r} as a time",
            where=field,
            hint="use ISO 8601 with a zone, e.g. 2026-02-24T12:00:00Z",
        ) from None
    return as_utc(value, field=field)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|min|s|ms)", re.IGNORECASE)
_UNIT_S = {"d": 86400.0, "h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0, "ms": 1e-3}


def parse_duration(text: str | float | int | timedelta, *, field: str = "duration") -> timedelta:
    """Parse '90m', '1h30m', '24h', '15s', '2d' (or a number of seconds) into a timedelta."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, (int, float)):
        return timedelta(seconds=float(text))
    raw = text.strip().replace(" ", "")
    pos, total = 0, 0.0
    for match in _DURATION.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_S[match.group(2).lower()]
        pos = match.end()
    if pos != len(raw) or not raw:
        try:
            total = float(raw)
        except ValueError:
            raise TimeInputError(
                f"cannot read {text!r} as a duration",
                where=field,
                hint="use a number with units: 90m, 1h30m, 24h, 15s, 2d",
            ) from None
    if total <= 0:
        raise TimeInputError(f"duration {text!r} must be positive", where=field)
    return timedelta(seconds=total)


def to_datetime64(times: datetime | Iterable[datetime] | np.ndarray) -> np.ndarray:
    """Aware datetime(s) or a ``datetime64`` array → 1-D ``datetime64[ns]`` array (UTC)."""
    if isinstance(times, np.ndarray) and np.issubdtype(times.dtype, np.datetime64):
        return np.atleast_1d(times.astype("datetime64[ns]"))
    if isinstance(times, datetime):
        times = [times]
    out = [np.datetime64(as_utc(t).replace(tzinfo=None), "ns") for t in times]
    return np.array(out, dtype="datetime64[ns]")


def datetime64_to_jd(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``datetime64`` (UTC) → two-part Julian date ``(jd, fr)`` as ``sgp4`` wants it.

    ``jd`` is the whole-day part at midnight (x.5) and ``fr`` the fraction of the day, so no
    precision is lost to a single float64 (which would keep only ~20 µs near JD 2.46e6).
    """
    ns = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    days, rem = np.divmod(ns, _NS_PER_DAY)
    jd = days.astype(np.float64) + _JD_UNIX_EPOCH
    fr = rem.astype(np.float64) / _NS_PER_DAY
    return jd, fr


def time_grid(start: datetime, duration: timedelta, step: timedelta) -> np.ndarray:
    """Times ``start, start+step, ...`` up to and including ``start+duration`` (datetime64[ns])."""
    start64 = to_datetime64(start)[0]
    step_ns = int(step.total_seconds() * 1e9)
    if step_ns <= 0:
        raise TimeInputError("step must be positive", where="step")
    n = int(duration.total_seconds() * 1e9 // step_ns) + 1
    return start64 + np.arange(n, dtype=np.int64) * np.timedelta64(step_ns, "ns")


def format_time(t: np.datetime64 | datetime) -> str:
    """One time as ISO 8601 UTC with a 'Z' (seconds precision)."""
    if isinstance(t, datetime):
        return as_utc(t).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(np.datetime_as_string(np.datetime64(t, "s"))) + "Z"
