"""What the events API reads and answers."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.models.run import Accepted
from app.triggers.ingest import EVENT_EXAMPLE, EventIn


class EventAccepted(BaseModel):
    event_id: str
    duplicate: bool = Field(
        description="True when the idempotency key was seen within its window: nothing new "
        "started; the ids are the original event's."
    )
    workflow_ids: list[str]
    run_ids: list[str]
    skipped: dict[str, str] = Field(
        description="Workflows that matched but started no run, and why (business "
        "idempotency key, max_executions)."
    )
    notice: str | None = Field(
        None,
        description="Set when no active workflow listens to the event's type: it is stored, "
        "and nothing started.",
    )

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


BATCH_EXAMPLE: dict[str, Any] = {"events": [EVENT_EXAMPLE]}


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [BATCH_EXAMPLE]})

    events: list[EventIn] = Field(min_length=1)


class BatchAccepted(BaseModel):
    results: list[EventAccepted] = Field(description="One per event, in order.")
