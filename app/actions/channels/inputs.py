"""What a channel reads from its step: checked data, and recipients defaulting to the
event's user (``user.phone``, ``user.deviceToken``), else their stored profile's."""

import re
from collections.abc import Mapping
from typing import Any

from app.actions.base import ActionContext, ActionSpec, ConnectorError, Message
from app.errors import shown

_SEPARATORS = re.compile(r"[ ().-]")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def check(spec: ActionSpec, params: Mapping[str, Any]) -> None:
    """Refuse rendered data the action's schema refuses (final: a retry renders the same)."""
    problems = spec.problems(params)
    if problems:
        raise ConnectorError("; ".join(map(str, problems)))


def user_field(context: ActionContext, name: str) -> Any:
    """The event's ``user.<name>``, else the stored ``profile.<name>``: an event often names
    only the user's id, their token or phone came with an earlier event."""
    for holder in ("user", "profile"):
        values = context.event.get(holder)
        if isinstance(values, Mapping) and values.get(name):
            return values[name]
    return None


def phone(params: Mapping[str, Any], context: ActionContext) -> str:
    """``data.recipient`` or the user's phone, as E.164 (``+15551234567``)."""
    given = params.get("recipient") or user_field(context, "phone")
    if not given:
        raise ConnectorError(
            "no recipient: data.recipient is empty and the event's user has no phone, "
            "nor has their profile"
        )
    number = _SEPARATORS.sub("", str(given))
    if not _E164.fullmatch(number):
        raise ConnectorError(
            f"recipient {shown(str(given))} is not a phone number in E.164 form "
            "(+, country code and number: 7 to 15 digits)"
        )
    return number


def device_tokens(params: Mapping[str, Any], context: ActionContext) -> list[str]:
    """``data.recipients`` (empty entries dropped, duplicates once), or when it names none
    the user's ``deviceToken`` (the event's, else their profile's)."""
    listed = params.get("recipients")
    tokens = _tokens(listed if isinstance(listed, list) else [])
    tokens = tokens or _tokens([user_field(context, "deviceToken")])
    if not tokens:
        raise ConnectorError(
            "no recipient: data.recipients is empty and the event's user has no "
            "deviceToken, nor has their profile"
        )
    return tokens


def _tokens(given: list[Any]) -> list[str]:
    return list(dict.fromkeys(str(token) for token in given if token))


def missing(part: str, empty: str, field: str, message: Message | None) -> str:
    """What a message lacks, worded alike on every channel: what is empty, and where it may
    come from (the step's data, or the template it names)."""
    named = message.name if message else None
    template = f" and template {named!r} has none" if named else ""
    where = "give the template one" if named else "name a template that has one"
    return f"no {part}: {empty}{template}; set {field} or {where}"


def lacking_text(params: Mapping[str, Any], context: ActionContext) -> str | None:
    """What ``text`` would refuse for want of a body, found before the step runs (its data
    need not be rendered: only whether a body is given counts)."""
    if _body(params, context):
        return None
    return missing("body", "data.body is empty", "data.body", context.message)


def text(params: Mapping[str, Any], context: ActionContext, limit: int) -> str:
    """``data.body``, else the message template's text; at most ``limit`` characters."""
    lacking = lacking_text(params, context)
    if lacking is not None:
        raise ConnectorError(lacking)
    body = str(_body(params, context))
    if len(body) > limit:
        raise ConnectorError(f"data.body: {len(body)} characters, at most {limit} are allowed")
    return body


def _body(params: Mapping[str, Any], context: ActionContext) -> Any:
    return params.get("body") or (context.message.text if context.message else None)
