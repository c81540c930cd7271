"""The dev outbox: under ``automator dev`` (or with ``AUTOMATOR_OUTBOX=true``), a channel
with no provider configured keeps its message here instead of failing, so a first workflow
runs to the end on a machine with no SMTP server or SMS account. ``GET /api/outbox`` lists
what was kept."""

from dataclasses import dataclass

from app.actions.base import ActionContext, OutboxBook
from app.actions.channels import smtp
from app.models.ids import new_id
from app.models.outbox import OutboxMessage
from app.settings import Settings

DELIVERED_TO = "outbox"
OUTPUT = {
    "delivered_to": {
        "type": "string",
        "enum": [DELIVERED_TO],
        "description": "Present when no provider is configured and the dev outbox kept the "
        "message instead (GET /api/outbox).",
    },
    "outbox_id": {"type": "string", "description": "The message in GET /api/outbox/{id}."},
}


# Each channel action and the notify_service configuration key of its providers.
CHANNELS = {
    "send_email": "smtp",
    "send_sms": "sms",
    "send_push": "push",
    "send_whatsapp": "whatsapp",
}


def unprovided(settings: Settings) -> list[str]:
    """The channel actions the operator's settings give no provider, whose messages go to
    the outbox (unless a tenant configures its own, through PUT /api/integrations)."""
    notify = settings.integrations.get("notify_service", {})
    smtp = notify.get("smtp")
    has_smtp = settings.smtp_host or (isinstance(smtp, dict) and smtp.get("host"))
    return [
        action
        for action, key in CHANNELS.items()
        if not (has_smtp if key == "smtp" else notify.get(key))
    ]


def undeliverable(action: str, context: ActionContext) -> str | None:
    """Why a channel action could not deliver now: no provider configured for it (the
    step's configuration, or the settings' SMTP server) and no outbox to keep it."""
    key = CHANNELS.get(action)
    if key is None or outbox(context) is not None:
        return None
    if key == "smtp":
        if smtp.configured(context):
            return None
        missing = "no SMTP server is configured (AUTOMATOR_SMTP_HOST, or smtp.host in the "
    elif context.config.get(key):
        return None
    else:
        missing = f"no {key} provider is configured ({key!r} in the "
    return (
        f"{missing}notify_service integration) and this process keeps no dev outbox "
        "(AUTOMATOR_OUTBOX): the message could not be sent"
    )


@dataclass(frozen=True)
class Letter:
    """What a channel would have sent to one recipient."""

    channel: str
    recipient: str
    subject: str | None = None
    text: str | None = None
    html: str | None = None


def outbox(context: ActionContext) -> OutboxBook | None:
    """The outbox this step may deliver to: None when the process keeps none."""
    return context.services.outbox


async def keep(
    book: OutboxBook, letter: Letter, context: ActionContext, key: str | None = None
) -> dict[str, str]:
    """Store ``letter`` once per idempotency key (``key``, else the step's); the step's
    output fields saying where it went."""
    kept = await book.add_outbox_message(
        OutboxMessage(
            tenant_id=context.tenant_id,
            message_id=new_id("msg"),
            channel=letter.channel,
            recipient=letter.recipient,
            subject=letter.subject,
            text=letter.text,
            html=letter.html,
            idempotency_key=key or context.idempotency_key,
            run_id=context.run_id,
            step_id=context.step_id,
            workflow_id=context.workflow_id,
            created_at=context.services.clock.now(),
        )
    )
    return {"delivered_to": DELIVERED_TO, "outbox_id": kept.message_id}
