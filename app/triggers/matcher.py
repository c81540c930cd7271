"""Which active workflow versions an event starts, and which listen to it once running.

Each process keeps an index per tenant: event type → compiled workflows (trigger conditions
compiled once per version), and event type → the workflows whose runs wait for it or listen
to it (``Listeners``). The index is checked against the store's workflows revision at
most every ``refresh_seconds``, so a change made in any process is seen within a second;
a change made through this process's WorkflowService is seen by its very next event.
"""

import asyncio
import gc
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from app.clock import Clock
from app.engine.expressions.conditions import CompiledConditions, compile_conditions
from app.models.condition import Condition
from app.models.document import WorkflowDocument
from app.models.trigger import SCHEDULE, WAIT
from app.models.workflow import WorkflowVersion
from app.store.protocol import Store


class StoredDocument:
    """A workflow version's document as its compact JSON, parsed when first read and kept
    parsed: most of a large index's versions never meet an event (their type never comes,
    or their conditions fail), and the parsed model with the store's dict beside it held
    about 5 KB a version against 0.3 KB of JSON here."""

    __slots__ = ("_json", "_parsed")

    def __init__(self, json: str = "", parsed: WorkflowDocument | None = None) -> None:
        self._json = json
        self._parsed = parsed

    def parsed(self) -> WorkflowDocument:
        if self._parsed is None:
            self._parsed = WorkflowDocument.model_validate(orjson.loads(self._json))
            self._json = ""
        return self._parsed


@dataclass(frozen=True, slots=True)
class Candidate:
    workflow_id: str
    version: int  # the version's number
    stored: StoredDocument  # shared by the version's triggers
    conditions: CompiledConditions
    # The trigger's conditions read ``profile.*``: matching needs the user's profile.
    reads_profile: bool = False
    # Which of the document's triggers this is (``trigger``, ``triggers.1``, its id); None
    # for a run started whatever the triggers say (run now, a sub-workflow).
    trigger_id: str | None = None

    @property
    def document(self) -> WorkflowDocument:
        return self.stored.parsed()


def unconditional(
    version: WorkflowVersion, document: WorkflowDocument, clock: Clock, trigger_id: str | None
) -> Candidate:
    """A candidate started whatever its triggers' conditions say."""
    stored = StoredDocument(parsed=document)
    conditions = compile_conditions([], clock)
    return Candidate(
        version.workflow_id, version.version, stored, conditions, trigger_id=trigger_id
    )


def reads_profile(conditions: Sequence[Condition]) -> bool:
    """Whether any condition, in any group, tests a ``profile.*`` field."""
    for condition in conditions:
        nested = [*(condition.all or []), *(condition.any or [])]
        if condition.negated is not None:
            nested.append(condition.negated)
        if (condition.field or "").split(".")[0] == "profile" or reads_profile(nested):
            return True
    return False


@dataclass(frozen=True)
class Listeners:
    """The active workflows whose runs, once started, listen to an event type: at a
    ``wait_for_event`` step, through ``settings.cancel_on``, or ``settings.goal``. Such an
    event starts no run; it acts on the live runs it matches."""

    waits: tuple[str, ...] = ()
    exits: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()


NO_LISTENERS = Listeners()


@dataclass
class TenantIndex:
    revision: str
    checked_at: float
    by_type: dict[str, list[Candidate]] = field(default_factory=dict)
    listeners: dict[str, Listeners] = field(default_factory=dict)


def _listened(document: WorkflowDocument) -> dict[str, set[str]]:
    """Event type → how the workflow's runs listen to it: ``waits``, ``exits``, ``goals``."""
    kinds: dict[str, set[str]] = defaultdict(set)
    for action in document.all_actions():
        if action.type == WAIT:
            # Read as it is, not parsed again (``action.wait()``): the document was checked,
            # and a parse per wait made the index's build 5 % longer (bench/README.md).
            kinds[action.data["event"]].add("waits")
    for exit_event in document.settings.cancel_on or []:
        kinds[exit_event.event].add("exits")
    if document.settings.goal is not None:
        kinds[document.settings.goal.event].add("goals")
    return kinds


def _frozen(found: dict[str, dict[str, list[str]]]) -> dict[str, Listeners]:
    return {
        event_type: Listeners(**{way: tuple(ids) for way, ids in ways.items()})
        for event_type, ways in found.items()
    }


