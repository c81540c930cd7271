"""Delivering a message through an ordered list of providers, failing over between them.

A channel's configuration (``notify_service`` config, e.g. ``"sms": [{...}, {...}]``) lists
providers in order. A delivery walks the list: a provider that fails with a retryable error
(network, 5xx, 408, 425, 429) or that the breaker marks unhealthy is passed over for the next;
a final error (any other 4xx) stops the walk, since another provider would refuse the same
message. The output names the provider that delivered and those that failed before it.
"""

import asyncio
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.actions.base import ActionContext, ConnectorError
from app.actions.breaker import Breaker, LocalBreaker
from app.actions.net import retry_after, transport_error
from app.models import patterns
from app.models.patterns import URL_PATTERN

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_ERROR_CHARS = 300  # of a provider's error text kept in step errors
RETRYABLE_STATUSES = frozenset({408, 425, 429})

# The output fields of one delivery (``Route.deliver``), for action output schemas.
DELIVERY_OUTPUT = {
    "provider": {"type": "string", "description": "The provider that took the message."},
    "message_id": {"type": ["string", "null"], "description": "Its id at that provider."},
    "failed_providers": {
        "type": "array",
        "description": "Providers tried before it, in order, with their errors.",
        "items": {"type": "object"},
    },
}

# Used when the caller built no breaker (processes without Redis): health stays in-process.
PROCESS_BREAKER = LocalBreaker()


class Payload(Protocol):
    """A channel's message, as the generic HTTP provider posts it."""

    def as_json(self) -> dict[str, Any]: ...


M = TypeVar("M", contravariant=True)


@dataclass(frozen=True)
class Outbound:
    """One HTTP request to a provider."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    form: Mapping[str, str] | None = None
    auth: tuple[str, str] | None = None


@dataclass(frozen=True)
class Reply:
    """A provider's answer, its body parsed when it is JSON (else text)."""

    response: httpx.Response
    body: Any

    @property
    def status(self) -> int:
        return self.response.status_code


class Endpoint(Protocol):
    """What a walk over providers needs of one: its kind, where it sends, its secrets."""

    @property
    def provider(self) -> str: ...

    def endpoint(self) -> str:
        """Where it sends (no secrets): its health is kept by this."""

    def credentials(self) -> list[str]:
        """Secret values to blank out of error texts."""


class Provider(Endpoint, Protocol[M]):
    """One configured provider of a channel whose messages are ``M``."""

    @property
    def name(self) -> str | None: ...

    @property
    def timeout(self) -> float: ...

    async def request(self, message: M, key: str, http: httpx.AsyncClient) -> Outbound:
        """The HTTP request delivering ``message``; ``key`` is its idempotency key."""

    def refusal(self, reply: Reply) -> ConnectorError | None:
        """The error a reply means, or None when the message was accepted."""

    def message_id(self, body: Any) -> str | None:
        """The provider's id of the accepted message."""


