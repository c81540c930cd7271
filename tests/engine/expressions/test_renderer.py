import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.expressions.filters import BOUNDED_FILTERS
from app.engine.expressions.renderer import Renderer, TemplateError
from app.engine.expressions.sandbox import BoundedEnvironment, Bounds, json_value
from app.errors import AutomatorError, ErrorDetail

WHERE = "action action_001 data"
CONTEXT: dict[str, Any] = {
    "user": {"name": "Ada", "email": "ada@example.com", "nickname": None, "active": True},
    "cart": {"items": [{"sku": "a", "price": 2}, {"sku": "b", "price": 3}], "total": 5},
    "vars": {"tags": ["x", "y"]},
}
RENDERER = Renderer()


def render(value: Any, context: dict[str, Any] | None = None) -> Any:
    return RENDERER.render(value, CONTEXT if context is None else context, WHERE)


def refusal(
    value: Any, renderer: Renderer = RENDERER, context: dict[str, Any] = CONTEXT
) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        renderer.render(value, context, WHERE)
    return caught.value


def test_template_error_is_a_422_automator_error() -> None:
    error = refusal({"recipient": "{{ nobody }}"})

    assert isinstance(error, AutomatorError)
    assert (error.code, error.status) == ("template_error", 422)
    assert error.body()["code"] == "template_error"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{cart.items}}", CONTEXT["cart"]["items"]),
        ("{{ cart.total }}", 5),
        ("{{ user }}", CONTEXT["user"]),
        ("{{ user.active }}", True),
        ("{{ user.nickname }}", None),
        ("{{ 1.5 }}", 1.5),
        ("  {{ cart.total }}  ", 5),
        ("{{- cart.total -}}", 5),
        ("{{ (1, 2) }}", [1, 2]),
        ("{{ cart.items | map(attribute='sku') }}", ["a", "b"]),
        ("{{ user.keys() | list }}", ["name", "email", "nickname", "active"]),
        ("{{ '}}' }}", "}}"),
    ],
)
def test_a_lone_expression_keeps_its_type(source: str, expected: Any) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hi {{ user.name }}!", "Hi Ada!"),
        ("{{ cart.total }} items", "5 items"),
        ("{{ user.name }}{{ cart.total }}", "Ada5"),
        ("{% if user.active %}on{% endif %}", "on"),
        ("{% for k, v in user.items() %}{{ k }};{% endfor %}", "name;email;nickname;active;"),
        ("{{ vars.tags | join(',') }} {{ user.name.upper() }}", "x,y ADA"),
        ("{{ user.name ~ '!' }} {{ '%03d' % cart.total }}", "Ada! 005"),
        ("{% for i in range(5) if i % 2 %}{{ i }}{% endfor %}", "13"),
        ("{% set x %}{{ user.name }}{% endset %}[{{ x }}]", "[Ada]"),
        ("{% macro tag(x) %}<{{ x }}>{% endmacro %}{{ tag(1) }}{{ tag(2) }}", "<1><2>"),
    ],
)
def test_other_strings_render_to_text(source: str, expected: str) -> None:
    assert render(source) == expected


def test_walks_dicts_and_lists_into_new_containers() -> None:
    data: dict[str, Any] = {
        "to": ["{{ user.email }}", "ops@example.com"],
        "body": {"lines": [{"text": "Total {{ cart.total }}"}], "count": 3, "raw": None},
        "flag": False,
    }

    rendered = render(data)

    assert rendered == {
        "to": ["ada@example.com", "ops@example.com"],
        "body": {"lines": [{"text": "Total 5"}], "count": 3, "raw": None},
        "flag": False,
    }
    assert rendered["to"] is not data["to"]
    assert data["to"][0] == "{{ user.email }}"


def test_strings_without_template_markers_come_back_as_they_are() -> None:
    assert render({"a": "plain", "b": "{# just a comment #}", "c": "{ {x} }"}) == {
        "a": "plain",
        "b": "{# just a comment #}",
        "c": "{ {x} }",
    }


def test_an_undefined_name_is_an_error_naming_the_field() -> None:
    error = refusal({"recipient": "{{user.email}}"}, context={"event": {}})

    said = (
        "user is not in the event; it has event; use {{ user | default('') }} to make it optional"
    )
    assert error.message == f"action action_001 data.recipient: {said}"
    assert error.details == [ErrorDetail(("recipient",), said)]


