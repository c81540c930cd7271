"""Conditions, compiled once per workflow version and evaluated per event.

``compile_conditions`` turns a list of conditions (all must hold) into closures: paths are
split, regexes compiled and dates parsed once. The compiled object answers a bool; through
``unmet``, in the same one pass, the first condition that fails; through ``explain``, why each
condition holds or fails.

Rules of evaluation:

- A missing field (see ``app.engine.expressions.paths.resolve_field``) makes every operator false except
  ``is_empty``, ``not_exists``, ``not_equals``, ``not_contains`` and ``not_in_list``, which
  are true: an absent email "does not contain" anything. Each ``not_`` operator, and
  ``is_not_empty``, is exactly the negation of its positive form.
- A value whose type does not fit the operator (``"abc" greater_than 5``, a number that
  ``contains``, a string that is not a date) makes the positive form false, never an error.
- ``True`` equals only ``True``, never ``1``, also inside lists and objects; ints and floats
  compare as numbers.
- Evaluation never raises. A context no JSON parser produces (nesting past the recursion
  limit, mappings that fail on lookup) makes the condition false.
"""

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import ge, gt, le, lt
from typing import Any, NoReturn, Protocol

import regex

from app.clock import Clock, SystemClock
from app.engine.expressions.paths import MISSING, resolve_field, split_path
from app.errors import ErrorDetail, shown
from app.models.condition import Condition, Operator
from app.models.validation import delay_seconds

Context = Mapping[str, Any]
Test = Callable[[Any], bool]

# Patterns come from workflow authors: each search is cut off after this many seconds.
REGEX_TIMEOUT = 0.05
# Characters of the input a regex searches (see _matches).
SEARCH_LIMIT = 10_000
# A moment relative to evaluation: "now-P7D" (seven days ago), "now+PT1H".
RELATIVE = regex.compile(r"now\s*([+-])\s*(P\S+)")

_NEGATIONS = {
    Operator.NOT_EQUALS: Operator.EQUALS,
    Operator.NOT_CONTAINS: Operator.CONTAINS,
    Operator.IS_NOT_EMPTY: Operator.IS_EMPTY,
    Operator.NOT_IN_LIST: Operator.IN_LIST,
    Operator.NOT_EXISTS: Operator.EXISTS,
}


class _Unfit(Exception):
    """The value does not fit the operator (wrong type, not a date, a search that timed out):
    the operator's positive form is false. The reason is formatted only when explained."""

    def __init__(self, template: str, *values: Any) -> None:
        super().__init__(template)
        self.template = template
        self.values = values

    def reason(self) -> str:
        return self.template.format(*map(shown, self.values))


class _Never:
    """The test of a condition whose expected value cannot work: always unfit. A save
    refuses such a condition (``value_problem``); one already stored is simply false."""

    def __init__(self, template: str, *values: Any) -> None:
        self.unfit = _Unfit(template, *values)

    def __call__(self, actual: Any) -> NoReturn:
        raise self.unfit


def _same(a: Any, b: Any) -> bool:
    """Equality in which a bool equals only a bool, inside lists and objects too."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(value, b[key]) for key, value in a.items())
    return bool(a == b)


def _kind(value: Any) -> str | None:
    """What orders with what: numbers with numbers, strings with strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else None


def _equals(expected: Any) -> Test:
    return lambda actual: _same(actual, expected)


def _contains(expected: Any) -> Test:
    def test(actual: Any) -> bool:
        if isinstance(actual, str):
            return isinstance(expected, str) and expected in actual
        if isinstance(actual, list):
            return any(_same(item, expected) for item in actual)
        if isinstance(actual, dict):
            return isinstance(expected, str) and expected in actual
        raise _Unfit("{} is not a string, list or object", actual)

    return test


def _ordering(compare: Callable[[Any, Any], bool]) -> Callable[[Any], Test]:
    def build(expected: Any) -> Test:
        kind = _kind(expected)
        if kind is None:
            return _Never("{} is not a number or a string", expected)

        def test(actual: Any) -> bool:
            if _kind(actual) != kind:
                raise _Unfit("{} and {} cannot be compared", actual, expected)
            return compare(actual, expected)

        return test

    return build


def _between(bounds: Any) -> Test:
    low, high = bounds  # the model checks that the value is [low, high]
    kind = _kind(low)
    if kind is None or _kind(high) != kind:
        return _Never("{} is not two numbers or two strings", bounds)

    def test(actual: Any) -> bool:
        if _kind(actual) != kind:
            raise _Unfit("{} and {} cannot be compared", actual, bounds)
        return bool(low <= actual <= high)

    return test


