"""A render plan gives what ``Renderer.render`` gives for the same value and context: the
same values of the same types in the same order, or the same error naming the same field."""

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.expressions.plan import plan_of
from app.engine.expressions.renderer import NOT_FOUND, Renderer, TemplateError

WHERE = "action call_1 data"
CONTEXT: dict[str, Any] = {
    "n": 7,
    "text": "plain",
    "accented": "café",
    "lone": "\ud800",
    "flag": True,
    "nothing": None,
    "ratio": 1.5,
    "whole": 1e20,
    "huge": 2**70,
    "a_name_longer_than_the_small_bound": 1,
    "user": {"id": "u1", "tags": ["a", "b"], "address": {"city": "Oslo"}},
    "vars": {"ref": {"$secret": "KEY"}, "long": "x" * 50},
}
RENDERER = Renderer()
# Bounds small enough that the context's values and the sources below reach them.
SMALL = Renderer(max_output_chars=20, max_template_chars=30)


def outcome(render: Callable[[], Any]) -> tuple[str, ...]:
    """What a render came to: its value's repr (which tells 1 from 1.0 and True, and shows
    the keys' order), or its error's type, message and details."""
    try:
        return ("value", repr(render()))
    except TemplateError as exc:
        return ("error", type(exc).__name__, exc.message, repr(exc.details))


def assert_planned_as_rendered(
    value: Any, context: dict[str, Any] = CONTEXT, renderer: Renderer = RENDERER
) -> tuple[str, ...]:
    rendered = outcome(lambda: renderer.render(value, context, WHERE))
    plan = plan_of(value, WHERE)
    planned = outcome(lambda: plan.render(renderer, context))
    assert planned == rendered
    # What the plan finds without the renderer, when it finds anything, is the render's.
    found = plan.found(context, renderer.bounds)
    if found is not NOT_FOUND:
        assert ("value", repr(found)) == rendered
    return planned


CONSTANTS = ["plain", "", "{# a comment #}", "{ {n} }", 3, 2.5, True, None, [], {}]
REFERENCES = [
    *("{{ n }}", "{{n}}", " {{ text }} ", "{{- flag -}}", "{{ nothing }}", "{{ accented }}"),
    *("{{ lone }}", "{{ ratio }}", "{{ whole }}", "{{ huge }}", "{{ user }}", "{{ user.tags }}"),
    *("{{ user.tags.1 }}", "{{ user.address.city }}", "{{ vars.ref }}", "{{ vars.long }}"),
    "{{ a_name_longer_than_the_small_bound }}",
    # Found by the expression, or by nothing: the renderer's to answer.
    *("{{ missing }}", "{{ user.missing }}", "{{ user.tags.2 }}", "{{ user.id.0 }}"),
    *("{{ user.keys }}", "{{ range }}", "{{ self }}", "{{ true }}", "{{ user.tags.01 }}"),
]
TEMPLATES = [
    *("Hi {{ user.id }}", "{{ n }}{{ n }}", "{{ n + 1 }}", "{{ user.tags | join(',') }}"),
    *("{% for t in user.tags %}{{ t }}{% endfor %}", "{{ missing | default('x') }}"),
    *("{{ n * 'ab' }}", "{{ {'$secret': 'K'} }}", "{{ huge * 2 }}", "{{ ratio / 0 }}"),
    *("{{ ''.__class__ }}", "{{ 'unclosed }}", "{% if %}", "{{ x.y }} and {{ n }}"),
    "{{ " + "n" * 40 + " }}",
]


@pytest.mark.parametrize("value", CONSTANTS, ids=repr)
def test_a_constant_is_planned_as_rendered(value: Any) -> None:
    assert_planned_as_rendered({"field": value, "list": [value]})


@pytest.mark.parametrize("source", REFERENCES)
@pytest.mark.parametrize("renderer", [RENDERER, SMALL], ids=["default", "small bounds"])
def test_a_single_reference_is_planned_as_rendered(source: str, renderer: Renderer) -> None:
    assert_planned_as_rendered({"field": source, "list": ["x", source]}, renderer=renderer)
    assert_planned_as_rendered(source, renderer=renderer)


