"""JSON with ``//`` and ``/* */`` comments, as users paste workflow documents, and the
values every store can keep."""

import json
import math
import re
from collections.abc import Callable
from functools import partial
from itertools import chain
from operator import methodcaller
from typing import Annotated, Any, ForwardRef

import json5
import orjson
from pydantic import (
    Field,
    GetJsonSchemaHandler,
    GetPydanticSchema,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from typing_extensions import TypeAliasType

from app.errors import MAX_SHOWN, ErrorDetail, InvalidInput, cut, located
from app.models.validation import refusal

MAX_DEPTH = 64
# Stores (SQLite, BSON) and the JSON encoder keep integers in 64 bits.
INT64 = range(-(2**63), 2**63)
SURROGATE = re.compile("[\ud800-\udfff]")
# What the schema says a free-form value is: JSON whose integers fit in 64 bits, at any
# depth. JSON does not tell 1e20 from its integer, so a number is an integer in range or a
# number that is not integral (1e20 is refused as its integer is). The bounds are exact in
# a float (FastAPI writes them as one).
# mypy cannot follow a recursive TypeAliasType (it reads "JsonValue" as a cycle), so the
# alias refers to itself through a ForwardRef mypy does not read as a type.
_ITSELF = ForwardRef("JsonValue")
JsonValue: Any = TypeAliasType(
    "JsonValue",
    StrictBool
    | StrictStr
    | Annotated[StrictInt, Field(ge=-(2**63), lt=2**63)]
    | Annotated[StrictFloat, WithJsonSchema({"type": "number", "not": {"type": "integer"}})]
    | list[_ITSELF]  # type: ignore[valid-type]
    | dict[str, _ITSELF]  # type: ignore[valid-type]
    | None,
)
_SHAPE_SCHEMA = TypeAdapter(JsonValue).core_schema


def _shape(_: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    return handler(_SHAPE_SCHEMA)


# A free-form value: validated as any JSON (``storable_field`` then refuses what no store
# keeps, naming the field), documented as the JsonValue schema.
FreeJson = Annotated[Any, GetPydanticSchema(get_pydantic_json_schema=_shape)]
# orjson reads an integer past 64 bits as a float, silently (18446744073709551616 becomes
# 1.8446744073709552e19, -9223372036854775809 too, with 19 digits); a text with such a run
# of digits goes to the standard parser, which keeps the integer whole, to be refused by
# the name of its field. The run is found by mapping every digit to "0" and anything else
# to " ", then looking for 19 zeros: two C passes, 10 ms over 7 MB, where the regex
# [0-9]{19,} took 80 to 120 ms, all of it holding the GIL (the event loop waited as long).
LONG_DIGITS = b"0" * 19
DIGITS_ONLY = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
ORJSON_TOO_DEEP = "depth limit exceeded"  # orjson's message past 1,024 levels
TOO_DEEP = f"nesting deeper than the limit of {MAX_DEPTH} levels"
# What nesting counts: brackets outside strings (a string is one token, escapes included),
# and the values they hold (a string before a colon is a key, not one).
JSON_TOKENS = re.compile(r'(?P<text>"(?:[^"\\]|\\.)*")(?P<key>\s*:)?|[\[\]{}]|[^\s,:\[\]{}"]+')
CLOSING = frozenset({"]", "}"})
# A value's place: the keys and indexes leading to it.
Loc = tuple[str | int, ...]


def loads(data: bytes | str) -> Any:
    """Parse strict JSON quickly, or JSON with comments (JSON5) when strict parsing fails.

    Raises InvalidInput naming the line and column of a syntax error, or the field holding
    what no store can keep (see ``check_values``).
    """
    try:
        value = _strict(data)
    except RecursionError:
        raise _too_deep(data) from None
    except ValueError as exc:  # orjson's and the standard parser's errors, bad UTF-8 included
        if isinstance(exc, orjson.JSONDecodeError) and exc.msg == ORJSON_TOO_DEEP:
            raise _too_deep(data) from None  # JSON5's parser would recurse until it broke
        value = _loads_with_comments(data)
    try:
        check_values(value)
    except TooDeep:  # parsed, but past the limit: say where in the text, as for a syntax error
        raise _too_deep(data) from None
    return value


def has_long_digits(data: bytes | str) -> bool:
    """Whether ``data`` has a run of digits orjson would not read as the integer it is."""
    text = data if isinstance(data, bytes) else data.encode(errors="surrogatepass")
    return LONG_DIGITS in text.translate(DIGITS_ONLY)


def _strict(data: bytes | str) -> Any:
    return json.loads(data) if has_long_digits(data) else orjson.loads(data)


def _loads_with_comments(data: bytes | str) -> Any:
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    try:
        return json5.loads(text)
    except ValueError as exc:
        detail = str(exc).removeprefix("<string>:")
        raise InvalidInput(
            "The document is not valid JSON (comments are allowed).",
            [ErrorDetail(("body",), f"line {detail}")],
        ) from None
    except RecursionError:
        raise _too_deep(data) from None


def _too_deep(data: bytes | str) -> InvalidInput:
    return too_deep("The document", data, *too_deep_at(data, MAX_DEPTH))


def too_deep(subject: str, data: bytes | str, offset: int, path: Loc) -> InvalidInput:
    """The refusal of ``data`` (``subject``: the body, the document) nested past the limit
    at ``offset``, located at ``path`` in it, and by line and column in its text."""
    line, column = position(data, offset)
    loc = located(("body", *path))
    where = cut(".".join(map(str, loc)), MAX_SHOWN)
    return InvalidInput(
        f"{subject} nests deeper than the limit of {MAX_DEPTH} levels, at {where} (line "
        f"{line} column {column}).",
        [ErrorDetail(loc, f"line {line} column {column}: {TOO_DEEP}")],
    )


def too_deep_at(data: bytes | str, limit: int) -> tuple[int, Loc]:
    """The offset in ``data`` of the first value nesting past ``limit`` levels, a bracket
    opening past it or a value in a bracket at it, and the keys and indexes leading to it:
    where a body too deep is refused ((0, ()) when none does)."""
    text = data.decode(errors="replace") if isinstance(data, bytes) else data
    # The key or index of the value each open bracket is at (an index from -1: none yet).
    path: list[str | int] = []
    for token in JSON_TOKENS.finditer(text):
        kind = token.group()
        if kind in CLOSING:
            del path[-1:]
        elif token["key"] is not None:
            path[-1:] = [_key(token["text"])]
        else:  # a value starts, at the level below every open bracket
            if path and isinstance(path[-1], int):
                path[-1] += 1
            if len(path) >= limit:
                return token.start(), tuple(path)
            if kind in ("[", "{"):
                path.append(-1 if kind == "[" else "")
    return 0, ()


def _key(text: str) -> str:
    """An object's key as written in JSON (its escapes read), or as it stands when it is
    not valid JSON text (what JSON5 allows)."""
    try:
        key = json.loads(text)
    except ValueError:
        return text[1:-1]
    return key if isinstance(key, str) else text[1:-1]


def position(data: bytes | str, offset: int) -> tuple[int, int]:
    """Line and column (from 1) of a character offset."""
    text = data.decode(errors="replace") if isinstance(data, bytes) else data
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def check_values(value: Any, loc: Loc = ("body",)) -> None:
    """Refuse nesting past MAX_DEPTH, integers past 64 bits, the non-finite numbers JSON5
    allows (NaN, Infinity), and text with lone surrogates (a JSON escape such as
    ``"\\ud800"`` parses to one, and no store can encode it). The InvalidInput names the
    field: ``loc`` followed by the path to it (``body.actions.0.data.amount``)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    walked = 0
    while stack:
        walked += 1
        if walked == WALK_LIMIT and plainly_storable(value):
            return  # a large value, checked at C's speed rather than walked to the end
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            path = _locate(value, lambda _, at: at > MAX_DEPTH)
            raise _fault(
                loc, path, f"nesting deeper than the limit of {MAX_DEPTH} levels", deep=True
            )
        fault = _scalar_fault(node)
        if fault is not None:
            raise _fault(loc, _locate(value, partial(_is, node)), fault)
        if isinstance(node, dict):
            stack.extend((key, depth) for key in node)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


# Past this many values, ``check_values`` asks ``plainly_storable`` instead of walking on.
WALK_LIMIT = 1000
# What plainly_storable tells apart, by exact type: the types JSON parsers make.
PLAIN = frozenset({dict, list, str, int, float, bool, type(None)})
IS_DICT, IS_LIST = dict.__instancecheck__, list.__instancecheck__
IS_INT, IS_FLOAT = int.__instancecheck__, float.__instancecheck__
VALUES = methodcaller("values")


def plainly_storable(value: Any) -> bool:
    """Whether ``check_values`` would find nothing to refuse in ``value``, told without a
    Python loop over its values: a 7 MB event's walk (400,000 values) took 0.5 s of CPU in
    bytecode, holding the GIL that the event loop needs between switches; here a quarter of
    that in C calls, each over a level of values (``filter``, ``min``, ``max``), so the loop
    waits for one call at most. False when unsure (a type JSON does not make) as for a
    fault: the walk then finds the field to name.

    orjson's encoder (12 ms for 7 MB) refuses text with a surrogate, keys that are not
    text and integers outside -2**63 .. 2**64-1: what is left are integers from 2**63,
    floats and depth."""
    try:
        orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError included
        return False
    level = [value]
    for _ in range(MAX_DEPTH):
        kinds = set(map(type, level))
        if not kinds <= PLAIN or not _numbers_storable(level, kinds):
            return False
        below = [*chain.from_iterable(map(VALUES, filter(IS_DICT, level)))] if dict in kinds else []
        if list in kinds:
            below.extend(chain.from_iterable(filter(IS_LIST, level)))
        if not below:
            return True
        level = below
    return False  # values past MAX_DEPTH


def _numbers_storable(level: list[Any], kinds: set[type]) -> bool:
    # bools count as integers here, always in range.
    if int in kinds and max(filter(IS_INT, level)) >= INT64.stop:
        return False
    if float not in kinds:
        return True
    # Past 2**53 every float is whole: the bounds are those of whole numbers written as
    # floats. A sum that is not finite means a NaN or an infinity (or an overflow: then
    # the walk looks).
    floats = [*filter(IS_FLOAT, level)]
    return math.isfinite(sum(floats)) and INT64.start <= min(floats) and max(floats) < INT64.stop


# The validation context of a document ``plainly_storable`` passed whole (``app.api.bodies``):
# each of its fields would pass ``check_values``, so ``storable_field`` does not walk them
# again, field by field (half the parse of a batch of 1,000 small events).
STORABLE = {"storable": True}


def storable_field(value: Any, info: ValidationInfo) -> Any:
    """``value`` as a model's validator: what ``check_values`` refuses is located at the
    value at fault, under the field (``body.data.cart.total``, not ``body.data``), so a
    client can point at it. Nesting past the limit stays a ValueError at the field: its
    path would be 64 keys long."""
    if info.context is not None and info.context.get("storable"):
        return value
    try:
        check_values(value, ())
    except TooDeep as exc:
        # Raised after the except block: in it, ``exc`` would stay in this frame, which its
        # traceback holds, a cycle keeping ``value`` (megabytes, maybe) until a collection.
        reason, problems = exc.message, None
    except InvalidInput as exc:
        reason, problems = exc.message, exc.details
    else:
        return value
    if problems:
        raise refusal("storable", problems)
    raise ValueError(reason)


def _is(target: Any, node: Any, _depth: int) -> bool:
    return node is target


class TooDeep(InvalidInput):
    """A value nested past MAX_DEPTH: a parser that has the text says where it is."""


def _fault(loc: Loc, path: Loc, reason: str, *, deep: bool = False) -> InvalidInput:
    # Past the depth limit the message names where the value starts, not 64 levels of
    # path; the detail has them all.
    where = ".".join(map(str, loc if deep else (*loc, *path)))
    message = f"{where}: {reason}" if where else reason
    return (TooDeep if deep else InvalidInput)(message, [ErrorDetail((*loc, *path), reason)])


def _scalar_fault(node: Any) -> str | None:
    if isinstance(node, str) and not node.isascii() and SURROGATE.search(node):
        return "text that is not valid Unicode (a lone surrogate, \\ud800-\\udfff)"
    if isinstance(node, int) and node not in INT64:
        return f"integer {_integer_text(node)} is outside 64 bits (-2**63 .. 2**63-1)"
    if isinstance(node, float) and not math.isfinite(node):
        return f"non-finite number {node}, which JSON cannot represent"
    if isinstance(node, float) and node.is_integer() and not -(2**63) <= node < 2**63:
        # JSON (and its schema) does not tell 1e20 from 100000000000000000000: refused
        # alike, so the schema's one bound holds for both.
        return f"whole number {node!r} is outside 64 bits (-2**63 .. 2**63-1)"
    return None


def _locate(value: Any, fault: Callable[[Any, int], bool]) -> Loc:
    """The path to the first node (or dict key) at which ``fault(node, depth)`` holds (a
    key's path is its dict's). Walked again only once a fault is found, so the usual check
    builds no paths."""
    stack: list[tuple[Any, int, Loc]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if fault(node, depth):
            return path
        if isinstance(node, dict):
            if any(fault(key, depth) for key in node):
                return path
            stack.extend((child, depth + 1, (*path, key)) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, depth + 1, (*path, i)) for i, child in enumerate(node))
    return ()


def storable(value: Any) -> Any:
    """A copy of ``value`` every store can keep. What ``check_values`` refuses (integers
    past 64 bits, non-finite numbers, lone surrogates, nesting past MAX_DEPTH) and what is
    not JSON at all (bytes, dates, objects) becomes text: a connector's output describes a
    call already made, so it is recorded as well as it can be rather than lost. A ``Stored``
    is copied as a plain dict, its values as they are."""
    if type(value) is Stored:
        return dict(value)
    return _storable(value, 1)


class Stored(dict[str, Any]):
    """A dict whose maker vouches that ``storable`` would keep every value in it as it is:
    JSON's own types only, integers within 64 bits, finite floats, text without lone
    surrogates, nesting within MAX_DEPTH counting the dict as the first level. ``storable``
    then copies its first level instead of walking it (a webhook's answer: about a dozen
    Python calls for a small one, every value of a large one)."""


def stored_json(data: bytes, depth: int) -> Any:
    """``data`` parsed as JSON into what ``storable`` keeps as it is when nested at
    ``depth``, or ValueError: when it is not JSON, or JSON that only the standard parser
    reads (NaN, a byte order mark, a lone surrogate), or that could hold an integer past 64
    bits (a run of 19 digits: orjson would read it as a float) or nest past MAX_DEPTH (a
    bracket anywhere, in strings too, counted as a level)."""
    if LONG_DIGITS in data.translate(DIGITS_ONLY):
        raise ValueError("a run of digits orjson may not read as the integer it is")
    if depth + data.count(b"[") + data.count(b"{") > MAX_DEPTH:
        raise ValueError(TOO_DEEP)
    return orjson.loads(data)


def stored_text(text: str) -> bool:
    """Whether ``storable`` keeps ``text`` as it is (it has no lone surrogate)."""
    return text.isascii() or not SURROGATE.search(text)


def _storable(value: Any, depth: int) -> Any:
    # The types JSON parsers make, told by their exact type first: a connector's answer is
    # made of them, and this runs on every value of every answer a worker records.
    kind = type(value)
    if kind is str:
        return value if value.isascii() else _text(value)
    if (kind is dict or kind is list) and depth < MAX_DEPTH:
        if kind is list:
            return [_storable(item, depth + 1) for item in value]
        return {
            key if type(key) is str and key.isascii() else _text(str(key)): _storable(
                item, depth + 1
            )
            for key, item in value.items()
        }
    if kind is int:
        return value if value in INT64 else _integer_text(value)
    return _storable_any(value, depth)


def _storable_any(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    # Subclasses (numpy's float64, enums) become the plain type: encoders refuse some.
    if isinstance(value, int):
        return int(value) if value in INT64 else _integer_text(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _text(str.__str__(value))
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
    if stored_text(value):
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")