def _is_empty(expected: Any) -> Test:
    return lambda actual: actual is None or (isinstance(actual, str | list | dict) and not actual)


def _exists(expected: Any) -> Test:
    # Only reached when the path resolved: a missing field never gets to the test.
    return lambda actual: True


def _hashable_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float)


def _in_list(expected: Any) -> Test:
    items = list(expected)
    if all(map(_hashable_scalar, items)):
        # A set lookup for the usual list of strings or numbers; the bool flag in the key
        # keeps True apart from 1, as _same does.
        keys = frozenset((isinstance(item, bool), item) for item in items)
        return lambda actual: (
            _hashable_scalar(actual) and (isinstance(actual, bool), actual) in keys
        )
    return lambda actual: any(_same(actual, item) for item in items)


def _affix(method: Callable[[str, str], bool]) -> Callable[[Any], Test]:
    def build(expected: Any) -> Test:
        if not isinstance(expected, str):
            return _Never("{} is not a string", expected)

        def test(actual: Any) -> bool:
            if not isinstance(actual, str):
                raise _Unfit("{} is not a string", actual)
            return method(actual, expected)

        return test

    return build


def _matches(expected: Any) -> Test:
    try:
        pattern = regex.compile(expected)
    except (regex.error, TypeError) as exc:
        return _Never("the pattern {} does not compile: {}", expected, str(exc))

    def test(actual: Any) -> bool:
        if not isinstance(actual, str):
            raise _Unfit("{} is not a string", actual)
        try:
            # Only the first SEARCH_LIMIT characters are searched: the timeout stops runaway
            # backtracking, the limit keeps even a linear search of a huge input cheap.
            found = pattern.search(actual[:SEARCH_LIMIT], timeout=REGEX_TIMEOUT)
        except TimeoutError:
            raise _Unfit(f"the pattern took over {REGEX_TIMEOUT} s on {{}}", actual) from None
        return found is not None

    return test


def _instant(value: Any) -> float | None:
    """Unix seconds of an ISO 8601 date or datetime (naive means UTC) or of a number."""
    try:
        if isinstance(value, str):
            moment = datetime.fromisoformat(value)
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
        if _kind(value) == "number" and math.isfinite(value):
            return float(value)
    except (ValueError, OverflowError):
        return None
    return None


def _reference(expected: Any, clock: Clock) -> Callable[[], float] | None:
    if expected == "now":
        return lambda: clock.now().timestamp()
    relative = RELATIVE.fullmatch(expected.strip()) if isinstance(expected, str) else None
    if relative is not None:
        return _relative(relative.group(1), relative.group(2), clock)
    at = _instant(expected)
    return None if at is None else lambda: at


def moment(value: Any, clock: Clock) -> float | None:
    """Unix seconds of a ``before`` / ``after`` value (a date, a number, ``now``,
    ``now-P7D``) as of ``clock``'s instant; None when it is not one."""
    reference = _reference(value, clock)
    return None if reference is None else reference()


def _relative(sign: str, duration: str, clock: Clock) -> Callable[[], float] | None:
    try:
        offset = delay_seconds(duration) * (-1 if sign == "-" else 1)
    except ValueError:
        return None
    return lambda: clock.now().timestamp() + offset


def _timeless(build: Callable[[Any], Test]) -> Callable[[Any, Clock], Test]:
    """A builder whose test does not depend on the time."""
    return lambda expected, clock: build(expected)


def _moment(compare: Callable[[float, float], bool]) -> Callable[[Any, Clock], Test]:
    def build(expected: Any, clock: Clock) -> Test:
        reference = _reference(expected, clock)
        if reference is None:
            return _Never("{} is not a date", expected)

        def test(actual: Any) -> bool:
            moment = _instant(actual)
            if moment is None:
                raise _Unfit("{} is not a date", actual)
            return compare(moment, reference())

        return test

    return build


def _show_expected(expected: Any) -> str:
    return f" {shown(expected)}"


def _show_nothing(expected: Any) -> str:
    return ""


def _show_range(bounds: Any) -> str:
    return f" {shown(bounds[0])} and {shown(bounds[1])}"


def _show_moment(expected: Any) -> str:
    if isinstance(expected, str) and expected.startswith("now"):
        return f" {expected}"
    return _show_expected(expected)


