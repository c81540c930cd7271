from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.clock import SystemClock
from app.engine.expressions.conditions import CompiledConditions, compile_conditions, value_problem
from app.models.condition import OPERATOR_SYMBOLS, Condition, Operator


def compiled(*conditions: dict[str, Any]) -> CompiledConditions:
    return compile_conditions([Condition.model_validate(c) for c in conditions], SystemClock())


def evaluate(operator: str, expected: Any, actual: Any) -> bool:
    """The result for ``{"x": actual}``, checked against explain's."""
    conditions = compiled({"field": "x", "operator": operator, "value": expected})
    context = {"x": actual}
    explained_result: bool = conditions.explain(context)[0]["result"]
    result = conditions(context)
    assert explained_result is result
    return result


def explained(operator: str, expected: Any, context: dict[str, Any]) -> dict[str, Any]:
    conditions = compiled({"field": "x", "operator": operator, "value": expected})
    return conditions.explain(context)[0]


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "result"),
    [
        ("equals", 5, 5, True),
        ("equals", 5, 5.0, True),
        ("equals", 5, 6, False),
        ("equals", "a", "a", True),
        ("equals", "1", 1, False),
        ("equals", None, None, True),
        ("equals", True, True, True),
        ("equals", True, 1, False),
        ("equals", 1, True, False),
        ("equals", 0, False, False),
        ("equals", [1, True], [1.0, True], True),
        ("equals", [1], [True], False),
        ("equals", {"a": 1}, {"a": 1.0}, True),
        ("equals", {"a": 1}, {"a": True}, False),
        ("not_equals", 5, 6, True),
        ("not_equals", 5, 5, False),
        ("not_equals", True, 1, True),
    ],
)
def test_equality(operator: str, expected: Any, actual: Any, result: bool) -> None:
    assert evaluate(operator, expected, actual) is result


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "result"),
    [
        ("contains", "ell", "hello", True),
        ("contains", "z", "hello", False),
        ("contains", 1, "123", False),
        ("contains", 2, [1, 2], True),
        ("contains", 2.0, [1, 2], True),
        ("contains", True, [1], False),
        ("contains", [1], [[1], [2]], True),
        ("contains", "k", {"k": 1}, True),
        ("contains", "v", {"k": "v"}, False),
        ("contains", "1", 123, False),
        ("contains", None, None, False),
        ("not_contains", "z", "hello", True),
        ("not_contains", "ell", "hello", False),
        ("not_contains", "vip", ["vip"], False),
        ("not_contains", "x", 42, True),
    ],
)
def test_containment(operator: str, expected: Any, actual: Any, result: bool) -> None:
    assert evaluate(operator, expected, actual) is result


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "result"),
    [
        ("greater_than", 50, 75, True),
        ("greater_than", 50, 50, False),
        ("greater_than", 50, 50.5, True),
        ("greater_than", "b", "c", True),
        ("greater_than", "b", "a", False),
        ("greater_than", 5, "10", False),
        ("greater_than", "5", 10, False),
        ("greater_than", 0, True, False),
        ("greater_than", False, 1, False),
        ("greater_than", 50, None, False),
        ("greater_than", [1], [2], False),
        ("less_than", 50, 25, True),
        ("less_than", 50, 50, False),
        ("less_than", "b", "a", True),
        ("less_than", 50, "25", False),
        ("greater_than_or_equals", 50, 50, True),
        ("greater_than_or_equals", 50, 49.9, False),
        ("greater_than_or_equals", "a", "a", True),
        ("less_than_or_equals", 50, 50, True),
        ("less_than_or_equals", 50, 51, False),
        ("less_than_or_equals", 50, {}, False),
    ],
)
def test_ordering(operator: str, expected: Any, actual: Any, result: bool) -> None:
    assert evaluate(operator, expected, actual) is result


