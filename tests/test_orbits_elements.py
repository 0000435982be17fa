"""Element-set reading: the bundled snapshot, TLE variants, OMM formats, the broken corpus."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest
from sgp4 import exporter

from skygate.errors import ElementSetError
from skygate.orbits import Constellation, detect_format, propagate, read_elements
from skygate.orbits.elements import alpha5_to_int, stale_report, tle_checksum

BAD = Path(__file__).parent / "data" / "bad_elements"
L1 = "1 44714U 19074B   26054.54089312  .00000969  00000+0  43797-4 0  9997"
L2 = "2 44714  53.1568 244.5638 0001273  95.0474 265.0672 15.31036083346702"


def test_bundled_snapshot_loads_every_satellite_without_errors():
    c = Constellation.load()
    assert len(c) == 9594  # shared/data/README.md: 9,594 satellites
    assert len(set(c.norad_ids.tolist())) == 9594
    assert c.epochs.min().astype("datetime64[ms]") == np.datetime64("2026-01-31T08:46:48.339")
    assert str(c.reference_epoch).startswith("2026-02-24T03:43")  # README: median 02-24 03:43
    assert all(s.error == 0 for s in c.satrecs)


def test_bundled_snapshot_matches_the_shared_original(shared_data):
    original = read_elements(shared_data / "tle" / "starlink_2026-02-24.tle")
    bundled = Constellation.load()
    assert [r.norad_id for r in original] == bundled.norad_ids.tolist()
    assert [r.name for r in original] == bundled.names.tolist()


def test_checksum_and_alpha5():
    assert tle_checksum(L1) == 7 and tle_checksum(L2) == 2
    assert alpha5_to_int("A0001") == 100001
    assert alpha5_to_int("Z9999") == 339999
    assert alpha5_to_int("J0000") == 180000  # I is skipped: J is the 9th Alpha-5 letter
    assert alpha5_to_int("44714") == 44714


def _with_catalog(line: str, number: str) -> str:
    body = line[:2] + number + line[7:68]
    return body + str(tle_checksum(body))


def test_alpha5_catalog_numbers_load():
    text = f"{_with_catalog(L1, 'T4714')}\n{_with_catalog(L2, 'T4714')}\n"
    (rec,) = read_elements(text.encode())
    assert rec.norad_id == 274714
    assert rec.satrec.satnum == 274714


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r", "\r\r\n"])
@pytest.mark.parametrize("names", [True, False])
def test_line_endings_and_optional_names_give_the_same_satellite(ending, names):
    lines = (["0 STARLINK-1008"] if names else []) + [L1, L2]
    (rec,) = read_elements(ending.join(lines).encode())
    assert rec.norad_id == 44714
    assert rec.name == ("STARLINK-1008" if names else "44714")
    assert rec.satrec.no_kozai == pytest.approx(15.31036083 * 2 * np.pi / 1440, rel=1e-12)


def test_gzip_and_mixed_line_endings():
    plain = read_elements(BAD / "mixed_line_endings.tle")
    assert [r.name for r in plain] == ["STARLINK-1008", "STARLINK-1012"]
    zipped = read_elements(gzip.compress((BAD / "mixed_line_endings.tle").read_bytes()))
    assert [r.norad_id for r in zipped] == [44714, 44718]


@pytest.mark.parametrize("fmt", ["omm-json", "omm-csv", "omm-xml"])
def test_omm_formats_round_trip_to_the_same_orbit(tmp_path, fmt):
    """TLE → OMM (sgp4.exporter) → file → skygate: positions agree to a millimetre."""
    tle = Constellation.load().subset(np.arange(0, 9594, 1500))
    records = [exporter.export_omm(s, str(n)) for s, n in zip(tle.satrecs, tle.names)]
    path = tmp_path / f"elements.{fmt.split('-')[1]}"
    if fmt == "omm-json":
        path.write_text(json.dumps(records))
    elif fmt == "omm-csv":
        buf = io.StringIO()
        buf.write(",".join(records[0]) + "\n")
        for rec in records:
            buf.write(",".join(str(rec[k]) for k in records[0]) + "\n")
        path.write_text(buf.getvalue())
    else:
        segs = "".join(
            "<segment><metadata>" + "".join(f"<{k}>{r[k]}</{k}>" for k in
                                             ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME"))
            + "</metadata><data><meanElements>"
            + "".join(f"<{k}>{r[k]}</{k}>" for k in
                      ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
                       "ARG_OF_PERICENTER", "MEAN_ANOMALY"))
            + "</meanElements><tleParameters>"
            + "".join(f"<{k}>{r[k]}</{k}>" for k in
                      ("EPHEMERIS_TYPE", "CLASSIFICATION_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO",
                       "REV_AT_EPOCH", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT"))
            + "</tleParameters></data></segment>" for r in records)
        path.write_text(f'<?xml version="1.0"?><ndm><omm><body>{segs}</body></omm></ndm>')
    assert detect_format(path.read_text()) == fmt
    omm = Constellation.load(path)
    assert omm.norad_ids.tolist() == tle.norad_ids.tolist()
    t = tle.reference_time
    gap = np.abs(propagate(omm, t).r_ecef_km - propagate(tle, t).r_ecef_km).max()
    assert gap < 1e-3  # km; the OMM keeps the TLE's digits, so only float formatting differs


def test_shared_omm_json_snapshot_loads(shared_data):
    c = Constellation.load(shared_data / "tle" / "starlink_2025-05-24.omm.json")
    assert len(c) == 7483  # shared/data/README.md
    assert str(c.epochs.min()).startswith("2025-05-1")


# The broken corpus: file → substrings its one error message must contain (file:line, field).
CORPUS = {
    "bad_checksum.tle": [":3:", "column 69 (checksum)", "checksum says 3", "NNNNN"],
    "shifted_columns.tle": [":3:", "column 12 (inclination)", "expected '.'", "^"],
    "truncated.tle": [":5:", "STARLINK-1012 has no line 2", "truncated"],
    "empty.tle": ["empty.tle", "the file is empty"],
    "blank_lines_only.tle": ["the file is empty"],
    "binary_junk.tle": ["binary file"],
    "not_utf8.tle": ["not valid UTF-8", "0xff"],
    "stray_cr.tle": [":2:", "has 40 characters", "carriage return"],
    "line2_first.tle": [":2:", "line 2 without a line 1"],
    "mismatched_catalog.tle": [":3:", "catalog numbers differ", "'44718'"],
    "short_line.tle": [":3:", "has 60 characters", "cut short"],
    "letter_in_number.tle": [":3:", "column 21", "right ascension"],
    "not_elements.txt": ["cannot tell the format"],
    "omm_missing_field.json": ["record 1", "MEAN_MOTION is missing"],
    "omm_truncated.json": ["omm_truncated.json:37", "invalid JSON", "truncated"],
    "omm_bad_number.csv": ["line 3", "ECCENTRICITY = '0.0001x48' is not a number"],
    "omm_bad_epoch.csv": ["line 2", "EPOCH = '24 May 2025'"],
    "omm_truncated.xml": ["omm_truncated.xml:3", "invalid XML"],
    "omm_truncated.csv": ["omm_truncated.csv:3", "row has 9 columns but the header has 17",
                          "column EPHEMERIS_TYPE"],
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_broken_file_gives_its_specific_error(name):
    with pytest.raises(ElementSetError) as info:
        Constellation.load(BAD / name)
    message = str(info.value)
    assert str(BAD / name) in message
    for expected in CORPUS[name]:
        assert expected in message, f"{expected!r} not in:\n{message}"


def test_corpus_is_fully_covered():
    files = {p.name for p in BAD.iterdir() if p.suffix != ".md"}
    assert files == set(CORPUS) | {"mixed_line_endings.tle"}


def test_checksum_can_be_skipped_for_hand_edited_files():
    bad = (BAD / "bad_checksum.tle").read_bytes()
    (rec,) = read_elements(bad, verify_checksum=False)
    assert rec.norad_id == 44714


def test_unknown_source_names_the_choices():
    with pytest.raises(ElementSetError, match="built-in names: starlink, starlink-gen1"):
        Constellation.load("starlinq")


def test_stale_report_counts_old_element_sets():
    c = Constellation.load()
    at_ref = c.stale_report()
    assert at_ref.total == 9594
    # Shared README: epochs reach back to 2026-01-31; a handful are > 3 days from the median.
    assert 1 <= at_ref.stale <= 20
    assert at_ref.oldest_age_days == pytest.approx(23.8, abs=0.1)
    later = stale_report(c.epochs, np.datetime64("2026-03-10T00:00", "ns"), 7.0)
    assert later.stale == 9594  # every epoch is > 7 days before 2026-03-10
    assert "9594 of 9594" in later.message


def test_celestrak_style_omm_xml_and_crlf_csv_read_the_same_orbit(tmp_path):
    """The layouts CelesTrak serves (FORMAT=xml with its namespace header and metadata, and
    FORMAT=csv with CRLF line ends) go through sgp4.omm's parsers to the same satellite."""
    header, row = (BAD / "omm_bad_number.csv").read_text().splitlines()[:2]
    fields = dict(zip(header.split(","), row.split(",")))
    csv_path = tmp_path / "one.csv"
    csv_path.write_bytes(f"{header}\r\n{row}\r\n".encode())
    tag = lambda keys: "".join(f"<{k}>{fields[k]}</{k}>" for k in keys)  # noqa: E731
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ndm xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="https://sanaregistry.org/r/ndmxml_unqualified/'
        'ndmxml-2.0.0-master-2.0.xsd">\n<omm id="CCSDS_OMM_VERS" version="2.0">\n'
        "<header><CREATION_DATE/><ORIGINATOR/></header>\n<body><segment>\n<metadata>"
        + tag(["OBJECT_NAME", "OBJECT_ID"]) + "<CENTER_NAME>EARTH</CENTER_NAME>"
        "<REF_FRAME>TEME</REF_FRAME><TIME_SYSTEM>UTC</TIME_SYSTEM>"
        "<MEAN_ELEMENT_THEORY>SGP4</MEAN_ELEMENT_THEORY></metadata>\n<data><meanElements>"
        + tag(["EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
               "ARG_OF_PERICENTER", "MEAN_ANOMALY"]) + "</meanElements><tleParameters>"
        + tag(["EPHEMERIS_TYPE", "CLASSIFICATION_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO",
               "REV_AT_EPOCH", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT"])
        + "</tleParameters></data>\n</segment></body></omm>\n</ndm>\n")
    xml_path = tmp_path / "one.xml"
    xml_path.write_text(xml)
    (a,), (b,) = read_elements(csv_path), read_elements(xml_path)
    assert (a.name, a.norad_id) == (b.name, b.norad_id) == ("STARLINK-1008", 44714)
    for attr in ("jdsatepoch", "jdsatepochF", "no_kozai", "ecco", "inclo", "nodeo", "argpo",
                 "mo", "bstar"):
        assert getattr(a.satrec, attr) == getattr(b.satrec, attr), attr
    assert a.satrec.no_kozai == pytest.approx(15.06416369 * 2 * np.pi / 1440, rel=1e-12)
