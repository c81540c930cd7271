from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.expressions.paths import MISSING, resolve, resolve_field, split_path

CONTEXT: dict[str, Any] = {
    "cart": {"items": [{"price": 9.5}, {"price": None}], "by_index": {"0": "zero"}},
    "name": "Ada",
    "user": {"email_verified": True, "profile": {"plan": "pro"}, "name": "from user"},
}


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("cart.items.0.price", ("cart", "items", 0, "price")),
        ("name", ("name",)),
        ("a.10", ("a", 10)),
        # Only canonical numbers become indexes, so str(part) gives the key back.
        ("a.01", ("a", "01")),
        ("a.-1", ("a", "-1")),
        ("a.²", ("a", "²")),
        ("a..b", ("a", "", "b")),
    ],
)
def test_split_path(path: str, parts: tuple[str | int, ...]) -> None:
    assert split_path(path) == parts


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("cart.items.0.price", 9.5),
        ("cart.items.1.price", None),
        ("cart.by_index.0", "zero"),
        ("user.profile.plan", "pro"),
        ("cart.items", CONTEXT["cart"]["items"]),
    ],
)
def test_resolve_finds_values(path: str, expected: Any) -> None:
    assert resolve(CONTEXT, split_path(path)) == expected


@pytest.mark.parametrize(
    "path",
    [
        "nope",
        "cart.nope",
        "cart.items.2.price",
        "cart.items.price",
        "cart.items.-1.price",
        "name.0",
        "name.length",
        "cart.items.0.price.cents",
    ],
)
def test_resolve_misses(path: str) -> None:
    assert resolve(CONTEXT, split_path(path)) is MISSING


def test_null_is_a_value_not_missing() -> None:
    assert resolve({"a": None}, ("a",)) is None


def test_missing_has_a_readable_repr() -> None:
    assert repr(MISSING) == "MISSING"


def test_bare_name_falls_back_to_user() -> None:
    assert resolve_field(CONTEXT, ("email_verified",)) is True


def test_dotted_path_falls_back_to_user_when_its_first_segment_is_not_at_the_root() -> None:
    assert resolve_field(CONTEXT, ("profile", "plan")) == "pro"


def test_root_wins_over_user() -> None:
    assert resolve_field(CONTEXT, ("name",)) == "Ada"


def test_no_fallback_once_the_first_segment_is_found() -> None:
    assert resolve_field(CONTEXT, ("cart", "email_verified")) is MISSING


@pytest.mark.parametrize("user", [None, "someone", ["email_verified"]])
def test_fallback_needs_a_user_object(user: Any) -> None:
    assert resolve_field({"user": user}, ("email_verified",)) is MISSING


def test_fallback_without_user() -> None:
    assert resolve_field({}, ("email_verified",)) is MISSING


KEYS = st.text(alphabet="abc.0", min_size=1, max_size=6)
VALUES = st.none() | st.integers() | st.text(max_size=4)


@settings(max_examples=200, deadline=None)
@given(context=st.dictionaries(KEYS, VALUES, max_size=4), path=KEYS)
def test_flat_contexts(context: dict[str, Any], path: str) -> None:
    found = resolve(context, split_path(path))
    if "." in path:
        # Every value is a scalar, so a second segment never resolves.
        assert found is MISSING
    elif path in context:
        assert found == context[path]
    else:
        assert found is MISSING
