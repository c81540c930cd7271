"""What a channel reads from its step: checked data, and recipients defaulting to the
event's user (``user.phone``, ``user.deviceToken``)."""

import re
from collections.abc import Mapping
from typing import Any

from app.actions.base import ActionContext, ActionSpec, ConnectorError

_SEPARATORS = re.compile(r"[ ().-]")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def check(spec: ActionSpec, params: Mapping[str, Any]) -> None:
    """Refuse rendered data the action's schema refuses (final: a retry renders the same)."""
    problems = spec.problems(params)
    if problems:
        raise ConnectorError("; ".join(problems))


def user_field(context: ActionContext, name: str) -> Any:
    user = context.event.get("user")
    return user.get(name) if isinstance(user, Mapping) else None


def phone(params: Mapping[str, Any], context: ActionContext) -> str:
    """``data.recipient`` or the user's phone, as E.164 (``+15551234567``)."""
    given = params.get("recipient") or user_field(context, "phone")
    if not given:
        raise ConnectorError(
            "no recipient: data.recipient is empty and the event's user has no phone"
        )
    number = _SEPARATORS.sub("", str(given))
    if not _E164.fullmatch(number):
        raise ConnectorError(
            f"recipient {str(given)[:40]!r} is not a phone number in E.164 form "
            "(+, country code and number: 7 to 15 digits)"
        )
    return number


def device_tokens(params: Mapping[str, Any], context: ActionContext) -> list[str]:
    """``data.recipients`` (empty entries dropped, duplicates once), or when it names none
    the user's ``deviceToken``."""
    listed = params.get("recipients")
    tokens = _tokens(listed if isinstance(listed, list) else [])
    tokens = tokens or _tokens([user_field(context, "deviceToken")])
    if not tokens:
        raise ConnectorError(
            "no recipient: data.recipients is empty and the event's user has no deviceToken"
        )
    return tokens


def _tokens(given: list[Any]) -> list[str]:
    return list(dict.fromkeys(str(token) for token in given if token))


def text(params: Mapping[str, Any], context: ActionContext, limit: int) -> str:
    """``data.body``, else the message template's text; at most ``limit`` characters."""
    body = params.get("body") or (context.message.text if context.message else None)
    if not body:
        raise ConnectorError("data.body is empty and the action names no template with text")
    if len(body) > limit:
        raise ConnectorError(f"data.body: {len(body)} characters, at most {limit} are allowed")
    return str(body)
