"""Rendering the ``{{ ... }}`` templates in workflow action data, within bounds.

Workflow authors write templates and events fill them in, so a template is untrusted code that
runs on a worker. Jinja2's sandbox blocks attribute escapes (``''.__class__``) but bounds
neither memory nor time: ``{{ 'a' * 10**8 }}`` or three nested loops would stall a worker.
So for each rendered string:

- its source is at most ``max_template_chars`` (compiling costs time and memory in its size);
- no value it builds is over ``max_output_chars``: the results of ``*``, ``+``, ``%``, ``~``,
  list, tuple and dict literals, the filters that grow text and captured output are refused
  *before* they exist, those of ``map``, ``batch``, ``slice`` and ``groupby`` as they grow;
  integers stay under ``MAX_INT_BITS`` bits; ``range()`` gives at most ``max_range`` items;
  the output (streamed or captured) stops at ``max_output_chars``;
- loop iterations, macro, call-block and block bodies and per-item filter calls (``map``,
  ``select``) count as steps, at most ``max_steps``, and rendering stops once it has run for
  ``max_seconds`` (checked at each step), which catches nested loops and runaway recursion.

Only JSON values go in and come out. A string that is one lone ``{{ expr }}`` keeps the
expression's type (a list stays a list); any other string renders to a string. The only
global is a bounded ``range``: ``dict``, ``namespace`` (which lets a loop accumulate),
``lipsum``, ``cycler`` and ``joiner`` are gone, and templates may call only the methods of data
values listed in ``SAFE_METHODS``. A key wins over a method of the same name, so
``{{ cart.items }}`` is the ``items`` key, not ``dict.items``. Values are never rendered again:
event data that contains ``{{ }}`` stays text.
"""

import functools
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MappingView
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import (
    StrictUndefined,
    Template,
    TemplateSyntaxError,
    Undefined,
    nodes,
    pass_context,
    pass_environment,
    pass_eval_context,
)
from jinja2 import filters as jinja_filters
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Environment, TemplateExpression
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from app.engine.expressions import missing
from app.errors import AutomatorError, ErrorDetail, InvalidInput
from app.models import jsonc
from app.models.secret import SECRET_REF

# 10**1000 fits; a chain of squarings in ``{% set %}`` would double the bits at each step.
MAX_INT_BITS = 4096
# round() computes 10**precision, and a double has 17 significant digits.
MAX_ROUND_DIGITS = 100
# Compiled templates kept: the same workflow strings are rendered for every run.
CACHE_SIZE = 4096
# Characters of an underlying error's message kept in a TemplateError.
MAX_REASON_CHARS = 300

# Methods of str, int, float, list, tuple and dict that templates may call: none of them builds
# more than its input. Left out, among others: center, ljust, zfill, expandtabs, format, join,
# replace, translate (use the filters, which are bounded), fromkeys and to_bytes.
SAFE_METHODS = frozenset(
    {
        *("capitalize", "casefold", "count", "endswith", "find", "index", "isalnum"),
        *("isalpha", "isascii", "isdecimal", "isdigit", "islower", "isnumeric", "isspace"),
        *("istitle", "isupper", "lower", "lstrip", "partition", "removeprefix"),
        *("removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split"),
        *("splitlines", "startswith", "strip", "swapcase", "title", "upper", "striptags"),
        *("unescape", "get", "keys", "values", "items", "copy", "bit_length", "is_integer"),
    }
)
_DATA_TYPES = (str, int, float, list, tuple, dict)
# A printf conversion: an optional (key), flags, width and precision.
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class TemplateError(AutomatorError):
    code = "template_error"
    status = 422


@dataclass(frozen=True)
class Bounds:
    """Per rendered string. Steps are loop iterations and macro, block and per-item filter
    calls; 100,000 of them take about 30 ms."""

    max_output_chars: int = 256 * 1024
    max_range: int = 10_000
    max_template_chars: int = 64 * 1024
    max_steps: int = 100_000
    max_seconds: float = 1.0


