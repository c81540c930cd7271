"""Secret references, ``{"$secret": "NAME"}``: found anywhere in action data or connector
configuration, checked where they are written, and replaced by their values at call time."""

import re
from collections.abc import Mapping
from typing import Any

from app.errors import ErrorDetail, InvalidInput, shown
from app.models.patterns import UPPER_NAME_PATTERN, WORDS
from app.models.secret import SECRET_REF

NAME_RULE = WORDS[UPPER_NAME_PATTERN]
NAME = re.compile(UPPER_NAME_PATTERN)


def check_name(name: str, loc: tuple[str | int, ...] = ("path", "name")) -> str:
    if not NAME.fullmatch(name):
        problem = ErrorDetail(loc, f"a secret name is {NAME_RULE}; {shown(name)} is not.")
        raise InvalidInput(str(problem), [problem])
    return name


def references(value: Any, loc: tuple[str | int, ...], *, unrendered: bool = False) -> set[str]:
    """The names of the secrets referenced in ``value``; InvalidInput for a malformed
    reference (anything but ``{"$secret": "NAME"}``), naming where it is. ``unrendered``:
    ``value`` is action data before its templates are rendered, so a name may be one
    (``"KEY_{{ event.region }}"``), checked once rendered and returned as written: the
    data uses a secret, which one is known at run time."""
    if isinstance(value, list):
        found = (references(item, (*loc, n), unrendered=unrendered) for n, item in enumerate(value))
        return set().union(*found)
    if not isinstance(value, dict):
        return set()
    if SECRET_REF not in value:
        found = (
            references(item, (*loc, key), unrendered=unrendered) for key, item in value.items()
        )
        return set().union(*found)
    name = value[SECRET_REF]
    if len(value) != 1 or not isinstance(name, str):
        problem = ErrorDetail(loc, 'a secret reference is exactly {"$secret": "NAME"}')
        raise InvalidInput(str(problem), [problem])
    if unrendered and "{{" in name:
        return {name}
    return {check_name(name, loc)}


def substitute(value: Any, values: Mapping[str, str]) -> Any:
    """``value`` with each reference replaced by its secret's value."""
    if isinstance(value, list):
        return [substitute(item, values) for item in value]
    if not isinstance(value, dict):
        return value
    if SECRET_REF in value:
        return values[value[SECRET_REF]]
    return {key: substitute(item, values) for key, item in value.items()}
