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

A lone expression that only looks a value up (``{{ n }}``, ``{{ cart.items.0.price }}``), the
commonest template in action data, is found by its keys and indexes without Jinja's context,
which costs more than the rest of a render (a new context and a copy of the globals per call);
whatever that lookup cannot find is the compiled expression's to answer, so both agree.
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    Template,
    TemplateSyntaxError,
)
from jinja2.environment import Environment, TemplateExpression
from jinja2.exceptions import UndefinedError

from app.engine.expressions import missing
from app.engine.expressions.filters import BOUNDED_FILTERS
from app.engine.expressions.sandbox import (
    BoundedEnvironment,
    Bounds,
    TemplateError,
    json_value,
    metered,
)
from app.errors import AutomatorError, ErrorDetail, InvalidInput, cut, located
from app.models import jsonc
from app.models.secret import SECRET_REF

# Compiled templates kept: the same workflow strings are rendered for every run.
CACHE_SIZE = 4096
# Characters of an underlying error's message kept in a TemplateError.
MAX_REASON_CHARS = 300
# Names Jinja's parser reads as constants or operators, not as a variable to look up, and
# ``self``, which a template's code binds to the template itself whatever the context holds.
_NOT_NAMES = frozenset(
    {"true", "false", "True", "False", "none", "None", "not", "and", "or", "in", "is", "if", "self"}
)

# Lexes as every renderer's environment does (its delimiters are Jinja's defaults), for
# reading a source's shape without a renderer.
_SYNTAX = Environment()

# The templating's public face: the sandbox and the filters are its parts.
__all__ = ["NOT_FOUND", "Bounds", "Loc", "Renderer", "TemplateError", "lone_lookup", "look_up"]


def _lone_expression(env: Environment, source: str) -> list[tuple[str, str]] | None:
    """The tokens (kind, text) inside the braces if ``source`` is one ``{{ ... }}`` and
    nothing else."""
    tokens = list(env.lex(source.strip()))
    kinds = [kind for _, kind, _ in tokens]
    if kinds[:1] != ["variable_begin"] or kinds[-1:] != ["variable_end"]:
        return None
    if kinds.count("variable_begin") != 1:
        return None
    return [(kind, value) for _, kind, value in tokens[1:-1]]


def _lookup_parts(tokens: list[tuple[str, str]]) -> tuple[str | int, ...] | None:
    """The names and indexes of an expression that only looks a value up (``n``,
    ``cart.items.0.price``), else None."""
    words = [token for token in tokens if token[0] != "whitespace"]
    if len(words) % 2 == 0 or any(dot != ("operator", ".") for dot in words[1::2]):
        return None
    first, *rest = words[::2]
    if first[0] != "name" or first[1] in _NOT_NAMES:
        return None
    parts: list[str | int] = [first[1]]
    for kind, text in rest:
        if kind == "name":
            parts.append(text)
        elif kind == "integer" and text.isdigit() and str(int(text)) == text:
            parts.append(int(text))
        else:
            return None
    return tuple(parts)


def lone_lookup(source: str) -> tuple[str | int, ...] | None:
    """The names and indexes ``source`` looks up if it is one lone lookup (``{{ n }}``,
    `` {{ cart.items.0 }} ``), as a renderer compiles it; None for any other source,
    including one that does not lex (its render says why)."""
    try:
        tokens = _lone_expression(_SYNTAX, source)
    except TemplateSyntaxError:
        return None
    return None if tokens is None else _lookup_parts(tokens)


@dataclass(frozen=True)
class _Lookup:
    """A lone ``{{ cart.items.0.price }}``: found by its keys and indexes (``look_up``)
    without Jinja's per-call context; whatever the lookup cannot find (a name not given, a
    missing key, a method, a global) is the compiled expression's to answer, value or error
    alike."""

    parts: tuple[str | int, ...]
    expression: TemplateExpression

    def __call__(self, context: Mapping[str, Any]) -> Any:
        found = look_up(self.parts, context)
        return self.expression(context) if found is NOT_FOUND else found


# What a lookup that found nothing gives (None is a value it may find).
NOT_FOUND = object()