class ProviderConfig(BaseModel):
    """Fields every provider has; subclasses add theirs and build the request."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str | None = Field(
        None, min_length=1, max_length=64, description="Label in step outputs and errors."
    )
    timeout: float = Field(10, gt=0, le=300, description="Seconds before trying the next.")

    def credentials(self) -> list[str]:
        return []

    def refusal(self, reply: Reply) -> ConnectorError | None:
        return refusal(reply)

    def message_id(self, body: Any) -> str | None:
        found = body.get("id", body.get("message_id")) if isinstance(body, dict) else None
        return None if found is None else str(found)


class GenericHttp(ProviderConfig):
    """Any HTTP endpoint: POSTs the message as JSON with ``idempotency_key``, and the same
    key in an ``Idempotency-Key`` header."""

    provider: Literal["http"]
    url: str = Field(pattern=URL_PATTERN, max_length=2048)
    headers: dict[str, str] = Field(default_factory=dict)

    def endpoint(self) -> str:
        return self.url.split("?", 1)[0]

    def credentials(self) -> list[str]:
        return list(self.headers.values())

    async def request(self, message: Payload, key: str, http: httpx.AsyncClient) -> Outbound:
        body = {**message.as_json(), "idempotency_key": key}
        return Outbound(self.url, headers={**self.headers, IDEMPOTENCY_HEADER: key}, json=body)


Kinds = Mapping[str, Callable[[Any], Provider[M]]]


@dataclass(frozen=True)
class Route(Generic[M]):
    """A channel's providers in the order they are tried, with their labels."""

    channel: str
    providers: Sequence[tuple[str, Provider[M]]]

    async def deliver(self, message: M, context: ActionContext, key: str) -> dict[str, Any]:
        """Send through the first provider that takes it: ``{"provider", "message_id",
        "failed_providers"}``. Raises a final ConnectorError when a provider refuses the
        message, a retryable one when every provider failed or is unhealthy."""
        walk = Walk(context, self.channel)
        for label, provider in self.providers:
            if await walk.unhealthy(label, provider):
                continue
            try:
                message_id = await _send(walk.http, provider, message, key)
            except ConnectorError as exc:
                await walk.failed(label, provider, exc)
                continue
            await walk.breaker.succeeded(walk.health_key(provider))
            return {"provider": label, "message_id": message_id, "failed_providers": walk.failures}
        raise walk.exhausted()


def configured(channel: str, config: Mapping[str, Any]) -> bool:
    """Whether the notify_service configuration lists any provider for ``channel``."""
    return bool(config.get(channel))


def route(channel: str, config: Mapping[str, Any], kinds: Kinds[M]) -> Route[M]:
    """The providers ``config[channel]`` lists, checked; a final error names a bad field."""
    listed = config.get(channel)
    if not listed:
        raise ConnectorError(
            f"no {channel} provider is configured: list them under {channel!r} in the "
            "notify_service integration (AUTOMATOR_INTEGRATIONS)"
        )
    items = listed if isinstance(listed, list) else [listed]
    providers = [_provider(f"{channel}[{index}]", item, kinds) for index, item in enumerate(items)]
    names = [provider.name or provider.provider for provider in providers]
    labels = [
        name if names.count(name) == 1 else f"{name}#{index + 1}"
        for index, name in enumerate(names)
    ]
    return Route(channel, list(zip(labels, providers, strict=True)))


def _provider(where: str, item: Any, kinds: Kinds[M]) -> Provider[M]:
    kind = item.get("provider") if isinstance(item, dict) else None
    build = kinds.get(kind) if isinstance(kind, str) else None
    if build is None:
        raise ConnectorError(
            f"notify_service config {where}.provider: must be one of {', '.join(kinds)}"
        )
    try:
        return build(item)
    except ValidationError as exc:
        # Only where and what: the input may be a credential.
        problems = "; ".join(
            f"{where}.{'.'.join(str(part) for part in error['loc'])}: {patterns.message(error)}"
            for error in exc.errors()
        )
        raise ConnectorError(f"notify_service config {problems}") from None