@dataclass(frozen=True, slots=True)
class _Form:
    """How a positive operator is compiled and phrased in reasons."""

    build: Callable[[Any, Clock], Test]
    holds: str
    fails: str
    show: Callable[[Any], str] = _show_expected


_FORMS = {
    Operator.EQUALS: _Form(_timeless(_equals), "is equal to", "is not equal to"),
    Operator.CONTAINS: _Form(_timeless(_contains), "contains", "does not contain"),
    Operator.GREATER_THAN: _Form(
        _timeless(_ordering(gt)), "is greater than", "is not greater than"
    ),
    Operator.LESS_THAN: _Form(_timeless(_ordering(lt)), "is less than", "is not less than"),
    Operator.GREATER_THAN_OR_EQUALS: _Form(
        _timeless(_ordering(ge)), "is greater than or equal to", "is less than"
    ),
    Operator.LESS_THAN_OR_EQUALS: _Form(
        _timeless(_ordering(le)), "is less than or equal to", "is greater than"
    ),
    Operator.IS_EMPTY: _Form(_timeless(_is_empty), "is empty", "is not empty", _show_nothing),
    Operator.IN_LIST: _Form(_timeless(_in_list), "is in", "is not in"),
    Operator.STARTS_WITH: _Form(
        _timeless(_affix(str.startswith)), "starts with", "does not start with"
    ),
    Operator.ENDS_WITH: _Form(_timeless(_affix(str.endswith)), "ends with", "does not end with"),
    Operator.EXISTS: _Form(_timeless(_exists), "is present", "is missing", _show_nothing),
    Operator.BETWEEN: _Form(_timeless(_between), "is between", "is not between", _show_range),
    Operator.MATCHES: _Form(_timeless(_matches), "matches", "does not match"),
    Operator.BEFORE: _Form(_moment(lt), "is before", "is not before", _show_moment),
    Operator.AFTER: _Form(_moment(gt), "is after", "is not after", _show_moment),
}


# Where in a group a condition failed (``("all", 0)``), and the condition.
Failed = tuple[tuple[str | int, ...], "_Node"]


class _Node(Protocol):
    def __call__(self, context: Context) -> bool: ...

    def unmet(self, context: Context) -> "Failed | None": ...

    def tests(self) -> str: ...

    def fields(self) -> list[str]: ...

    def explain(self, context: Context) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class _Leaf:
    field: str
    operator: Operator
    expected: Any
    parts: tuple[str | int, ...]
    test: Test  # of the positive form, on a value that is present
    negate: bool
    on_missing: bool
    form: _Form

    def __call__(self, context: Context) -> bool:
        try:
            actual = resolve_field(context, self.parts)
            if actual is MISSING:
                return self.on_missing
            return self.test(actual) != self.negate
        except _Unfit:
            return self.negate
        except Exception:  # see the module docstring: no context makes evaluation raise
            return False

    def unmet(self, context: Context) -> "Failed | None":
        return None if self(context) else ((), self)

    def tests(self) -> str:
        return f"{self.field} {self.operator.value}"

    def fields(self) -> list[str]:
        return [self.field]

    def explain(self, context: Context) -> dict[str, Any]:
        actual, result, reason = self._judge(context)
        return {
            "field": self.field,
            "operator": self.operator.value,
            "expected": self.expected,
            "actual": actual,
            "result": result,
            "reason": reason,
        }

    def _judge(self, context: Context) -> tuple[Any, bool, str]:
        """``__call__`` step by step, keeping the value and the reason."""
        actual: Any = None
        try:
            actual = resolve_field(context, self.parts)
            if actual is MISSING:
                return None, self.on_missing, "field is missing"
            holds = self.test(actual)
        except _Unfit as unfit:
            return actual, self.negate, unfit.reason()
        except Exception as exc:
            return actual, False, f"could not be evaluated: {type(exc).__name__}"
        verb = self.form.holds if holds else self.form.fails
        return (
            actual,
            holds != self.negate,
            f"{shown(actual)} {verb}{self.form.show(self.expected)}",
        )


