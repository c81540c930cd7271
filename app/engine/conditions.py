"""Conditions, compiled once per workflow version and evaluated per event.

Evaluation never raises: a value of the wrong type makes a test false, with a reason in
``explain``. A missing field is false for every operator except the negative ones
(``not_equals``, ``not_contains``, ``not_in_list``, ``not_exists``) and ``is_empty``, which
are true: a missing email "does not contain" anything.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import regex

from app.engine.paths import MISSING, resolve_field, split_path
from app.models.document import Condition, Operator

# Regexes come from workflow authors; ``regex`` bounds each search in time and only the
# start of long inputs is searched, so no pattern can hold a worker.
REGEX_TIMEOUT = 0.05
REGEX_INPUT_LIMIT = 10_000
TRUE_WHEN_MISSING = frozenset(
    {Operator.NOT_EQUALS, Operator.NOT_CONTAINS, Operator.NOT_IN_LIST, Operator.NOT_EXISTS,
     Operator.IS_EMPTY}
)  # fmt: skip

Test = Callable[[Any], bool]
Context = Mapping[str, Any]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    if isinstance(actual, list):
        return any(_same(item, expected) for item in actual)
    if isinstance(actual, dict):
        return isinstance(expected, str) and expected in actual
    return False


def _comparable(a: Any, b: Any) -> bool:
    return (_number(a) and _number(b)) or (isinstance(a, str) and isinstance(b, str))


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda actual, expected: _comparable(actual, expected) and op(actual, expected)


def _empty(actual: Any) -> bool:
    return actual is MISSING or actual is None or actual in ("", [], {})


def _between(actual: Any, bounds: Any) -> bool:
    low, high = bounds
    return _comparable(actual, low) and _comparable(actual, high) and low <= actual <= high


def to_datetime(value: Any) -> datetime | None:
    """ISO 8601 date or datetime (naive means UTC), unix seconds, or ``"now"``."""
    if value == "now":
        return datetime.now(UTC)
    if _number(value) and math.isfinite(value):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _dated(before: bool) -> Callable[[Any, Any], bool]:
    def test(actual: Any, expected: Any) -> bool:
        a, b = to_datetime(actual), to_datetime(expected)
        return a is not None and b is not None and (a < b if before else a > b)

    return test


def _matches(pattern: str) -> Test:
    compiled = regex.compile(pattern)

    def test(actual: Any) -> bool:
        if not isinstance(actual, str):
            return False
        try:
            return compiled.search(actual[:REGEX_INPUT_LIMIT], timeout=REGEX_TIMEOUT) is not None
        except TimeoutError:
            return False

    return test


BINARY: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.EQUALS: _same,
    Operator.NOT_EQUALS: lambda a, e: not _same(a, e),
    Operator.CONTAINS: _contains,
    Operator.NOT_CONTAINS: lambda a, e: not _contains(a, e),
    Operator.GREATER_THAN: _compare(lambda a, e: a > e),
    Operator.LESS_THAN: _compare(lambda a, e: a < e),
    Operator.GREATER_THAN_OR_EQUALS: _compare(lambda a, e: a >= e),
    Operator.LESS_THAN_OR_EQUALS: _compare(lambda a, e: a <= e),
    Operator.IN_LIST: lambda a, e: any(_same(a, item) for item in e),
    Operator.NOT_IN_LIST: lambda a, e: not any(_same(a, item) for item in e),
    Operator.STARTS_WITH: lambda a, e: isinstance(a, str) and isinstance(e, str) and a.startswith(e),
    Operator.ENDS_WITH: lambda a, e: isinstance(a, str) and isinstance(e, str) and a.endswith(e),
    Operator.BETWEEN: _between,
    Operator.BEFORE: _dated(before=True),
    Operator.AFTER: _dated(before=False),
}
UNARY: dict[Operator, Test] = {
    Operator.IS_EMPTY: _empty,
    Operator.IS_NOT_EMPTY: lambda a: not _empty(a),
    Operator.EXISTS: lambda a: a is not MISSING,
    Operator.NOT_EXISTS: lambda a: a is MISSING,
}


def _leaf_test(condition: Condition) -> Test:
    operator, expected = condition.operator, condition.value
    assert operator is not None
    if operator in UNARY:
        return UNARY[operator]
    if operator == Operator.MATCHES:
        pattern = _matches(expected)
        return lambda actual: actual is not MISSING and pattern(actual)
    binary = BINARY[operator]
    if operator in TRUE_WHEN_MISSING:
        return lambda actual: actual is MISSING or binary(actual, expected)
    return lambda actual: actual is not MISSING and binary(actual, expected)


class Node:
    """One compiled condition or group."""

    def __init__(self, condition: Condition) -> None:
        self.condition = condition
        self.children = [Node(c) for c in condition.all or condition.any or []]
        self.negated = Node(condition.negated) if condition.negated is not None else None
        self.parts = split_path(condition.field) if condition.field else ()
        self.test: Test | None = _leaf_test(condition) if condition.field else None

    def __call__(self, context: Context) -> bool:
        if self.test is not None:
            return self.test(resolve_field(context, self.parts))
        if self.negated is not None:
            return not self.negated(context)
        if self.condition.all is not None:
            return all(child(context) for child in self.children)
        return any(child(context) for child in self.children)

    def explain(self, context: Context) -> dict[str, Any]:
        if self.test is not None:
            return self._explain_leaf(context)
        if self.negated is not None:
            inner = self.negated.explain(context)
            return {"group": "not", "result": not inner["result"], "conditions": [inner]}
        group = "all" if self.condition.all is not None else "any"
        children = [child.explain(context) for child in self.children]
        results = [child["result"] for child in children]
        result = all(results) if group == "all" else any(results)
        return {"group": group, "result": result, "conditions": children}

    def _explain_leaf(self, context: Context) -> dict[str, Any]:
        assert self.test is not None
        actual = resolve_field(context, self.parts)
        result = self.test(actual)
        operator = str(self.condition.operator)
        if actual is MISSING:
            reason = "field is missing"
        else:
            verdict = "meets" if result else "does not meet"
            reason = f"{actual!r} {verdict} {operator} {self.condition.value!r}"
        return {
            "field": self.condition.field,
            "operator": operator,
            "expected": self.condition.value,
            "actual": None if actual is MISSING else actual,
            "result": result,
            "reason": reason,
        }


class CompiledConditions:
    """A list of conditions that must all hold (an empty list always holds)."""

    def __init__(self, conditions: Sequence[Condition]) -> None:
        self._nodes = [Node(condition) for condition in conditions]

    def __call__(self, context: Context) -> bool:
        return all(node(context) for node in self._nodes)

    def explain(self, context: Context) -> list[dict[str, Any]]:
        return [node.explain(context) for node in self._nodes]


def compile_conditions(conditions: Sequence[Condition]) -> CompiledConditions:
    return CompiledConditions(conditions)
