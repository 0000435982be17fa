"""The public face of skygate is small and explicit."""

import skygate
from skygate import errors


def test_public_names_are_exported():
    for name in skygate.__all__:
        assert hasattr(skygate, name), name


def test_every_user_error_is_a_skygate_error():
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.SkygateError)


def test_input_error_names_where_and_hint():
    exc = errors.ElementSetError("bad checksum", where="a.tle:3", hint="recompute it")
    assert str(exc) == "a.tle:3: bad checksum\n  hint: recompute it"
