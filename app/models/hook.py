"""Inbound webhooks: a third party's own JSON accepted as an event at ``/hooks/{hook_id}``."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class HookScheme(StrEnum):
    """How a hook checks that a delivery comes from its sender."""

    STRIPE = "stripe"  # Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">
    GITHUB = "github"  # X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>
    SHOPIFY = "shopify"  # X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>
    STANDARD = "standard_webhooks"  # webhook-id, webhook-timestamp, webhook-signature: v1,<b64>
    IN_PATH = "token"  # no signature: the unguessable hook id in the path is the credential


@dataclass(frozen=True)
class Hook:
    """A tenant's inbound webhook. ``secret`` names the signing secret in the tenant's
    secrets (None for ``token``); ``mapping`` holds the templates over the delivery (``body``,
    ``headers``) that make its event: ``type``, ``user``, ``data``, ``delivery_id``."""

    tenant_id: str
    hook_id: str
    name: str
    event_type: str
    scheme: HookScheme
    secret: str | None
    tolerance: int
    created_at: datetime
    created_by: str
    mapping: dict[str, Any] = field(default_factory=dict)
