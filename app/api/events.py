"""Event ingestion, the path the product exists for, and the event log."""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Query, Request, Response

from app import metrics
from app.api.bodies import JsonRoute, json_body, parsed, parsed_by
from app.api.cursors import event_cursor
from app.api.deps import CALLER_SECURITY, EventLogDep, Reader, Writer, authorized, resources_of
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.events import (
    BATCH_EXAMPLE,
    BatchAccepted,
    EventAccepted,
    EventList,
    EventRead,
    EventReplayed,
    EventSummary,
    EventTypeRead,
    EventTypes,
    ReplayIn,
    accepted_fields,
    batch_events,
)
from app.errors import ErrorDetail, InvalidInput
from app.models.instant import Instant
from app.models.run import Accepted, EventFilter
from app.models.tenant import Permission
from app.models.workflow import Page as PageQuery
from app.resources import Resources
from app.triggers.ingest import EVENT_EXAMPLE, EventFields, EventIn, client_key
from app.triggers.matcher import NO_LISTENERS, Listeners

MAX_KEY = 256  # characters of an idempotency key, as EventIn's field takes it
# The header an event's key may come in instead of its body (single events only).
KEY_HEADER_NAME = "Idempotency-Key"
KEY_HEADER: dict[str, Any] = {
    "name": KEY_HEADER_NAME,
    "in": "header",
    "required": False,
    "description": "The event's idempotency key, when its body has none; if both are "
    "given they must be equal. Not taken by the batch endpoint.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
}
# What makes two events with one idempotency key the same event (a time it happened given
# again may differ in a sender's retry, so it is not compared).
SAME_EVENT = ("type", "user", "data")

