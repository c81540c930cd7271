"""``send_sms``: a text message through Twilio's Messages API or a generic HTTP endpoint."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import Field, model_validator

from app.actions.base import ActionContext, ActionSpec
from app.actions.channels import inputs, phone
from app.actions.channels.providers import (
    IDEMPOTENCY_HEADER,
    GenericHttp,
    Kinds,
    Outbound,
    ProviderConfig,
)
from app.models.patterns import ALPHANUMERIC_ID_PATTERN, URL_PATTERN

MAX_BODY = 1600  # characters: Twilio's limit, split into segments by the carrier


@dataclass(frozen=True)
class Sms:
    to: str
    body: str

    def as_json(self) -> dict[str, Any]:
        return {"to": self.to, "body": self.body}


class Twilio(ProviderConfig):
    """Twilio's Messages API (and services speaking it)."""

    provider: Literal["twilio"]
    base_url: str = Field("https://api.twilio.com", pattern=URL_PATTERN, max_length=2048)
    account_sid: str = Field(pattern=ALPHANUMERIC_ID_PATTERN)
    auth_token: str = Field(min_length=1)
    from_: str | None = Field(None, alias="from", min_length=1, max_length=64)
    messaging_service_sid: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _has_sender(self) -> "Twilio":
        if not (self.from_ or self.messaging_service_sid):
            raise ValueError("needs 'from' (a number or sender id) or 'messaging_service_sid'")
        return self

    def endpoint(self) -> str:
        return f"{self.base_url.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def credentials(self) -> list[str]:
        return [self.auth_token]

    async def request(self, message: Sms, key: str, http: httpx.AsyncClient) -> Outbound:
        form = {"To": message.to, "Body": message.body}
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            form["From"] = str(self.from_)
        return Outbound(
            self.endpoint(),
            headers={IDEMPOTENCY_HEADER: key},
            form=form,
            auth=(self.account_sid, self.auth_token),
        )

    def message_id(self, body: Any) -> str | None:
        return str(body["sid"]) if isinstance(body, dict) and body.get("sid") else None


PROVIDERS: Kinds[Sms] = {"twilio": Twilio.model_validate, "http": GenericHttp.model_validate}


class SmsChannel:
    spec = ActionSpec(
        inputs={
            "type": "object",
            "properties": {
                "recipient": phone.RECIPIENT,
                "body": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_BODY,
                    "description": "The text; default: the template's text.",
                },
                "variables": {"type": "object", "description": "The template's variables."},
            },
            "additionalProperties": False,
        },
        outputs=phone.OUTPUTS,
        description="Send an SMS through the configured providers, in order, failing over.",
    )

    def lacking(self, params: Mapping[str, Any], context: ActionContext) -> str | None:
        return inputs.lacking_text(params, context)

    def draft(self, params: Mapping[str, Any], context: ActionContext) -> dict[str, Any]:
        """The text ``send`` would send, or the error it raises for its recipient or body."""
        return _compose(params, context).as_json()

    async def send(self, params: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        inputs.check(self.spec, params)
        message = _compose(params, context)
        return await phone.deliver("sms", PROVIDERS, message, message.to, message.body, context)


def _compose(params: Mapping[str, Any], context: ActionContext) -> Sms:
    return Sms(inputs.phone(params, context), inputs.text(params, context, MAX_BODY))