@pytest.mark.parametrize(
    ("symbol", "actual", "result"),
    [
        (">", 51, True),
        ("<", 51, False),
        (">=", 50, True),
        (">=", 49, False),
        ("<=", 50, True),
        ("==", 50, True),
        ("!=", 50, False),
    ],
)
def test_symbols(symbol: str, actual: Any, result: bool) -> None:
    assert evaluate(symbol, 50, actual) is result


def test_a_symbol_is_explained_by_its_name() -> None:
    assert explained(">=", 50, {"x": 75})["operator"] == "greater_than_or_equals"


@pytest.mark.parametrize(
    ("actual", "result"),
    [
        (None, True),
        ("", True),
        ([], True),
        ({}, True),
        (0, False),
        (False, False),
        (" ", False),
        ([None], False),
        ({"a": None}, False),
    ],
)
def test_is_empty(actual: Any, result: bool) -> None:
    assert evaluate("is_empty", None, actual) is result
    assert evaluate("is_not_empty", None, actual) is not result


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "result"),
    [
        ("in_list", ["gold", "silver"], "gold", True),
        ("in_list", ["gold", "silver"], "bronze", False),
        ("in_list", [1, 2], 1.0, True),
        ("in_list", [True], 1, False),
        ("in_list", [1], True, False),
        ("in_list", [None], None, True),
        ("in_list", ["a"], ["a"], False),
        ("in_list", [[1], [2]], [1], True),
        ("in_list", [{"a": 1}], {"a": True}, False),
        ("in_list", [], "a", False),
        ("not_in_list", ["silver"], "gold", True),
        ("not_in_list", ["silver"], "silver", False),
        ("not_in_list", [1], True, True),
    ],
)
def test_lists(operator: str, expected: Any, actual: Any, result: bool) -> None:
    assert evaluate(operator, expected, actual) is result


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "result"),
    [
        ("starts_with", "he", "hello", True),
        ("starts_with", "lo", "hello", False),
        ("starts_with", "1", 123, False),
        ("starts_with", 1, "123", False),
        ("ends_with", "lo", "hello", True),
        ("ends_with", "he", "hello", False),
        ("ends_with", "a", ["a"], False),
    ],
)
def test_affixes(operator: str, expected: Any, actual: Any, result: bool) -> None:
    assert evaluate(operator, expected, actual) is result


@pytest.mark.parametrize("actual", [None, 0, "", False, [], {}])
def test_exists_whatever_the_value(actual: Any) -> None:
    assert evaluate("exists", None, actual) is True
    assert evaluate("not_exists", None, actual) is False


@pytest.mark.parametrize(
    ("bounds", "actual", "result"),
    [
        ([1, 10], 5, True),
        ([1, 10], 1, True),
        ([1, 10], 10, True),
        ([1, 10], 10.5, False),
        ([1, 10], 0, False),
        ([10, 1], 5, False),
        (["a", "m"], "hello", True),
        (["a", "m"], "zed", False),
        ([1, 10], "5", False),
        ([0, 1], True, False),
        ([1, "z"], 5, False),
        ([None, None], None, False),
    ],
)
def test_between(bounds: list[Any], actual: Any, result: bool) -> None:
    assert evaluate("between", bounds, actual) is result


@pytest.mark.parametrize(
    ("pattern", "actual", "result"),
    [
        (r"\d+$", "order-123", True),
        (r"\d+", "order", False),
        (r"^gold|silver$", "silver", True),
        (r"\d", 123, False),
        ("", "", True),
    ],
)
def test_matches(pattern: str, actual: Any, result: bool) -> None:
    assert evaluate("matches", pattern, actual) is result


def test_a_catastrophic_pattern_gives_up_and_is_false() -> None:
    context = {"x": "a" * 5000 + "b"}
    assert evaluate("matches", "(a+)+$", context["x"]) is False
    assert "took over" in explained("matches", "(a+)+$", context)["reason"]