router = APIRouter(
    prefix="/api/events", tags=["events"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.post(
    "",
    status_code=202,
    response_model=EventAccepted,
    openapi_extra={
        **json_body("EventIn", EVENT_EXAMPLE),
        "security": CALLER_SECURITY,
        "parameters": [KEY_HEADER],
    },
)
async def send_event(request: Request) -> Response:
    """Accept an event. When the reply comes, the event and its runs are stored; the runs
    start as soon as a worker takes them."""
    caller = await authorized(request, Permission.INGEST)
    resources = resources_of(request)
    body = _keyed(await parsed(request, EventIn), request.headers.get(KEY_HEADER_NAME))
    accepted = await resources.engine.ingestor.accept(caller.tenant_id, body)
    metrics.event_accepted(accepted)
    if accepted.duplicate:
        return _reply(accepted_fields(accepted, _another_event(accepted, body)))
    notice = None if _heard(accepted) else await _notice(resources, caller.tenant_id, body.type)
    return _reply(accepted_fields(accepted, notice))


@router.post(
    "/batch",
    status_code=202,
    response_model=BatchAccepted,
    openapi_extra={**json_body("EventBatch", BATCH_EXAMPLE), "security": CALLER_SECURITY},
)
async def send_events(request: Request) -> Response:
    """Accept up to `AUTOMATOR_MAX_BATCH_EVENTS` events (1,000 by default). The batch is
    validated whole first: one invalid event refuses the batch and accepts nothing."""
    caller = await authorized(request, Permission.INGEST)
    resources = resources_of(request)
    if KEY_HEADER_NAME in request.headers:
        raise InvalidInput(
            f"An {KEY_HEADER_NAME} header keys one event: give each event of a batch its own "
            "idempotency_key instead.",
            [ErrorDetail(("header", KEY_HEADER_NAME), "not taken by a batch")],
        )
    events = await parsed_by(request, batch_events)
    limit = resources.settings.max_batch_events
    if len(events) > limit:
        raise InvalidInput(
            f"The batch holds {len(events)} events, over the limit of {limit}.",
            [ErrorDetail(("body", "events"), f"at most {limit} events per batch")],
        )
    accepted = await resources.engine.ingestor.accept_many(caller.tenant_id, events)
    metrics.events_accepted(accepted)
    types = {event.type for event in events}
    notices = {type_: await _notice(resources, caller.tenant_id, type_) for type_ in types}
    results = [
        accepted_fields(
            one,
            _another_event(one, event)
            if one.duplicate
            else None
            if _heard(one)
            else notices[event.type],
        )
        for one, event in zip(accepted, events, strict=True)
    ]
    return _reply({"results": results})


def _keyed(event: EventIn, header: str | None) -> EventIn:
    """The event keyed by the ``Idempotency-Key`` header when its body has no key (HTTP
    clients made for Stripe-like APIs send the header: ignored, it would protect nothing);
    a header and a body key that differ are a 422, since neither can be trusted over the
    other."""
    if header is None or header == event.idempotency_key:
        return event
    where = ("header", KEY_HEADER_NAME)
    if event.idempotency_key is not None:
        raise InvalidInput(
            f"The {KEY_HEADER_NAME} header and the body's idempotency_key differ: send one, or "
            "the same in both.",
            [ErrorDetail(where, "differs from body.idempotency_key")],
        )
    if not 1 <= len(header) <= MAX_KEY:
        said = f"should be 1 to {MAX_KEY} characters"
        raise InvalidInput(f"The {KEY_HEADER_NAME} header {said}.", [ErrorDetail(where, said)])
    try:
        return event.with_key(client_key(header))
    except ValueError as exc:
        raise InvalidInput(
            f"The {KEY_HEADER_NAME} header {exc}.", [ErrorDetail(where, str(exc))]
        ) from None


def _reply(document: dict[str, Any]) -> Response:
    """A 202 with ``document`` as the route's response model reads (``EventAccepted``,
    ``BatchAccepted``), serialized straight from plain data: validating it as the model
    first cost more than the rest of the answer."""
    return Response(orjson.dumps(document), 202, media_type="application/json")


def _another_event(accepted: Accepted, sent: EventFields) -> str | None:
    """What to tell the sender of a duplicate whose key its original event was sent with
    another type, user or data: the key is reused for a different event (a client bug),
    which would otherwise be dropped without a word. None for a true repeat."""
    original = accepted.event
    differ = [name for name in SAME_EVENT if getattr(sent, name) != getattr(original, name)]
    if not differ:
        return None
    return (
        f"The idempotency key {sent.idempotency_key!r} was first sent with event "
        f"{original.event_id}, whose {' and '.join(differ)} differ from this one's: this "
        "event is not stored and started nothing. Give each event its own key."
    )


def _heard(accepted: Accepted) -> bool:
    """Whether something acted on the event: it started a run, answered a run's wait or
    ended a run (an exit event, a goal). An event that only answered a wait is heard, though
    no workflow's trigger names its type: a notice saying none listens would mislead.
    (A duplicate did nothing anew: ``_another_event`` says what it is told.)"""
    return bool(accepted.event.workflow_ids or accepted.woken or accepted.ended)


async def _notice(resources: Resources, tenant_id: str, event_type: str) -> str | None:
    """What to tell the sender when nothing acted on an event no active workflow's trigger
    has (a typo in the type, or a workflow not published or enabled yet): a 202 alone would
    hide it. When waits, exits or goals of active workflows listen to the type, that no run
    was there to hear it. Read from this process's matcher, which the ingestor has just
    filled: no store read."""
    if await resources.matcher.candidates(tenant_id, event_type):
        return None
    listeners = await resources.matcher.listeners(tenant_id, event_type)
    if listeners == NO_LISTENERS:
        return (
            f"No active workflow listens to events of type {event_type!r}: the event is "
            "stored and started nothing. Check the type, or publish and enable a workflow "
            "whose trigger has it (GET /api/workflows)."
        )
    return f"{_unheard(event_type, listeners)} {_how_heard(listeners)}"


def _unheard(event_type: str, listeners: Listeners) -> str:
    """That the event started nothing and found no run listening to it."""
    if listeners.exits or listeners.goals:
        return (
            f"No active workflow's trigger has events of type {event_type!r} and no live run "
            "was ended by it: the event is stored and started nothing."
        )
    return (
        f"No run was waiting for an event of type {event_type!r}: the event is stored and "
        "started nothing."
    )


def _how_heard(listeners: Listeners) -> str:
    """Which workflows' runs listen to the type, and how."""
    later = "a run that reaches it later counts the event if the step's lookback reaches back to it"
    ways = [
        (listeners.waits, f"a wait_for_event step ({later})"),
        (listeners.exits, "settings.cancel_on"),
        (listeners.goals, "settings.goal (a live run it matches is marked converted)"),
    ]
    heard = [f"runs of {_named(ids)} through {way}" for ids, way in ways if ids]
    return f"Only started runs listen to it: {'; '.join(heard)}."


def _named(workflow_ids: tuple[str, ...], shown: int = 3) -> str:
    named = ", ".join(repr(one) for one in workflow_ids[:shown])
    more = len(workflow_ids) - shown
    return f"{named} and {more} more" if more > 0 else named


@router.get("")
async def list_events(
    caller: Reader,
    events: EventLogDep,
    type: str | None = None,
    user_id: str | None = None,
    idempotency_key: str | None = None,
    since: Annotated[Instant | None, Query(description="Received at or after.")] = None,
    until: Annotated[Instant | None, Query(description="Received before.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(description="The last event_id of the page before.")] = None,
) -> EventList:
    """The tenant's events, newest first, filtered by type, user, idempotency key and time
    received, each with the runs it started and the workflows it skipped. Events are kept
    for the tenant's retention period."""
    where = EventFilter(type, user_id, idempotency_key, since, until)
    page = PageQuery(limit, event_cursor(after))
    found = await events.list_events(caller.tenant_id, where, page)
    return EventList.after_last([EventSummary.of(e) for e in found], limit, lambda e: e.event_id)


@router.get("/types")
async def event_types(
    caller: Reader,
    events: EventLogDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> EventTypes:
    """The event types a trigger may pick: those the tenant received (events still kept)
    and those its active workflows start on or listen to (waits, exit events, goals), each
    with the workflows, in name order, at most `limit`. Any other type may still be used:
    types are free strings. The Studio offers them in a trigger's event type field."""
    found, more = await events.types(caller.tenant_id, limit)
    return EventTypes(items=[EventTypeRead.of(one) for one in found], more=more)


@router.get("/{event_id}")
async def get_event(event_id: str, caller: Reader, events: EventLogDep) -> EventRead:
    """An event as received, with the runs it started, the workflows listening for its
    type that it skipped and why, the waits it answered and the runs it ended."""
    return EventRead.of_detail(await events.read(caller.tenant_id, event_id))


# No body: every workflow the event matches now.
ReplayBody = Annotated[
    ReplayIn | None,
    Body(openapi_examples={"only": {"summary": "Only these", "value": {"workflow_ids": ["w"]}}}),
]


@router.post("/{event_id}/replay", status_code=202)
async def replay_event(
    event_id: str, caller: Writer, events: EventLogDep, body: ReplayBody = None
) -> EventReplayed:
    """Accept the event again as a new event linked to it (`replay_of`): its type, user,
    data and time. It starts every workflow it matches now, or only those named in
    `workflow_ids`; their business keys and flow control apply as to any event. With an
    `idempotency_key`, a replay of this event sent again with it starts nothing more.
    Recorded in the audit log."""
    named = None if body is None else body.workflow_ids
    only = None if named is None else set(named)
    key = None if body is None else body.idempotency_key
    accepted = await events.replay(caller.tenant_id, event_id, only, key)
    metrics.event_accepted(accepted)
    return EventReplayed.of(accepted)


# The routes ``app.api.intake`` answers itself once their body is in.
DIRECT = {("POST", "/api/events"): send_event, ("POST", "/api/events/batch"): send_events}