def test_a_long_reason_and_a_long_key_are_cut_as_a_422_cuts_them() -> None:
    """A reason past 300 characters lost its end, the advice of how to make the name
    optional, with nothing to say so but "..."; a key of the action's data came whole."""
    user = {f"{n}{'x' * 99}": n for n in range(10)}
    key = "k" * 200_000
    error = refusal({key: "{{ user.name }}"}, context={"user": user})

    (detail,) = error.details
    assert detail.loc == (f"{'k' * 100}… (200000 characters)",)
    assert len(detail.msg) <= 300
    assert detail.msg.startswith("user.name is not in the event; its user has 0xxx")
    assert ", 1x...xxx" in detail.msg
    assert detail.msg.endswith("; use {{ user.name | default('') }} to make it optional")
    assert error.message == f"action action_001 data.{detail.loc[0]}: {detail.msg}"


def test_an_undefined_name_in_a_list_names_the_index() -> None:
    error = refusal({"items": ["ok", "{{ cart.total }}", "Hi {{ nobody }}"]})

    assert error.message.startswith("action action_001 data.items.2: nobody is not in the event")


def test_a_missing_key_is_an_error_too() -> None:
    error = refusal({"to": "{{ user.phone }}"})

    assert error.message.startswith("action action_001 data.to: ")
    assert "phone" in error.message


def test_default_opts_out_of_undefined_errors() -> None:
    assert render("Hi {{ nobody | default('there') }}") == "Hi there"
    assert render("{{ user.phone | default('none') }}") == "none"
    assert render("{{ nobody is defined }}") is False


def test_event_data_is_never_rendered_again() -> None:
    context = {"user": {"name": "{{ 7*7 }}", "bio": "{% for i in range(9) %}x{% endfor %}"}}

    assert render("Hi {{ user.name }}", context) == "Hi {{ 7*7 }}"
    assert render("{{ user.name }}", context) == "{{ 7*7 }}"
    assert render("{{ user.bio }}", context) == "{% for i in range(9) %}x{% endfor %}"


def test_a_key_wins_over_a_dict_method_of_the_same_name() -> None:
    assert render("{{ cart.items | length }}") == 2
    assert render("{{ {'values': 1}.values }}") == 1


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        ("{{ cart.items.1.price }}", CONTEXT, 3),
        ("{{ vars.tags.0 }}", CONTEXT, "x"),
        ("{{ true }}", {"true": 1}, True),  # a constant, not a name to look up
        ("{{ none }}", {"none": 1}, None),
        ("{{ range }}", {"range": 5}, 5),  # the event's key wins over the global
        ("{{ d.items }}", {"d": {"items": 1}}, 1),
        ("{{ d.0 }}", {"d": {"0": 1}}, "undefined"),  # an index is no key of an object
        ("{{ d.1 }}", {"d": [1]}, "undefined"),
        # Jinja binds ``self`` to the template itself, whatever the event's data holds.
        ("{{ self }}", {"self": 1}, "undefined"),
        ("{{ self.name }}", {"self": {"name": 1}}, "undefined"),
    ],
)
def test_a_lone_lookup_finds_what_the_sandbox_finds(
    source: str, context: dict[str, Any], expected: Any
) -> None:
    if expected == "undefined":
        assert refusal(source, context=context).message.startswith(WHERE)
    else:
        assert render(source, context) == expected


NAMES = ["user", "cart", "items", "0", "1", "name", "true", "range", "keys", "__class__", "self"]
KEYED_JSON = st.recursive(
    # Integers a store can keep: a value past 64 bits fails its render whatever finds it.
    st.none() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=3),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(NAMES), children, max_size=4)
    ),
    max_leaves=10,
)
SANDBOX = BoundedEnvironment(Bounds(), BOUNDED_FILTERS)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.sampled_from(NAMES), min_size=1, max_size=4),
    context=st.dictionaries(st.sampled_from(NAMES), KEYED_JSON, max_size=4),
)
def test_a_lone_lookup_renders_as_the_sandboxed_expression(
    parts: list[str], context: dict[str, Any]
) -> None:
    """Lookups are found without Jinja's context when they can be: the value, or the
    error, is the one the sandbox's compiled expression gives."""
    expression = ".".join(parts)
    try:
        compiled = SANDBOX.compile_expression(expression, undefined_to_none=False)
        expected = json_value(compiled(context), RENDERER.bounds.max_output_chars)
    except Exception:
        with pytest.raises(TemplateError):
            RENDERER.render(f"{{{{ {expression} }}}}", context, WHERE)
        return
    assert RENDERER.render(f"{{{{ {expression} }}}}", context, WHERE) == expected