@pytest.mark.parametrize("source", TEMPLATES)
@pytest.mark.parametrize("renderer", [RENDERER, SMALL], ids=["default", "small bounds"])
def test_a_template_is_planned_as_rendered(source: str, renderer: Renderer) -> None:
    assert_planned_as_rendered({"field": {"deep": [source]}}, renderer=renderer)


def test_the_values_and_errors_are_the_ones_a_render_gives() -> None:
    """The comparisons above compare like with like: values of their own types, errors that
    name the field."""
    assert assert_planned_as_rendered({"a": "{{ n }}", "b": "{{ text }}"}) == (
        "value",
        "{'a': 7, 'b': 'plain'}",
    )
    error = assert_planned_as_rendered({"a": ["ok", "{{ user.missing }}"]})
    assert error[:2] == ("error", "TemplateError")
    assert error[2].startswith(f"{WHERE}.a.1: user.missing is not in the event")
    unstorable = assert_planned_as_rendered({"a": "{{ huge }}"})
    assert unstorable[2] == (
        f"{WHERE}.a: integer 1180591620717411303424 is outside 64 bits (-2**63 .. 2**63-1):"
        " no store can keep it"
    )


def test_the_first_failing_field_in_the_values_order_is_the_one_named() -> None:
    value = {"z": "{{ first_missing }}", "a": ["{{ n }}", {"b": "{{ second_missing }}"}]}

    error = assert_planned_as_rendered(value)

    assert error[2].startswith(f"{WHERE}.z: first_missing is not in the event")


def test_each_render_makes_new_containers_in_the_keys_order() -> None:
    data: dict[str, Any] = {"z": "{{ n }}", "a": {"k": "v", "l": ["{{ text }}", [1]]}, "m": [2]}
    plan = plan_of(data, WHERE)

    first = plan.render(RENDERER, CONTEXT)
    first["a"]["k"] = "changed"
    first["a"]["l"][1].append(2)
    first["m"].append(3)
    second = plan.render(RENDERER, CONTEXT)

    assert list(second) == ["z", "a", "m"]
    assert second == {"z": 7, "a": {"k": "v", "l": ["plain", [1]]}, "m": [2]}
    assert data == {"z": "{{ n }}", "a": {"k": "v", "l": ["{{ text }}", [1]]}, "m": [2]}


NAMES = ["n", "user", "tags", "0", "1", "id", "items", "self"]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**65), 2**65)
    | st.floats()
    | st.text(max_size=24)
    | st.sampled_from(["\ud800", "é", "x" * 25])
)
CONTEXT_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(NAMES), children, max_size=3)
    ),
    max_leaves=8,
)
SOURCES = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(
    lambda parts: "{{ " + ".".join(parts) + " }}"
) | st.sampled_from([*CONSTANTS, *TEMPLATES])
VALUES = st.recursive(
    SOURCES,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(NAMES), children, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(
    value=VALUES,
    context=st.dictionaries(st.sampled_from(NAMES), CONTEXT_VALUES, max_size=4),
    small=st.booleans(),
)
def test_any_value_is_planned_as_rendered(value: Any, context: dict[str, Any], small: bool) -> None:
    assert_planned_as_rendered(value, context, SMALL if small else RENDERER)


def test_the_names_a_plan_reads_are_its_lookups_first_names() -> None:
    reads = plan_of({"a": "{{ user.id }}", "b": ["{{ n }}", 3, "x"]}, WHERE).roots()
    assert reads == frozenset({"user", "n"})
    assert plan_of({"a": "plain", "b": [1]}, WHERE).roots() == frozenset()
    # A template may read any name (a loop's, a filter's argument): no list of names.
    assert plan_of({"a": "{{ n }}", "b": "Hi {{ user.id }}"}, WHERE).roots() is None


def test_a_lookup_found_as_it_is_needs_no_renderer_and_anything_else_does() -> None:
    plan = plan_of({"a": "{{ n }}", "b": ["{{ text }}", 3]}, WHERE)
    assert plan.found(CONTEXT, RENDERER.bounds) == {"a": 7, "b": ["plain", 3]}
    for missing_or_not_plain in ("{{ missing }}", "{{ ratio }}", "{{ accented }}", "{{ user }}"):
        assert plan_of({"a": missing_or_not_plain}, WHERE).found(CONTEXT, RENDERER.bounds) is (
            NOT_FOUND
        )
