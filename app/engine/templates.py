"""``{{ ... }}`` templates in action data, rendered in Jinja2's immutable sandbox.

The sandbox blocks attribute escapes but bounds neither memory nor time, so this module does:
template source length, ``range`` size, the size of values grown by ``*``, ``**`` and ``+``
(refused before they are computed), and output length (rendering stops once it is over).
A string that is exactly one expression keeps its type (``"{{cart.items}}"`` stays a list).
Context values are data: a value that itself contains ``{{ }}`` is never rendered.
"""

import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.errors import AutomatorError

SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}).)*)\}\}\s*$", re.DOTALL)
MAX_EXPONENT = 1000
MAX_INT_BITS = 100_000


class TemplateError(AutomatorError):
    code = "template_error"
    status = 422


class _Bounded(Exception):
    """Raised inside rendering when a bound is hit; becomes a TemplateError."""


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple | dict) else 0


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+"})

    def __init__(self, max_output_chars: int, max_range: int) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=False)
        self.max_output_chars = max_output_chars
        self.globals.clear()
        self.globals["range"] = self._range(max_range)

    @staticmethod
    def _range(limit: int) -> Callable[..., range]:
        def bounded_range(*args: int) -> range:
            result = range(*args)
            if len(result) > limit:
                raise _Bounded(f"range of {len(result)} items is over the limit of {limit}")
            return result

        return bounded_range

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Event data is JSON: ``cart.items`` is the key ``items``, never ``dict.items``."""
        if isinstance(obj, dict):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
        if operator == "*":
            _check_int_product(left, right)
            self._check_repeat(left, right)
            self._check_repeat(right, left)
        if operator == "+" and _size(left) + _size(right) > self.max_output_chars:
            raise _Bounded(f"result is over the limit of {self.max_output_chars} characters")
        return super().call_binop(context, operator, left, right)

    def _check_repeat(self, sequence: Any, times: Any) -> None:
        if _size(sequence) and _number(times) and _size(sequence) * times > self.max_output_chars:
            raise _Bounded(f"result is over the limit of {self.max_output_chars} characters")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bits(value: Any) -> float:
    return math.log2(abs(value)) if _number(value) and abs(value) > 1 else 0.0


def _check_power(base: Any, exponent: Any) -> None:
    if not _number(exponent):
        return
    if abs(exponent) > MAX_EXPONENT or _bits(base) * exponent > MAX_INT_BITS:
        raise _Bounded(f"a power is over the limit of {MAX_INT_BITS} bits")


def _check_int_product(left: Any, right: Any) -> None:
    if _bits(left) + _bits(right) > MAX_INT_BITS:
        raise _Bounded(f"product is over the limit of {MAX_INT_BITS} bits")


def _json(value: Any) -> Any:
    """An expression's value as JSON data: undefined is an error, ranges and tuples become
    lists, anything else that is not JSON (a method, a macro) becomes its text."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # a StrictUndefined raises UndefinedError, naming the missing name
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | range):
        return [_json(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class Renderer:
    """Renders action data against a run context; compiled templates are cached."""

    def __init__(
        self,
        max_output_chars: int = 256 * 1024,
        max_range: int = 10_000,
        max_template_chars: int = 64 * 1024,
    ) -> None:
        self.max_output_chars = max_output_chars
        self.max_template_chars = max_template_chars
        self._env = BoundedEnvironment(max_output_chars, max_range)
        self._compile = lru_cache(maxsize=4096)(self._compile_uncached)

    def render(self, value: Any, context: Mapping[str, Any], where: str) -> Any:
        """``value`` with every template string rendered; errors name ``where`` and the path
        (``action a1 data.recipient: 'user' is undefined``)."""
        if isinstance(value, dict):
            return {k: self.render(v, context, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v, context, f"{where}.{n}") for n, v in enumerate(value)]
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            return self._render_string(value, context, where)
        return value

    def _render_string(self, source: str, context: Mapping[str, Any], where: str) -> Any:
        if len(source) > self.max_template_chars:
            raise TemplateError(
                f"{where}: the template is over the limit of {self.max_template_chars} characters"
            )
        try:
            kind, compiled = self._compile(source)
            if kind == "expression":
                return _json(compiled(**context))
            return self._generate(compiled, context)
        except _Bounded as exc:
            raise TemplateError(f"{where}: {exc}") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{where}: {exc.message or type(exc).__name__}") from None
        except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
            raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from None

    def _compile_uncached(self, source: str) -> tuple[str, Any]:
        single = SINGLE_EXPRESSION.match(source)
        if single is not None:
            return "expression", self._env.compile_expression(
                single.group("expr"), undefined_to_none=False
            )
        return "template", self._env.from_string(source)

    def _generate(self, template: jinja2.Template, context: Mapping[str, Any]) -> str:
        parts, length = [], 0
        for part in template.generate(**context):
            length += len(part)
            if length > self.max_output_chars:
                raise _Bounded(f"output is over the limit of {self.max_output_chars} characters")
            parts.append(part)
        return "".join(parts)