@dataclass
class _Meter:
    """What the string being rendered has spent so far."""

    bounds: Bounds
    deadline: float
    steps: int = 0
    output: int = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.bounds.max_steps:
            raise TemplateError(
                f"over the limit of {self.bounds.max_steps} loop iterations and calls"
            )
        if time.monotonic() > self.deadline:
            raise TemplateError(f"rendering took over {self.bounds.max_seconds} seconds")

    def add_output(self, size: int) -> None:
        self.output += size
        if self.output > self.bounds.max_output_chars:
            raise TemplateError(
                f"the output is over the limit of {self.bounds.max_output_chars} characters"
            )


# The meter of the render running in this thread or task; None while compiling.
_meter: ContextVar[_Meter | None] = ContextVar("template_meter", default=None)


def _charge_step() -> bool:
    meter = _meter.get()
    if meter is not None:
        meter.step()
    return True


def _scalar_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if value is None or isinstance(value, (int, float)):
        return len(str(value))
    return 1


def _items(value: Any) -> list[Any] | tuple[Any, ...] | None:
    """The parts of a container, for measuring it; None for anything else."""
    if isinstance(value, MappingView):  # d.items() stands for all of d
        value = getattr(value, "mapping", {})
    if isinstance(value, Mapping):
        return [*value.keys(), *value.values()]
    return value if isinstance(value, (list, tuple)) else None


def _size(value: Any, limit: int) -> int:
    """Roughly the characters ``value`` prints as; counting stops once past ``limit``."""
    items = _items(value)
    if items is None:
        return _scalar_size(value)
    total = len(items)
    for item in items:
        if total > limit:
            break
        total += _size(item, limit)
    return total


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise TemplateError(f"the value is over the limit of {self.limit} characters")


def _to_json(value: Any, budget: _Budget) -> Any:
    """``value`` as new JSON data (tuples and generators become lists), within ``budget``."""
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises its error here: undefined name, unsafe attribute
    budget.spend(_scalar_size(value))
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)  # a plain str, also for Markup
    if isinstance(value, Mapping):
        return {_json_key(key, budget): _to_json(item, budget) for key, item in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, (LoopContext, Undefined)):
        return [_to_json(item, budget) for item in value]
    raise TemplateError(f"a {type(value).__name__} is not a JSON value")


def _json_key(key: Any, budget: _Budget) -> str:
    if not isinstance(key, str):
        raise TemplateError(f"object keys must be strings, not {type(key).__name__}")
    budget.spend(len(key))
    return str(key)


def _refused_method(obj: Any) -> str | None:
    """``type.name`` if ``obj`` is a method of a data value that templates may not call."""
    method = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format in a function
    owner = getattr(method, "__self__", None)
    owner_type = owner if isinstance(owner, type) else type(owner)
    name = getattr(method, "__name__", "")
    if issubclass(owner_type, _DATA_TYPES) and name not in SAFE_METHODS:
        return f"{owner_type.__name__}.{name}"
    return None


def _printf_values(args: Any) -> list[Any]:
    if isinstance(args, Mapping):
        return list(args.values())
    return list(args) if isinstance(args, tuple) else [args]


def _check_bits(bits: int, operator: str) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateError(
            f"the result of {operator!r} would have over {MAX_INT_BITS} bits ({bits})"
        )


def _charge() -> nodes.Call:
    """A call that charges one step; only this module builds EnvironmentAttribute nodes."""
    return nodes.Call(nodes.EnvironmentAttribute("charge_step"), [], [], None, None)


