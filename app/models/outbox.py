"""The dev outbox: channel messages kept instead of sent, when no provider is configured."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OutboxMessage:
    """One message as its channel would have sent it. ``idempotency_key`` is the step's, so
    a retried step stores the message once."""

    tenant_id: str
    message_id: str
    channel: str
    recipient: str
    subject: str | None
    text: str | None
    html: str | None
    idempotency_key: str
    run_id: str
    step_id: str
    workflow_id: str
    created_at: datetime


@dataclass(frozen=True)
class OutboxFilter:
    channel: str | None = None
    recipient: str | None = None
    run_id: str | None = None
