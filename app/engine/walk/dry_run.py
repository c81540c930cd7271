"""A whole workflow on a sample event, through the real walk, with nothing sent or stored:
connectors answer what they would have been asked, and delays are fast-forwarded on a
virtual clock. The trace says what would happen, when, and why.

A step that would fail now is ``would_fail`` with its ``reason``, never ``completed``: a
template that does not render, and, asked of the gateway without calling the connector, a
missing message template or secret, inputs the action refuses, a channel with no provider
and no outbox. It fails as a real step would, so the workflow's ``on_error`` applies."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from app.actions.base import ActionContext, ConnectorError
from app.actions.registry import Registry, UnknownAction
from app.engine.calls.gateway import Gateway, Rehearsal
from app.engine.expressions.renderer import Renderer
from app.engine.walk.approvals import SAMPLE_LINKS
from app.engine.walk.effects import Heard
from app.engine.walk.launcher import Launch
from app.engine.walk.program import Instruction, Program
from app.engine.walk.send_guard import SendGuard
from app.engine.walk.walker import Walker
from app.models.run import Run, RunStatus, StepRecord, StepStatus

MAX_TRACE_STEPS = 1000
WOULD_FAIL = "would_fail"


@dataclass(frozen=True)
class Script:
    """Canned answers for a scripted test, by step id: what a step's connector answers
    (``outputs``) or how it fails (``failures``: message and whether retryable), and the
    event a wait_for_event step receives (``events``: its user and data) instead of timing
    out. Steps not named are stubbed as in any dry run."""

    outputs: Mapping[str, Any] = field(default_factory=dict)
    failures: Mapping[str, tuple[str, bool]] = field(default_factory=dict)
    events: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass
class DryRunEffects:
    registry: Registry
    clock: datetime
    started: datetime
    # Says why a step's call would fail now; without one, every call is taken to succeed.
    gateway: Gateway | None = None
    trace: list[dict[str, Any]] = field(default_factory=list)
    # Walks a parallel step's branch to its end (the dry run's walker, on its program).
    walk_branch: Callable[[Run], Awaitable[None]] | None = None
    branches: dict[str, Run] = field(default_factory=dict)
    script: Script = field(default_factory=Script)
    # The canned answer each step took, until its record reaches the trace.
    canned: dict[str, str] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock

    def _offset(self) -> float:
        return (self.clock - self.started).total_seconds()

    async def checkpoint(self, run: Run, steps: list[StepRecord]) -> bool:
        branch = {} if run.parent is None else {"branch": run.parent["branch"]}
        for step in steps:
            self.trace.append(
                {
                    "at": self._offset(),
                    "step_id": step.step_id,
                    "type": step.action_type,
                    "status": step.status.value,
                    "input": step.input,
                    "output": step.output,
                    "error": step.error,
                }
                | _failing(step)
                | branch
                | ({"canned": self.canned.pop(step.step_id)} if step.step_id in self.canned else {})
            )
        self.clock += timedelta(microseconds=1)
        return len(self.trace) < MAX_TRACE_STEPS

    async def begin(self, run: Run) -> bool:
        return True

    async def hold(self, run: Run, steps: list[StepRecord]) -> bool:
        return await self.checkpoint(run, steps)

    async def defer(self, run: Run, job_id: str, reason: str) -> bool:
        assert run.due_at is not None
        seconds = (run.due_at - self.clock).total_seconds()
        self.trace.append({"at": self._offset(), "wait_seconds": seconds, "reason": reason})
        self.clock = run.due_at
        return True

    async def listen(self, run: Run, job_id: str) -> Heard:
        """The script's event for this wait comes at once; without one, no event comes in a
        dry run: the clock moves to the deadline."""
        assert run.wait is not None
        step = run.wait["step"]
        if step is not None and step in self.script.events:
            self.canned[step] = "event"
            given, at = self.script.events[step], self.clock.isoformat()
            event = {
                "type": run.wait["event"],
                "id": "scripted",
                "time": at,
                "received_at": at,
                "user": dict(given.get("user", {})),
                "data": dict(given.get("data", {})),
            }
            return Heard(go_on=True, event=event)
        await self.defer(run, job_id, "wait_for_event")
        return Heard(go_on=True)

    async def find_event(self, run: Run, until: datetime | None) -> dict[str, Any] | None:
        return None

    async def fork(self, run: Run, children: list[Run]) -> None:
        """Each branch walks to its end from the time of the fork; the join is at the time
        the last one ends."""
        assert self.walk_branch is not None
        forked, ends = self.clock, []
        for child in children:
            self.clock, child.status = forked, RunStatus.RUNNING
            self.branches[child.run_id] = child
            await self.walk_branch(child)
            ends.append(self.clock)
        self.clock = max(ends)

    async def launch(self, launch: Launch) -> Run | None:
        """Nothing is started: the step's input says what would be."""
        return None

    async def children(self, run: Run) -> list[Run]:
        assert run.join is not None
        return [self.branches[child["run_id"]] for child in run.join["children"]]

    async def gather(self, run: Run, job_id: str) -> bool:
        """Every branch has walked to its end, unless the trace filled up: then the walk
        ends here, as it does at any full checkpoint."""
        return await self.checkpoint(run, [])

    async def cancel(self, runs: list[Run], reason: str) -> None:
        """Every branch of a dry run has walked to its end: none is left to cancel."""

    async def orphaned(self, run: Run) -> bool:
        """A dry run's parent walks on while its branches do."""
        return False

    async def call(
        self, instruction: Instruction, params: dict[str, Any], ctx: ActionContext
    ) -> Any:
        step = str(instruction.action.id)
        if step in self.script.failures:
            self.canned[step] = "failure"
            message, retryable = self.script.failures[step]
            raise ConnectorError(message, retryable=retryable)
        if step in self.script.outputs:
            self.canned[step] = "output"
            return self.script.outputs[step]
        rehearsal = Rehearsal()
        if self.gateway is not None:
            rehearsal = await self.gateway.rehearse(instruction.action.type, params, ctx)
            if rehearsal.reason is not None:
                raise ConnectorError(rehearsal.reason)
        try:
            self.registry.resolve(instruction.action.type, params)
            installed = True
        except UnknownAction:
            installed = False
        output = {"dry_run": True, "connector_installed": installed, "would_send": params}
        # A message as its recipients would read it: its template rendered, its recipients
        # found (the data alone shows `{}` for a step that only names a template).
        return output | ({} if rehearsal.draft is None else {"message": rehearsal.draft})


