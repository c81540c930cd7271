"""What a template read that the run's context does not have, said as the user would: Jinja
says "'dict object' has no attribute 'name'"; this says "user.name is not in the event; its
user has id, email; use {{ user.name | default('') }} to make it optional".

The suggestion is an empty default, not a greeting's "there": copied into a recipient or a
device token, "" is refused as missing, where a made-up value would be sent to."""

from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import Environment, nodes

from app.engine.expressions.names import CONTEXT_NAMES
from app.errors import quoted

MAX_KEYS = 10  # of the keys named where a name was looked for


def _path(node: nodes.Node) -> list[str] | None:
    """``user.name`` or ``user['name']`` as ["user", "name"]; None for anything else."""
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        parent = _path(node.node)
        return None if parent is None else [*parent, node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        parent = _path(node.node)
        return None if parent is None else [*parent, str(node.arg.value)]
    return None


def _paths(source: str, env: Environment) -> Iterator[list[str]]:
    """The paths the template reads, outermost first (``user.name``, not ``user``)."""
    for node in env.parse(source).find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        path = _path(node)
        if path is not None:
            yield path


def explain(source: str, env: Environment, context: Mapping[str, Any], reads: str) -> str | None:
    """The first path ``source`` reads that ``context`` lacks, where it stops, and how to
    make it optional; None when every path resolves (the undefined came from elsewhere).
    ``reads`` names the context as its author knows it: "the event", "the delivery"."""
    for path in _paths(source, env):
        value: Any = context
        for depth, name in enumerate(path):
            if not isinstance(value, Mapping):
                break
            if name not in value:
                return _sentence(path[: depth + 1], value, reads, _data_fields(path, context))
            value = value[name]
    return None


def _data_fields(path: list[str], context: Mapping[str, Any]) -> str:
    """Where a run's event data is, for a path that looked for it under ``event`` or
    ``data`` (``event.data.total``): its fields are at the root, which the names of
    ``event`` (type, id, time) do not say."""
    if path[0] not in ("event", "data") or not isinstance(context.get("event"), Mapping):
        return ""
    fields = [key for key in context if key not in CONTEXT_NAMES]
    if not fields:
        return "; the event has no data fields"
    return f"; the event's data fields are read at the root: {_listed(fields)}"


def _sentence(path: list[str], holder: Mapping[str, Any], reads: str, more: str) -> str:
    dotted = ".".join(path)
    has = _listed(list(holder)) if holder else "nothing"
    owner = f"its {path[-2]} has" if len(path) > 1 else "it has"
    return (
        f"{dotted} is not in {reads}; {owner} {has}{more}; use "
        f"{{{{ {dotted} | default('') }}}} to make it optional"
    )


def _listed(keys: list[Any]) -> str:
    """The first MAX_KEYS of ``keys``, each quoted, and "..." when there are more."""
    named = ", ".join(quoted(str(key)) for key in keys[:MAX_KEYS])
    return f"{named}, ..." if len(keys) > MAX_KEYS else named
