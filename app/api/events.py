"""Event ingestion: the path the product exists for."""

from fastapi import APIRouter, Request

from app import metrics
from app.api.bodies import json_body, parsed
from app.api.deps import Ingester, ResourcesDep
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.events import BATCH_EXAMPLE, BatchAccepted, EventAccepted, EventBatch
from app.errors import ErrorDetail, InvalidInput
from app.resources import Resources
from app.triggers.ingest import EVENT_EXAMPLE, EventIn

router = APIRouter(prefix="/api/events", tags=["events"], responses=ERROR_RESPONSES)


@router.post("", status_code=202, openapi_extra=json_body("EventIn", EVENT_EXAMPLE))
async def send_event(request: Request, caller: Ingester, resources: ResourcesDep) -> EventAccepted:
    """Accept an event. When the reply comes, the event and its runs are stored; the runs
    start as soon as a worker takes them."""
    body = await parsed(request, EventIn)
    accepted = await resources.engine.ingestor.accept(caller.tenant_id, body)
    metrics.event_accepted(accepted)
    return await _heard(resources, caller.tenant_id, EventAccepted.of(accepted), body.type)


@router.post("/batch", status_code=202, openapi_extra=json_body("EventBatch", BATCH_EXAMPLE))
async def send_events(request: Request, caller: Ingester, resources: ResourcesDep) -> BatchAccepted:
    """Accept up to `AUTOMATOR_MAX_BATCH_EVENTS` events (1,000 by default). The batch is
    validated whole first: one invalid event refuses the batch and accepts nothing."""
    body = await parsed(request, EventBatch)
    limit = resources.settings.max_batch_events
    if len(body.events) > limit:
        raise InvalidInput(
            f"The batch holds {len(body.events)} events, over the limit of {limit}.",
            [ErrorDetail(("body", "events"), f"at most {limit} events per batch")],
        )
    accepted = await resources.engine.ingestor.accept_many(caller.tenant_id, body.events)
    for one in accepted:
        metrics.event_accepted(one)
    results = [
        await _heard(resources, caller.tenant_id, EventAccepted.of(one), event.type)
        for one, event in zip(accepted, body.events, strict=True)
    ]
    return BatchAccepted(results=results)


async def _heard(
    resources: Resources, tenant_id: str, reply: EventAccepted, event_type: str
) -> EventAccepted:
    """``reply`` with a notice when no active workflow listens to ``event_type`` (a typo in
    the type, or a workflow not published or enabled yet): a 202 alone would hide it. Read
    from this process's matcher, which the ingestor has just filled: no store read."""
    if reply.workflow_ids or await resources.matcher.candidates(tenant_id, event_type):
        return reply
    notice = (
        f"No active workflow listens to events of type {event_type!r}: the event is stored "
        "and started nothing. Check the type, or publish and enable a workflow whose trigger "
        "has it (GET /api/workflows)."
    )
    return reply.model_copy(update={"notice": notice})