@dataclass(frozen=True, slots=True)
class _Group:
    name: str
    combine: Callable[[Iterable[bool]], bool]  # all or any
    children: tuple[_Node, ...]

    def __call__(self, context: Context) -> bool:
        return self.combine(child(context) for child in self.children)

    def unmet(self, context: Context) -> "Failed | None":
        """An ``all`` group fails at its first child that does; an ``any`` group as a whole."""
        if self.name == "any":
            return None if self(context) else ((), self)
        for index, child in enumerate(self.children):
            found = child.unmet(context)
            if found is not None:
                return (self.name, index, *found[0]), found[1]
        return None

    def tests(self) -> str:
        return f"{self.name} of {_named(self.fields())}"

    def fields(self) -> list[str]:
        return list(dict.fromkeys(field for child in self.children for field in child.fields()))

    def explain(self, context: Context) -> dict[str, Any]:
        explained = [child.explain(context) for child in self.children]
        result = self.combine(item["result"] for item in explained)
        return {"group": self.name, "result": result, "conditions": explained}


# The most fields a declined group's reason names: the reason is kept with every event it
# turns down, and a group may test thousands.
NAMED_FIELDS = 5


def _named(fields: list[str]) -> str:
    """``fields`` for a reason: the first few, and how many more."""
    listed = ", ".join(fields[:NAMED_FIELDS])
    more = len(fields) - NAMED_FIELDS
    return f"{listed} and {more} more" if more > 0 else listed


@dataclass(frozen=True, slots=True)
class _Not:
    child: _Node

    def __call__(self, context: Context) -> bool:
        return not self.child(context)

    def unmet(self, context: Context) -> "Failed | None":
        return ((), self) if self.child(context) else None

    def tests(self) -> str:
        return f"not {_named(self.fields())}"

    def fields(self) -> list[str]:
        return self.child.fields()

    def explain(self, context: Context) -> dict[str, Any]:
        inner = self.child.explain(context)
        return {"group": "not", "result": not inner["result"], "conditions": [inner]}


def _leaf(condition: Condition, clock: Clock) -> _Leaf:
    # The model guarantees a condition that is not a group has a field and an operator.
    assert condition.field is not None
    assert condition.operator is not None
    operator = condition.operator
    positive = _NEGATIONS.get(operator, operator)
    negate = positive is not operator
    form = _FORMS[positive]
    return _Leaf(
        field=condition.field,
        operator=operator,
        expected=condition.value,
        parts=split_path(condition.field),
        test=form.build(condition.value, clock),
        negate=negate,
        on_missing=(positive is Operator.IS_EMPTY) != negate,
        form=form,
    )


# Operators that test the field alone: they need no value.
VALUELESS = frozenset(
    {Operator.IS_EMPTY, Operator.IS_NOT_EMPTY, Operator.EXISTS, Operator.NOT_EXISTS}
)
ORDERING = frozenset(
    {
        Operator.GREATER_THAN,
        Operator.LESS_THAN,
        Operator.GREATER_THAN_OR_EQUALS,
        Operator.LESS_THAN_OR_EQUALS,
    }
)


# What to write instead of a value an operator can never compare, by its positive form.
_WRITE = {
    Operator.STARTS_WITH: 'write text in quotes, such as "+44"',
    Operator.ENDS_WITH: 'write text in quotes, such as "@example.com"',
    Operator.MATCHES: 'write a regular expression in quotes, such as "^gold"',
    Operator.BEFORE: "write an ISO 8601 date (2026-01-31 or 2026-01-31T09:00:00Z), now or now-P7D",
    Operator.AFTER: "write an ISO 8601 date (2026-01-31 or 2026-01-31T09:00:00Z), now or now-P7D",
}
# A number written as JSON would, short enough to echo in a hint.
_JSON_NUMBER = regex.compile(r"-?(?:0|[1-9][0-9]{0,30})(?:\.[0-9]{1,30})?(?:[eE][+-]?[0-9]{1,3})?")


def value_problem(condition: Condition) -> ErrorDetail | None:
    """Why a condition's ``value`` can never be compared by its operator and what to write
    instead, located at the value ("greater_than compares numbers ...: 'fifty' is neither;
    write a number, such as 50"); None when it can, and for groups. A save refuses such a
    condition before anything runs: evaluated, it would just be false, silently, on every
    event."""
    problem = _value_problem(condition)
    return None if problem is None else ErrorDetail(("value",), problem)


