"""Jinja2's filters that build or walk values, bounded: each refuses a result over the
sandbox's limits before it exists, or counts the items it goes through. They keep Jinja's
own signatures (positional flags included): templates call them as ``indent(4, true)``."""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import filters as jinja_filters
from jinja2 import (
    pass_context,
    pass_environment,
    pass_eval_context,
)
from jinja2.environment import Environment
from jinja2.nodes import EvalContext
from jinja2.runtime import Context

from app.engine.expressions.sandbox import MAX_ROUND_DIGITS, TemplateError, as_bounded, value_size


@pass_environment
def _center(env: Environment, value: Any, width: int = 80) -> str:
    as_bounded(env).check_size(width, "the result of center()")
    return jinja_filters.do_center(value, width)


@pass_environment
def _indent(
    env: Environment, s: Any, width: int | str = 4, first: bool = False, blank: bool = False
) -> str:
    text = str(s)
    per_line = len(width) if isinstance(width, str) else width
    size = len(text) + (text.count("\n") + 1) * per_line
    as_bounded(env).check_size(size, "the result of indent()")
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
    as_bounded(env).check_size(size, "the result of wordwrap()")
    return jinja_filters.do_wordwrap(env, s, width, break_long_words, wrapstring, break_on_hyphens)


@pass_eval_context
def _replace(eval_ctx: EvalContext, s: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old_text = str(s), str(old)
    hits = text.count(old_text)
    if count is not None and count >= 0:
        hits = min(hits, count)
    size = len(text) + hits * max(len(str(new)) - len(old_text), 0)
    as_bounded(eval_ctx.environment).check_size(size, "the result of replace()")
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def _join(eval_ctx: EvalContext, value: Any, d: str = "", attribute: Any = None) -> str:
    env = as_bounded(eval_ctx.environment)
    if attribute is not None:
        value = map(jinja_filters.make_attrgetter(env, attribute), value)
    items = list(value)
    limit = env.bounds.max_output_chars
    size = sum(value_size(item, limit) for item in items) + len(str(d)) * len(items)
    env.check_size(size, "the result of join()")
    return jinja_filters.sync_do_join(eval_ctx, items, d)


@pass_environment
def _format(env: Environment, value: Any, *args: Any, **kwargs: Any) -> str:
    as_bounded(env).check_printf(str(value), kwargs or args)
    return jinja_filters.do_format(value, *args, **kwargs)


def _measured(env: Environment, items: Iterable[Any], what: str) -> Iterator[Any]:
    """``items``, refused once together they are over the size bound. For the filters that
    make a new value per item or wrap items in lists: chained, they would multiply."""
    bounded = as_bounded(env)
    total = 0
    for item in items:
        total += value_size(item, bounded.bounds.max_output_chars)
        bounded.check_size(total, what)
        yield item


@pass_environment
def _batch(env: Environment, value: Any, linecount: int, fill_with: Any = None) -> Any:
    as_bounded(env).check_count(linecount, "the batch size")
    return _measured(
        env, jinja_filters.do_batch(value, linecount, fill_with), "the result of batch()"
    )


@pass_environment
def _slice(env: Environment, value: Any, slices: int, fill_with: Any = None) -> Any:
    as_bounded(env).check_count(slices, "the number of slices")
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
    bounded = as_bounded(env)
    groups = jinja_filters.sync_do_groupby(env, value, attribute, default, case_sensitive)
    size = value_size(groups, bounded.bounds.max_output_chars)
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


BOUNDED_FILTERS: dict[str, Callable[..., Any]] = {
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
