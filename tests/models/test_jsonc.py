import json
import math
from datetime import datetime
from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.errors import InvalidInput
from app.models import jsonc


def test_line_comments_are_ignored_but_urls_in_strings_survive() -> None:
    text = '{"url": "https://example.com/a", // the endpoint\n "delay": 300 /* five minutes */}'
    assert jsonc.loads(text) == {"url": "https://example.com/a", "delay": 300}


def test_syntax_error_names_line_and_column() -> None:
    with pytest.raises(InvalidInput) as caught:
        jsonc.loads('{"a": 1,\n "b": }')
    assert caught.value.details[0].loc == ("body",)
    assert caught.value.details[0].msg.startswith("line 2")
    assert "column" in caught.value.details[0].msg


def test_nesting_past_the_limit_is_refused() -> None:
    deep = "[" * (jsonc.MAX_DEPTH + 1) + "]" * (jsonc.MAX_DEPTH + 1)
    with pytest.raises(InvalidInput, match="deeper than the limit of 64 levels") as refused:
        jsonc.loads(deep)
    # Parsed text is refused where it passes the limit, as text too deep to parse is: at
    # its path (it was at the body's), line and column.
    assert refused.value.details[0].loc == ("body", *[0] * 64)
    assert refused.value.details[0].msg.startswith("line 1 column 65: ")
    # A value past the limit is located too, inside the brackets that take it there.
    past = {
        "[" * 64 + "1" + "]" * 64: (65, (0,) * 64),
        "[" * 63 + '{"a": 1}' + "]" * 63: (70, (*[0] * 63, "a")),
        '{"k": [1, {"\\"x": ' + "[" * 62 + "]" * 62 + "}]}": (80, ("k", 1, '"x', *[0] * 61)),
    }
    for text, (column, path) in past.items():
        with pytest.raises(InvalidInput) as value_past:
            jsonc.loads(text)
        assert value_past.value.details[0].msg.startswith(f"line 1 column {column}: ")
        assert value_past.value.details[0].loc == ("body", *path)
    value: list[object] = []
    for _ in range(jsonc.MAX_DEPTH):
        value = [value]
    with pytest.raises(InvalidInput) as value_refused:  # a value has no text: its path
        jsonc.check_values(value)
    assert value_refused.value.details[0].loc == ("body", *[0] * jsonc.MAX_DEPTH)


def test_very_deep_input_is_refused_without_crashing() -> None:
    with pytest.raises(InvalidInput):
        jsonc.loads("[" * 100_000 + "]" * 100_000 + "//")


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(InvalidInput, match="non-finite number nan, which JSON cannot represent"):
        jsonc.loads('{"a": NaN}')


@pytest.mark.parametrize(
    "big",
    ["9223372036854775808", "-9223372036854775809", "18446744073709551616", "-" + "9" * 30],
)
def test_integers_past_64_bits_are_refused_naming_the_field(big: str) -> None:
    # orjson alone reads 18446744073709551616 as the float 1.8446744073709552e19, silently.
    document = '{"actions": [{"data": {"amount": ' + big + "}}]} // a comment"
    for text in (document, document.split(" //")[0], document.encode()):
        with pytest.raises(InvalidInput) as refused:
            jsonc.loads(text)
        assert refused.value.message == (
            f"body.actions.0.data.amount: integer {int(big)} is outside 64 bits (-2**63 .. 2**63-1)"
        )
        assert refused.value.details[0].loc == ("body", "actions", 0, "data", "amount")
    assert jsonc.loads('{"a": 9223372036854775807}') == {"a": 2**63 - 1}
    assert jsonc.loads('{"a": 0.12345678901234567890}') == {"a": 0.12345678901234568}


def test_lone_surrogates_are_refused_in_values_and_keys() -> None:
    for document in ('{"a": "x\\ud800"}', '{"\\udfff": 1}', '["ok", ["\\udc00"]]'):
        with pytest.raises(InvalidInput, match="not valid Unicode"):
            jsonc.loads(document)
    with pytest.raises(InvalidInput) as refused:
        jsonc.loads('{"a": {"\\udfff": 1}}')
    assert refused.value.details[0].loc == ("body", "a")
    assert jsonc.loads('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}


def test_storable_turns_what_no_store_keeps_into_text_and_keeps_the_rest() -> None:
    value = {
        "id": 2**64,
        "small": -(2**63),
        "ratio": float("inf"),
        "ok": 1.5,
        "flag": True,
        "name": "caf\u00e9 \ud800",
        "\udfffkey": None,
        "tags": ("a", 2),
        "when": datetime(2026, 12, 6),
    }
    kept = jsonc.storable(value)
    assert kept == {
        "id": "18446744073709551616",
        "small": -(2**63),
        "ratio": "inf",
        "ok": 1.5,
        "flag": True,
        "name": "caf\u00e9 \\ud800",
        "\\udfffkey": None,
        "tags": ["a", 2],
        "when": "2026-12-06 00:00:00",
    }
    jsonc.check_values(kept)
    assert orjson.loads(orjson.dumps(kept)) == kept


def test_storable_cuts_nesting_past_the_limit() -> None:
    deep: list[object] = []
    nested: dict[str, object] = {}
    for _ in range(100):
        deep, nested = [deep], {"a": nested}
    jsonc.check_values(jsonc.storable(deep))
    jsonc.check_values(jsonc.storable(nested))


def test_storable_makes_subclasses_plain_values_the_store_can_encode() -> None:
    class Score(float):  # as numpy.float64 is
        pass

    class Name(str):
        pass

    kept = jsonc.storable({"score": Score(0.5), "name": Name("x"), "n": True})
    assert orjson.loads(orjson.dumps(kept)) == {"score": 0.5, "name": "x", "n": True}
    assert type(kept["score"]) is float
    assert type(kept["name"]) is str


@pytest.mark.parametrize("number", ["1e20", "-1.7976931348623157e308", "9.3e18"])
def test_a_whole_number_past_64_bits_written_as_a_float_is_refused_too(number: str) -> None:
    # JSON and its schema do not tell 1e20 from 100000000000000000000: the schema bounds
    # both, so the server refuses both (every float that large is a whole number).
    with pytest.raises(InvalidInput) as refused:
        jsonc.loads('{"amount": ' + number + "}")
    assert "is outside 64 bits" in refused.value.message
    assert refused.value.details[0].loc == ("body", "amount")
    assert jsonc.loads('{"a": 1.5e-300, "b": 9.2e18, "c": -9.2e18}')["b"] == 9.2e18


PAD = list(range(jsonc.WALK_LIMIT))  # values enough that check_values stops walking
EDGES = [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, float(2**63), -float(2**63), 1e20]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(EDGES)
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(["\ud800", "caf\u00e9 \udfff", "\U0001f600"])
)
KEYS = st.text(max_size=3) | st.just("\udc00")
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


