"""Accepting events: validate, dedupe, match, one durable write, then enqueue.

The reply never waits on workers: once the store has the event and its runs, the start jobs
are enqueued (after the write, so a worker never looks for a run that is not there yet). If
the process dies between the write and the enqueue, the reconciler starts the runs.
"""

import difflib
import logging
import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from redis.exceptions import RedisError

from app import metrics
from app.clock import Clock
from app.engine.expressions.renderer import Renderer, TemplateError
from app.engine.flow.concurrency import RunSlots
from app.engine.flow.queue import Queue, start_job_id
from app.engine.walk.executor import transient
from app.engine.walk.family import Family
from app.engine.walk.waits import event_key, listeners
from app.engine.walk.walker import EVENT_WAIT
from app.errors import NotFound, Unavailable, quoted
from app.models import jsonc
from app.models.document import WorkflowDocument
from app.models.ids import new_id, new_ids
from app.models.instant import Instant
from app.models.patterns import EVENT_TYPE_PATTERN
from app.models.profile import MAX_BYTES, USER_ID_MAX_LENGTH, Profile, apply
from app.models.run import Accepted, Claim, EventRecord, Parent, Run, RunStatus
from app.models.validation import Strict
from app.models.workflow import WorkflowVersion
from app.store.protocol import Intake, Store
from app.store.rules import seen_touch
from app.triggers.admission import Admission, Plan
from app.triggers.matcher import Candidate, Matcher, unconditional

log = logging.getLogger(__name__)


def _user_id(user: dict[str, Any]) -> dict[str, Any]:
    user_id = user.get("id")
    if user_id is None:
        return user
    if isinstance(user_id, bool) or not isinstance(user_id, str | int):
        raise ValueError("user.id must be a string or an integer")
    if not 0 < len(str(user_id)) <= USER_ID_MAX_LENGTH:
        raise ValueError(f"user.id must be 1 to {USER_ID_MAX_LENGTH} characters long")
    return user


# The idempotency keys Automator gives the events it makes itself: a replay's
# (``replay:<event id>:<key>``), a hook delivery's, a schedule's firing's, an error
# workflow's run's and a sub-run's (its parent run's id, then the step's). A client's event
# keyed like one of them would be taken for it, or it for the client's event: a key so
# spelled is refused from clients. Automator's own are set after validation.
RESERVED_KEYS = re.compile(r"(?:replay|hook|schedule|on_failure):|run_[0-9a-f]{24}:")
# What every reserved key starts with: most client keys are told apart by this alone.
RESERVED_STARTS = ("replay:", "hook:", "schedule:", "on_failure:", "run_")


def client_key(key: str) -> str:
    """``key``, unless it is spelled as a key Automator gives its own events."""
    reserved = RESERVED_KEYS.match(key)
    if reserved is not None:
        raise ValueError(
            f"{key!r} starts with {reserved.group()!r}: keys so spelled are kept for the "
            "events Automator makes itself (replays, hook deliveries, schedules, error "
            "workflows, sub-runs), which one of yours could be taken for; choose a key that "
            "does not start with replay:, hook:, schedule:, on_failure: or a run id and a colon"
        )
    return key


# An idempotency key a client gives an event (in its body, or the Idempotency-Key header).
ClientKey = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(client_key)]


NOT_MET = "trigger conditions not met"
# Unknown top-level fields named in the 422 that says to move them under ``data``.
MAX_NAMED = 5
# How alike (difflib's ratio) a name must be to an event field to be told it: 0.8 takes
# typ for type and leaves date (0.75 to data) a business field.
MISSPELT_CUTOFF = 0.8
# Event data any store can keep: nesting and integers bounded.
JsonObject = Annotated[dict[str, jsonc.FreeJson], AfterValidator(jsonc.storable_field)]
# An event's user: its id, when given, keys the user's profile.
UserObject = Annotated[JsonObject, AfterValidator(_user_id)]

EVENT_EXAMPLE: dict[str, Any] = {
    "type": "abandoned_cart",
    "user": {"id": "user123", "email": "test@example.com", "name": "Test User"},
    "data": {"cart_value": 120, "cart": {"items": [{"sku": "A1", "price": 60}], "total": 120}},
    "idempotency_key": "cart-8841-abandoned",
}