# Jinja's visitor dispatches on node class names (visit_List), hence the N802 exemptions.
class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, plus what the sandbox does not check: the bodies that can run
    many times charge a step, and ``~`` and list, tuple and dict literals are size-checked."""

    def visit_Template(  # noqa: N802
        self, node: nodes.Template, frame: Frame | None = None
    ) -> None:
        owners: list[nodes.For | nodes.Macro | nodes.CallBlock | nodes.Block] = list(
            node.find_all((nodes.For, nodes.Macro, nodes.CallBlock, nodes.Block))
        )
        for owner in owners:
            owner.body.insert(0, nodes.ExprStmt(_charge(), lineno=owner.lineno))
            if isinstance(owner, nodes.For) and owner.test is not None:
                # Items that a loop filter skips cost a step too.
                owner.test = nodes.And(_charge(), owner.test, lineno=owner.lineno)
        super().visit_Template(node, frame)

    def visit_Call(  # noqa: N802
        self, node: nodes.Call, frame: Frame, forward_caller: bool = False
    ) -> None:
        # Only _charge() makes EnvironmentAttribute nodes (the parser never does): call them
        # directly, which is about ten times cheaper than through the sandbox.
        if isinstance(node.node, nodes.EnvironmentAttribute):
            self.write(f"environment.{node.node.name}()")
            return
        super().visit_Call(node, frame, forward_caller=forward_caller)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802
        self.write("environment.concat_text((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:  # noqa: N802
        self.write("environment.check_literal(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:  # noqa: N802
        self.write("environment.check_literal(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:  # noqa: N802
        if node.ctx != "load":  # an assignment target: ``for key, value in ...``
            super().visit_Tuple(node, frame)
            return
        self.write("environment.check_literal(")
        super().visit_Tuple(node, frame)
        self.write(")")


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CodeGenerator

    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        super().__init__(undefined=StrictUndefined, autoescape=False, finalize=self._print)
        self.globals.clear()
        self.globals["range"] = self._range
        self.filters.update(_BOUNDED_FILTERS)
        del self.filters["urlize"]  # adds attributes per link: output can grow without bound

    def check_size(self, size: int, what: str) -> None:
        if size > self.bounds.max_output_chars:
            raise TemplateError(
                f"{what} would be {size} characters,"
                f" over the limit of {self.bounds.max_output_chars}"
            )

    def check_count(self, count: int, what: str) -> None:
        if count > self.bounds.max_range:
            raise TemplateError(f"{what} ({count}) is over the limit of {self.bounds.max_range}")

    def check_literal(self, value: Any) -> Any:
        self.check_size(_size(value, self.bounds.max_output_chars), "a literal")
        return value

    def check_printf(self, template: Any, args: Any) -> None:
        if not isinstance(template, str):
            return
        specs = _PRINTF_SPEC.findall(template)
        widths = 0
        for width, precision in specs:
            if "*" in (width, precision):
                raise TemplateError("'*' widths are not allowed in % formats")
            widths += int(width or 0) + int(precision or 0)
        limit = self.bounds.max_output_chars
        biggest = max((_size(value, limit) for value in _printf_values(args)), default=0)
        self.check_size(len(template) + widths + len(specs) * biggest, "the result of '%'")

    def text(self, value: Any) -> str:
        return str(_to_json(value, _Budget(self.bounds.max_output_chars)))

    def concat_text(self, parts: tuple[Any, ...]) -> str:
        texts = [self.text(part) for part in parts]
        self.check_size(sum(map(len, texts)), "the result of '~'")
        return "".join(texts)

    def concat(self, parts: Iterable[str]) -> str:
        """Joins captured output (``{% set %}`` blocks, macros), which skips the stream."""
        texts = list(parts)
        self.check_size(sum(map(len, texts)), "captured output")
        return "".join(texts)

    def charge_step(self) -> bool:
        return _charge_step()

    def _print(self, value: Any) -> str:
        text = self.text(value)
        meter = _meter.get()
        if meter is not None:
            meter.add_output(len(text))
        # Under ``{% autoescape %}`` (HTML messages), what ``|safe`` marked stays marked.
        return value if isinstance(value, Markup) else text

    def _range(self, *args: int) -> range:
        items = range(*args)
        try:
            count = len(items)
        except OverflowError:  # more items than a C ssize_t holds
            count = sys.maxsize
        self.check_count(count, "the length of range()")
        return items

    def getattr(self, obj: Any, attribute: str) -> Any:
        # JSON objects: a key wins over a dict method, so cart.items is the "items" key.
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        refused = _refused_method(obj)
        if refused is not None:
            raise SecurityError(f"{refused}() cannot be called in templates")
        return super().call(context, obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            self._check_power(left, right)
        elif operator == "*":
            self._check_product(left, right)
        elif operator == "+":
            self._check_sum(left, right)
        else:
            self.check_printf(left, right)
        return super().call_binop(context, operator, left, right)

    def call_filter(
        self,
        name: str,
        value: Any,
        args: Any = None,
        kwargs: Any = None,
        context: Context | None = None,
        eval_ctx: EvalContext | None = None,
    ) -> Any:
        _charge_step()  # once per item of map()
        return super().call_filter(name, value, args, kwargs, context, eval_ctx)

    def call_test(
        self,
        name: str,
        value: Any,
        args: Any = None,
        kwargs: Any = None,
        context: Context | None = None,
        eval_ctx: EvalContext | None = None,
    ) -> Any:
        _charge_step()  # once per item of select() and reject()
        return super().call_test(name, value, args, kwargs, context, eval_ctx)

    def _check_power(self, base: Any, exponent: Any) -> None:
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
            _check_bits(abs(base).bit_length() * exponent, "**")

    def _check_product(self, left: Any, right: Any) -> None:
        if isinstance(left, int) and isinstance(right, int):
            _check_bits(left.bit_length() + right.bit_length(), "*")
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
                size = _size(sequence, self.bounds.max_output_chars) * max(times, 0)
                self.check_size(size, "the result of '*'")

    def _check_sum(self, left: Any, right: Any) -> None:
        sequences = (str, list, tuple)
        if isinstance(left, sequences) and isinstance(right, sequences):
            limit = self.bounds.max_output_chars
            self.check_size(_size(left, limit) + _size(right, limit), "the result of '+'")


def _bounded(env: Environment) -> _Environment:
    return cast(_Environment, env)


@pass_environment
def _center(env: Environment, value: Any, width: int = 80) -> str:
    _bounded(env).check_size(width, "the result of center()")
    return jinja_filters.do_center(value, width)


# The bounded filters keep Jinja's own signatures (positional flags included): templates
# call them as ``indent(4, true)``.
@pass_environment
def _indent(
    env: Environment, s: Any, width: int | str = 4, first: bool = False, blank: bool = False
) -> str:
    text = str(s)
    per_line = len(width) if isinstance(width, str) else width
    size = len(text) + (text.count("\n") + 1) * per_line
    _bounded(env).check_size(size, "the result of indent()")
    return jinja_filters.do_indent(s, width, first, blank)


@pass_environment
def _wordwrap(
    env: Environment,
    s: Any,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    text = str(s)
    separator = env.newline_sequence if wrapstring is None else str(wrapstring)
    size = len(text) + (len(text) + 1) * len(separator)  # at most a break per character
    _bounded(env).check_size(size, "the result of wordwrap()")
    return jinja_filters.do_wordwrap(env, s, width, break_long_words, wrapstring, break_on_hyphens)


@pass_eval_context
def _replace(eval_ctx: EvalContext, s: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old_text = str(s), str(old)
    hits = text.count(old_text)
    if count is not None and count >= 0:
        hits = min(hits, count)
    size = len(text) + hits * max(len(str(new)) - len(old_text), 0)
    _bounded(eval_ctx.environment).check_size(size, "the result of replace()")
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def _join(eval_ctx: EvalContext, value: Any, d: str = "", attribute: Any = None) -> str:
    env = _bounded(eval_ctx.environment)
    if attribute is not None:
        value = map(jinja_filters.make_attrgetter(env, attribute), value)
    items = list(value)
    limit = env.bounds.max_output_chars
    size = sum(_size(item, limit) for item in items) + len(str(d)) * len(items)
    env.check_size(size, "the result of join()")
    return jinja_filters.sync_do_join(eval_ctx, items, d)


@pass_environment
def _format(env: Environment, value: Any, *args: Any, **kwargs: Any) -> str:
    _bounded(env).check_printf(str(value), kwargs or args)
    return jinja_filters.do_format(value, *args, **kwargs)


def _measured(env: Environment, items: Iterable[Any], what: str) -> Iterator[Any]:
    """``items``, refused once together they are over the size bound. For the filters that
    make a new value per item or wrap items in lists: chained, they would multiply."""
    bounded = _bounded(env)
    total = 0
    for item in items:
        total += _size(item, bounded.bounds.max_output_chars)
        bounded.check_size(total, what)
        yield item


@pass_environment
def _batch(env: Environment, value: Any, linecount: int, fill_with: Any = None) -> Any:
    _bounded(env).check_count(linecount, "the batch size")
    return _measured(
        env, jinja_filters.do_batch(value, linecount, fill_with), "the result of batch()"
    )


@pass_environment
def _slice(env: Environment, value: Any, slices: int, fill_with: Any = None) -> Any:
    _bounded(env).check_count(slices, "the number of slices")
    return _measured(
        env, jinja_filters.sync_do_slice(value, slices, fill_with), "the result of slice()"
    )


@pass_environment
def _groupby(
    env: Environment,
    value: Any,
    attribute: str | int,
    default: Any = None,
    case_sensitive: bool = False,
) -> list[Any]:
    bounded = _bounded(env)
    groups = jinja_filters.sync_do_groupby(env, value, attribute, default, case_sensitive)
    size = _size(groups, bounded.bounds.max_output_chars)
    bounded.check_size(size, "the result of groupby()")
    return groups


@pass_environment
def _sum(env: Environment, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    # Adding up lists or strings copies the total at each item: quadratic time.
    if not isinstance(start, (int, float)):
        raise TemplateError("sum() adds up numbers only")
    return jinja_filters.sync_do_sum(env, iterable, attribute, start)


def _round(value: Any, precision: int = 0, method: Any = "common") -> float:
    if abs(precision) > MAX_ROUND_DIGITS:
        raise TemplateError(f"round() precision is over the limit of {MAX_ROUND_DIGITS}")
    return jinja_filters.do_round(value, precision, method)


@pass_context
def _map(context: Context, value: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
    items = jinja_filters.sync_do_map(context, value, *args, **kwargs)
    return _measured(context.environment, items, "the result of map()")


_BOUNDED_FILTERS: dict[str, Callable[..., Any]] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "replace": _replace,
    "join": _join,
    "format": _format,
    "batch": _batch,
    "slice": _slice,
    "sum": _sum,
    "round": _round,
    "map": _map,
    "groupby": _groupby,
}


def _lone_expression(env: Environment, source: str) -> str | None:
    """The text inside the braces if ``source`` is one ``{{ ... }}`` and nothing else."""
    tokens = list(env.lex(source.strip()))
    kinds = [kind for _, kind, _ in tokens]
    if kinds[:1] != ["variable_begin"] or kinds[-1:] != ["variable_end"]:
        return None
    if kinds.count("variable_begin") != 1:
        return None
    return "".join(value for _, _, value in tokens[1:-1])


def _reason(exc: Exception) -> str:
    if isinstance(exc, AutomatorError):
        text = exc.message
    elif isinstance(exc, TemplateSyntaxError):
        text = f"{exc.message or 'syntax error'} (line {exc.lineno})"
    else:
        text = str(exc) or type(exc).__name__
    if len(text) > MAX_REASON_CHARS:
        return text[: MAX_REASON_CHARS - 3] + "..."
    return text


Loc = tuple[str | int, ...]


class _Unstorable(TemplateError):
    """A rendered value no store can keep, at ``path`` inside it."""

    def __init__(self, reason: str, path: Loc) -> None:
        super().__init__(f"{reason}: no store can keep it")
        self.path = path


def _storable(value: Any) -> Any:
    """``value`` when every store can keep it (integers within 64 bits, finite numbers,
    valid Unicode, nesting bounded), else an error saying what cannot be kept and where:
    checked as the template renders, so a step never sends what its record could not hold."""
    try:
        jsonc.check_values(value, ())
    except InvalidInput as exc:
        raise _Unstorable(exc.details[0].msg, exc.details[0].loc) from None
    return value


def _no_reference(value: Any) -> Any:
    """``value`` unless it holds a secret reference: a reference is honoured only where the
    workflow writes it, so that whoever published the version chose where its value goes.
    Made by a template (from event data, or ``{{ {'$secret': 'KEY'} }}``) it would let an
    event's sender or an editor send any secret anywhere."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if SECRET_REF in node:
                raise TemplateError(
                    f"a template may not make a secret reference ({SECRET_REF!r}): write "
                    '{"$secret": "NAME"} in the workflow itself'
                )
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return value


