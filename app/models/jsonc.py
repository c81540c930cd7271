"""JSON with ``//`` and ``/* */`` comments, as users paste workflow documents."""

import math
import re
from typing import Any

import json5
import orjson

from app.errors import ErrorDetail, InvalidInput

MAX_DEPTH = 64
# Stores (SQLite, BSON) and the JSON encoder keep integers in 64 bits.
INT64 = range(-(2**63), 2**63)
SURROGATE = re.compile("[\ud800-\udfff]")


def loads(data: bytes | str) -> Any:
    """Parse strict JSON quickly, or JSON with comments (JSON5) when strict parsing fails.

    Raises InvalidInput naming the line and column of a syntax error, or the nesting limit.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        value = _loads_with_comments(data)
    check_values(value)
    return value


def _loads_with_comments(data: bytes | str) -> Any:
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    try:
        return json5.loads(text)
    except ValueError as exc:
        detail = str(exc).removeprefix("<string>:")
        raise InvalidInput(
            "The body is not valid JSON (comments are allowed).",
            [ErrorDetail(("body",), f"line {detail}")],
        ) from None
    except RecursionError:
        raise _too_deep() from None


def _too_deep() -> InvalidInput:
    return InvalidInput(
        f"The document nests deeper than the limit of {MAX_DEPTH} levels.",
        [ErrorDetail(("body",), f"nesting deeper than {MAX_DEPTH} levels")],
    )


def check_values(value: Any) -> None:
    """Refuse nesting past MAX_DEPTH, integers past 64 bits, the non-finite numbers JSON5
    allows (NaN, Infinity), and text with lone surrogates (a JSON escape such as
    ``"\\ud800"`` parses to one, and no store can encode it)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        _check_scalar(node)
        if isinstance(node, dict):
            stack.extend((key, depth) for key in node)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


def _check_scalar(node: Any) -> None:
    if isinstance(node, str) and not node.isascii() and SURROGATE.search(node):
        raise InvalidInput(
            "The document holds text that is not valid Unicode.",
            [ErrorDetail(("body",), "a lone surrogate (\\ud800-\\udfff) in a string")],
        )
    if isinstance(node, int) and node not in INT64:
        raise InvalidInput(
            "The document holds an integer outside 64 bits.",
            [ErrorDetail(("body",), f"integer {node} is outside -2**63 .. 2**63-1")],
        )
    if isinstance(node, float) and not math.isfinite(node):
        raise InvalidInput(
            "The document holds a number JSON cannot represent.",
            [ErrorDetail(("body",), f"non-finite number {node}")],
        )


def storable(value: Any) -> Any:
    """A copy of ``value`` every store can keep. What ``check_values`` refuses (integers
    past 64 bits, non-finite numbers, lone surrogates, nesting past MAX_DEPTH) and what is
    not JSON at all (bytes, dates, objects) becomes text: a connector's output describes a
    call already made, so it is recorded as well as it can be rather than lost."""
    return _storable(value, 1)


def _storable(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value in INT64 else _integer_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _text(value)
    if depth >= MAX_DEPTH:  # its items would be past the limit
        return f"(nested deeper than {MAX_DEPTH} levels)"
    if isinstance(value, dict):
        return {_text(str(key)): _storable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_storable(item, depth + 1) for item in value]
    return _text(str(value))


def _integer_text(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # past Python's limit on digits converted
        return f"(an integer of {value.bit_length()} bits)"


def _text(value: str) -> str:
    if value.isascii() or not SURROGATE.search(value):
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")
