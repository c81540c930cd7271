"""``send_whatsapp``: a text or an approved template through the WhatsApp Cloud API or a
generic HTTP endpoint."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import Field

from app.actions.base import ActionContext, ActionSpec, ConnectorError
from app.actions.channels import inputs, phone
from app.actions.channels.providers import (
    IDEMPOTENCY_HEADER,
    GenericHttp,
    Kinds,
    Outbound,
    ProviderConfig,
    Reply,
    refusal,
)
from app.models.patterns import API_VERSION_PATTERN, DIGITS_ID_PATTERN, URL_PATTERN

MAX_BODY = 4096  # characters of a text message, the Cloud API's limit
# Cloud API error codes that mean "slow down" or "try later" although the status is a 4xx.
THROTTLED = frozenset({4, 80007, 130429, 131000, 131048, 131056})


@dataclass(frozen=True)
class WhatsApp:
    to: str
    body: str | None = None
    template: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        if self.template is not None:
            return {"to": self.to, "template": self.template}
        return {"to": self.to, "body": self.body}

    def cloud_api(self) -> dict[str, Any]:
        """The message in the Cloud API's format."""
        start = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": self.to}
        if self.template is None:
            return {**start, "type": "text", "text": {"preview_url": False, "body": self.body}}
        template = {
            "name": self.template["name"],
            "language": {"code": self.template.get("language", "en_US")},
        }
        components = _components(self.template)
        if components:
            template["components"] = components
        return {**start, "type": "template", "template": template}


def _components(template: dict[str, Any]) -> list[Any]:
    """``components`` as given, or the ``parameters`` shortcut as the body's text values."""
    if "components" in template:
        return list(template["components"])
    values = template.get("parameters") or []
    if not values:
        return []
    parameters = [{"type": "text", "text": str(value)} for value in values]
    return [{"type": "body", "parameters": parameters}]


class WhatsAppCloud(ProviderConfig):
    """Meta's WhatsApp Cloud API (``/{version}/{phone_number_id}/messages``)."""

    provider: Literal["whatsapp_cloud"]
    base_url: str = Field("https://graph.facebook.com", pattern=URL_PATTERN, max_length=2048)
    version: str = Field("v21.0", pattern=API_VERSION_PATTERN)
    phone_number_id: str = Field(pattern=DIGITS_ID_PATTERN)
    access_token: str = Field(min_length=1)

    def endpoint(self) -> str:
        return f"{self.base_url.rstrip('/')}/{self.version}/{self.phone_number_id}/messages"

    def credentials(self) -> list[str]:
        return [self.access_token]

    async def request(self, message: WhatsApp, key: str, http: httpx.AsyncClient) -> Outbound:
        headers = {"Authorization": f"Bearer {self.access_token}", IDEMPOTENCY_HEADER: key}
        return Outbound(self.endpoint(), headers=headers, json=message.cloud_api())

    def refusal(self, reply: Reply) -> ConnectorError | None:
        problem = refusal(reply)
        if problem is not None and not problem.retryable and _throttled(reply.body):
            return ConnectorError(problem.message, retryable=True, retry_after=problem.retry_after)
        return problem

    def message_id(self, body: Any) -> str | None:
        messages = body.get("messages") if isinstance(body, dict) else None
        first = messages[0] if isinstance(messages, list) and messages else None
        return str(first["id"]) if isinstance(first, dict) and "id" in first else None


def _throttled(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and error.get("code") in THROTTLED


PROVIDERS: Kinds[WhatsApp] = {
    "whatsapp_cloud": WhatsAppCloud.model_validate,
    "http": GenericHttp.model_validate,
}

TEMPLATE_SCHEMA = {
    "type": "object",
    "description": "An approved WhatsApp template, sent instead of a text.",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 512},
        "language": {"type": "string", "minLength": 2, "maxLength": 15, "default": "en_US"},
        "parameters": {
            "type": "array",
            "maxItems": 100,
            "description": "The body's {{1}}, {{2}}... values (a shortcut for components).",
        },
        "components": {"type": "array", "description": "As the Cloud API takes them."},
    },
    "required": ["name"],
    "additionalProperties": False,
}


class WhatsAppChannel:
    spec = ActionSpec(
        inputs={
            "type": "object",
            "properties": {
                "recipient": phone.RECIPIENT,
                "body": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_BODY,
                    "description": "A text message; default: the template's text.",
                },
                "template": TEMPLATE_SCHEMA,
                "variables": {"type": "object", "description": "The template's variables."},
            },
            "additionalProperties": False,
        },
        outputs=phone.OUTPUTS,
        description="Send a WhatsApp text or template message through the configured "
        "providers, in order, failing over.",
    )

    def lacking(self, params: Mapping[str, Any], context: ActionContext) -> str | None:
        """An approved WhatsApp template (``data.template``) needs no body."""
        return None if params.get("template") is not None else inputs.lacking_text(params, context)

    def draft(self, params: Mapping[str, Any], context: ActionContext) -> dict[str, Any]:
        """The message ``send`` would send, or the error it raises for its recipient or
        body."""
        return _compose(params, context).as_json()

    async def send(self, params: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        inputs.check(self.spec, params)
        message = _compose(params, context)
        template = message.template
        text = message.body if template is None else json.dumps({"template": template})
        return await phone.deliver("whatsapp", PROVIDERS, message, message.to, text, context)


def _compose(params: Mapping[str, Any], context: ActionContext) -> WhatsApp:
    to = inputs.phone(params, context)
    template = params.get("template")
    if template is not None:
        return WhatsApp(to, template=template)
    return WhatsApp(to, body=inputs.text(params, context, MAX_BODY))