def test_only_the_start_of_a_long_input_is_searched() -> None:
    assert evaluate("matches", "b", "a" * 9_999 + "b") is True
    assert evaluate("matches", "b", "a" * 10_000 + "b") is False


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "result"),
    [
        ("before", "2024-06-01", "2024-01-01", True),
        ("before", "2024-01-01", "2024-06-01T00:00:00Z", False),
        ("before", "2024-01-01", "2024-01-01", False),
        # Naive means UTC; offsets are honoured.
        ("before", "2024-01-01T00:00:01Z", "2024-01-01T00:00:00", True),
        ("before", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+02:00", True),
        # Unix seconds on either side: 1700000000 is 2023-11-14T22:13:20Z.
        ("before", "2024-01-01", 1_700_000_000, True),
        ("after", 1_700_000_000, "2023-11-14T22:13:21Z", True),
        ("after", 1_700_000_000, 1_700_000_000.5, True),
        ("before", "now", "2020-01-01", True),
        ("after", "now", "2020-01-01", False),
        ("after", "now", "2999-01-01", True),
        ("before", "2024-01-01", "not a date", False),
        ("after", "2024-01-01", True, False),
        ("after", "2024-01-01", None, False),
        ("before", "yesterday", "2020-01-01", False),
        ("after", [2024], "2020-01-01", False),
    ],
)
def test_dates(operator: str, expected: Any, actual: Any, result: bool) -> None:
    assert evaluate(operator, expected, actual) is result


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


# The actual date, or how many days before now it is: computed when the test runs, so that
# the test ids are the same in every pytest-xdist worker (a date in them would not be).
@pytest.mark.parametrize(
    ("operator", "expected", "actual", "result"),
    [
        ("before", "now-P7D", 8, True),
        ("before", "now-P7D", 6, False),
        ("before", "now - P7D", 8, True),
        ("after", "now-PT1H", 0, True),
        ("after", "now+P1D", 0, False),
        ("after", "now+P1D", "2999-01-01", True),
        ("before", "now-P7X", 30, False),
    ],
)
def test_dates_relative_to_now(
    operator: str, expected: Any, actual: int | str, result: bool
) -> None:
    when = days_ago(actual) if isinstance(actual, int) else actual
    assert evaluate(operator, expected, when) is result


def test_a_relative_date_reads_as_written_in_reasons() -> None:
    reason = explained("before", "now-P7D", {"x": "2020-01-01"})["reason"]
    assert reason == "'2020-01-01' is before now-P7D"


def value_for(operator: Operator) -> Any:
    """A value the model accepts for the operator."""
    if operator in (Operator.IN_LIST, Operator.NOT_IN_LIST):
        return [1]
    if operator is Operator.BETWEEN:
        return [1, 2]
    return "x" if operator is Operator.MATCHES else 1


TRUE_WHEN_MISSING = {
    Operator.IS_EMPTY,
    Operator.NOT_EXISTS,
    Operator.NOT_EQUALS,
    Operator.NOT_CONTAINS,
    Operator.NOT_IN_LIST,
}


@pytest.mark.parametrize("operator", list(Operator))
def test_a_missing_field(operator: Operator) -> None:
    conditions = compiled({"field": "ghost", "operator": operator, "value": value_for(operator)})
    context = {"x": 1, "user": {"y": 2}}
    assert conditions(context) is (operator in TRUE_WHEN_MISSING)
    [account] = conditions.explain(context)
    assert account["actual"] is None
    assert account["reason"] == "field is missing"
    assert account["result"] is (operator in TRUE_WHEN_MISSING)


def test_null_is_present_not_missing() -> None:
    assert evaluate("exists", None, None) is True
    assert evaluate("equals", None, None) is True
    assert explained("is_empty", None, {"x": None})["reason"] == "None is empty"


def test_the_seed_condition_reads_the_users_field() -> None:
    conditions = compiled({"field": "email_verified", "operator": "equals", "value": True})
    assert conditions({"user": {"email_verified": True}}) is True
    assert conditions({"user": {"email_verified": False}}) is False
    assert conditions({"user": {}}) is False