def _failure(exc: Exception, where: str, loc: Loc) -> TemplateError:
    reason = _reason(exc)
    path = "".join(f".{part}" for part in loc)
    return TemplateError(f"{where}{path}: {reason}", [ErrorDetail(loc, reason)])


class Renderer:
    """Renders the templates in workflow data. Keep one: it caches compiled templates."""

    def __init__(
        self,
        *,
        max_output_chars: int = Bounds.max_output_chars,
        max_range: int = Bounds.max_range,
        max_template_chars: int = Bounds.max_template_chars,
        max_steps: int = Bounds.max_steps,
        max_seconds: float = Bounds.max_seconds,
    ) -> None:
        self.bounds = Bounds(
            max_output_chars, max_range, max_template_chars, max_steps, max_seconds
        )
        self._env = _Environment(self.bounds)
        self._compile = functools.lru_cache(maxsize=CACHE_SIZE)(self._compile_source)

    def render(self, value: Any, context: Mapping[str, Any], where: str) -> Any:
        """``value`` with every template string in it rendered against ``context``.

        Walks dicts and lists (into new ones) and renders the strings that hold ``{{`` or
        ``{%``; anything else comes back as it is. ``where`` names the value in errors, e.g.
        "action action_001 data": a failure raises TemplateError naming the field, as in
        ``action action_001 data.items.2: 'user' is undefined``.
        """
        return self._walk(value, context, where, ())

    def _walk(self, value: Any, context: Mapping[str, Any], where: str, loc: Loc) -> Any:
        if isinstance(value, str):
            if "{{" in value or "{%" in value:
                return self._render_string(value, context, where, loc)
            return value
        if isinstance(value, dict):
            return {
                key: self._walk(item, context, where, (*loc, key)) for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._walk(item, context, where, (*loc, i)) for i, item in enumerate(value)]
        return value

    def check(self, source: str, where: str, loc: Loc = ()) -> None:
        """Compile ``source`` without rendering it, as a save does: a syntax error or a
        source over the size limit raises TemplateError naming ``where`` and ``loc``."""
        try:
            self._compile_bounded(source)
        except Exception as exc:
            raise _failure(exc, where, loc) from exc

    def syntax_problem(self, source: str) -> str | None:
        """Why ``source`` does not compile (with its line), as a save reports it; None when
        it compiles."""
        try:
            self._compile_bounded(source)
        except Exception as exc:
            return _reason(exc)
        return None

    def _render_string(self, source: str, context: Mapping[str, Any], where: str, loc: Loc) -> Any:
        # A bound on the CPU one render spends: the machine's time, not the process's clock.
        deadline = time.monotonic() + self.bounds.max_seconds
        token = _meter.set(_Meter(self.bounds, deadline))
        try:
            return _no_reference(_storable(self._render_source(source, context)))
        except UndefinedError as exc:
            said = missing.explain(source, self._env, context)
            raise _failure(TemplateError(said) if said else exc, where, loc) from exc
        except _Unstorable as exc:
            raise _failure(exc, where, (*loc, *exc.path)) from exc
        except Exception as exc:  # any failure of an author's template is theirs to fix: 422
            raise _failure(exc, where, loc) from exc
        finally:
            _meter.reset(token)

    def _compile_bounded(self, source: str) -> Template | TemplateExpression:
        if len(source) > self.bounds.max_template_chars:
            raise TemplateError(
                f"the template is {len(source)} characters,"
                f" over the limit of {self.bounds.max_template_chars}"
            )
        return self._compile(source)

    def _render_source(self, source: str, context: Mapping[str, Any]) -> Any:
        compiled = self._compile_bounded(source)
        if isinstance(compiled, TemplateExpression):
            return _to_json(compiled(context), _Budget(self.bounds.max_output_chars))
        return self._stream(compiled, context)

    def _compile_source(self, source: str) -> Template | TemplateExpression:
        expression = _lone_expression(self._env, source)
        if expression is not None:
            return self._env.compile_expression(expression, undefined_to_none=False)
        return self._env.from_string(source)

    def _stream(self, template: Template, context: Mapping[str, Any]) -> str:
        chunks: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > self.bounds.max_output_chars:
                raise TemplateError(
                    f"the output is over the limit of {self.bounds.max_output_chars} characters"
                )
            chunks.append(chunk)
        return "".join(chunks)