def _failing(step: StepRecord) -> dict[str, Any]:
    """A failed step of a dry run would fail: said so, with the reason."""
    if step.status is not StepStatus.FAILED:
        return {}
    reason = (step.error or {}).get("message", "the step failed")
    return {"status": WOULD_FAIL, "reason": reason}


async def dry_run(
    program: Program,
    tenant_id: str,
    context: dict[str, Any],
    renderer: Renderer,
    registry: Registry,
    now: datetime,
    gateway: Gateway | None = None,
    script: Script | None = None,
) -> tuple[Run, list[dict[str, Any]]]:
    """Walk ``program`` on ``context`` (a run context, as ingest builds it) from the instant
    ``now``; the dry run's own clock moves on from there. ``gateway`` says which calls
    would fail; ``script`` gives canned answers."""
    effects = DryRunEffects(registry, now, now, gateway, script=script or Script())
    user = context.get("user")
    run = Run(
        run_id="dry-run",
        tenant_id=tenant_id,
        workflow_id=program.document.workflow_id,
        version=program.version,
        event_id="dry-run",
        user_id=str(user.get("id")) if isinstance(user, dict) and "id" in user else None,
        status=RunStatus.RUNNING,
        context=context,
        created_at=now,
        updated_at=now,
    )
    # Send windows show as waits; frequency caps count real sends, so a dry run skips them.
    walker = Walker(effects, renderer, guard=SendGuard(renderer), links=SAMPLE_LINKS)
    effects.walk_branch = partial(walker.walk, program=program)
    await walker.walk(run, program)
    return run, effects.trace