def test_the_root_wins_over_the_user() -> None:
    conditions = compiled({"field": "plan", "operator": "equals", "value": "pro"})
    assert conditions({"plan": "pro", "user": {"plan": "free"}}) is True
    assert conditions({"plan": "free", "user": {"plan": "pro"}}) is False


def test_a_list_index_in_a_path() -> None:
    conditions = compiled({"field": "cart.items.0.price", "operator": ">", "value": 50})
    assert conditions({"cart": {"items": [{"price": 75}, {"price": 10}]}}) is True
    assert conditions({"cart": {"items": [{"price": 10}, {"price": 75}]}}) is False
    assert conditions({"cart": {"items": []}}) is False


def test_a_leaf_is_explained() -> None:
    assert explained("greater_than", 50, {"x": 75}) == {
        "field": "x",
        "operator": "greater_than",
        "expected": 50,
        "actual": 75,
        "result": True,
        "reason": "75 is greater than 50",
    }


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "reason"),
    [
        ("not_in_list", ["silver"], "gold", "'gold' is not in ['silver']"),
        ("not_equals", 1, 2, "2 is not equal to 1"),
        ("greater_than", 50, "abc", "'abc' and 50 cannot be compared"),
        ("between", [1, 10], 11, "11 is not between 1 and 10"),
        ("before", "now", "2020-01-01", "'2020-01-01' is before now"),
        ("after", "2024-01-01", "soon", "'soon' is not a date"),
        ("after", "soon", "2024-01-01", "'soon' is not a date"),
        ("contains", "a", 5, "5 is not a string, list or object"),
        ("not_contains", "a", 5, "5 is not a string, list or object"),
    ],
)
def test_reasons(operator: str, expected: Any, actual: Any, reason: str) -> None:
    assert explained(operator, expected, {"x": actual})["reason"] == reason


def test_a_type_mismatch_is_false_for_the_positive_and_true_for_the_negation() -> None:
    assert explained("contains", "a", {"x": 5})["result"] is False
    assert explained("not_contains", "a", {"x": 5})["result"] is True


def test_long_values_are_shortened_in_reasons() -> None:
    reason = explained("equals", "b", {"x": "a" * 5000})["reason"]
    assert len(reason) < 100


def test_groups_nest() -> None:
    conditions = compiled(
        {
            "all": [
                {"field": "tier", "operator": "equals", "value": "gold"},
                {
                    "any": [
                        {"field": "cart_value", "operator": ">", "value": 100},
                        {"not": {"field": "country", "operator": "in_list", "value": ["XX"]}},
                    ]
                },
            ]
        }
    )
    assert conditions({"tier": "gold", "cart_value": 10, "country": "FR"}) is True
    assert conditions({"tier": "gold", "cart_value": 10, "country": "XX"}) is False
    assert conditions({"tier": "gold", "cart_value": 500, "country": "XX"}) is True
    assert conditions({"tier": "silver", "cart_value": 500}) is False


def test_a_group_is_explained_with_its_children() -> None:
    conditions = compiled(
        {
            "any": [
                {"not": {"field": "a", "operator": "exists"}},
                {"field": "a", "operator": "==", "value": 2},
            ]
        }
    )
    [account] = conditions.explain({"a": 1})
    assert account["group"] == "any"
    assert account["result"] is False
    negation, leaf = account["conditions"]
    assert negation["group"] == "not"
    assert negation["result"] is False
    assert negation["conditions"][0]["result"] is True
    assert leaf["reason"] == "1 is not equal to 2"