INJECTIONS = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner }}",
    "{{ lipsum.__globals__ }}",
    "{{ namespace(a=1) }}",
    "{{ dict(a=1) }}",
    "{{ self }}",
    "{{ config }}",
    "{{ request }}",
    "{{ range.__globals__ }}",
    "{{ range }}",
    "{{ user.__class__ }}",
    "{{ user.name.upper }}",
    "{{ '{0.__class__}'.format(user) }}",
    "{{ user.name.format_map({}) }}",
    "{{ {}.fromkeys(range(3)) }}",
    "{{ (1).to_bytes(8, 'big') }}",
    "{% extends 'base.html' %}",
    "{% include '/etc/passwd' %}",
    "{% import 'x' as x %}",
]


@pytest.mark.parametrize("source", INJECTIONS)
@pytest.mark.parametrize("shape", ["{}", "text {} text"])
def test_injection_attempts_are_template_errors_that_leak_nothing(source: str, shape: str) -> None:
    error = refusal({"field": shape.format(source)})

    assert error.message.startswith("action action_001 data.field: ")
    for leak in ("<class", "<function", "<built-in", "0x", "/etc", "subclasses"):
        assert leak not in error.message


BOMBS = [
    "{{ 'a' * 10**8 }}",
    "{{ 'ab' * 200000 }}",
    "{{ [1] * 10**7 }}",
    "{{ 9 ** (9 ** 9) }}",
    "{{ 2 ** (10**9) }}",
    "{% set a = 10**1000 %}{% set b = a * a %}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{{ range(10**30) | length }}",
    "{% for i in range(5000) %}{{ 'x' * 100 }}{% endfor %}",
    "{% for i in range(9000) %}{{ 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }}{% endfor %}",
    "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}",
    "{% for a in range(1000) %}{% for b in range(1000) if false %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    "{% block b %}{{ self.b() }}{{ self.b() }}{% endblock %}",
    "{% for x in [1] recursive %}{{ loop([1, 2]) }}{% endfor %}",
    "{% set s = 'a' * 200000 %}{% set t = s ~ s %}",
    "{% set s = 'a' * 200000 %}{{ [s, s, s] | tojson | length }}",
    "{% set s = 'a' * 100000 %}{{ {'a': s, 'b': s, 'c': s} | length }}",
    "{% set x %}{% for i in range(9000) %}{{ cart }}{% endfor %}{% endset %}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '%*d' % (999999999, 1) }}",
    "{{ '%s%s%s' % ('a' * 100000, 'b', 'c') * 3 }}",
    "{{ '%0999999999d' | format(1) }}",
    "{{ 'x' | center(10**9) }}",
    "{{ 'x' | indent(10**9, first=true) }}",
    "{{ ('a' * 1000) | wordwrap(1, wrapstring='b' * 1000) }}",
    "{{ ('a' * 1000) | replace('a', 'b' * 1000) }}",
    "{{ range(10000) | map('center', 1000) | list | length }}",
    "{{ range(300) | join('x' * 1000) }}",
    "{{ [1] | batch(10000, 'a' * 1000) | list }}",
    "{{ [1] | slice(10**9) | list }}",
    "{{ [[1]] * 10000 | sum(start=[]) }}",
    "{{ range(10000) | list" + " | batch(1)" * 30 + " | list | length }}",
    "{{ range(10000) | batch(1)" + " | groupby(0)" * 30 + " | length }}",
    "{{ 5 | round(-10**9) }}",
    "{{ 'a'.center(10**9) }}",
    "{{ 'a'.ljust(10**9) }}",
    "{{ ''.join(['a'] * 10) }}",
    "{{ 'a\tb'.expandtabs(10**9) }}",
]


@pytest.mark.parametrize("source", BOMBS)
def test_size_and_time_bombs_are_refused(source: str) -> None:
    error = refusal({"field": source})

    assert error.message.startswith("action action_001 data.field: ")