def build_index(revision: str, versions: list[WorkflowVersion], clock: Clock) -> TenantIndex:
    by_type: dict[str, list[Candidate]] = defaultdict(list)
    # Event type → way → workflow ids, in id order.
    listening: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for version in sorted(versions, key=lambda v: v.workflow_id):
        # As text: orjson's bytes keep the buffer they were written in (4 KB). Parsed from
        # the text, not the store's dict: what the compiled conditions keep of the dict
        # (field names, values) would pin the allocator's pools of all the versions' dicts
        # once they are freed: 2.9 KB a version resident against 1.3.
        text = orjson.dumps(version.document).decode()
        document = WorkflowDocument.model_validate(orjson.loads(text))
        stored = StoredDocument(text)
        for event_type, ways in _listened(document).items():
            for way in ways:
                listening[event_type][way].append(version.workflow_id)
        for label, trigger in document.all_triggers():
            if trigger.type == SCHEDULE:
                continue  # the scheduler fires those
            conditions = trigger.conditions
            candidate = Candidate(
                version.workflow_id,
                version.version,
                stored,
                compile_conditions(conditions, clock),
                reads_profile(conditions),
                label,
            )
            by_type[trigger.type].append(candidate)
    return TenantIndex(revision, clock.monotonic(), dict(by_type), _frozen(listening))


# An index of this many versions is put out of the cyclic collector's sight once built.
FREEZE_AT = 1000


def _out_of_collectors_sight() -> None:
    """A large index lives until the tenant's workflows change; the cyclic collector would
    walk all of it (and the rest of the heap) at each full collection: with 10,000
    workflows, a third more CPU for events no workflow listens to and three times their
    p99. Collected first, so no garbage is frozen with it; reference counting still frees
    the index once it is replaced."""
    gc.collect()
    gc.freeze()


class Matcher:
    """Each tenant's active workflows by trigger type, read again when the store's revision
    of them changed: checked at most every ``refresh_seconds`` (another process's changes
    show within it), and at once after ``forget`` (this process's own changes)."""

    def __init__(self, store: Store, clock: Clock, refresh_seconds: float = 0.5) -> None:
        self._store = store
        self._clock = clock
        self._refresh = refresh_seconds
        self._indexes: dict[str, TenantIndex] = {}
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._changes: dict[str, int] = defaultdict(int)

    def forget(self, tenant_id: str) -> None:
        """The tenant's workflows changed: the next event reads them again. An index being
        built meanwhile is used by its caller but not kept, as it may predate the change."""
        self._changes[tenant_id] += 1
        self._indexes.pop(tenant_id, None)

    async def candidates(self, tenant_id: str, event_type: str) -> list[Candidate]:
        """Workflows listening for this event type, before their conditions are checked."""
        index = await self._index(tenant_id)
        return index.by_type.get(event_type, [])

    async def listeners(self, tenant_id: str, event_type: str) -> Listeners:
        """The workflows whose runs wait for or listen to this event type once started."""
        index = await self._index(tenant_id)
        return index.listeners.get(event_type, NO_LISTENERS)

    async def listened(self, tenant_id: str) -> dict[str, list[str]]:
        """Event type → the active workflows that start on it or whose runs listen to it
        (waits, exit events, goals), in id order."""
        index = await self._index(tenant_id)
        found: dict[str, set[str]] = defaultdict(set)
        for event_type, candidates in index.by_type.items():
            found[event_type].update(candidate.workflow_id for candidate in candidates)
        for event_type, listeners in index.listeners.items():
            found[event_type].update(listeners.waits, listeners.exits, listeners.goals)
        return {event_type: sorted(ids) for event_type, ids in found.items()}

    async def _index(self, tenant_id: str) -> TenantIndex:
        index = self._indexes.get(tenant_id)
        if index is not None and self._clock.monotonic() - index.checked_at < self._refresh:
            return index
        async with self._locks[tenant_id]:
            index = self._indexes.get(tenant_id)
            if index is not None and self._clock.monotonic() - index.checked_at < self._refresh:
                return index
            changes = self._changes[tenant_id]
            revision = await self._store.workflows_revision(tenant_id)
            if index is not None and index.revision == revision:
                index.checked_at = self._clock.monotonic()
                return index
            versions = await self._store.active_versions(tenant_id)
            index = build_index(revision, versions, self._clock)
            if len(versions) >= FREEZE_AT:
                _out_of_collectors_sight()
            if changes == self._changes[tenant_id]:
                self._indexes[tenant_id] = index
            return index
