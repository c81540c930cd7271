"""The event log as the API and the CLI use it: events listed and read with what they did
(the runs they started, the workflows they skipped and why, the waits they answered, the
runs they ended), and replayed, each replay recorded in the audit log.

Reading needs no Redis; replaying starts runs, so it does.
"""

from collections.abc import Sequence, Set
from dataclasses import dataclass, field

from app.audit import CLI, Acting, Audit
from app.errors import NotFound, redis_missing
from app.models.run import Accepted, EventFilter, EventRecord, Run
from app.models.workflow import Page
from app.store.protocol import Store
from app.triggers.ingest import Ingestor
from app.triggers.matcher import Matcher


@dataclass(frozen=True)
class EventDetail:
    """An event and the runs it touched, as they stand now (runs purged since are left out)."""

    event: EventRecord
    started: list[Run]
    answered: list[Run]
    ended: list[Run]


@dataclass(frozen=True)
class EventType:
    """An event type a person may pick for a trigger: whether the tenant received events of
    it (still kept), and which active workflows start on it or listen to it."""

    type: str
    received: bool
    workflows: list[str]


# The most workflow ids named for one event type (in id order).
MAX_WORKFLOWS_NAMED = 20


@dataclass(frozen=True)
class EventLog(Acting):
    """Events for ``actor`` (an API key id; ``cli`` by default), named in the audit log."""

    store: Store
    audit: Audit
    ingestor: Ingestor | None = None
    actor: str = field(default=CLI)
    matcher: Matcher | None = None

    async def list_events(
        self, tenant_id: str, where: EventFilter, page: Page
    ) -> list[EventRecord]:
        """The tenant's events, newest first."""
        return await self.store.list_events(tenant_id, where, page)

    async def types(self, tenant_id: str, limit: int) -> tuple[list[EventType], bool]:
        """The event types the tenant received and its active workflows listen to, in name
        order, at most ``limit``; and whether there were more."""
        received = set(await self.store.event_types(tenant_id, limit + 1))
        listened = await self.matcher.listened(tenant_id) if self.matcher else {}
        # The first ``limit + 1`` names of the union are among the first ``limit + 1``
        # received and the listened ones: what the store left out comes later in order.
        names = sorted(received | listened.keys())[: limit + 1]
        shown = [
            EventType(name, name in received, listened.get(name, [])[:MAX_WORKFLOWS_NAMED])
            for name in names[:limit]
        ]
        return shown, len(names) > limit

    async def read(self, tenant_id: str, event_id: str) -> EventDetail:
        """The event and its runs (NotFound for another tenant's)."""
        event = await self.store.get_event(tenant_id, event_id)
        return EventDetail(
            event,
            await self._runs(tenant_id, event.run_ids),
            await self._runs(tenant_id, event.answered),
            await self._runs(tenant_id, event.ended),
        )

    async def replay(
        self,
        tenant_id: str,
        event_id: str,
        workflow_ids: Set[str] | None,
        key: str | None = None,
    ) -> Accepted:
        """Accept the event again as a new one linked to it, for every workflow it matches
        now or only for ``workflow_ids``, once per ``key``; recorded in the audit log with
        the runs started (a repeat of a keyed replay changes nothing, so it is not)."""
        if self.ingestor is None:
            raise redis_missing()
        original = await self.store.get_event(tenant_id, event_id)
        accepted = await self.ingestor.replay(original, workflow_ids, key)
        if accepted.duplicate:
            return accepted
        replayed = accepted.event
        after = {
            "event_id": replayed.event_id,
            "run_ids": replayed.run_ids,
            "workflow_ids": sorted(workflow_ids) if workflow_ids is not None else None,
        }
        await self.audit.record(tenant_id, self.actor, "event.replay", event_id, None, after)
        return accepted

    async def _runs(self, tenant_id: str, run_ids: Sequence[str]) -> list[Run]:
        runs = []
        for run_id in run_ids:
            try:
                runs.append(await self.store.get_run(tenant_id, run_id))
            except NotFound:
                continue  # purged by retention
        return runs