def test_the_first_condition_that_fails_is_named_with_its_path_and_fields() -> None:
    conditions = compiled(
        {"field": "cart_value", "operator": "greater_than", "value": 50},
        {
            "all": [
                {"field": "plan", "operator": "equals", "value": "vip"},
                {
                    "any": [
                        {"field": "country", "operator": "exists"},
                        {"field": "user.tz", "operator": "exists"},
                    ]
                },
            ]
        },
        {"not": {"field": "banned", "operator": "exists"}},
    )
    shopper = {"cart_value": 80, "plan": "vip", "country": "FR"}
    assert conditions.unmet({}) == "conditions.0 (cart_value greater_than)"
    assert conditions.unmet({"cart_value": 80}) == "conditions.1.all.0 (plan equals)"
    assert conditions.unmet({"cart_value": 80, "plan": "vip"}) == (
        "conditions.1.all.1 (any of country, user.tz)"
    )
    assert conditions.unmet(shopper | {"banned": True}) == "conditions.2 (not banned)"
    assert conditions.unmet(shopper) is None


def test_a_failed_group_names_a_few_of_its_fields_and_counts_the_rest() -> None:
    # The reason is kept with every event the group turns down: it stays short however many
    # fields the group tests.
    tested = [{"field": f"f{n}", "operator": "exists"} for n in range(12)]
    conditions = compiled({"any": tested}, {"not": {"any": tested}})
    assert conditions.unmet({}) == "conditions.0 (any of f0, f1, f2, f3, f4 and 7 more)"
    assert conditions.unmet({"f0": 1}) == "conditions.1 (not f0, f1, f2, f3, f4 and 7 more)"


def test_a_list_means_all() -> None:
    conditions = compiled(
        {"field": "a", "operator": ">", "value": 1}, {"field": "b", "operator": "<", "value": 1}
    )
    assert conditions({"a": 2, "b": 0}) is True
    assert conditions({"a": 2, "b": 2}) is False
    assert [item["result"] for item in conditions.explain({"a": 2, "b": 2})] == [True, False]


def test_no_conditions_always_hold() -> None:
    conditions = compile_conditions([], SystemClock())
    assert conditions({}) is True
    assert conditions.explain({}) == []


def test_a_context_too_deep_to_compare_is_false_not_an_error() -> None:
    deep: Any = []
    other: Any = []
    for _ in range(5_000):
        deep, other = [deep], [other]
    conditions = compiled({"field": "x", "operator": "equals", "value": [[]]})
    negated = compiled({"field": "x", "operator": "not_equals", "value": [[]]})
    context = {"x": deep}
    # The expected value is shallow, so only the context is deep: equality fails cheaply.
    assert conditions(context) is False
    assert negated(context) is True
    # Both sides deep cannot happen: a condition's value is bounded like any stored value.
    with pytest.raises(ValidationError, match="nesting deeper than the limit of 64 levels"):
        compiled({"field": "x", "operator": "in_list", "value": [other]})


# Contexts are what intake accepts: numbers within 64 bits (a float past them is a whole
# number, refused like its integer), no NaN or infinity.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(min_value=-(2.0**63), max_value=2.0**63, exclude_max=True, allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["2024-01-01", "2024-06-01T12:00:00+02:00", "now", "gold", ""])
)
NAMES = st.sampled_from(["a", "b", "user", "email_verified", "0", "1"])
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=12,
)
CONTEXTS = st.dictionaries(NAMES, JSON, max_size=5)
PATHS = st.lists(NAMES, min_size=1, max_size=3).map(".".join)
# Patterns that stay far from the search timeout, so both evaluations see the same result.
PATTERNS = st.sampled_from(["", "^a", "b$", "[0-9]+", "gold|silver", r"\d{4}-\d{2}", "(?i)A"])
OPERATORS = st.sampled_from([*Operator, *OPERATOR_SYMBOLS])


def values_for(operator: str) -> st.SearchStrategy[Any]:
    normalised = OPERATOR_SYMBOLS.get(operator, operator)
    if normalised in (Operator.IN_LIST, Operator.NOT_IN_LIST):
        return st.lists(JSON, max_size=4)
    if normalised == Operator.BETWEEN:
        return st.lists(SCALARS, min_size=2, max_size=2)
    return PATTERNS if normalised == Operator.MATCHES else JSON


