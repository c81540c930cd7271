"""What a template read that the run's context does not have, said as the user would: Jinja
says "'dict object' has no attribute 'name'"; this says "user.name is not in the event; its
user has id, email; use {{ user.name | default('') }} to make it optional".

The suggestion is an empty default, not a greeting's "there": copied into a recipient or a
device token, "" is refused as missing, where a made-up value would be sent to."""

from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import Environment, nodes

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
                return _sentence(path[: depth + 1], value, reads)
            value = value[name]
    return None


def _sentence(path: list[str], holder: Mapping[str, Any], reads: str) -> str:
    dotted = ".".join(path)
    keys = [str(key) for key in holder][:MAX_KEYS]
    has = ", ".join(keys) if keys else "nothing"
    owner = f"its {path[-2]} has" if len(path) > 1 else "it has"
    return (
        f"{dotted} is not in {reads}; {owner} {has}; use "
        f"{{{{ {dotted} | default('') }}}} to make it optional"
    )