def _misspelt(name: str, fields: Sequence[str]) -> str | None:
    """The one of ``fields`` that ``name`` reads as, misspelt (``typ``, ``Type``,
    ``idempotencyKey``); a business field (``date``, ``user_id``) reads as none."""
    close = difflib.get_close_matches(name.lower(), fields, n=1, cutoff=MISSPELT_CUTOFF)
    return close[0] if close else None


def _under_data(names: Sequence[str]) -> str:
    named = ", ".join(names[:MAX_NAMED]) + (", ..." if len(names) > MAX_NAMED else "")
    moved = ", ".join(f'"{name}": ...' for name in names[:MAX_NAMED])
    verb = "is not an event field" if len(names) == 1 else "are not event fields"
    return (
        f"{named} {verb}: put an event's own fields under data "
        f'({{"type": ..., "data": {{{moved}}}}})'
    )


class EventFields(Strict):
    """An event's fields with the checks pydantic-core makes of them: ``EventIn`` without
    its checks in Python, for events known to pass those (``plainly_an_event``)."""

    type: str = Field(pattern=EVENT_TYPE_PATTERN, examples=["user_signup"])
    user: dict[str, jsonc.FreeJson] = Field(default_factory=dict)
    data: dict[str, jsonc.FreeJson] = Field(default_factory=dict)
    idempotency_key: str | None = Field(None, min_length=1, max_length=256)
    timestamp: Instant | None = Field(
        None, description="When it happened (ISO 8601); default: on receipt."
    )


class EventIn(EventFields):
    """A business event. ``data``'s keys are the root of templates and conditions
    (``{{cart.items}}``); ``user`` is ``{{user.*}}``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EVENT_EXAMPLE]})

    user: UserObject = Field(default_factory=dict)
    data: JsonObject = Field(default_factory=dict)
    idempotency_key: ClientKey | None = None

    @model_validator(mode="before")
    @classmethod
    def _business_fields_under_data(cls, value: Any) -> Any:
        """The seed's events carried their fields at the top level; ours take them under
        ``data``: say so, with the event rewritten, rather than "extra inputs". A name that
        reads as a missing event field misspelt (``typ``) is told that field instead."""
        if not isinstance(value, dict):
            return value
        extra = [str(key) for key in value if key not in EVENT_FIELDS]
        if not extra:
            return value
        missing = [name for name in cls.model_fields if name not in value]
        near = {key: _misspelt(key, missing) for key in extra}
        said = [
            f"{quoted(key)} is not an event field (did you mean {field}?)"
            for key, field in near.items()
            if field is not None
        ]
        moved = [quoted(key) for key, field in near.items() if field is None]
        if moved:
            said.append(_under_data(moved))
        message = "; ".join(said) + f"; the top level takes {', '.join(cls.model_fields)}"
        raise PydanticCustomError("event_fields", "{message}", {"message": message})

    def with_key(self, key: str) -> "EventIn":
        """This event keyed by ``key`` unchecked: the keys Automator gives the events it
        makes itself (``RESERVED_KEYS``), which the checks refuse from clients."""
        return self.model_copy(update={"idempotency_key": key})


# Read once: ``EventIn.model_fields`` costs a microsecond or two on each access.
EVENT_FIELDS = frozenset(EventIn.model_fields)


def plainly_an_event(value: Any) -> bool:
    """Whether ``value`` passes EventIn's checks in Python, its values' storability aside
    (``jsonc.plainly_storable`` tells that): a dict of event fields only, whose key, if
    any, ``client_key`` takes and whose user's id, if any, ``_user_id`` takes. Told by a
    few C calls, for each event of a batch; False when unsure, as for a fault."""
    if type(value) is not dict or not EVENT_FIELDS.issuperset(value):
        return False
    key = value.get("idempotency_key")
    if type(key) is str and key.startswith(RESERVED_STARTS):
        return False
    user = value.get("user")
    user_id = user.get("id") if type(user) is dict else None
    if type(user_id) is int:
        user_id = str(user_id)
    return user_id is None or (type(user_id) is str and 0 < len(user_id) <= USER_ID_MAX_LENGTH)


def run_context(event: EventRecord) -> dict[str, Any]:
    """The event as runs see it: its data at the root, then ``user`` and ``event``."""
    return event.context()


@dataclass(frozen=True)
class MemberStart:
    """One run of a segment-targeted firing: the member, what its run's context adds to the
    event's (``user``, ``profile``), and the key that keeps it from starting twice."""

    user_id: str
    context: dict[str, Any]
    key: str


