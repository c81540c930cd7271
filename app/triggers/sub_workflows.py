"""Sub-workflows: a step starting a run of a workflow's published version (the engine's
``Launcher``), through the same door as run now: flow control, ``max_executions``, one
durable write, then the start job.

Every refusal is a ``ConnectorError``, so the step fails or retries as any action does:
retryable, with ``retry_after``, when a limit says later; final when the workflow or the
event cannot run at all.
"""

from dataclasses import dataclass

import orjson
from pydantic import ValidationError

from app.actions.base import ConnectorError
from app.engine.walk.launcher import Launch
from app.errors import LimitExceeded, NotFound, Unavailable, place
from app.models.patterns import message
from app.models.run import Accepted, Run
from app.models.workflow import WorkflowHead, WorkflowVersion
from app.store.protocol import Store
from app.triggers.ingest import EventIn, Ingestor, Lineage


@dataclass
class SubWorkflows:
    """Starts sub-runs within the launching run's tenant. ``max_bytes`` bounds the sub-run's
    event (its user and data as JSON), as the request size bounds an event sent over HTTP."""

    store: Store
    ingestor: Ingestor
    max_bytes: int

    async def launch(self, launch: Launch) -> Run:
        """Start the sub-run, or find the one an earlier launch with ``launch.key`` started
        (the key is the sub-run's event's idempotency key)."""
        version = await self._version(launch.tenant_id, launch.workflow_id)
        event = _event(launch, self.max_bytes)
        lineage = Lineage(launch.parent, launch.depth)
        try:
            accepted = await self.ingestor.start(
                version, event, strict=True, lineage=lineage, skip_delays=launch.skip_delays
            )
        except LimitExceeded as exc:
            raise ConnectorError(exc.message, retryable=True, retry_after=exc.retry_after) from None
        except Unavailable as exc:
            raise ConnectorError(exc.message, retryable=True) from None
        return await self._started(launch, accepted)

    async def _version(self, tenant_id: str, workflow_id: str) -> WorkflowVersion:
        try:
            head = await self.store.get_workflow(tenant_id, workflow_id)
        except NotFound:
            raise ConnectorError(f"workflow {workflow_id!r} not found") from None
        return await self.store.get_version(tenant_id, workflow_id, _runnable(head))

    async def _started(self, launch: Launch, accepted: Accepted) -> Run:
        """The run this launch started; for a repeated launch, the run the first one did
        (a duplicate event holds only its original's run ids)."""
        if accepted.runs:
            return accepted.runs[0]
        if accepted.duplicate and accepted.event.run_ids:
            return await self.store.get_run(launch.tenant_id, accepted.event.run_ids[0])
        reason = accepted.skipped.get(
            launch.workflow_id, f"an earlier launch with key {launch.key!r} started none"
        )
        raise ConnectorError(f"workflow {launch.workflow_id!r} started no run: {reason}")


def _runnable(head: WorkflowHead) -> int:
    """The version a sub-run of ``head`` runs: its published one, while it is live."""
    if head.archived:
        raise ConnectorError(f"workflow {head.workflow_id!r} is archived")
    if head.active_version is None:
        raise ConnectorError(f"workflow {head.workflow_id!r} has no published version")
    if not head.enabled:
        raise ConnectorError(f"workflow {head.workflow_id!r} is disabled")
    return head.active_version


def _event(launch: Launch, max_bytes: int) -> EventIn:
    """The sub-run's event, bounded as an event sent to the API is, keyed by the launch."""
    try:
        event = EventIn(type=launch.event, user=launch.user, data=launch.data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = place(error["loc"])
        raise ConnectorError(f"the sub-run's event is refused: {where}: {message(error)}") from None
    size = len(orjson.dumps({"user": event.user, "data": event.data}))
    if size > max_bytes:
        raise ConnectorError(
            f"the sub-run's event is refused: user and data are {size} bytes of JSON, "
            f"over the limit of {max_bytes}"
        )
    return event.with_key(launch.key)