def test_power_is_left_associative_as_in_jinja() -> None:
    # Jinja reads 9 ** 9 ** 9 as (9 ** 9) ** 9, a 78-digit number (which no store can keep);
    # 9 ** (9 ** 9) is refused before it is computed.
    assert str((9**9) ** 9) in refusal("{{ 9 ** 9 ** 9 }}").message
    assert "bits" in refusal("{{ 9 ** (9 ** 9) }}").message


def test_output_stops_at_the_limit() -> None:
    renderer = Renderer(max_output_chars=100)

    assert renderer.render("{{ 'x' * 100 }}", {}, WHERE) == "x" * 100
    error = refusal("{% for i in range(11) %}0123456789{% endfor %}", renderer)
    assert "over the limit of 100 characters" in error.message


def test_the_template_source_is_bounded() -> None:
    renderer = Renderer(max_template_chars=20)

    assert renderer.render("{{ cart.total }}", CONTEXT, WHERE) == 5
    error = refusal("{{ cart.total }}" + " " * 10, renderer)
    assert "over the limit of 20" in error.message


def test_range_is_bounded() -> None:
    renderer = Renderer(max_range=10)

    assert renderer.render("{{ range(10) | list }}", {}, WHERE) == list(range(10))
    assert "over the limit of 10" in refusal("{{ range(11) }}", renderer).message


def test_steps_are_bounded() -> None:
    renderer = Renderer(max_steps=10)

    assert renderer.render("{% for i in range(10) %}{{ i }}{% endfor %}", {}, WHERE) == (
        "0123456789"
    )
    error = refusal("{% for i in range(11) %}{% endfor %}", renderer)
    assert "over the limit of 10 loop iterations" in error.message


def test_rendering_stops_at_the_deadline() -> None:
    renderer = Renderer(max_seconds=0)

    error = refusal("{% for i in range(10000) %}{% endfor %}", renderer)

    assert "rendering took over 0 seconds" in error.message


def test_an_expression_result_is_bounded() -> None:
    renderer = Renderer(max_output_chars=10)

    error = refusal({"big": "{{ user }}"}, renderer)

    assert (
        error.message == "action action_001 data.big: the value is over the limit of 10 characters"
    )


@pytest.mark.parametrize(
    "source", ["{{ x }", "{% for %}", "{{ 1 / 0 }}", "{{ 'a' + 1 }}", "{{ user.name.split('') }}"]
)
def test_syntax_and_runtime_errors_are_template_errors(source: str) -> None:
    assert refusal({"field": source}).message.startswith("action action_001 data.field: ")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)
FRAGMENTS = [
    *("{{", "}}", "{%", "%}", "{#", "#}", " ", "user", "vars", "x", "i", ".", "|", ",", "="),
    *("(", ")", "[", "]", "'a'", "9", "*", "**", "+", "~", "%", "-", "default", "join"),
    *("for", "in", "range", "endfor", "if", "endif", "set", "macro", "endmacro", "loop"),
    *("__class__", "upper()", "items()", "tojson", "length", "map", "center", "self"),
]
SOURCES = st.text() | st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(source=SOURCES, user=JSON, more=JSON)
def test_any_source_renders_to_json_or_raises_a_template_error(
    source: str, user: Any, more: Any
) -> None:
    try:
        result = RENDERER.render({"field": source}, {"user": user, "vars": more}, WHERE)
    except TemplateError:
        return

    json.dumps(result)
    if isinstance(result["field"], str):
        assert len(result["field"]) <= RENDERER.bounds.max_output_chars


# Ways to the process, its modules, its configuration and its environment that templates in
# other sandboxes have been escaped through.
ESCAPES = [
    "{{ lipsum.__globals__['os'].environ }}",
    "{{ lipsum.__globals__.os.popen('id').read() }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ namespace.__init__.__globals__.os }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__.__builtins__ }}",
    "{{ range.__self__ }}",
    "{{ range.__call__.__globals__ }}",
    "{{ user | attr('__class__') }}",
    "{{ user | attr('__init__') | attr('__globals__') }}",
    "{{ (user | attr('__class__')).__mro__[1].__subclasses__() }}",
    "{{ ''['__class__'] }}",
    "{{ user['__class__'] }}",
    "{{ user.get.__self__ }}",
    "{{ user.items.__func__ }}",
    "{{ __import__('os').environ }}",
    "{{ getattr(user, '__class__') }}",
    "{{ os.environ }}",
    "{{ environ }}",
    "{{ config.items() }}",
    "{{ settings }}",
    "{{ url_for.__globals__ }}",
    "{{ get_flashed_messages.__globals__ }}",
    "{{ request.application.__globals__ }}",
    "{{ [].__class__.__base__.__subclasses__() }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{% set x = user.__class__ %}{{ x }}",
    "{{ 'x'.__mod__ }}",
    "{{ ('%s' % user.__class__) }}",
    "{{ user.name | format(user.__class__) }}",
    "{{ {}.__class__.__subclasses__() }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escapes_to_modules_config_and_the_environment_fail_safely(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOMATOR_TEST_CANARY", "canary-7f3a9e")
    error = refusal({"field": source})
    assert error.code == "template_error"
    assert error.status == 422
    assert error.message.startswith("action action_001 data.field: ")
    for leak in ("canary-7f3a9e", "<class", "<module", "<function", "<built-in", "0x", "PATH"):
        assert leak not in error.message


