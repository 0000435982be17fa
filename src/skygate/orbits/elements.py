"""Element sets: reading TLE/3LE and CCSDS OMM (JSON, CSV, XML) into ``sgp4`` satellites.

Why so much checking before ``sgp4`` sees a line: the Two-Line Element format was designed for
punch cards, and a field shifted by one column still parses -- into a wrong orbit. So every
line is checked against the column template (as python-sgp4 prints it), its checksum is
verified, and an error names the file, the line number and the field, and shows the expected
layout under the user's line. OMM, the format that replaces TLE now that five-digit catalogue
numbers are running out, is read with ``sgp4.omm`` and checked field by field.

Accepted TLE variants: with or without name lines (3LE, optionally with Space-Track's ``0 ``
prefix), LF / CRLF / CR / mixed line endings, Alpha-5 catalogue numbers (``A0001`` = 100001),
``#`` comment lines and text after column 69 when separated by a blank (Vallado's verification
file keeps its start/stop/step times there). Files may be gzip-compressed.

All element sets use the WGS72 gravity model, the one the element sets are fitted with
(AIAA 2006-6753 §"Gravitational constants"), in SGP4's improved ('i') operation mode.
"""

from __future__ import annotations

import gzip
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from sgp4 import omm
from sgp4.api import WGS72, Satrec

from skygate.errors import ElementSetError

__all__ = [
    "ElementRecord",
    "FORMATS",
    "detect_format",
    "read_elements",
    "parse_tle",
    "parse_omm_json",
    "parse_omm_csv",
    "parse_omm_xml",
    "tle_checksum",
    "alpha5_to_int",
    "satrec_epoch",
    "records_to_arrays",
    "StaleReport",
    "stale_report",
    "DEFAULT_STALE_DAYS",
]

FORMATS = ("tle", "omm-json", "omm-csv", "omm-xml")

# The column templates python-sgp4 prints in its own TLE error (sgp4/io.py).
# N = digit (or blank where a number is right-aligned), C = classification, A = designator.
LINE1_TEMPLATE = "1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN"
LINE2_TEMPLATE = "2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"
TLE_LINE_LENGTH = 69

# (first column, last column) 1-based inclusive, and the field's name (CelesTrak's "TLE FAQ").
_LINE1_FIELDS = [
    (1, 1, "line number"), (3, 7, "catalog number"), (8, 8, "classification"),
    (10, 17, "international designator"), (19, 20, "epoch year"), (21, 32, "epoch day"),
    (34, 43, "first derivative of mean motion"), (45, 52, "second derivative of mean motion"),
    (54, 61, "BSTAR drag term"), (63, 63, "ephemeris type"), (65, 68, "element set number"),
    (69, 69, "checksum"),
]
_LINE2_FIELDS = [
    (1, 1, "line number"), (3, 7, "catalog number"), (9, 16, "inclination"),
    (18, 25, "right ascension of the ascending node"), (27, 33, "eccentricity"),
    (35, 42, "argument of perigee"), (44, 51, "mean anomaly"), (53, 63, "mean motion"),
    (64, 68, "revolution number"), (69, 69, "checksum"),
]
_ALPHA5 = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are skipped (they look like 1 and 0)

_OMM_REQUIRED = (
    "OBJECT_NAME", "OBJECT_ID", "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION",
    "RA_OF_ASC_NODE", "ARG_OF_PERICENTER", "MEAN_ANOMALY", "NORAD_CAT_ID", "BSTAR",
    "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT",
)
_OMM_DEFAULTS = {"EPHEMERIS_TYPE": "0", "CLASSIFICATION_TYPE": "U", "ELEMENT_SET_NO": "999",
                 "REV_AT_EPOCH": "0"}
# SGP4 element sets are fitted to a few days of tracking; errors grow by roughly 1-3 km per day
# away from the epoch for LEO (Vallado et al. 2006, AIAA 2006-6753 §I; Skyfield's docs say
# "generally only accurate for a week or two"). 3 days keeps LEO positions to a few km.
DEFAULT_STALE_DAYS = 3.0
_NS_PER_DAY = 86_400 * 10**9
_JD_UNIX_EPOCH = 2440587.5


@dataclass(frozen=True)
class ElementRecord:
    """One element set as read: the initialized ``Satrec`` plus where it came from."""

    satrec: Satrec
    name: str
    norad_id: int
    where: str  # "file:line" (TLE) or "file: record n" (OMM), for messages


# ---------------------------------------------------------------------------- helpers


def tle_checksum(line: str) -> int:
    """The TLE checksum of a line's first 68 columns: digits summed, '-' counts 1, mod 10."""
    total = 0
    for char in line[:68]:
        if char.isdigit():
            total += ord(char) - 48
        elif char == "-":
            total += 1
    return total % 10