def nested(value: Any, levels: int) -> Any:
    for _ in range(levels):
        value = [value]
    return value


def faulty(value: Any, depth: int) -> bool:
    """The rules check_values states, one value at a time."""
    if depth > jsonc.MAX_DEPTH:
        return True
    if isinstance(value, str):
        return any(0xD800 <= ord(char) <= 0xDFFF for char in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return not (math.isfinite(value) and -(2**63) <= value < 2**63)
    if isinstance(value, list):
        return any(faulty(item, depth + 1) for item in value)
    if isinstance(value, dict):
        inside = any(faulty(item, depth + 1) for item in value.values())
        return inside or any(faulty(key, depth) for key in value)
    return False


@settings(deadline=None)
@given(st.builds(nested, VALUES, st.sampled_from([0, 0, 58, 60, 61, 62, 63])))
@example(nested(1, jsonc.MAX_DEPTH - 2))
@example(nested({}, jsonc.MAX_DEPTH - 1))
@example(nested([], jsonc.MAX_DEPTH - 1))
def test_a_large_value_is_refused_exactly_when_a_small_one_would_be(value: Any) -> None:
    assert refused([value, PAD]) == faulty(value, 2)


@pytest.mark.parametrize("edge", EDGES)
def test_a_large_value_is_refused_at_the_64_bit_edges_as_a_small_one(edge: float) -> None:
    assert refused([edge, PAD]) == refused([edge]) == faulty(edge, 2)


def refused(value: Any) -> bool:
    # The walk takes PAD first and hands the whole to the level-by-level check, which
    # either finds nothing or lets the walk go on to name the field.
    try:
        jsonc.check_values(value)
    except InvalidInput:
        return True
    return False


@settings(deadline=None)
@given(
    st.builds(nested, VALUES, st.sampled_from([0, 0, 58, 60, 61, 62])),
    st.sampled_from([1, 2, 2, 3, 64]),
    st.booleans(),
)
@example([1.5, "caf\u00e9", {"a": [None, True, -(2**62)]}], 2, False)
@example(nested([], jsonc.MAX_DEPTH - 2), 2, True)
def test_json_read_as_stored_is_what_storable_makes_of_it(
    value: Any, depth: int, ascii_only: bool
) -> None:
    """An answer's JSON body read by ``stored_json`` needs no walk: what it reads, nested at
    ``depth``, is what ``storable`` makes of the standard parser's reading, type for type."""
    text = json.dumps(value, ensure_ascii=ascii_only).encode(errors="surrogatepass")
    try:
        read = jsonc.stored_json(text, depth)
    except ValueError:
        return  # read by the standard parser instead, and walked
    walked = jsonc.storable(nested(json.loads(text), depth - 1))
    assert repr(nested(read, depth - 1)) == repr(walked)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"[NaN]", "unexpected character"),
        (b'{"id": 18446744073709551616}', "a run of digits"),
        (b"1234567890123456789", "a run of digits"),
        (b"\xef\xbb\xbf{}", "byte order mark"),
        (b'"\\ud800"', "surrogate"),
        (b"[" * 63 + b"]" * 63, "nesting deeper than the limit"),
        (b"{not json}", "unexpected character"),
    ],
    ids=["nan", "past-64-bits", "19-digits", "bom", "surrogate", "deep", "not-json"],
)
def test_json_only_the_standard_parser_reads_as_storable_keeps_is_refused(
    text: bytes, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        jsonc.stored_json(text, 2)


def test_a_stored_dict_is_copied_plain_without_a_walk() -> None:
    value = jsonc.Stored({"status": 200, "body": {"a": [1, 2.5, "é"]}})
    copied = jsonc.storable(value)
    assert type(copied) is dict
    assert copied == {"status": 200, "body": {"a": [1, 2.5, "é"]}}
    assert copied["body"] is value["body"]  # vouched for: not walked
