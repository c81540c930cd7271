"""Inbound webhooks: hooks managed under ``/api/hooks`` (admin), deliveries received at
``/hooks/{hook_id}`` from senders that hold no API key."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app import metrics
from app.api.bodies import JsonRoute
from app.api.deps import Configurer, HooksDep, ResourcesDep, limit_deliveries
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.hooks import DeliveryAccepted, HookIn, HookList, HookRead
from app.models.workflow import Page as PageQuery
from app.triggers.deliveries import Delivery

router = APIRouter(
    prefix="/api/hooks", tags=["hooks"], responses=ERROR_RESPONSES, route_class=JsonRoute
)
deliveries = APIRouter(
    prefix="/hooks", tags=["hooks"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.post("", status_code=201)
async def create_hook(body: HookIn, caller: Configurer, hooks: HooksDep) -> HookRead:
    """A hook a third party posts its own JSON to (`url`), checked in its scheme with a
    signing secret from the tenant's secrets and mapped to an event by templates over the
    body. Recorded in the audit log (admin)."""
    return HookRead.of(await hooks.create(caller.tenant_id, body.spec()))


@router.get("")
async def list_hooks(
    caller: Configurer,
    hooks: HooksDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(description="The last hook_id of the page before.")] = None,
) -> HookList:
    """The tenant's hooks by id (admin: a `token` hook's URL is its credential)."""
    found = await hooks.list_hooks(caller.tenant_id, PageQuery(limit, after))
    return HookList.after_last([HookRead.of(h) for h in found], limit, lambda h: h.hook_id)


@router.get("/{hook_id}")
async def get_hook(hook_id: str, caller: Configurer, hooks: HooksDep) -> HookRead:
    """One hook (admin)."""
    return HookRead.of(await hooks.get(caller.tenant_id, hook_id))


@router.delete("/{hook_id}", status_code=204)
async def delete_hook(hook_id: str, caller: Configurer, hooks: HooksDep) -> Response:
    """Delete a hook: its URL answers 404 from now on. Recorded in the audit log (admin)."""
    await hooks.delete(caller.tenant_id, hook_id)
    return Response(status_code=204)


@deliveries.post(
    "/{hook_id}",
    status_code=202,
    dependencies=[Depends(limit_deliveries)],
    # The body is read by hand (its raw bytes are what the sender signed): any JSON value.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {},
                    "example": {"id": "evt_1", "type": "invoice.paid", "data": {"amount": 42}},
                }
            },
        }
    },
    responses={
        401: {
            "description": "The signature is wrong or missing, or the timestamp is "
            "outside the hook's tolerance: nothing was stored."
        },
        429: {
            "description": "Over the hook's own rate limit (AUTOMATOR_HOOK_RATE_LIMIT); "
            "`Retry-After` says when to send again. Nothing was stored."
        },
    },
)
async def receive_delivery(
    hook_id: str, request: Request, resources: ResourcesDep
) -> DeliveryAccepted:
    """A sender's delivery, with no API key: verified in the hook's scheme (401 and nothing
    stored if it fails), mapped to an event and accepted. The 202 comes once the event is
    stored; the same delivery id again is answered `"duplicate": true` and starts nothing.
    Each hook takes `AUTOMATOR_HOOK_RATE_LIMIT` deliveries a window; past it, 429."""
    delivery = Delivery({k.lower(): v for k, v in request.headers.items()}, await request.body())
    accepted = await resources.hooks.receive(hook_id, delivery)
    metrics.event_accepted(accepted)
    return DeliveryAccepted.of(accepted)
