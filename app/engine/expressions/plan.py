"""A value's render plan: what rendering it takes, worked out once (for a step's data, once
per workflow version) instead of at every render.

``Renderer.render`` looks at every dict, list and string of a value each time it renders it:
whether a string holds a template, which compiled template it is, and, for a lone lookup, the
checks any template's value goes through. A plan has the first two already: each container
is a copy of itself with its constant values in place, made in one call, into which only its
template strings and inner containers are rendered (every container is new, as ``render``
makes them); each template string is the renderer's to render, as ``render`` renders it.

A lone lookup (``{{ n }}``, ``{{ cart.items.0.price }}``, the commonest template in action
data) that finds a plain scalar gives it as found: text in ASCII within the output bound, an
integer within 64 bits, a boolean or null, of which the checks would refuse nothing and
change nothing. Anything else it finds, or nothing, goes the renderer's way, value and error
alike: the plan changes what a render costs, never what it gives.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.engine.expressions.renderer import (
    NOT_FOUND,
    Bounds,
    Loc,
    Renderer,
    lone_lookup,
    look_up,
)
from app.models.jsonc import INT64


class Plan(Protocol):
    def render(self, renderer: Renderer, context: Mapping[str, Any]) -> Any:
        """The value rendered against ``context``, as ``renderer.render`` renders it."""

    def found(self, context: Mapping[str, Any], bounds: Bounds) -> Any:
        """The value as ``render`` gives it when each of its lookups finds a plain scalar
        in ``context`` (within ``bounds``) and it holds no other template; else
        ``NOT_FOUND``: the renderer's to render."""

    def roots(self) -> frozenset[str] | None:
        """The names its lookups read at the context's root; None when it holds a template
        that may read any."""


def plan_of(value: Any, where: str) -> Plan:
    """``value``'s plan; ``where`` names it in errors, as ``render``'s ``where`` does."""
    return _plan(value, where, ())


def _plan(value: Any, where: str, loc: Loc) -> Plan:
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return _Constant(value)
        # A source over the bound is refused by its render: not worth lexing here.
        parts = lone_lookup(value) if len(value) <= Bounds.max_template_chars else None
        return _Text(value, where, loc) if parts is None else _Reference(value, where, loc, parts)
    if isinstance(value, dict):
        return _container(dict(value), value.items(), where, loc)
    if isinstance(value, list):
        return _container(list(value), enumerate(value), where, loc)
    return _Constant(value)


def _container(base: dict[Any, Any] | list[Any], items: Any, where: str, loc: Loc) -> "_Container":
    rendered = []
    for key, item in items:
        plan = _plan(item, where, (*loc, key))
        if not isinstance(plan, _Constant):
            rendered.append((key, plan))
    return _Container(base, tuple(rendered))


@dataclass(frozen=True, slots=True)
class _Constant:
    """A value with nothing to render in it (not a container): given as it is."""

    value: Any

    def render(self, renderer: Renderer, context: Mapping[str, Any]) -> Any:
        return self.value

    def found(self, context: Mapping[str, Any], bounds: Bounds) -> Any:
        return self.value

    def roots(self) -> frozenset[str] | None:
        return frozenset()


@dataclass(frozen=True, slots=True)
class _Container:
    """A dict or a list: a copy of ``base`` with each of ``rendered`` (a key or index, and
    its plan) rendered into its place, so the keys keep their order."""

    base: dict[Any, Any] | list[Any]
    rendered: tuple[tuple[Any, Plan], ...]

    def render(self, renderer: Renderer, context: Mapping[str, Any]) -> Any:
        value = self.base.copy()
        for key, plan in self.rendered:
            value[key] = plan.render(renderer, context)
        return value

    def found(self, context: Mapping[str, Any], bounds: Bounds) -> Any:
        value = self.base.copy()
        for key, plan in self.rendered:
            found = plan.found(context, bounds)
            if found is NOT_FOUND:
                return NOT_FOUND
            value[key] = found
        return value

    def roots(self) -> frozenset[str] | None:
        names: set[str] = set()
        for _, plan in self.rendered:
            read = plan.roots()
            if read is None:
                return None
            names |= read
        return frozenset(names)


@dataclass(frozen=True, slots=True)
class _Text:
    """A template string: the renderer's to render."""

    source: str
    where: str
    loc: Loc

    def render(self, renderer: Renderer, context: Mapping[str, Any]) -> Any:
        return renderer.render_text(self.source, context, self.where, self.loc)

    def found(self, context: Mapping[str, Any], bounds: Bounds) -> Any:
        return NOT_FOUND

    def roots(self) -> frozenset[str] | None:
        return None


@dataclass(frozen=True, slots=True)
class _Reference:
    """A lone lookup: a plain scalar it finds is its value as found (see the module's
    docstring); anything else is the renderer's to render."""

    source: str
    where: str
    loc: Loc
    parts: tuple[str | int, ...]

    def render(self, renderer: Renderer, context: Mapping[str, Any]) -> Any:
        value = self.found(context, renderer.bounds)
        if value is not NOT_FOUND:
            return value
        return renderer.render_text(self.source, context, self.where, self.loc)

    def found(self, context: Mapping[str, Any], bounds: Bounds) -> Any:
        value = look_up(self.parts, context)
        kind = type(value)
        if kind is int:
            plain = value in INT64
        elif kind is str:
            plain = value.isascii() and len(value) <= bounds.max_output_chars
        else:
            plain = kind is bool or value is None
        if plain and len(self.source) <= bounds.max_template_chars:
            return value
        return NOT_FOUND

    def roots(self) -> frozenset[str] | None:
        return frozenset({str(self.parts[0])})
