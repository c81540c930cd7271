"""Accepting events: validate, dedupe, match, one durable write, then enqueue.

The reply never waits on workers: once the store has the event and its runs, the start jobs
are enqueued (after the write, so a worker never looks for a run that is not there yet). If
the process dies between the write and the enqueue, the reconciler starts the runs.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field
from redis.exceptions import RedisError

from app import metrics
from app.engine.conditions import compile_conditions
from app.engine.queue import Queue
from app.engine.templates import Renderer, TemplateError
from app.engine.waits import event_key
from app.errors import InvalidInput
from app.models import jsonc
from app.models.document import EVENT_TYPE_PATTERN, Strict, WorkflowDocument
from app.models.ids import new_id
from app.models.run import Accepted, Claim, EventRecord, Run, RunStatus
from app.models.workflow import WorkflowVersion
from app.store.base import Intake, Store
from app.triggers.matcher import Candidate, Matcher

log = logging.getLogger(__name__)


def _storable(value: dict[str, Any]) -> dict[str, Any]:
    try:
        jsonc.check_values(value)
    except InvalidInput as exc:
        raise ValueError(exc.details[0].msg) from None
    return value


# Event data any store can keep: nesting and integers bounded.
JsonObject = Annotated[dict[str, Any], AfterValidator(_storable)]

EVENT_EXAMPLE: dict[str, Any] = {
    "type": "abandoned_cart",
    "user": {"id": "user123", "email": "test@example.com", "name": "Test User"},
    "data": {"cart_value": 120, "cart": {"items": [{"sku": "A1", "price": 60}], "total": 120}},
    "idempotency_key": "cart-8841-abandoned",
}


class EventIn(Strict):
    """A business event. ``data``'s keys are the root of templates and conditions
    (``{{cart.items}}``); ``user`` is ``{{user.*}}``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EVENT_EXAMPLE]})

    type: str = Field(pattern=EVENT_TYPE_PATTERN, examples=["user_signup"])
    user: JsonObject = Field(default_factory=dict)
    data: JsonObject = Field(default_factory=dict)
    idempotency_key: str | None = Field(None, min_length=1, max_length=256)
    timestamp: datetime | None = Field(None, description="When it happened; default: on receipt.")


def run_context(event: EventRecord) -> dict[str, Any]:
    """The event as runs see it: its data at the root, then ``user`` and ``event``."""
    return event.context()


@dataclass
class Ingestor:
    store: Store
    matcher: Matcher
    queue: Queue
    renderer: Renderer
    window: timedelta

    async def accept(self, tenant_id: str, incoming: EventIn) -> Accepted:
        """Start every workflow the event matches."""
        event = _record(tenant_id, incoming)
        context = run_context(event)
        return await self._start(
            event, context, await self.matcher.match(tenant_id, event.type, context)
        )

    async def accept_many(self, tenant_id: str, incoming: Sequence[EventIn]) -> list[Accepted]:
        """``accept`` for each event, with one store write and one enqueue round trip."""
        prepared = []
        for one in incoming:
            event = _record(tenant_id, one)
            context = run_context(event)
            matches = await self.matcher.match(tenant_id, event.type, context)
            prepared.append(self._intake(event, context, matches))
        accepted = await self.store.accept_events([intake for intake, _ in prepared])
        await self._enqueue([run for result in accepted for run in result.runs])
        await self._wake(accepted)
        return [
            replace(result, skipped=result.skipped | unkeyed)
            for result, (_, unkeyed) in zip(accepted, prepared, strict=True)
        ]

    async def start(self, version: WorkflowVersion, incoming: EventIn) -> Accepted:
        """Start one workflow version on an event, whatever its trigger says (schedules,
        run now)."""
        document = WorkflowDocument.model_validate(version.document)
        event = _record(version.tenant_id, incoming)
        candidate = Candidate(version, document, compile_conditions([]))
        return await self._start(event, run_context(event), [candidate])

    async def _start(
        self, event: EventRecord, context: dict[str, Any], matches: list[Candidate]
    ) -> Accepted:
        intake, unkeyed = self._intake(event, context, matches)
        accepted = await self.store.accept_event(intake)
        await self._enqueue(accepted.runs)
        await self._wake([accepted])
        return replace(accepted, skipped=accepted.skipped | unkeyed)

    async def _enqueue(self, runs: list[Run]) -> None:
        metrics.runs_started(runs)
        if not runs:
            return
        try:
            await self.queue.start_many([(run.tenant_id, run.run_id) for run in runs])
        except RedisError:
            # The runs are stored: the reconciler starts them. The events are accepted.
            log.exception("enqueueing %d runs failed; the reconciler will start them", len(runs))

    async def _wake(self, results: Sequence[Accepted]) -> None:
        """Enqueue the runs whose wait these events answered; they are due in the store, so
        the reconciler has them if this fails."""
        try:
            for result in results:
                for run in result.woken:
                    job_id = f"{run.run_id}:event:{result.event.event_id}"
                    await self.queue.advance(run.tenant_id, run.run_id, job_id, None)
        except RedisError:
            log.exception("enqueueing runs whose wait an event answered failed")

    def _intake(
        self, event: EventRecord, context: dict[str, Any], matches: list[Candidate]
    ) -> tuple[Intake, dict[str, str]]:
        expires = event.received_at + self.window
        runs, run_claims, caps, refused = [], {}, {}, {}
        for candidate in matches:
            run = new_run(event, candidate, context)
            key_template = candidate.document.settings.idempotency_key
            if key_template is not None:
                try:
                    key = self._business_key(candidate, key_template, context)
                except TemplateError as exc:
                    refused[run.workflow_id] = f"idempotency key not rendered: {exc.message}"
                    continue
                run_claims[run.run_id] = Claim(f"run:{run.workflow_id}:{key}", run.run_id, expires)
            if candidate.document.settings.max_executions is not None:
                caps[run.workflow_id] = candidate.document.settings.max_executions
            runs.append(run)
        claim = None
        if event.idempotency_key is not None:
            claim = Claim(f"event:{event.idempotency_key}", event.event_id, expires)
        correlate = partial(event_key, event.type, context)
        return Intake(event, runs, claim, run_claims, caps, correlate), refused

    def _business_key(self, candidate: Candidate, template: str, context: dict[str, Any]) -> str:
        where = f"workflow {candidate.document.workflow_id} settings"
        return str(
            self.renderer.render({"idempotency_key": template}, context, where)["idempotency_key"]
        )


def _record(tenant_id: str, incoming: EventIn) -> EventRecord:
    received = datetime.now(UTC)
    timestamp = incoming.timestamp or received
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    return EventRecord(
        tenant_id=tenant_id,
        event_id=new_id("evt"),
        type=incoming.type,
        user=incoming.user,
        data=incoming.data,
        timestamp=timestamp,
        received_at=received,
        idempotency_key=incoming.idempotency_key,
    )


def new_run(event: EventRecord, candidate: Candidate, context: dict[str, Any]) -> Run:
    """A pending run of ``candidate`` for ``event``, due now."""
    return Run(
        run_id=new_id("run"),
        tenant_id=event.tenant_id,
        workflow_id=candidate.version.workflow_id,
        version=candidate.version.version,
        event_id=event.event_id,
        user_id=event.user_id,
        status=RunStatus.PENDING,
        context=context,
        created_at=event.received_at,
        updated_at=event.received_at,
        due_at=event.received_at,
    )
