"""The public face of skygate is small and explicit (style.md habit 1: a test asserts it)."""

import subprocess
import sys

import skygate
from skygate import errors

# The main entry points, by layer. Adding a public name is a decision: update this list.
PUBLIC = {
    "__version__",
    *errors.__all__,
    # orbits
    "Constellation", "Ephemeris", "propagate", "propagate_blocks", "snapshot_epoch",
    "read_elements", "WalkerShell", "WalkerDesign",
    # earth
    "DEFAULT_MIN_ELEVATION_DEG", "geodetic_to_ecef", "ecef_to_geodetic", "look_angles",
    "visible_pairs", "visible_satellites", "subsatellite_points", "latlng_to_cells",
    "all_cells", "get_region_index", "RegionIndex", "CustomRegion", "read_geojson",
    # policy and store
    "decide", "Decision", "compile_policy", "CompiledPolicy", "PolicyState", "Authorization",
    "Restriction", "Scope", "load_policy", "authorize", "restrict", "amend", "revoke",
    "open_store", "Store",
}


def test_public_names_are_exactly_the_main_entry_points():
    assert set(skygate.__all__) == PUBLIC
    assert len(skygate.__all__) == len(PUBLIC)  # no duplicates


def test_public_names_resolve_to_the_layer_objects():
    from skygate.earth.regions import get_region_index
    from skygate.orbits import Constellation
    from skygate.policy import compile_policy, decide
    from skygate.store import open_store

    for name in skygate.__all__:
        assert getattr(skygate, name) is not None, name
    assert skygate.decide is decide and skygate.compile_policy is compile_policy
    assert skygate.Constellation is Constellation and skygate.open_store is open_store
    assert skygate.get_region_index is get_region_index
    assert set(skygate.__all__) <= set(dir(skygate))


def test_unknown_names_raise_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'decied'"):
        skygate.decied  # noqa: B018


def test_importing_skygate_is_cheap():
    """Heavy layers load on first use, not on `import skygate`."""
    code = ("import sys, skygate; print(sorted(m for m in ('sqlalchemy', 'h3', 'numba', "
            "'shapely') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_every_user_error_is_a_skygate_error():
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.SkygateError)


def test_input_error_names_where_and_hint():
    exc = errors.ElementSetError("bad checksum", where="a.tle:3", hint="recompute it")
    assert str(exc) == "a.tle:3: bad checksum\n  hint: recompute it"
