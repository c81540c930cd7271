"""What the events API reads and answers."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from app.api.schemas.page import Page
from app.api.schemas.runs import RunSummary
from app.event_log import EventDetail, EventType
from app.models.run import Accepted, EventRecord
from app.triggers.ingest import EVENT_EXAMPLE, EventFields, EventIn, plainly_an_event


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
        "and nothing started; or when a duplicate's idempotency key came first with an "
        "event of another type, user or data: it is not stored.",
    )
    answered_run_ids: list[str] = Field(
        default_factory=list, description="Runs parked at a wait_for_event that it answered."
    )
    ended_run_ids: list[str] = Field(
        default_factory=list,
        description="Runs it ended: an exit event (settings.cancel_on) or a goal that exits.",
    )

    @classmethod
    def of(cls, accepted: Accepted) -> "EventAccepted":
        return cls(**accepted_fields(accepted, None))


def accepted_fields(accepted: Accepted, notice: str | None) -> dict[str, Any]:
    """``EventAccepted``'s fields as plain data: what a batch's reply is made of without a
    model per event (a batch of 1,000 spent a sixth of its time building them)."""
    event = accepted.event
    return {
        "event_id": event.event_id,
        "duplicate": accepted.duplicate,
        "workflow_ids": event.workflow_ids,
        "run_ids": event.run_ids,
        "skipped": accepted.skipped,
        "notice": notice,
        "answered_run_ids": event.answered,
        "ended_run_ids": event.ended,
    }


BATCH_EXAMPLE: dict[str, Any] = {"events": [EVENT_EXAMPLE]}


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [BATCH_EXAMPLE]})

    events: list[EventIn] = Field(min_length=1)


# A batch's events as pydantic-core alone checks them: a third of the time EventBatch takes.
PLAIN_EVENTS = TypeAdapter(list[EventFields])


def batch_events(value: Any, context: dict[str, Any] | None) -> Sequence[EventFields]:
    """A batch body's events. When its values are plainly storable (``context``) and each
    event plainly passes EventIn's checks in Python (most batches), they are validated
    without those checks; anything else, or anything pydantic-core then refuses, is
    validated as EventBatch, whose 422 names the event and field (``events[12].type``)."""
    if context is not None and type(value) is dict and value.keys() == {"events"}:
        events = value["events"]
        if type(events) is list and events and all(map(plainly_an_event, events)):
            try:
                return PLAIN_EVENTS.validate_python(events, context=context)
            except ValidationError:
                pass  # validated again below, for EventIn's wording of the fault
    return EventBatch.model_validate(value, context=context).events


class BatchAccepted(BaseModel):
    results: list[EventAccepted] = Field(description="One per event, in order.")


class EventReplayed(EventAccepted):
    replay_of: str = Field(description="The event replayed.")

    @classmethod
    def of(cls, accepted: Accepted) -> "EventReplayed":
        return cls(**EventAccepted.of(accepted).model_dump(), replay_of=accepted.event.replay_of)


class ReplayIn(BaseModel):
    """Which workflows a replay may start: every one the event matches now, or only these;
    and the key that makes a replay sent again (a client's retry) start nothing more."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"workflow_ids": ["welcome"]}]}
    )

    workflow_ids: list[str] | None = Field(
        None, min_length=1, description="Only these workflows (null: all that match)."
    )
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=256,
        description="Replays of this event sent with this key within the idempotency window "
        "start runs once: a repeat answers the first replay's ids with duplicate true.",
    )


class EventSummary(BaseModel):
    """An event in the log: what it was and the runs it started."""

    event_id: str
    type: str
    user_id: str | None
    idempotency_key: str | None
    timestamp: datetime = Field(description="When it happened, as sent (default: on receipt).")
    received_at: datetime
    run_ids: list[str] = Field(description="The runs it started.")
    workflow_ids: list[str] = Field(description="Their workflows, in the same order.")
    skipped: dict[str, str] = Field(
        description="Workflows listening for its type that started no run, and why."
    )
    replay_of: str | None = Field(description="The event this one replays.")

    @classmethod
    def of(cls, event: EventRecord) -> "EventSummary":
        names = cls.model_fields.keys() - {"user_id"}
        return cls(user_id=event.user_id, **{name: getattr(event, name) for name in names})


class EventList(Page[EventSummary]):
    pass


class EventRead(EventSummary):
    """An event as received, and what it did."""

    user: dict[str, Any]
    data: dict[str, Any]
    runs: list[RunSummary] = Field(description="The runs it started, as they stand now.")
    answered: list[RunSummary] = Field(description="Runs parked at a wait that it answered.")
    ended: list[RunSummary] = Field(
        description="Runs it ended: an exit event (`cancel_on`) or a goal that exits."
    )

    @classmethod
    def of_detail(cls, detail: EventDetail) -> "EventRead":
        event = detail.event
        return cls(
            **EventSummary.of(event).model_dump(),
            user=event.user,
            data=event.data,
            runs=[RunSummary.of(run) for run in detail.started],
            answered=[RunSummary.of(run) for run in detail.answered],
            ended=[RunSummary.of(run) for run in detail.ended],
        )


class EventTypeRead(BaseModel):
    type: str
    received: bool = Field(description="The tenant received events of this type (still kept).")
    workflows: list[str] = Field(
        description="Active workflows that start on it or whose runs wait for it, exit or "
        "count a goal on it; at most 20, in id order."
    )

    @classmethod
    def of(cls, found: EventType) -> "EventTypeRead":
        return cls(type=found.type, received=found.received, workflows=found.workflows)


class EventTypes(BaseModel):
    """The event types a trigger may pick: received, listened to, or both."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"type": "cart_updated", "received": True, "workflows": []},
                        {
                            "type": "user_signup",
                            "received": True,
                            "workflows": ["welcome_campaign_001"],
                        },
                    ],
                    "more": False,
                }
            ]
        }
    )

    items: list[EventTypeRead] = Field(description="In name order.")
    more: bool = Field(description="There are more types than `limit`, later in name order.")
