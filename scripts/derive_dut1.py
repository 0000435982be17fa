"""Derive skygate's UT1−UTC table (``src/skygate/data/eop/ut1_utc.csv.gz``).

Why: SGP4's TEME frame turns with Greenwich Mean Sidereal Time, which runs on UT1, not UTC.
UT1−UTC (DUT1) reaches ±0.9 s; at LEO that is up to ~400 m along the ground track. skygate
ships a daily DUT1 table so its Earth-fixed positions agree with Skyfield to within a metre.

Source: the IERS ``finals2000A`` data bundled with Skyfield (``skyfield/data/iers.npz``, IERS
Rapid Service / Prediction Center; observed values, then IERS predictions about a year ahead),
read through ``load.timescale(builtin=True)``. After the end of that table Skyfield extrapolates
ΔT along its long-term curve, and so does this table (the predictions there are rough: treat
dates after the table's "observed until" note as ±0.1 s). No leap second has occurred since
2017-01-01, so daily samples interpolate linearly without a jump.

Run:  .venv/bin/python scripts/derive_dut1.py
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import skyfield
from skyfield.api import load

OUT = Path(__file__).resolve().parents[1] / "src" / "skygate" / "data" / "eop" / "ut1_utc.csv.gz"
FIRST, LAST = "2017-01-01", "2031-01-01"  # MJD 57754 … 62867


def main() -> None:
    ts = load.timescale(builtin=True)
    days = np.arange(np.datetime64(FIRST), np.datetime64(LAST), dtype="datetime64[D]")
    mjd = (days - np.datetime64("1858-11-17")).astype(int)
    t = ts.utc(1858, 11, 17 + mjd)
    dut1 = np.asarray(t.dut1)
    header = (f"# UT1-UTC in seconds at 00:00 UTC of each day (MJD). Derived by "
              f"scripts/derive_dut1.py from the IERS finals2000A data bundled with Skyfield "
              f"{skyfield.__version__}.\nmjd,ut1_utc_s\n")
    body = "".join(f"{m},{d:.7f}\n" for m, d in zip(mjd, dut1))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress((header + body).encode("ascii"), mtime=0))
    print(f"wrote {OUT} ({len(mjd)} days, {OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
