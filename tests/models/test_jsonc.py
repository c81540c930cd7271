from datetime import datetime

import orjson
import pytest

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
    with pytest.raises(InvalidInput, match="nests deeper"):
        jsonc.loads(deep)


def test_very_deep_input_is_refused_without_crashing() -> None:
    with pytest.raises(InvalidInput):
        jsonc.loads("[" * 100_000 + "]" * 100_000 + "//")


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(InvalidInput, match="number JSON cannot represent"):
        jsonc.loads('{"a": NaN}')


def test_integers_past_64_bits_are_refused() -> None:
    with pytest.raises(InvalidInput, match="outside 64 bits"):
        jsonc.loads('{"a": 9223372036854775808}')
    assert jsonc.loads('{"a": 9223372036854775807}') == {"a": 2**63 - 1}


def test_lone_surrogates_are_refused_in_values_and_keys() -> None:
    for document in ('{"a": "x\\ud800"}', '{"\\udfff": 1}', '["ok", ["\\udc00"]]'):
        with pytest.raises(InvalidInput, match="not valid Unicode"):
            jsonc.loads(document)
    assert jsonc.loads('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}


def test_storable_turns_what_no_store_keeps_into_text_and_keeps_the_rest() -> None:
    value = {
        "id": 2**64, "small": -(2**63), "ratio": float("inf"), "ok": 1.5, "flag": True,
        "name": "caf\u00e9 \ud800", "\udfffkey": None, "tags": ("a", 2), "when": datetime(2026, 12, 6),
    }  # fmt: skip
    kept = jsonc.storable(value)
    assert kept == {
        "id": "18446744073709551616", "small": -(2**63), "ratio": "inf", "ok": 1.5,
        "flag": True, "name": "caf\u00e9 \\ud800", "\\udfffkey": None, "tags": ["a", 2],
        "when": "2026-12-06 00:00:00",
    }  # fmt: skip
    jsonc.check_values(kept)
    assert orjson.loads(orjson.dumps(kept)) == kept


def test_storable_cuts_nesting_past_the_limit() -> None:
    deep: list[object] = []
    for _ in range(100):
        deep = [deep]
    jsonc.check_values(jsonc.storable(deep))