def _not_met(earlier: str | None, candidate: Candidate, unmet: str) -> str:
    """Why the event started no run of the candidate's workflow: the condition of each of
    its triggers that failed ("trigger conditions not met: trigger.conditions.0 (cart_value
    greater_than)"), its triggers' reasons one after another."""
    reason = f"{candidate.trigger_id}.{unmet}"
    return f"{earlier}; {reason}" if earlier else f"{NOT_MET}: {reason}"


@dataclass
class Matched:
    """What matching made of an event some workflow listens for: the candidates whose
    conditions it meets, the workflows it turned down with the reason, and the context their
    runs start with (not built for an event no workflow listens for: nothing reads it)."""

    matches: list[Candidate]
    declined: dict[str, str]
    context: dict[str, Any]


@dataclass(frozen=True)
class Lineage:
    """Where a sub-run comes from: its parent (``Run.parent``) and its sub-workflow depth."""

    parent: Parent
    depth: int

    def stamp(self, runs: Sequence[Run]) -> None:
        for run in runs:
            run.parent, run.depth = self.parent.copy(), self.depth


@dataclass
class Ingestor:
    store: Store
    matcher: Matcher
    queue: Queue
    renderer: Renderer
    clock: Clock
    window: timedelta
    profile_max_bytes: int = MAX_BYTES
    flow: Admission | None = None
    slots: RunSlots | None = None
    family: Family | None = None

    async def accept(self, tenant_id: str, incoming: EventIn) -> Accepted:
        """Start every workflow the event matches."""
        event = _record(tenant_id, incoming, self.clock.now(), new_id("evt"))
        candidates = await self.matcher.candidates(tenant_id, event.type)
        matched = await self._match(event, candidates, {}) if candidates else None
        return await self._start(event, matched)

    async def replay(
        self, original: EventRecord, workflow_ids: Set[str] | None, key: str | None = None
    ) -> Accepted:
        """Accept ``original`` again as a new event linked to it (``replay_of``): the same
        type, user, data and time it happened, not its idempotency key (the point is to run
        it again), but ``key`` if given, as ``replay:<original's id>:<key>``, so a replay
        sent again starts nothing more. With ``workflow_ids``, only those workflows may
        start; the others are left out of its record."""
        incoming = EventIn(type=original.type)
        event = replace(
            _record(original.tenant_id, incoming, self.clock.now(), new_id("evt")),
            user=original.user,
            data=original.data,
            timestamp=original.timestamp,
            replay_of=original.event_id,
            idempotency_key=None if key is None else f"replay:{original.event_id}:{key}",
        )
        candidates = await self.matcher.candidates(event.tenant_id, event.type)
        if workflow_ids is None:
            matched = await self._match(event, candidates, {}) if candidates else None
            return await self._start(event, matched)
        candidates = [c for c in candidates if c.workflow_id in workflow_ids]
        matched = await self._match(event, candidates, {})
        listening = {candidate.workflow_id for candidate in candidates}
        for workflow_id in sorted(workflow_ids - listening):
            matched.declined[workflow_id] = (
                f"no published, enabled version listens for {event.type!r}"
            )
        return await self._start(event, matched)

    async def accept_many(self, tenant_id: str, incoming: Sequence[EventFields]) -> list[Accepted]:
        """``accept`` for each event, with one store write and one enqueue round trip."""
        prepared: list[Plan] = []
        try:
            await self._prepare(tenant_id, incoming, prepared)
            accepted = await self.store.accept_events([plan.intake for plan in prepared])
        except Exception:
            await self._give_back(prepared)
            raise
        priorities: dict[str, float] = {}
        for plan, result in zip(prepared, accepted, strict=True):
            if plan.tickets:  # most events start nothing: nothing to settle
                await self._settle(plan, result)
                priorities |= plan.priorities()
        await self._enqueue([run for result in accepted for run in result.runs], priorities)
        await self._wake(accepted)
        await self._free(accepted)
        return accepted

    async def _prepare(
        self, tenant_id: str, incoming: Sequence[EventFields], into: list[Plan]
    ) -> None:
        """Match and admit each event; ``into`` holds the plans made so far, so a failure
        part-way can give back what they reserved. The events came in one request: they
        share the instant it was received, and their ids sort in the batch's order."""
        profiles: dict[str, Profile] = {}
        listening: dict[str, list[Candidate]] = {}
        received = self.clock.now()
        for one, event_id in zip(incoming, new_ids("evt", len(incoming)), strict=True):
            event = _record(tenant_id, one, received, event_id)
            candidates = listening.get(event.type)
            if candidates is None:
                candidates = await self.matcher.candidates(tenant_id, event.type)
                listening[event.type] = candidates
            if not candidates:  # no workflow listens (most of a batch): nothing to admit
                into.append(Plan(self._intake(event, None), [], {}))
                continue
            matched = await self._match(event, candidates, profiles)
            into.append(await self._admit(self._intake(event, matched), matched.matches))

    async def _give_back(self, plans: Sequence[Plan]) -> None:
        """Nothing was stored: release what the plans' runs reserved (quota, rate limits,
        throttles), so sending the events again is not counted twice."""
        for plan in plans:
            for ticket in plan.tickets:
                try:
                    await ticket.give_back()
                except RedisError:
                    log.exception(
                        "giving back the reservations of run %s failed", ticket.run.run_id
                    )

    async def _match(
        self,
        event: EventRecord,
        candidates: list[Candidate],
        profiles: dict[str, Profile],
    ) -> Matched:
        """Which of the ``candidates`` listening for the event's type the event meets, and
        the others with the reason, for the event's record."""
        context = run_context(event)
        if any(candidate.reads_profile for candidate in candidates):
            await self._add_profile(event, context, profiles)
        matches: list[Candidate] = []
        matched: set[str] = set()
        declined: dict[str, str] = {}
        for candidate in candidates:
            workflow_id = candidate.workflow_id
            if workflow_id in matched:
                continue  # another of its triggers matched: one run per event
            unmet = candidate.conditions.unmet(context)
            if unmet is None:
                matches.append(candidate)
                matched.add(workflow_id)
                declined.pop(workflow_id, None)
            else:
                declined[workflow_id] = _not_met(declined.get(workflow_id), candidate, unmet)
        return Matched(matches, declined, context)

    async def _add_profile(
        self, event: EventRecord, context: dict[str, Any], profiles: dict[str, Profile]
    ) -> None:
        """Trigger conditions read ``profile.*``: give them the profile as this event will
        leave it. One store read, made only when such a workflow listens for the event;
        ``profiles`` holds those already worked out in this batch."""
        touch = seen_touch(event)
        if touch is None:
            return
        existing = profiles.get(touch.user_id)
        if existing is None:
            existing = await self._stored_profile(event.tenant_id, touch.user_id)
        profile = apply(event.tenant_id, existing, touch, self.profile_max_bytes).profile
        profiles[touch.user_id] = profile
        context["profile"] = profile.view(touch.at)

    async def _stored_profile(self, tenant_id: str, user_id: str) -> Profile | None:
        try:
            return await self.store.get_profile(tenant_id, user_id)
        except NotFound:
            return None

    async def start(
        self,
        version: WorkflowVersion,
        incoming: EventIn,
        *,
        strict: bool = False,
        lineage: Lineage | None = None,
        trigger_id: str | None = None,
        skip_delays: bool = False,
    ) -> Accepted:
        """Start one workflow version on an event, whatever its trigger says (schedules,
        run now, sub-workflows). ``strict``: a flow-control limit refusing the run raises
        LimitExceeded (a caller asked for this run) instead of recording it skipped.
        ``lineage`` makes the run another run's sub-run; ``skip_delays`` a test run that
        passes over its steps' delays (``Run.skip_delays``)."""
        document = WorkflowDocument.model_validate(version.document)
        event = _record(version.tenant_id, incoming, self.clock.now(), new_id("evt"))
        candidate = unconditional(version, document, self.clock, trigger_id)
        matched = Matched([candidate], {}, run_context(event))
        return await self._start(
            event, matched, strict=strict, lineage=lineage, skip_delays=skip_delays
        )

    async def start_each(
        self, version: WorkflowVersion, incoming: EventIn, members: Sequence[MemberStart]
    ) -> Accepted:
        """One run of a workflow version per member, recorded with one event in one store
        call. A member whose key is held (another scheduler fired the same tick) is skipped;
        the workflow's business key does not apply, its ``max_executions`` does."""
        document = WorkflowDocument.model_validate(version.document)
        candidate = unconditional(version, document, self.clock, None)
        event = _record(version.tenant_id, incoming, self.clock.now(), new_id("evt"))
        context, expires = run_context(event), event.received_at + self.window
        runs, claims = [], {}
        for member in members:
            run = new_run(event, candidate, context | member.context, member.user_id)
            claims[run.run_id] = Claim(member.key, run.run_id, expires)
            runs.append(run)
        cap = document.settings.max_executions
        caps = {} if cap is None else {version.workflow_id: cap}
        intake = Intake(event, runs, None, claims, caps)
        return await self._commit(await self._admit(intake, [candidate]))

    async def _start(
        self,
        event: EventRecord,
        matched: Matched | None,
        *,
        strict: bool = False,
        lineage: Lineage | None = None,
        skip_delays: bool = False,
    ) -> Accepted:
        intake = self._intake(event, matched)
        if lineage is not None:
            lineage.stamp(intake.runs)
        if skip_delays:  # a test run, started by a caller: never an event's hot path
            for run in intake.runs:
                run.skip_delays = True
        matches = [] if matched is None else matched.matches
        return await self._commit(await self._admit(intake, matches, strict=strict))

    async def _commit(self, plan: Plan) -> Accepted:
        """The one durable write, then the start jobs."""
        try:
            accepted = await self.store.accept_event(plan.intake)
        except Exception:
            await self._give_back([plan])
            raise
        await self._settle(plan, accepted)
        await self._enqueue(accepted.runs, plan.priorities())
        await self._wake([accepted])
        await self._free([accepted])
        return accepted

    async def _admit(
        self, intake: Intake, matches: Sequence[Candidate], *, strict: bool = False
    ) -> Plan:
        """Flow control's decisions on the runs of ``matches``, its refusals added to what
        the store records as skipped; Redis must answer, or limits could not be kept."""
        if self.flow is None or not intake.runs:
            return Plan(intake, [], {})
        documents = {candidate.workflow_id: candidate.document for candidate in matches}
        try:
            plan = await self.flow.admit(intake, documents, strict=strict)
        except RedisError as exc:
            raise Unavailable(
                f"Flow control cannot reach Redis ({type(exc).__name__}); nothing was "
                "accepted, send the event again."
            ) from exc
        if not plan.skipped:  # most events: flow control refused nothing, no copy
            return plan
        skipped = plan.intake.skipped | plan.skipped
        return replace(plan, intake=replace(plan.intake, skipped=skipped))

    async def _settle(self, plan: Plan, accepted: Accepted) -> None:
        if self.flow is None or not plan.tickets:
            return
        try:
            await self.flow.settle(plan, accepted)
        except RedisError:
            # Reservations not given back lapse with their windows; a debounced burst's
            # older run then starts too.
            log.exception("settling the flow control of event %s failed", accepted.event.event_id)

    async def _enqueue(self, runs: list[Run], priorities: Mapping[str, float]) -> None:
        """Start jobs: now, or at the due time of a run that flow control made wait."""
        metrics.runs_started(runs)
        if not runs:
            return
        ready = [(run.tenant_id, run.run_id) for run in runs if run.status != RunStatus.WAITING]
        try:
            if ready:
                await self.queue.start_many(ready, priorities)
            for run in runs:
                if run.status == RunStatus.WAITING:
                    job_id = start_job_id(run.run_id)
                    await self.queue.advance(run.tenant_id, run.run_id, job_id, run.due_at)
        except RedisError:
            # The runs are stored: the reconciler starts them. The events are accepted.
            log.exception("enqueueing %d runs failed; the reconciler will start them", len(runs))

    async def _wake(self, results: Sequence[Accepted]) -> None:
        """Bring forward the deadline's timer of each run whose wait these events answered
        (one timer per waiting run, not a wake beside it); they are due in the store, so
        the reconciler has them if this fails. A paused run keeps its answer until it is
        resumed, which arms that timer again."""
        try:
            for result in results:
                for run in result.woken:
                    if run.status == RunStatus.WAITING:
                        await self.queue.wake(run.tenant_id, run.run_id, run.timer(EVENT_WAIT))
        except RedisError:
            log.exception("enqueueing runs whose wait an event answered failed")

    async def _free(self, results: Sequence[Accepted]) -> None:
        """Give back the concurrency slots of the runs these events ended (a slot not given
        back lapses with its lease); wake their parents, cancel the children they waited
        for (a parent finds its children at its recheck if this fails)."""
        ended = [run for result in results for run in result.ended]
        if not ended:
            return
        try:
            if self.slots is not None:
                await self.slots.release_ended(ended, self.clock.now())
            if self.family is not None:
                for run in ended:
                    await self.family.ended(run)
        except transient():
            # The events are accepted: this must not answer them with an error.
            log.exception("settling %d runs ended by events failed", len(ended))

    def _intake(self, event: EventRecord, matched: Matched | None) -> Intake:
        """The event's intake: the runs of its matches, and the workflows turned down
        (``matched`` None: no workflow listens for the event)."""
        expires = event.received_at + self.window
        claim = None
        if event.idempotency_key is not None:
            claim = Claim(f"event:{event.idempotency_key}", event.event_id, expires)
        if matched is None:  # keyed for the shapes of its type, if any, on demand
            return Intake(event, [], claim, {}, {}, partial(_event_key, event))
        context = matched.context
        runs, run_claims, caps, refused = [], {}, {}, dict(matched.declined)
        for candidate in matched.matches:
            run = new_run(event, candidate, context)
            try:
                run.listeners = listeners(candidate.document, context, self.renderer)
            except TemplateError as exc:
                refused[run.workflow_id] = f"exit or goal match not rendered: {exc.message}"
                continue
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
        correlate = partial(event_key, event.type, context)
        return Intake(event, runs, claim, run_claims, caps, correlate, refused)

    def _business_key(self, candidate: Candidate, template: str, context: dict[str, Any]) -> str:
        where = f"workflow {candidate.document.workflow_id} settings"
        return str(
            self.renderer.render({"idempotency_key": template}, context, where)["idempotency_key"]
        )


