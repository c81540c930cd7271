"""Stored message templates: what a channel action's ``"template": "welcome_email"`` names."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MessageTemplate:
    """A tenant's named message. Each part is a sandboxed Jinja2 template, rendered for a
    step over the run's context and the action's ``data.variables``."""

    tenant_id: str
    name: str
    subject: str | None
    text: str | None
    html: str | None
    created_at: datetime
    updated_at: datetime
