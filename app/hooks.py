"""Inbound webhooks as the API uses them: hooks created, listed and deleted (each change in
the audit log), and deliveries to ``/hooks/{hook_id}`` verified, mapped and accepted as
events.

A delivery is answered 2xx only once its event is stored (the ingestor's one durable write),
so a sender that sees an error sends it again; the event's idempotency key is the hook's id
and the sender's delivery id, so a delivery sent twice starts its runs once.
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from app.actions.base import ConnectorError
from app.audit import CLI, Acting, Audit
from app.clock import Clock
from app.engine.calls.secrets import IN_THE_STUDIO, Secrets
from app.engine.expressions.renderer import Renderer
from app.errors import ErrorDetail, InvalidInput, Unavailable, located, place, redis_missing
from app.models import patterns
from app.models.hook import Hook, HookScheme
from app.models.run import Accepted
from app.models.workflow import Page
from app.store.errors import hook_not_found
from app.store.protocol import Store
from app.triggers.deliveries import Delivery, delivery_id, standard_key, verify
from app.triggers.ingest import EventIn, Ingestor

# Headers a mapping may not read: credentials of the sender's own, never event data.
HIDDEN_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
MAX_KEY_LENGTH = 256


@dataclass(frozen=True)
class HookSpec:
    """What a tenant asks for: the hook without its id, tenant and creation."""

    name: str
    event_type: str
    scheme: HookScheme
    secret: str | None
    tolerance: int
    mapping: dict[str, Any]


@dataclass(frozen=True)
class Hooks(Acting):
    """Hooks for ``actor`` (an API key id; ``cli`` by default), named in the audit log."""

    store: Store
    clock: Clock
    audit: Audit
    secrets: Secrets
    renderer: Renderer
    ingestor: Ingestor | None = None
    actor: str = field(default=CLI)

    async def create(self, tenant_id: str, spec: HookSpec) -> Hook:
        """A new hook with an unguessable id; its signing secret must be stored already."""
        if spec.secret is not None:
            await self._check_secret(tenant_id, spec.secret, spec.scheme)
        hook = Hook(
            tenant_id,
            f"hook_{secrets.token_hex(16)}",
            spec.name,
            spec.event_type,
            spec.scheme,
            spec.secret,
            spec.tolerance,
            self.clock.now(),
            self.actor,
            spec.mapping,
        )
        await self.store.add_hook(hook)
        await self.audit.record(
            tenant_id, self.actor, "hook.create", hook.hook_id, None, _state(hook)
        )
        return hook

    async def list_hooks(self, tenant_id: str, page: Page) -> list[Hook]:
        return await self.store.list_hooks(tenant_id, page)

    async def get(self, tenant_id: str, hook_id: str) -> Hook:
        return await self.store.get_hook(tenant_id, hook_id)

    async def delete(self, tenant_id: str, hook_id: str) -> None:
        hook = await self.store.get_hook(tenant_id, hook_id)
        await self.store.delete_hook(tenant_id, hook_id)
        await self.audit.record(tenant_id, self.actor, "hook.delete", hook_id, _state(hook), None)

    async def receive(self, hook_id: str, delivery: Delivery) -> Accepted:
        """Verify the delivery (Unauthenticated: nothing is stored), map it to an event
        and accept it."""
        hook = await self.store.hook_by_id(hook_id)
        if hook is None:
            raise hook_not_found(hook_id)
        if self.ingestor is None:
            raise redis_missing()
        # The sender stamped the delivery with its clock: the tolerance is on the machine's.
        now = datetime.now(UTC)  # noqa: TID251
        verify(hook.scheme, await self._signing_secret(hook), delivery, hook.tolerance, now)
        body = _json(delivery.body)
        return await self.ingestor.accept(hook.tenant_id, self._event(hook, delivery, body))

    async def _check_secret(self, tenant_id: str, name: str, scheme: HookScheme) -> None:
        """The signing secret is stored (and, for Standard Webhooks, has its form)."""
        field = ("body", "verify", "secret")
        try:
            env = self.secrets.reads_env(tenant_id)
            value = (await self.secrets.resolve(tenant_id, [name], env=env))[name]
        except ConnectorError:
            raise InvalidInput(
                f"The hook's signing secret {name!r} is not stored: store it first "
                f"{IN_THE_STUDIO}, or with PUT /api/secrets/{name}.",
                [ErrorDetail(field, "no stored secret of this name")],
            ) from None
        if scheme == HookScheme.STANDARD:
            try:
                standard_key(value)
            except ValueError as exc:
                detail = ErrorDetail(field, str(exc))
                raise InvalidInput(f"Secret {name!r}: {exc}.", [detail]) from None

    async def _signing_secret(self, hook: Hook) -> str | None:
        if hook.secret is None:
            return None
        env = self.secrets.reads_env(hook.tenant_id)
        try:
            values = await self.secrets.resolve(hook.tenant_id, [hook.secret], env=env)
        except ConnectorError as exc:  # the secret is gone, or unreadable
            raise Unavailable(
                f"The hook's signing secret {hook.secret!r} cannot be read; nothing was "
                "accepted, send it again once the tenant has stored it."
            ) from exc
        return values[hook.secret]

    def _event(self, hook: Hook, delivery: Delivery, body: Any) -> EventIn:
        """The event the mapping's templates make of the delivery."""
        headers = {k: v for k, v in delivery.headers.items() if k not in HIDDEN_HEADERS}
        context = {"body": body, "headers": headers}
        templates = {"type": hook.event_type, "user": {}, "data": "{{ body }}"} | hook.mapping
        rendered = self.renderer.render(templates, context, f"hook {hook.hook_id} mapping")
        sent_id = rendered.pop("delivery_id", None) or delivery_id(hook.scheme, delivery, body)
        try:
            event = EventIn.model_validate(rendered)
        except ValidationError as exc:
            error = exc.errors()[0]
            problem = patterns.message(error)
            raise InvalidInput(
                f"The hook's mapping made an event the API refuses: {place(error['loc'])}: "
                f"{problem}.",
                [ErrorDetail(located(("mapping", *error["loc"])), problem)],
            ) from None
        return event if sent_id is None else event.with_key(_key(hook.hook_id, str(sent_id)))


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("The delivery's body is not JSON.") from None


def _key(hook_id: str, sent_id: str) -> str:
    key = f"hook:{hook_id}:{sent_id}"
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return f"hook:{hook_id}:sha256:{hashlib.sha256(sent_id.encode()).hexdigest()}"


def _state(hook: Hook) -> dict[str, Any]:
    """A hook as the audit log records it: the secret's name, never a value."""
    return {
        "name": hook.name,
        "event_type": hook.event_type,
        "scheme": hook.scheme.value,
        "secret": hook.secret,
        "tolerance": hook.tolerance,
        "mapping": hook.mapping,
    }
