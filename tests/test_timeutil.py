from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from skygate.errors import TimeInputError
from skygate.timeutil import datetime64_to_jd, parse_duration, parse_time, time_grid


def test_naive_time_is_an_error_that_says_so():
    with pytest.raises(TimeInputError, match="no time zone"):
        parse_time("2026-02-24T12:00:00")


def test_parse_time_converts_to_utc():
    t = parse_time("2026-02-24T14:00:00+02:00")
    assert t == datetime(2026, 2, 24, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text,seconds", [("90m", 5400), ("1h30m", 5400), ("15s", 15), ("2d", 172800), ("30", 30)]
)
def test_parse_duration(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["abc", "-5m", "5 parsecs", ""])
def test_bad_duration(text):
    with pytest.raises(TimeInputError):
        parse_duration(text)


def test_julian_date_of_j2000():
    # J2000.0 = 2000-01-01T12:00:00 TT; in UTC-as-sgp4-uses-it, JD 2451545.0 at noon.
    jd, fr = datetime64_to_jd(np.array(["2000-01-01T12:00:00"], dtype="datetime64[ns]"))
    assert jd[0] + fr[0] == pytest.approx(2451545.0, abs=1e-9)


def test_time_grid_includes_end():
    t0 = datetime(2026, 2, 24, tzinfo=timezone.utc)
    grid = time_grid(t0, timedelta(minutes=1), timedelta(seconds=15))
    assert len(grid) == 5
