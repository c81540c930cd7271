"""The bounded Jinja2 sandbox templates render in (the bounds are described in
``renderer.py``): what a template may build, call and spend, metered as it runs."""

import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MappingView
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import (
    StrictUndefined,
    Undefined,
    nodes,
)
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Environment
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from app.errors import AutomatorError

# 10**1000 fits; a chain of squarings in ``{% set %}`` would double the bits at each step.
MAX_INT_BITS = 4096
# round() computes 10**precision, and a double has 17 significant digits.
MAX_ROUND_DIGITS = 100
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


@contextmanager
def metered(bounds: Bounds) -> Iterator[None]:
    """Meter the render run inside: its steps and output, and its time, at most
    ``bounds.max_seconds`` from now."""
    # A bound on the CPU one render spends: the machine's time, not the process's clock.
    deadline = time.monotonic() + bounds.max_seconds
    token = _meter.set(_Meter(bounds, deadline))
    try:
        yield
    finally:
        _meter.reset(token)


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


def value_size(value: Any, limit: int) -> int:
    """Roughly the characters ``value`` prints as; counting stops once past ``limit``."""
    items = _items(value)
    if items is None:
        return _scalar_size(value)
    total = len(items)
    for item in items:
        if total > limit:
            break
        total += value_size(item, limit)
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


def json_value(value: Any, limit: int) -> Any:
    """``value`` (what a lone ``{{ expr }}`` gave) as JSON data, refused once over ``limit``
    characters."""
    return _to_json(value, _Budget(limit))


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


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CodeGenerator

    def __init__(self, bounds: Bounds, filters: Mapping[str, Callable[..., Any]]) -> None:
        self.bounds = bounds
        super().__init__(undefined=StrictUndefined, autoescape=False, finalize=self._print)
        self.globals.clear()
        self.globals["range"] = self._range
        self.filters.update(filters)
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
        self.check_size(value_size(value, self.bounds.max_output_chars), "a literal")
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
        biggest = max((value_size(value, limit) for value in _printf_values(args)), default=0)
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
        if isinstance(obj, Undefined):
            # A missing name's attribute, a dunder included: the name is what is missing
            # (the sandbox would call it an unsafe attribute of StrictUndefined).
            obj._fail_with_undefined_error()
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
                size = value_size(sequence, self.bounds.max_output_chars) * max(times, 0)
                self.check_size(size, "the result of '*'")

    def _check_sum(self, left: Any, right: Any) -> None:
        sequences = (str, list, tuple)
        if isinstance(left, sequences) and isinstance(right, sequences):
            limit = self.bounds.max_output_chars
            self.check_size(value_size(left, limit) + value_size(right, limit), "the result of '+'")


def as_bounded(env: Environment) -> BoundedEnvironment:
    return cast(BoundedEnvironment, env)
