"""``notify_service``: the built-in messaging connector (email, SMS, push, WhatsApp).

Each channel lives in its own module under ``app/actions/channels/`` and is listed in
``CHANNELS``; this connector only routes an action to its channel.
"""

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter, ConnectorError
from app.actions.channels.email import EmailChannel
from app.actions.channels.outbox import undeliverable
from app.actions.channels.push import PushChannel
from app.actions.channels.sms import SmsChannel
from app.actions.channels.whatsapp import WhatsAppChannel


class Channel(Protocol):
    spec: ActionSpec

    async def send(self, params: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        """Deliver one message; raise ConnectorError saying whether a retry may help."""

    def lacking(self, params: Mapping[str, Any], context: ActionContext) -> str | None:
        """What ``send`` would refuse for want of a part of the message (a subject, a body)
        or a server it may not reach, found before the step runs; ``params`` may be
        unrendered."""

    def draft(self, params: Mapping[str, Any], context: ActionContext) -> dict[str, Any]:
        """The message ``send`` would send, composed from rendered ``params`` and nothing
        sent; raise the ConnectorError ``send`` would for its recipients or parts."""


CHANNELS: dict[str, Channel] = {
    "send_sms": SmsChannel(),
    "send_push": PushChannel(),
    "send_whatsapp": WhatsAppChannel(),
    "send_email": EmailChannel(),
}


class NotifyService(ConnectorAdapter):
    code = "notify_service"
    name = "Messages"
    description = "Email over SMTP, SMS, push and WhatsApp through configured providers."
    actions: ClassVar[Mapping[str, ActionSpec]] = {
        action: channel.spec for action, channel in CHANNELS.items()
    }

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        return await _channel(action).send(params, context)

    def unready(self, action: str, params: Mapping[str, Any], context: ActionContext) -> str | None:
        """A channel with no provider configured and no outbox to keep its messages; a
        message with no body (an email with no subject either) in its data or its template."""
        reason = undeliverable(action, context)
        channel = CHANNELS.get(action)
        if reason is None and channel is not None:
            return channel.lacking(params, context)
        return reason

    def draft(self, action: str, params: Mapping[str, Any], context: ActionContext) -> Any:
        """The message the channel would send: its recipients and its parts, the template's
        rendered; the channel's ConnectorError for a recipient or part it would refuse."""
        return _channel(action).draft(params, context)


def _channel(action: str) -> Channel:
    channel = CHANNELS.get(action)
    if channel is None:
        raise ConnectorError(f"notify_service has no action {action!r}")
    return channel
