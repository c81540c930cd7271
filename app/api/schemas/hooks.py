"""What the hooks API reads and answers."""

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api.schemas.page import Page
from app.hooks import HookSpec
from app.models.hook import Hook, HookScheme
from app.models.patterns import EVENT_TYPE_PATTERN, VARIABLE_PATTERN
from app.models.run import Accepted

HOOK_EXAMPLE: dict[str, Any] = {
    "name": "Stripe payments",
    "event_type": "payment_succeeded",
    "verify": {"scheme": "stripe", "secret": "STRIPE_WEBHOOK_SECRET", "tolerance": 300},
    "mapping": {
        "type": "{{ body.type | replace('.', '_') }}",
        "user": {"id": "{{ body.data.object.customer }}"},
        "data": {"amount": "{{ body.data.object.amount }}"},
    },
}


class VerifyIn(BaseModel):
    """How deliveries are checked."""

    model_config = ConfigDict(extra="forbid")

    scheme: HookScheme = Field(
        description="`stripe` (Stripe-Signature), `github` (X-Hub-Signature-256), `shopify` "
        "(X-Shopify-Hmac-Sha256), `standard_webhooks` (webhook-id, webhook-timestamp, "
        "webhook-signature), or `token`: no signature, the hook's unguessable URL is the "
        "credential."
    )
    secret: str | None = Field(
        None,
        pattern=VARIABLE_PATTERN,
        description="The name of the signing secret in the tenant's secrets (PUT "
        "/api/secrets/{name}); required for every scheme but `token`.",
    )
    tolerance: int = Field(
        300,
        ge=1,
        le=86400,
        description="Seconds a signed timestamp may be off now (stripe, standard_webhooks; "
        "shopify and github sign none): older deliveries are refused as replays.",
    )

    @model_validator(mode="after")
    def _secret_fits_scheme(self) -> Self:
        if (self.scheme == HookScheme.IN_PATH) != (self.secret is None):
            need = "takes no secret" if self.scheme == HookScheme.IN_PATH else "needs a secret"
            raise ValueError(f"the {self.scheme.value} scheme {need}")
        return self


class HookIn(BaseModel):
    """A hook: its name, its event type, how deliveries are checked and mapped."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [HOOK_EXAMPLE]})

    name: str = Field(min_length=1, max_length=200)
    event_type: str = Field(
        pattern=EVENT_TYPE_PATTERN,
        description="The event's type, unless the mapping's `type` makes one from the body.",
    )
    verify: VerifyIn
    mapping: dict[str, Any] = Field(
        default_factory=dict,
        description="Templates over the delivery (`body`, its parsed JSON; `headers`, by "
        "lower-case name) for the event's `type`, `user` and `data` (default: the body) and "
        "`delivery_id` (default: the scheme's delivery header, or Stripe's event `id`).",
    )

    def spec(self) -> HookSpec:
        unknown = self.mapping.keys() - {"type", "user", "data", "delivery_id"}
        if unknown:
            raise ValueError(f"unknown mapping fields: {', '.join(sorted(unknown))}")
        verify = self.verify
        return HookSpec(
            self.name,
            self.event_type,
            verify.scheme,
            verify.secret,
            verify.tolerance,
            self.mapping,
        )

    @model_validator(mode="after")
    def _known_mapping(self) -> Self:
        self.spec()
        return self


class HookRead(BaseModel):
    hook_id: str
    url: str = Field(description="Where the sender posts: `/hooks/{hook_id}` on this service.")
    name: str
    event_type: str
    verify: VerifyIn
    mapping: dict[str, Any]
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, hook: Hook) -> "HookRead":
        verify = VerifyIn(scheme=hook.scheme, secret=hook.secret, tolerance=hook.tolerance)
        return cls(
            hook_id=hook.hook_id,
            url=f"/hooks/{hook.hook_id}",
            name=hook.name,
            event_type=hook.event_type,
            verify=verify,
            mapping=hook.mapping,
            created_at=hook.created_at,
            created_by=hook.created_by,
        )


class HookList(Page[HookRead]):
    pass


class DeliveryAccepted(BaseModel):
    """What the sender is told: its delivery is stored as this event."""

    event_id: str
    duplicate: bool = Field(description="This delivery id was accepted before: nothing new.")

    @classmethod
    def of(cls, accepted: Accepted) -> "DeliveryAccepted":
        return cls(event_id=accepted.event.event_id, duplicate=accepted.duplicate)
