"""Event ingestion: the path the product exists for."""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app import metrics
from app.api.deps import Ingester, ResourcesDep
from app.api.errors import ERROR_RESPONSES
from app.errors import ErrorDetail, InvalidInput
from app.models.run import Accepted
from app.triggers.ingest import EVENT_EXAMPLE, EventIn

router = APIRouter(prefix="/api/events", tags=["events"], responses=ERROR_RESPONSES)


class EventAccepted(BaseModel):
    event_id: str
    duplicate: bool = Field(description="True when the idempotency key was seen within its "
                            "window: nothing new started; the ids are the original event's.")  # fmt: skip
    workflow_ids: list[str]
    run_ids: list[str]
    skipped: dict[str, str] = Field(description="Workflows that matched but started no run, "
                                    "and why (business idempotency key, max_executions).")  # fmt: skip

    @classmethod
    def of(cls, accepted: Accepted) -> "EventAccepted":
        event = accepted.event
        return cls(
            event_id=event.event_id,
            duplicate=accepted.duplicate,
            workflow_ids=event.workflow_ids,
            run_ids=event.run_ids,
            skipped=accepted.skipped,
        )


class EventBatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"events": [EVENT_EXAMPLE]}]}
    )

    events: list[EventIn] = Field(min_length=1)


class BatchAccepted(BaseModel):
    results: list[EventAccepted] = Field(description="One per event, in order.")


@router.post("", status_code=202)
async def send_event(body: EventIn, caller: Ingester, resources: ResourcesDep) -> EventAccepted:
    """Accept an event. When the reply comes, the event and its runs are stored; the runs
    start as soon as a worker takes them."""
    accepted = await resources.engine.ingestor.accept(caller.tenant_id, body)
    metrics.event_accepted(accepted)
    return EventAccepted.of(accepted)


@router.post("/batch", status_code=202)
async def send_events(body: EventBatch, caller: Ingester, resources: ResourcesDep) -> BatchAccepted:
    """Accept up to `AUTOMATOR_MAX_BATCH_EVENTS` events (1,000 by default). The batch is
    validated whole first: one invalid event refuses the batch and accepts nothing."""
    limit = resources.settings.max_batch_events
    if len(body.events) > limit:
        raise InvalidInput(
            f"The batch holds {len(body.events)} events, over the limit of {limit}.",
            [ErrorDetail(("body", "events"), f"at most {limit} events per batch")],
        )
    accepted = await resources.engine.ingestor.accept_many(caller.tenant_id, body.events)
    for one in accepted:
        metrics.event_accepted(one)
    return BatchAccepted(results=[EventAccepted.of(one) for one in accepted])