def _event_key(event: EventRecord, paths: Sequence[str]) -> str | None:
    """``event_key`` of an event no workflow listens to, its context built when a shape
    asks for it (most events meet none)."""
    return event_key(event.type, event.context(), paths)


def _record(
    tenant_id: str, incoming: EventFields, received: datetime, event_id: str
) -> EventRecord:
    timestamp = incoming.timestamp or received
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    # By position: a batch makes a thousand of them, and keywords cost a third more.
    return EventRecord(
        tenant_id,
        event_id,
        incoming.type,
        incoming.user,
        incoming.data,
        timestamp,
        received,
        incoming.idempotency_key,
    )


def new_run(
    event: EventRecord, candidate: Candidate, context: dict[str, Any], user_id: str | None = None
) -> Run:
    """A pending run of ``candidate`` for ``event`` (and its user, unless another is named),
    due now."""
    if candidate.trigger_id is not None:
        # The run records the trigger that started it, for templates and for the API.
        context = context | {"event": {**context.get("event", {}), "trigger": candidate.trigger_id}}
    return Run(
        run_id=new_id("run"),
        tenant_id=event.tenant_id,
        workflow_id=candidate.workflow_id,
        version=candidate.version,
        event_id=event.event_id,
        user_id=user_id or event.user_id,
        status=RunStatus.PENDING,
        context=context,
        created_at=event.received_at,
        updated_at=event.received_at,
        due_at=event.received_at,
    )