def _value_problem(condition: Condition) -> str | None:
    operator = condition.operator
    if operator is None or operator in VALUELESS:
        return None
    if "value" not in condition.model_fields_set:
        return f"{operator.value} needs a value to compare {condition.field} with: add one"
    value = condition.value
    if operator in ORDERING:
        return _ordered_problem(operator.value, value)
    if operator is Operator.BETWEEN:
        return _range_problem(value)
    # Building a test reads no time: any clock does to check the value's form.
    positive = _NEGATIONS.get(operator, operator)
    test = _FORMS[positive].build(value, SystemClock())
    if isinstance(test, _Never):
        write = _WRITE.get(positive)
        said = f"{operator.value} cannot work: {test.unfit.reason()}"
        return f"{said}; {write}" if write else said
    return None


def _ordered_problem(name: str, value: Any) -> str | None:
    """Numbers order as numbers, ISO 8601 dates as text; any other text ("fifty", "b")
    would order as text against text fields and fail against numbers."""
    if _kind(value) == "number" or (isinstance(value, str) and _instant(value) is not None):
        return None
    hint = "write a number, such as 50"
    if isinstance(value, str) and _JSON_NUMBER.fullmatch(value.strip()):
        hint = f"write {value.strip()} without quotes"
    return f"{name} compares numbers (or ISO 8601 dates): {shown(value)} is neither; {hint}"


def _range_problem(bounds: Any) -> str | None:
    # The model checks that the value is [low, high].
    for bound in bounds:
        problem = _ordered_problem("between", bound)
        if problem is not None:
            return problem
    low, high = bounds
    if _kind(low) != _kind(high):
        return f"between needs two numbers or two dates, not {shown(bounds)}: write [10, 100]"
    if low > high:
        above = f"between's low {shown(low)} is above its high {shown(high)}"
        return f"{above}: never true; write [{_as_json(high)}, {_as_json(low)}]"
    return None


def _as_json(bound: Any) -> str:
    """A bound as the document writes it, for a hint to copy: a date in double quotes, where
    ``shown`` quotes as Python does ('2026-01-31'), which a JSON document refuses. Both
    bounds passed ``_ordered_problem``: a number, or an ISO 8601 date, short."""
    return json.dumps(bound) if isinstance(bound, str) else shown(bound)


def _compile(condition: Condition, clock: Clock) -> _Node:
    if condition.all is not None:
        return _Group("all", all, tuple(_compile(c, clock) for c in condition.all))
    if condition.any is not None:
        return _Group("any", any, tuple(_compile(c, clock) for c in condition.any))
    if condition.negated is not None:
        return _Not(_compile(condition.negated, clock))
    return _leaf(condition, clock)


class CompiledConditions:
    """Conditions that must all hold; an empty list always holds. Build with
    ``compile_conditions``; calling it never raises."""

    __slots__ = ("_nodes",)

    def __init__(self, conditions: Sequence[Condition], clock: Clock) -> None:
        self._nodes = tuple(_compile(condition, clock) for condition in conditions)

    def __call__(self, context: Context) -> bool:
        """Whether every condition holds for ``context``."""
        return all(node(context) for node in self._nodes)

    def unmet(self, context: Context) -> str | None:
        """The first condition that does not hold for ``context``, found in the one pass
        ``__call__`` makes (evaluation stops there too): where the document has it and
        what it tests, ``conditions.1.all.0 (cart_value greater_than)``; None when all
        hold."""
        for index, node in enumerate(self._nodes):
            found = node.unmet(context)
            if found is not None:
                path, failed = found
                within = "".join(f".{part}" for part in path)
                return f"conditions.{index}{within} ({failed.tests()})"
        return None

    def roots(self) -> frozenset[str]:
        """The names the conditions read at the context's root: each field's first part,
        and ``user``, where a name not found at the root is looked up."""
        fields = [field for node in self._nodes for field in node.fields()]
        return frozenset({"user", *(str(split_path(field)[0]) for field in fields)})

    def explain(self, context: Context) -> list[dict[str, Any]]:
        """Per top-level condition, a JSON-ready account of its result: for a condition
        ``field``, ``operator``, ``expected``, ``actual``, ``result`` and ``reason``; for a
        group ``group`` (all, any or not), ``result`` and its ``conditions``. The results
        agree with ``__call__``, which holds when all of them are true."""
        return [node.explain(context) for node in self._nodes]


def compile_conditions(conditions: Sequence[Condition], clock: Clock) -> CompiledConditions:
    """Compile once (paths split, regexes compiled, dates parsed), evaluate per event;
    ``now`` in a ``before`` / ``after`` condition is ``clock``'s instant as it is evaluated."""
    return CompiledConditions(conditions, clock)
