"""What the channels that message one phone number share (``send_sms``,
``send_whatsapp``): the recipient they take, the output they give, and how a message goes:
through the channel's configured providers, else into the dev outbox."""

from typing import Any, TypeVar

from app.actions.base import ActionContext
from app.actions.channels.outbox import OUTPUT, Letter, keep, outbox
from app.actions.channels.providers import DELIVERY_OUTPUT, Kinds, configured, route
from app.models.patterns import PHONE_PATTERN

M = TypeVar("M")

RECIPIENT = {
    "type": "string",
    "pattern": PHONE_PATTERN,
    "description": "E.164 number; default: the event's user.phone.",
}
OUTPUTS = {
    "type": "object",
    "properties": {"recipient": {"type": "string"}, **DELIVERY_OUTPUT, **OUTPUT},
}


async def deliver(
    channel: str, kinds: Kinds[M], message: M, to: str, text: str | None, context: ActionContext
) -> dict[str, Any]:
    """Send ``message`` to ``to`` through the channel's providers, in order; with none
    configured and a dev outbox kept, ``text`` is kept there instead."""
    book = outbox(context)
    if book is not None and not configured(channel, context.config):
        kept = await keep(book, Letter(channel, to, text=text), context)
        return {"recipient": to, **kept}
    delivery = await route(channel, context.config, kinds).deliver(
        message, context, context.idempotency_key
    )
    return {"recipient": to, **delivery}
