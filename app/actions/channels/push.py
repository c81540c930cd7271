"""``send_push``: a notification to each device token, through FCM HTTP v1 or a generic HTTP
endpoint, one request per token.

Tokens succeed or fail on their own: the step completes when at least one was delivered, with
each token's outcome in its output, and is not retried (a retry would push the delivered ones
again). It fails only when none was: retryably if any failure was retryable.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import httpx
from pydantic import Field, field_validator, model_validator

from app.actions.base import ActionContext, ActionSpec, ConnectorError, Message, OutboxBook
from app.actions.channels import inputs
from app.actions.channels.google import FCM_SCOPE, TOKENS, ServiceAccount
from app.actions.channels.outbox import DELIVERED_TO, OUTPUT, Letter, keep, outbox
from app.actions.channels.providers import (
    DELIVERY_OUTPUT,
    IDEMPOTENCY_HEADER,
    GenericHttp,
    Kinds,
    Outbound,
    ProviderConfig,
    Route,
    configured,
    route,
)
from app.models.patterns import HTTPS_PATTERN, PROJECT_ID_PATTERN, URL_PATTERN

MAX_RECIPIENTS = 100  # tokens per step, each its own request


@dataclass(frozen=True)
class Push:
    token: str
    title: str | None = None
    body: str | None = None
    image: str | None = None
    data: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"to": self.token, **self.notification(), "data": self.data}

    def notification(self) -> dict[str, str]:
        found = {"title": self.title, "body": self.body, "image": self.image}
        return {name: value for name, value in found.items() if value is not None}


class Fcm(ProviderConfig):
    """Firebase Cloud Messaging's HTTP v1 API. Authenticates with ``access_token`` (a bearer
    token you refresh) or ``service_account`` (the JSON key, as an object or its text; tokens
    are then minted and refreshed here)."""

    provider: Literal["fcm"]
    base_url: str = Field("https://fcm.googleapis.com", pattern=URL_PATTERN, max_length=2048)
    project_id: str | None = Field(None, pattern=PROJECT_ID_PATTERN)
    access_token: str | None = Field(None, min_length=1)
    service_account: ServiceAccount | None = None

    @field_validator("service_account", mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        # A secret's value is text: the key file's JSON.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError("is not the JSON of a service account key") from None
        return value

    @model_validator(mode="after")
    def _has_auth_and_project(self) -> "Fcm":
        if (self.access_token is None) == (self.service_account is None):
            raise ValueError("needs one of 'access_token' or 'service_account'")
        if not self.project():
            raise ValueError("needs 'project_id' (or a service account key that has one)")
        return self

    def project(self) -> str | None:
        account = self.service_account
        return self.project_id or (account.project_id if account else None)

    def endpoint(self) -> str:
        return f"{self.base_url.rstrip('/')}/v1/projects/{self.project()}/messages:send"

    def credentials(self) -> list[str]:
        account = self.service_account
        return [self.access_token or "", account.private_key if account else ""]

    async def request(self, message: Push, key: str, http: httpx.AsyncClient) -> Outbound:
        body: dict[str, Any] = {"token": message.token}
        if message.notification():
            body["notification"] = message.notification()
        if message.data:
            body["data"] = message.data
        headers = {"Authorization": f"Bearer {await self._token(http)}", IDEMPOTENCY_HEADER: key}
        return Outbound(self.endpoint(), headers=headers, json={"message": body})

    async def _token(self, http: httpx.AsyncClient) -> str:
        if self.service_account is None:
            return str(self.access_token)
        return await TOKENS.token(self.service_account, FCM_SCOPE, http, self.timeout)

    def message_id(self, body: Any) -> str | None:
        return str(body["name"]) if isinstance(body, dict) and body.get("name") else None


PROVIDERS: Kinds[Push] = {"fcm": Fcm.model_validate, "http": GenericHttp.model_validate}


class PushChannel:
    spec = ActionSpec(
        inputs={
            "type": "object",
            "properties": {
                "recipients": {
                    "type": "array",
                    # null: a user without a token, e.g. "{{user.deviceToken}}"; skipped.
                    "items": {"type": ["string", "null"], "maxLength": 4096},
                    "maxItems": MAX_RECIPIENTS,
                    "description": "Device tokens; default: the event's user.deviceToken, "
                    "else the user's profile.deviceToken.",
                },
                "title": {"type": "string", "maxLength": 1000},
                "body": {"type": "string", "maxLength": 4000},
                "image": {"type": "string", "pattern": HTTPS_PATTERN, "maxLength": 2048},
                "data": {
                    "type": "object",
                    "description": "Key-value pairs for the app; values are sent as text.",
                    "additionalProperties": {"type": ["string", "number", "boolean"]},
                },
                "variables": {"type": "object", "description": "The template's variables."},
            },
            "additionalProperties": False,
        },
        outputs={
            "type": "object",
            "properties": {
                **OUTPUT,
                "sent": {"type": "integer"},
                "failed": {"type": "integer"},
                "results": {
                    "type": "array",
                    "description": "One per token: status sent or failed, and its delivery.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "recipient": {"type": "string"},
                            "status": {"enum": ["sent", "failed"]},
                            "error": {"type": "string"},
                            **DELIVERY_OUTPUT,
                        },
                    },
                },
            },
        },
        description="Send a push notification to each device token, failing over between "
        "the configured providers.",
    )

    def lacking(self, params: Mapping[str, Any], context: ActionContext) -> str | None:
        return _lacking(params, context.message)

    def draft(self, params: Mapping[str, Any], context: ActionContext) -> dict[str, Any]:
        """The notification ``send`` would send and its tokens, or the error it raises for
        them."""
        content, tokens = _compose(params, context)
        return {"to": tokens} | content.notification() | {"data": content.data}

    async def send(self, params: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        inputs.check(self.spec, params)
        content, tokens = _compose(params, context)
        book = outbox(context)
        if book is not None and not configured("push", context.config):
            return await _keep(book, content, tokens, context)
        providers = route("push", context.config, PROVIDERS)
        outcomes = [await _one(providers, content, token, context) for token in tokens]
        return _summary(outcomes)


def _compose(params: Mapping[str, Any], context: ActionContext) -> tuple[Push, list[str]]:
    # The content first: a dry run finds a missing one before the step runs, and the run's
    # first error should be the one its dry run named.
    content = _content(params, context.message)
    tokens = inputs.device_tokens(params, context)
    if len(tokens) > MAX_RECIPIENTS:
        raise ConnectorError(f"data.recipients: {len(tokens)}, at most {MAX_RECIPIENTS}")
    return content, tokens


def _content(params: Mapping[str, Any], message: Message | None) -> Push:
    lacking = _lacking(params, message)
    if lacking is not None:
        raise ConnectorError(lacking)
    title, body = _title(params, message), _body(params, message)
    data = {
        str(name): value if isinstance(value, str) else json.dumps(value)
        for name, value in (params.get("data") or {}).items()
    }
    return Push("", title, body, params.get("image"), data)


def _lacking(params: Mapping[str, Any], message: Message | None) -> str | None:
    """What ``_content`` would refuse for want of anything to show, found before the step
    runs (its data need not be rendered: only whether each part is given counts)."""
    if _title(params, message) or _body(params, message) or params.get("data"):
        return None
    empty = "data.title, data.body and data.data are empty"
    return inputs.missing("title or body", empty, "data.body", message)


def _title(params: Mapping[str, Any], message: Message | None) -> Any:
    return params.get("title") or (message.subject if message else None)


def _body(params: Mapping[str, Any], message: Message | None) -> Any:
    return params.get("body") or (message.text if message else None)


async def _keep(
    book: OutboxBook, content: Push, tokens: list[str], context: ActionContext
) -> dict[str, Any]:
    results = []
    for token in tokens:
        letter = Letter("push", token, content.title, content.body)
        kept = await keep(book, letter, context, _token_key(context, token))
        results.append({"recipient": token, "status": "sent", "outbox_id": kept["outbox_id"]})
    return {"delivered_to": DELIVERED_TO, "sent": len(tokens), "failed": 0, "results": results}


def _token_key(context: ActionContext, token: str) -> str:
    # Each token its own key, so a provider that de-duplicates never drops another token's.
    return f"{context.idempotency_key}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"


async def _one(
    providers: Route[Push], content: Push, token: str, context: ActionContext
) -> tuple[dict[str, Any], ConnectorError | None]:
    message = replace(content, token=token)
    try:
        delivery = await providers.deliver(message, context, _token_key(context, token))
    except ConnectorError as exc:
        return {"recipient": token, "status": "failed", "error": exc.message}, exc
    return {"recipient": token, "status": "sent", **delivery}, None


def _summary(outcomes: list[tuple[dict[str, Any], ConnectorError | None]]) -> dict[str, Any]:
    errors = [error for _, error in outcomes if error is not None]
    if len(errors) < len(outcomes):
        results = [result for result, _ in outcomes]
        return {"sent": len(outcomes) - len(errors), "failed": len(errors), "results": results}
    if len(errors) == 1:
        raise errors[0]
    retryable = [error for error in errors if error.retryable]
    listed = "; ".join(f"{result['recipient'][:12]}…: {result['error']}" for result, _ in outcomes)
    waits = [error.retry_after or 0.0 for error in retryable]
    retry_after = min(waits) if waits and all(waits) else None
    raise ConnectorError(
        f"no push was delivered: {listed}", retryable=bool(retryable), retry_after=retry_after
    )