LEAVES = OPERATORS.flatmap(
    lambda operator: st.fixed_dictionaries(
        {"field": PATHS, "operator": st.just(operator), "value": values_for(operator)}
    )
)
TREES = st.recursive(
    LEAVES,
    lambda inner: (
        st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)})
        | st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=3)})
        | st.fixed_dictionaries({"not": inner})
    ),
    max_leaves=8,
).map(Condition.model_validate)


def consistent(account: dict[str, Any]) -> bool:
    """A group's result follows from its children's, all the way down."""
    if "group" not in account:
        return True
    children = account["conditions"]
    results = [child["result"] for child in children]
    combined = {"all": all(results), "any": any(results), "not": not results[0]}
    return account["result"] is combined[account["group"]] and all(map(consistent, children))


@settings(max_examples=200, deadline=None)
@given(conditions=st.lists(TREES, max_size=3), context=CONTEXTS)
def test_call_never_raises_and_agrees_with_explain(
    conditions: list[Condition], context: dict[str, Any]
) -> None:
    compiled_conditions = compile_conditions(conditions, SystemClock())
    result = compiled_conditions(context)
    accounts = compiled_conditions.explain(context)
    assert result is all(account["result"] for account in accounts)
    assert (compiled_conditions.unmet(context) is None) is result
    singly = [compile_conditions([condition], SystemClock())(context) for condition in conditions]
    assert singly == [account["result"] for account in accounts]
    assert all(map(consistent, accounts))


@settings(max_examples=200, deadline=None)
@given(conditions=st.lists(TREES, max_size=3), context=CONTEXTS)
def test_explain_is_json(conditions: list[Condition], context: dict[str, Any]) -> None:
    accounts = compile_conditions(conditions, SystemClock()).explain(context)
    assert orjson.loads(orjson.dumps(accounts)) == accounts


def reasons(accounts: list[dict[str, Any]]) -> list[str]:
    found = []
    for account in accounts:
        if "reason" in account:
            found.append(account["reason"])
        found.extend(reasons(account.get("conditions", [])))
    return found


BIG = st.text(min_size=500, max_size=3000) | st.lists(st.integers(), min_size=200, max_size=400)


@settings(max_examples=100, deadline=None)
@given(conditions=st.lists(TREES, min_size=1, max_size=3), context=CONTEXTS, big=BIG)
def test_reasons_stay_short_whatever_the_values(
    conditions: list[Condition], context: dict[str, Any], big: Any
) -> None:
    """Explanations are shown to users and stored: huge values are cut, never copied."""
    context = {**context, "a": big, "user": {"b": big}}
    for reason in reasons(compile_conditions(conditions, SystemClock()).explain(context)):
        assert len(reason) <= 400


def test_wide_nested_values_are_shortened_in_reasons() -> None:
    nested: Any = "x" * 60
    for _ in range(5):
        nested = [nested] * 8
    reason = explained("equals", "b", {"x": nested})["reason"]
    assert len(reason) < 200


def test_a_reversed_range_of_dates_is_told_the_range_to_write_as_json() -> None:
    """The hint is there to be copied into the document: Python's single quotes would make
    it JSON the next save refuses."""
    condition = Condition(field="d", operator=Operator.BETWEEN, value=["2026-02-01", "2026-01-01"])
    problem = value_problem(condition)
    assert problem is not None
    assert problem.msg.endswith('never true; write ["2026-01-01", "2026-02-01"]')
    assert orjson.loads(problem.msg.rsplit("write ", 1)[1]) == ["2026-01-01", "2026-02-01"]


def test_the_conditions_roots_are_their_fields_first_names_and_user() -> None:
    compiled = compile_conditions(
        [
            Condition(field="cart.items.0.price", operator=Operator.GREATER_THAN, value=5),
            Condition(field="email_verified", operator=Operator.EQUALS, value=True),
        ],
        SystemClock(),
    )
    assert compiled.roots() == {"cart", "email_verified", "user"}