def alpha5_to_int(text: str) -> int:
    """A 5-character catalogue number, plain or Alpha-5 (``'A0001'`` → 100001)."""
    text = text.strip()
    if text and text[0].isalpha():
        index = _ALPHA5.find(text[0].upper())
        if index < 0 or not text[1:].isdigit():
            raise ValueError(f"{text!r} is not an Alpha-5 catalogue number")
        return (index + 10) * 10_000 + int(text[1:])
    return int(text)


def satrec_epoch(satrec: Satrec) -> np.datetime64:
    """A satellite's element-set epoch as ``datetime64[ns]`` (UTC), from its two-part JD."""
    days = satrec.jdsatepoch - _JD_UNIX_EPOCH  # exact: both parts end in .5
    ns = int(round(days)) * _NS_PER_DAY + int(round(satrec.jdsatepochF * _NS_PER_DAY))
    return np.datetime64(ns, "ns")


def _read_bytes(source: str | Path | bytes, label: str | None = None) -> tuple[bytes, str]:
    """The raw bytes of a file (gunzipped when it is gzip) and a label for messages."""
    if isinstance(source, bytes):
        data, label = source, label or "<bytes>"
    else:
        path = Path(source)
        label = label or str(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ElementSetError("file not found", where=label,
                                  hint="give the path of a TLE or OMM file, or a built-in name "
                                       "such as 'starlink'") from None
        except IsADirectoryError:
            raise ElementSetError("is a directory, not an element-set file", where=label) from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ElementSetError(f"gzip file is damaged ({exc})", where=label) from None
    return data, label


def _decode(data: bytes, label: str) -> str:
    """Bytes → text; binary junk is reported as such instead of as a confusing parse error."""
    if b"\x00" in data[:4096]:
        raise ElementSetError("this is a binary file, not TLE or OMM text", where=label,
                              hint="element sets are plain text (TLE, 3LE, OMM JSON/CSV/XML)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ElementSetError(
            f"not valid UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x})", where=label,
            hint="element sets are plain text; is this file binary or in another encoding?",
        ) from None


def detect_format(text: str) -> str:
    """Guess an element-set text's format from its first non-blank characters.

    '{' or '[' → OMM JSON; '<' → OMM XML; a header with ``NORAD_CAT_ID`` → OMM CSV; a line
    starting with ``1 `` (possibly after a name line) → TLE. Anything else is an error.
    """
    stripped = text.lstrip()
    if not stripped:
        return "empty"
    if stripped[0] in "{[":
        return "omm-json"
    if stripped[0] == "<":
        return "omm-xml"
    first = stripped.splitlines()[0]
    if "NORAD_CAT_ID" in first.upper() and "," in first:
        return "omm-csv"
    for line in stripped.splitlines()[:4]:
        if line.startswith(("1 ", "2 ")):
            return "tle"
    return "unknown"


def read_elements(
    source: str | Path | bytes, *, format: str | None = None, verify_checksum: bool = True,
    label: str | None = None,
) -> list[ElementRecord]:
    """Read every element set in a file (or bytes), detecting its format when not given.

    Raises :class:`ElementSetError` naming the file, line (or record) and field of the first
    problem; an empty file is an error too (a constellation of nothing is a mistake).
    """
    data, label = _read_bytes(source, label)
    text = _decode(data, label)
    fmt = format or detect_format(text)
    if fmt == "empty":
        raise ElementSetError("the file is empty", where=label,
                              hint="expected TLE lines or an OMM (JSON/CSV/XML) document")
    parsers = {"tle": parse_tle, "omm-json": parse_omm_json, "omm-csv": parse_omm_csv,
               "omm-xml": parse_omm_xml}
    if fmt not in parsers:
        raise ElementSetError(
            "cannot tell the format: neither TLE lines ('1 ...', '2 ...') nor OMM "
            "(JSON '[{...}]', CSV with a NORAD_CAT_ID header, XML '<ndm>')", where=label,
            hint=f"supported formats: {', '.join(FORMATS)}",
        )
    if fmt == "tle":
        records = parse_tle(text, label=label, verify_checksum=verify_checksum)
    else:
        records = parsers[fmt](text, label=label)
    if not records:
        raise ElementSetError("no element sets found", where=label)
    return records


# ---------------------------------------------------------------------------- TLE


def _field_at(column: int, fields: list) -> str:
    for first, last, name in fields:
        if first <= column <= last:
            return name
    return "separator"


def _template_error(label, lineno, line, which, column, problem, name) -> ElementSetError:
    """An error that shows the expected layout with a caret under the offending column."""
    template = LINE1_TEMPLATE if which == 1 else LINE2_TEMPLATE
    field = _field_at(column, _LINE1_FIELDS if which == 1 else _LINE2_FIELDS)
    caret = " " * (column - 1) + "^"
    who = f" of {name}" if name else ""
    message = (f"TLE line {which}{who}, column {column} ({field}): {problem}\n"
               f"  expected layout (N = digit):\n    {template}\n    {line[:TLE_LINE_LENGTH]}\n"
               f"    {caret}")
    return ElementSetError(message, where=f"{label}:{lineno}",
                           hint="TLE columns are fixed; a shifted or missing character moves "
                                "every field after it. Re-download the element set.")


def _check_layout(line: str, which: int, label: str, lineno: int, name: str) -> None:
    """Column-by-column check against the template (python-sgp4's), then the checksum."""
    template = LINE1_TEMPLATE if which == 1 else LINE2_TEMPLATE
    for index, (want, got) in enumerate(zip(template, line)):
        column = index + 1
        if want == " " and got != " ":
            problem = f"expected a blank, found {got!r}"
        elif want == "." and got != ".":
            problem = f"expected '.', found {got!r}"
        elif want == "N" and not (got.isdigit() or got == " " or (column == 3 and got.isalpha())):
            problem = f"expected a digit, found {got!r}"
        elif want == "+" and got not in "+- ":
            problem = f"expected a sign '+', '-' or blank, found {got!r}"
        elif want == "-" and got not in "+-":
            problem = f"expected an exponent sign '+' or '-', found {got!r}"
        elif want in "CA" and not (got.isalnum() or got == " "):
            problem = f"expected a letter or digit, found {got!r}"
        else:
            continue
        raise _template_error(label, lineno, line, which, column, problem, name)


def _check_line(line, which, label, lineno, name, verify_checksum, bare_cr=False) -> str:
    """One TLE line: length, layout, checksum. Returns the 69 significant columns."""
    body = line.rstrip()
    if len(body) > TLE_LINE_LENGTH and body[TLE_LINE_LENGTH] in " \t":
        body = body[:TLE_LINE_LENGTH]  # trailing text after a blank (e.g. Vallado's times)
    if len(body) != TLE_LINE_LENGTH:
        hint = ("the file has a carriage return (\\r) inside a line, which split it in two"
                if bare_cr and len(body) < TLE_LINE_LENGTH else
                "the line is cut short: re-download the file" if len(body) < TLE_LINE_LENGTH
                else "fields may be shifted: compare the line with the expected layout")
        raise ElementSetError(
            f"TLE line {which}{' of ' + name if name else ''} has {len(body)} characters; "
            f"a TLE line has exactly {TLE_LINE_LENGTH}\n    {LINE1_TEMPLATE if which == 1 else LINE2_TEMPLATE}"
            f"\n    {body}", where=f"{label}:{lineno}", hint=hint)
    _check_layout(body, which, label, lineno, name)
    if verify_checksum and body[68].isdigit() and tle_checksum(body) != int(body[68]):
        raise _template_error(label, lineno, body, which, 69,
                              f"checksum says {body[68]} but the columns sum to "
                              f"{tle_checksum(body)} (mod 10)", name)
    return body


def _split_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line) for non-blank, non-comment lines; any line ending."""
    out = []
    # Normalise CR CR LF, CRLF and bare CR to one break each, keeping line numbers honest.
    for lineno, line in enumerate(text.replace("\r\r\n", "\n").replace("\r\n", "\n")
                                  .replace("\r", "\n").split("\n"), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            out.append((lineno, line))
    return out


def parse_tle(text: str, *, label: str = "<string>", verify_checksum: bool = True
              ) -> list[ElementRecord]:
    """Parse TLE / 3LE text into records (see the module docstring for accepted variants)."""
    lines = _split_lines(text)
    bare_cr = "\r" in text.replace("\r\n", "").replace("\r\r", "")
    records: list[ElementRecord] = []
    name, i = "", 0
    while i < len(lines):
        lineno, line = lines[i]
        if line.startswith("1 ") and len(line.rstrip()) < TLE_LINE_LENGTH:
            _check_line(line, 1, label, lineno, name, verify_checksum, bare_cr)
        if not line.startswith("1 "):
            if line.startswith("2 "):
                raise ElementSetError("TLE line 2 without a line 1 before it",
                                      where=f"{label}:{lineno}",
                                      hint="every element set is a line 1 then a line 2")
            name = line.strip()
            name = name[2:].strip() if name.startswith("0 ") else name
            i += 1
            continue
        if i + 1 >= len(lines) or not lines[i + 1][1].startswith("2 "):
            where = "the file ends" if i + 1 >= len(lines) else f"line {lines[i + 1][0]} follows"
            raise ElementSetError(f"TLE line 1{' of ' + name if name else ''} has no line 2 "
                                  f"({where}): the file looks truncated",
                                  where=f"{label}:{lineno}",
                                  hint="each element set needs both lines; re-download the file")
        records.append(_tle_record(lines[i], lines[i + 1], name, label, verify_checksum))
        name, i = "", i + 2
    return records


def _tle_record(first, second, name, label, verify_checksum) -> ElementRecord:
    (n1, raw1), (n2, raw2) = first, second
    line1 = _check_line(raw1, 1, label, n1, name, verify_checksum)
    line2 = _check_line(raw2, 2, label, n2, name, verify_checksum)
    if line1[2:7] != line2[2:7]:
        raise ElementSetError(
            f"catalog numbers differ: line 1 has {line1[2:7]!r}, line 2 has {line2[2:7]!r}",
            where=f"{label}:{n2}", hint="lines 1 and 2 of one element set must belong together")
    try:
        norad_id = alpha5_to_int(line1[2:7])
        satrec = Satrec.twoline2rv(line1, line2, WGS72)
    except ValueError as exc:
        raise ElementSetError(f"sgp4 cannot read this element set: {exc}",
                              where=f"{label}:{n1}") from None
    _check_satrec(satrec, f"{label}:{n1}")
    return ElementRecord(satrec, name or line1[2:7].strip(), norad_id, f"{label}:{n1}")


def _check_satrec(satrec: Satrec, where: str) -> None:
    """Reject element sets that are not an orbit at all. Ones SGP4 merely cannot propagate at
    their epoch (``satrec.error``, e.g. a decayed object) load: propagation reports them as
    NaN with the error code, so one dead satellite never stops a run."""
    if not 0.0 <= satrec.ecco < 1.0 or not satrec.no_kozai > 0.0:
        raise ElementSetError(f"eccentricity {satrec.ecco} or mean motion "
                              f"{satrec.no_kozai} rad/min is not a bound orbit", where=where,
                              hint="eccentricity must be 0 ≤ e < 1 and mean motion > 0")


# ---------------------------------------------------------------------------- OMM


def _normalise_epoch(value: str) -> str:
    """OMM epochs may lack fractional seconds or end in 'Z'; sgp4.omm wants '...:SS.ffffff'."""
    value = str(value).strip().rstrip("Zz")
    return value if "." in value else value + ".000000"


def _omm_record(fields: dict, label: str, where: str) -> ElementRecord:
    fields = {str(k).strip().upper(): v for k, v in fields.items()}
    missing = [key for key in _OMM_REQUIRED if fields.get(key) in (None, "")]
    if missing:
        raise ElementSetError(f"OMM field {missing[0]} is missing"
                              + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                              where=f"{label}: {where}",
                              hint=f"each record needs {', '.join(_OMM_REQUIRED)}")
    for key, default in _OMM_DEFAULTS.items():
        if fields.get(key) in (None, ""):
            fields[key] = default
    original_epoch = str(fields["EPOCH"])
    fields["EPOCH"] = _normalise_epoch(fields["EPOCH"])
    satrec = Satrec()
    try:
        omm.initialize(satrec, {k: (str(v) if not isinstance(v, str) else v)
                                for k, v in fields.items()})
    except (ValueError, TypeError) as exc:
        problem = _omm_field_problem({**fields, "EPOCH": original_epoch})
        raise ElementSetError(f"OMM record cannot be read: {problem}",
                              where=f"{label}: {where}",
                              hint="numbers must be plain decimals; EPOCH is ISO 8601 "
                                   "(2026-02-24T03:43:00.000000)") from None
    _check_satrec(satrec, f"{label}: {where}")
    return ElementRecord(satrec, str(fields["OBJECT_NAME"]).strip(),
                         int(fields["NORAD_CAT_ID"]), f"{label}: {where}")


def _omm_field_problem(fields: dict) -> str:
    """Name the first field that does not parse (sgp4.omm's own message does not)."""
    numeric = ("MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
               "ARG_OF_PERICENTER", "MEAN_ANOMALY", "BSTAR", "MEAN_MOTION_DOT",
               "MEAN_MOTION_DDOT")
    for key in numeric:
        try:
            float(fields[key])
        except (TypeError, ValueError):
            return f"field {key} = {fields[key]!r} is not a number"
    for key in ("NORAD_CAT_ID", "EPHEMERIS_TYPE", "ELEMENT_SET_NO", "REV_AT_EPOCH"):
        try:
            int(str(fields[key]))
        except ValueError:
            return f"field {key} = {fields[key]!r} is not an integer"
    return (f"field EPOCH = {fields['EPOCH']!r} is not an ISO 8601 time "
            "(YYYY-MM-DDTHH:MM:SS[.ffffff])")


def parse_omm_json(text: str, *, label: str = "<string>") -> list[ElementRecord]:
    """CCSDS OMM as JSON (CelesTrak / Space-Track ``FORMAT=json``): a list of flat objects."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ElementSetError(f"invalid JSON: {exc.msg} (column {exc.colno})",
                              where=f"{label}:{exc.lineno}",
                              hint="the file may be truncated; re-download it") from None
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list):
        raise ElementSetError("OMM JSON must be a list of objects", where=label)
    records = []
    for index, item in enumerate(payload):
        if not isinstance(item, dict):
            raise ElementSetError(f"record {index} is not a JSON object", where=label)
        records.append(_omm_record(item, label, f"record {index}"))
    return records


def parse_omm_csv(text: str, *, label: str = "<string>") -> list[ElementRecord]:
    """CCSDS OMM as CSV (header row of OMM keywords), read with ``sgp4.omm.parse_csv``."""
    reader = omm.parse_csv(io.StringIO(text))
    records = []
    for row in reader:
        missing = [key for key, value in row.items() if value is None]
        if None in row or missing:
            header = len(reader.fieldnames or [])
            count = header - len(missing) + len(row.get(None) or [])
            what = (f"column {missing[0]} and the {len(missing) - 1} after it are missing"
                    if missing else f"{count - header} value(s) beyond the last column")
            raise ElementSetError(f"row has {count} columns but the header has {header}: "
                                  f"{what}", where=f"{label}:{reader.line_num}",
                                  hint="the file may be truncated or have stray commas")
        records.append(_omm_record(row, label, f"line {reader.line_num}"))
    return records


def parse_omm_xml(text: str, *, label: str = "<string>") -> list[ElementRecord]:
    """CCSDS OMM as XML (``<ndm><omm>...<segment>``), read with ``sgp4.omm.parse_xml``."""
    try:
        segments = list(omm.parse_xml(io.StringIO(text)))
    except ET.ParseError as exc:
        line, column = exc.position
        raise ElementSetError(f"invalid XML (column {column}): {exc}", where=f"{label}:{line}",
                              hint="the file may be truncated; re-download it") from None
    except AttributeError:
        raise ElementSetError("OMM XML segment lacks <metadata>, <meanElements> or "
                              "<tleParameters>", where=label) from None
    return [_omm_record(fields, label, f"segment {index}") for index, fields in
            enumerate(segments)]


def records_to_arrays(records: Iterable[ElementRecord]) -> dict:
    """Columns of a record list: satrecs, names, norad_ids (int64), epochs (datetime64[ns])."""
    records = list(records)
    return {
        "satrecs": [r.satrec for r in records],
        "names": np.array([r.name for r in records], dtype=object),
        "norad_ids": np.array([r.norad_id for r in records], dtype=np.int64),
        "epochs": np.array([satrec_epoch(r.satrec) for r in records], dtype="datetime64[ns]"),
    }



@dataclass(frozen=True)
class StaleReport:
    """How many element sets are further than ``max_age_days`` from the requested time."""

    total: int
    stale: int
    max_age_days: float
    oldest_age_days: float  # largest |epoch − time| over the constellation, days

    @property
    def message(self) -> str:
        return (f"{self.stale} of {self.total} element sets are more than "
                f"{self.max_age_days:g} days from the requested time (worst "
                f"{self.oldest_age_days:.1f} days); their positions may be off by tens of km")


def stale_report(epochs: np.ndarray, at: np.ndarray | np.datetime64,
                 max_age_days: float = DEFAULT_STALE_DAYS) -> StaleReport:
    """Count element sets whose epoch is more than ``max_age_days`` from any time in ``at``."""
    times = np.atleast_1d(np.asarray(at, dtype="datetime64[ns]"))
    ep = np.asarray(epochs, dtype="datetime64[ns]").astype(np.int64)
    lo, hi = times.min().astype(np.int64), times.max().astype(np.int64)
    age_ns = np.maximum(np.abs(ep - lo), np.abs(ep - hi))
    age_days = age_ns / _NS_PER_DAY
    stale = int(np.count_nonzero(age_days > max_age_days))
    worst = float(age_days.max()) if age_days.size else 0.0
    return StaleReport(int(ep.size), stale, float(max_age_days), worst)