def look_up(parts: tuple[str | int, ...], context: Mapping[str, Any]) -> Any:
    """The value ``parts`` find in ``context`` as the sandbox finds them (a key of a JSON
    object, an index of a list, no more), or ``NOT_FOUND``: the expression's to answer."""
    value: Any = context
    for part in parts:
        if isinstance(part, str):
            if not (isinstance(value, dict) and part in value):
                return NOT_FOUND
        elif not (isinstance(value, list) and part < len(value)):
            return NOT_FOUND
        value = value[part]
    return value


# What a template source compiles to: a template, a lone expression, or a lone lookup.
Compiled = Template | TemplateExpression | _Lookup


def _reason(exc: Exception) -> str:
    if isinstance(exc, AutomatorError):
        text = exc.message
    elif isinstance(exc, TemplateSyntaxError):
        text = f"{exc.message or 'syntax error'} (line {exc.lineno})"
    else:
        text = str(exc) or type(exc).__name__
    return cut(text, MAX_REASON_CHARS)


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
    loc = located(loc)
    path = "".join(f".{part}" for part in loc)
    return TemplateError(f"{where}{path}: {reason}", [ErrorDetail(loc, reason)])


class Renderer:
    """Renders the templates in workflow data. Keep one: it caches compiled templates.
    ``reads`` names what its templates read in the errors that say a name is missing: an
    inbound hook's mapping reads "the delivery", every other template "the event"."""

    def __init__(
        self,
        *,
        reads: str = "the event",
        max_output_chars: int = Bounds.max_output_chars,
        max_range: int = Bounds.max_range,
        max_template_chars: int = Bounds.max_template_chars,
        max_steps: int = Bounds.max_steps,
        max_seconds: float = Bounds.max_seconds,
    ) -> None:
        self.bounds = Bounds(
            max_output_chars, max_range, max_template_chars, max_steps, max_seconds
        )
        self.reads = reads
        self._env = BoundedEnvironment(self.bounds, BOUNDED_FILTERS)
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
                return self.render_text(value, context, where, loc)
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

    def render_text(
        self,
        source: str,
        context: Mapping[str, Any],
        where: str,
        loc: Loc,
        *,
        reads: str | None = None,
    ) -> Any:
        """One string of a value rendered as ``render`` renders it, ``loc`` its place in the
        value (for errors); ``reads``, when given, names the context instead of this
        renderer's ``reads`` (a template's preview reads "the sample data")."""
        try:
            compiled = self._compile_bounded(source)
            found = look_up(compiled.parts, context) if isinstance(compiled, _Lookup) else NOT_FOUND
            if found is not NOT_FOUND:  # no template code ran: nothing to meter
                rendered = json_value(found, self.bounds.max_output_chars)
            else:
                with metered(self.bounds):
                    rendered = self._render_compiled(compiled, context)
            return _no_reference(_storable(rendered))
        except UndefinedError as exc:
            said = missing.explain(source, self._env, context, reads or self.reads)
            raise _failure(TemplateError(said) if said else exc, where, loc) from exc
        except _Unstorable as exc:
            raise _failure(exc, where, (*loc, *exc.path)) from exc
        except Exception as exc:  # any failure of an author's template is theirs to fix: 422
            raise _failure(exc, where, loc) from exc

    def _compile_bounded(self, source: str) -> Compiled:
        if len(source) > self.bounds.max_template_chars:
            raise TemplateError(
                f"the template is {len(source)} characters,"
                f" over the limit of {self.bounds.max_template_chars}"
            )
        return self._compile(source)

    def _render_compiled(self, compiled: Compiled, context: Mapping[str, Any]) -> Any:
        if isinstance(compiled, Template):
            return self._stream(compiled, context)
        return json_value(compiled(context), self.bounds.max_output_chars)

    def _compile_source(self, source: str) -> Compiled:
        tokens = _lone_expression(self._env, source)
        if tokens is None:
            return self._env.from_string(source)
        expression = "".join(text for _, text in tokens)
        compiled = self._env.compile_expression(expression, undefined_to_none=False)
        parts = _lookup_parts(tokens)
        return compiled if parts is None else _Lookup(parts, compiled)

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