SMALL = Renderer(max_output_chars=50, max_range=20, max_steps=200)


@settings(max_examples=300, deadline=None)
@given(source=SOURCES, user=JSON, more=JSON)
def test_a_small_bound_holds_for_any_source(source: str, user: Any, more: Any) -> None:
    """With limits small enough for random templates to reach, the only errors are template
    errors, and no rendered string is longer than the bound (a string with no template in
    it is not rendered: it comes back as it is)."""
    try:
        result = SMALL.render({"field": source}, {"user": user, "vars": more}, WHERE)
    except TemplateError:
        return
    if isinstance(result["field"], str) and result["field"] != source:
        assert len(result["field"]) <= 50


@pytest.mark.parametrize(
    ("source", "said"),
    [
        (
            "Hi {{ user.name }}!",
            "user.name is not in the event; its user has id, email; use "
            "{{ user.name | default('') }} to make it optional",
        ),
        ("{{ user['name'] }}", "user.name is not in the event; its user has id, email"),
        (
            "{{ cart.total }}",
            "cart is not in the event; it has user, plan; use {{ cart | default('') }}",
        ),
        (
            "{% if plan.tier %}{{ plan.tier.name }}{% endif %}",
            "plan.tier is not in the event; its plan has code",
        ),
        # A dunder of a missing name is the name missing, not an "unsafe attribute of
        # 'StrictUndefined'", a class the author never wrote.
        ("{{ cycler.__init__.__globals__ }}", "cycler is not in the event; it has user, plan"),
        ("{{ cart['__class__'] }}", "cart is not in the event; it has user, plan"),
    ],
)
def test_an_undefined_name_says_what_is_missing_and_what_the_event_has(
    source: str, said: str
) -> None:
    context = {"user": {"id": "u1", "email": "ada@example.com"}, "plan": {"code": "pro"}}
    with pytest.raises(TemplateError) as caught:
        Renderer().render({"text": source}, context, "action welcome data")
    assert caught.value.message.startswith(f"action welcome data.text: {said}")


@pytest.mark.parametrize(
    ("source", "said"),
    [
        (
            "{{ event.data.totl }}",
            "event.data is not in the event; its event has type, id, time; the event's data "
            "fields are read at the root: f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, ...; use "
            "{{ event.data | default('') }} to make it optional",
        ),
        ("{{ data.totl }}", "data is not in the event; it has f0, f1, f2, f3, f4, f5, f6, f7, "),
        ("{{ data.totl }}", "...; the event's data fields are read at the root: f0, f1, f2, "),
    ],
)
def test_a_name_looked_for_under_event_says_the_events_fields(source: str, said: str) -> None:
    # It said only "its event has type, id, time": the fields the author meant to read,
    # at the root, went unnamed.
    fields = {f"f{n}": n for n in range(12)}
    about = {"type": "purchase", "id": "e1", "time": "2026-12-07T22:00:00Z"}
    context = {**fields, "user": {"id": "u1"}, "event": about, "steps": {}, "vars": {}}
    with pytest.raises(TemplateError) as caught:
        Renderer().render({"text": source}, context, "action welcome data")
    assert said in caught.value.message


def test_an_event_without_data_says_so() -> None:
    context = {"user": {"id": "u1"}, "event": {"type": "ping", "id": "e1", "time": "t"}}
    with pytest.raises(TemplateError) as caught:
        Renderer().render({"text": "{{ event.data.n }}"}, context, "action welcome data")
    assert "its event has type, id, time; the event has no data fields; use" in str(
        caught.value.message
    )
