"""Dotted field paths (``cart.items.0.price``) over a run context, a JSON-like dict.

A path is split once, when a workflow is compiled; resolving it runs per event and per
condition, so it is a plain loop over dict and list lookups.
"""

from collections.abc import Mapping
from typing import Any, Final


class _Missing:
    """The type of ``MISSING``; there is one instance."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


# Distinct from None: a field holding null exists, a missing one does not.
MISSING: Final = _Missing()


def split_path(path: str) -> tuple[str | int, ...]:
    """``"cart.items.0.price"`` -> ``("cart", "items", 0, "price")``.

    Only canonical non-negative numbers become ints (``"01"`` and ``"-1"`` stay strings), so a
    dict key is rebuilt exactly by ``str(part)``.
    """
    return tuple(_segment(part) for part in path.split("."))


def _segment(part: str) -> str | int:
    if part.isascii() and part.isdigit() and str(int(part)) == part:
        return int(part)
    return part


def resolve(context: Mapping[str, Any], parts: tuple[str | int, ...]) -> Any:
    """The value at ``parts``, or ``MISSING`` if a key is absent, an index is out of range or
    the path descends into a scalar."""
    value: Any = context
    for part in parts:
        value = _step(value, part)
        if value is MISSING:
            return MISSING
    return value


def resolve_field(context: Mapping[str, Any], parts: tuple[str | int, ...]) -> Any:
    """Like ``resolve``, but a path whose first segment is not at the root is looked up under
    ``user``: a condition on ``email_verified`` reads the user of a ``user_signup`` event."""
    if parts and _step(context, parts[0]) is MISSING:
        user = _step(context, "user")
        return resolve(user, parts) if isinstance(user, Mapping) else MISSING
    return resolve(context, parts)


def _step(value: Any, part: str | int) -> Any:
    # dict comes first in the tuple so that JSON objects skip the slower ABC check.
    if isinstance(value, (dict, Mapping)):
        found = value.get(part, MISSING)
        if found is MISSING and isinstance(part, int):
            # JSON object keys are strings: "items.0" also reaches {"0": ...}.
            return value.get(str(part), MISSING)
        return found
    if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
        return value[part]
    return MISSING