class Walk:
    """One delivery's pass over the providers: what failed, and how long to wait (the AI
    connector walks its providers the same way)."""

    def __init__(self, context: ActionContext, channel: str) -> None:
        if context.services.http is None:
            raise ConnectorError("no HTTP client is configured for connectors")
        self.http = context.services.http
        self.breaker: Breaker = context.services.breaker or PROCESS_BREAKER
        self.context = context
        self.channel = channel
        self.failures: list[dict[str, Any]] = []
        self.waits: list[float | None] = []

    def health_key(self, provider: Endpoint) -> str:
        # Per tenant: one tenant's failing endpoint never reroutes another tenant's messages.
        identity = "\n".join(
            [self.context.tenant_id, self.channel, provider.provider, provider.endpoint()]
        )
        return hashlib.sha256(identity.encode()).hexdigest()[:32]

    async def unhealthy(self, label: str, provider: Endpoint) -> bool:
        cooling = await self.breaker.cooling(self.health_key(provider))
        if cooling:
            message = f"skipped: unhealthy for another {math.ceil(cooling)} s"
            self.failures.append({"provider": label, "error": message, "skipped": True})
            self.waits.append(cooling)
        return bool(cooling)

    async def failed(self, label: str, provider: Endpoint, exc: ConnectorError) -> None:
        """Note a retryable failure and go on; a final one ends the walk (raised)."""
        text = self._redact(exc.message, provider)
        if not exc.retryable:
            # The provider answered, so it is up; another one would refuse the same message.
            await self.breaker.succeeded(self.health_key(provider))
            raise ConnectorError(f"{label}: {text}{self._after()}") from None
        await self.breaker.failed(self.health_key(provider))
        self.failures.append({"provider": label, "error": text})
        self.waits.append(exc.retry_after)

    def exhausted(self) -> ConnectorError:
        listed = "; ".join(
            f"{failure['provider']}: {failure['error']}" for failure in self.failures
        )
        waits = [wait for wait in self.waits if wait is not None]
        # Retry when the first provider may take it again (None: as soon as the backoff says).
        retry_after = min(waits) if waits and len(waits) == len(self.waits) else None
        return ConnectorError(
            f"every {self.channel} provider failed: {listed}",
            retryable=True,
            retry_after=retry_after,
        )

    def _after(self) -> str:
        if not self.failures:
            return ""
        return f" (after {', '.join(failure['provider'] for failure in self.failures)} failed)"

    def _redact(self, text: str, provider: Endpoint) -> str:
        for secret in [*provider.credentials(), *self.context.secrets.values()]:
            if len(secret) >= 4:
                text = text.replace(secret, "***")
        return text


async def _send(http: httpx.AsyncClient, provider: Provider[M], message: M, key: str) -> str | None:
    outbound = await provider.request(message, key, http)
    reply = await post(http, outbound, provider.timeout)
    problem = provider.refusal(reply)
    if problem is not None:
        raise problem
    return provider.message_id(reply.body)


async def post(http: httpx.AsyncClient, outbound: Outbound, seconds: float) -> Reply:
    """Send ``outbound`` within ``seconds`` (the shared client bounds the reply's size).
    Network errors and the deadline are retryable ConnectorErrors; the guard refusing the
    address is final."""
    try:
        async with asyncio.timeout(seconds):
            response = await http.post(
                outbound.url,
                headers=dict(outbound.headers),
                json=outbound.json,
                data=outbound.form,
                auth=outbound.auth or httpx.USE_CLIENT_DEFAULT,
            )
    except TimeoutError:
        raise ConnectorError(f"no reply within {seconds:g} s", retryable=True) from None
    except httpx.HTTPError as exc:
        raise transport_error(exc, "request") from None
    return Reply(response, _parse(response.text))


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def refusal(reply: Reply) -> ConnectorError | None:
    """The usual reading of an HTTP status: 2xx accepted; 5xx, 408, 425 and 429 retryable
    (with the reply's Retry-After); anything else final."""
    if 200 <= reply.status < 300:
        return None
    message = f"HTTP {reply.status}: {error_text(reply.body)}"
    if reply.status >= 500 or reply.status in RETRYABLE_STATUSES:
        return ConnectorError(message, retryable=True, retry_after=retry_after(reply.response))
    return ConnectorError(message)


def error_text(body: Any) -> str:
    """The provider's own words from a reply body, trimmed."""
    found: Any = body
    if isinstance(body, dict):
        error = body.get("error")
        found = error.get("message", error) if isinstance(error, dict) else error
        if isinstance(found, str) and body.get("error_description"):
            found = f"{found}: {body['error_description']}"  # OAuth's shape
        found = found or body.get("message") or body.get("detail") or body
    text = found if isinstance(found, str) else json.dumps(found)
    text = re.sub(r"\s+", " ", text).strip() or "(empty reply)"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
