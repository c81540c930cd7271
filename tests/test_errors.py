"""How errors show what they quote (``app/errors.py``)."""

import reprlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import MAX_SHOWN, cut, shown


def _by_reprlib(value: Any) -> str:
    """A value shown as reprlib shows it, with the bounds errors use, and cut whole."""
    bounded = reprlib.Repr()
    bounded.maxstring = bounded.maxother = 60
    bounded.maxlist = bounded.maxdict = 8
    try:
        return cut(bounded.repr(value), MAX_SHOWN)
    except ValueError:
        return f"<{type(value).__name__}>"


@given(
    value=st.none()
    | st.booleans()
    | st.integers()
    | st.integers(10**38, 10**42)
    | st.sampled_from([2**14000, -(2**14000)])
    | st.floats()
    | st.text(max_size=70)
    | st.lists(st.integers(), max_size=12)
)
@settings(max_examples=400, deadline=None)
def test_a_value_is_shown_as_reprlib_shows_it(value: Any) -> None:
    assert shown(value) == _by_reprlib(value)
