"""Sub-workflows: what the engine asks of whoever can start a run of another workflow.

A ``trigger_workflow`` step starts a run of a workflow's published version through the same
door as an event (flow control, ``max_executions``, exit events, one durable write, then the
start job); that door is in ``app.triggers``, above the engine, so it is handed to the worker
as a ``Launcher``.
"""

from dataclasses import dataclass
from typing import Any, Protocol

from app.models.run import Parent, Run

# The event type a sub-run's context carries (``{{event.type}}``).
LAUNCH_EVENT = "workflow_triggered"


@dataclass(frozen=True)
class Launch:
    """One sub-run to start: of ``workflow_id``'s published version, on an event made of
    ``user`` and ``data``. ``key`` is the step's idempotency key: a launch repeated with it
    (a retried step, a re-delivered job) finds the run the first one started. ``parent`` and
    ``depth`` are stamped on the sub-run (``Run.parent``, ``Run.depth``)."""

    tenant_id: str
    workflow_id: str
    user: dict[str, Any]
    data: dict[str, Any]
    key: str
    parent: Parent
    depth: int
    # The sub-run's event type (``{{event.type}}``).
    event: str = LAUNCH_EVENT
    # A test run's sub-run passes over its delays too (``Run.skip_delays``).
    skip_delays: bool = False


class Launcher(Protocol):
    async def launch(self, launch: Launch) -> Run:
        """Start the sub-run (or find the one ``launch.key`` started) and return it.

        Raises ``ConnectorError``: final (``retryable=False``) when the workflow cannot run:
        unknown, without a published version, archived, disabled, or its run refused (its
        ``max_executions``, a held business key); retryable, with ``retry_after``, when a
        flow-control limit (rate limit, tenant quota) says later."""
