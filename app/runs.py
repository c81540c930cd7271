"""Runs as the API and the CLI use them: read with their step records, controlled with every
command recorded in the audit log, started now, tried dry, counted for the status report.

Starting and controlling runs needs Redis; reading them does not, so a process without Redis
still reads, and a run-now of an unknown workflow is a 404 before it is a 503.
"""

from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.actions.registry import Registry
from app.audit import CLI, Acting, Audit
from app.clock import Clock
from app.engine.calls.gateway import Gateway
from app.engine.expressions.conditions import compile_conditions
from app.engine.expressions.renderer import Renderer
from app.engine.walk.control import RunControl
from app.engine.walk.dry_run import Script, dry_run
from app.engine.walk.program import ProgramCache
from app.errors import Conflict, ErrorDetail, InvalidInput, redis_missing
from app.models.action import Action
from app.models.run import PARKED, Accepted, Command, Run, RunFilter, RunStatus, StepRecord
from app.models.usage import UsageTally
from app.models.workflow import Page, WorkflowFilter, WorkflowHead
from app.store.protocol import Store
from app.store.rules import RUN_WRITE_ATTEMPTS
from app.triggers.ingest import EventIn, Ingestor, JsonObject, UserObject, run_context
from app.triggers.preview import sample_event
from app.workflows import EVERY_WORKFLOW, WorkflowService

T = TypeVar("T")


@dataclass(frozen=True)
class RunRecord:
    """A run and its step records, oldest first, what its AI steps spent, and the action it
    is at or goes to next (None once it has ended)."""

    run: Run
    steps: list[StepRecord]
    ai_usage: UsageTally = field(default_factory=UsageTally)
    current: Action | None = None


@dataclass(frozen=True)
class RunAt:
    """A run and the action it is at or goes to next (None once it has ended)."""

    run: Run
    current: Action | None


@dataclass(frozen=True)
class WorkflowRuns:
    """A live workflow and its runs by status."""

    head: WorkflowHead
    runs: dict[str, int]


@dataclass(frozen=True)
class Status:
    """Every live workflow with its runs by status, and all the tenant's runs by status."""

    workflows: list[WorkflowRuns]
    runs: dict[str, int]


@dataclass(frozen=True)
class Trial:
    """How a run of a version would go on an event: nothing sent, nothing stored."""

    version: int
    matched: bool
    conditions: list[dict[str, Any]]
    run: Run
    trace: list[dict[str, Any]]


@dataclass(frozen=True)
class Runs(Acting):
    """Runs for ``actor`` (an API key id; ``cli`` by default), who is named in the audit log."""

    store: Store
    clock: Clock
    audit: Audit
    workflows: WorkflowService
    programs: ProgramCache
    renderer: Renderer
    registry: Registry
    ingestor: Ingestor | None = None
    control: RunControl | None = None
    actor: str = field(default=CLI)
    # Tells a dry run which steps would fail now (a missing template, secret or provider).
    gateway: Gateway | None = None

    async def read(self, tenant_id: str, run_id: str) -> RunRecord:
        """The run and its step records (NotFound for another tenant's)."""
        run = await self.store.get_run(tenant_id, run_id)
        steps = await self.store.list_steps(tenant_id, run_id)
        usage = await self.store.run_ai_usage(tenant_id, run_id)
        return RunRecord(run, steps, usage, await self._current(run))

    async def list_runs(self, tenant_id: str, where: RunFilter, page: Page) -> list[RunAt]:
        """The runs ``where`` matches, newest first, each with the step it is at. A page's
        runs mostly share a few versions, whose programs are read once and then cached, so
        naming their steps costs no store read per run."""
        found = await self.store.list_runs(tenant_id, where, page)
        return [RunAt(run, await self._current(run)) for run in found]

    async def _current(self, run: Run) -> Action | None:
        """The action at the run's position in its version's program: the one it is at or
        goes to next, or where it stopped (failed, cancelled); None once it completed."""
        if run.status == RunStatus.COMPLETED:
            return None
        program = await self.programs.get(self.store, run.tenant_id, run.workflow_id, run.version)
        return program.step_at(run.pc)

    async def command(
        self, tenant_id: str, run_id: str, command: Command, revision: int | None = None
    ) -> RunRecord:
        """Apply ``command`` (Conflict when the run's state does not allow it, or it moved
        on from ``revision``), record the transition in the audit log, and read the run as
        it is now."""
        run = await _needs_redis(self.control).apply(tenant_id, run_id, command, revision)
        change = run.history[-1]
        before, after = {"status": change["from"]}, {"status": change["to"], "step": run.pc}
        await self.audit.record(tenant_id, self.actor, f"run.{command}", run_id, before, after)
        return await self.read(tenant_id, run_id)

    async def set_variables(
        self, tenant_id: str, run_id: str, changes: dict[str, Any]
    ) -> RunRecord:
        """Set run variables (a None value removes one) on a paused or waiting run before
        it goes on, under the run's revision guard (Conflict for a running or ended run);
        recorded in the run's history and in the audit log with the values before and
        after."""
        for _ in range(RUN_WRITE_ATTEMPTS):
            run = await self.store.get_run(tenant_id, run_id)
            if run.status not in PARKED:
                raise Conflict(
                    f"Cannot change the variables of run {run_id}: it is {run.status} "
                    "(variables change on runs that are paused or waiting)."
                )
            before = {name: run.vars.get(name) for name in changes}
            run.set_vars(changes, self.clock.now())
            if await self.store.save_run(run):
                await self.audit.record(
                    tenant_id, self.actor, "run.variables", run_id, before, dict(changes)
                )
                return await self.read(tenant_id, run_id)
        raise Conflict(f"Run {run_id} kept changing; try again.")

    async def run_now(
        self,
        tenant_id: str,
        workflow_id: str,
        user: UserObject,
        data: JsonObject,
        idempotency_key: str | None,
        *,
        skip_delays: bool = False,
    ) -> Accepted:
        """Start one run of the workflow's active version, whatever its trigger, without
        checking its conditions; flow control applies strictly (LimitExceeded).
        ``skip_delays``: a test run, its steps' delays passed over."""
        head = await self.store.get_workflow(tenant_id, workflow_id)
        if head.active_version is None or head.archived:
            raise Conflict(f"Workflow {workflow_id!r} has no published version to run.")
        version = await self.store.get_version(tenant_id, workflow_id, head.active_version)
        event = EventIn(type="run_now", user=user, data=data, idempotency_key=idempotency_key)
        return await _needs_redis(self.ingestor).start(
            version, event, strict=True, skip_delays=skip_delays
        )

    async def try_current(
        self, tenant_id: str, workflow_id: str, event: EventIn, script: Script | None = None
    ) -> Trial:
        """Walk the workflow's current version on ``event`` through the real engine, with
        connectors stubbed (or answering as ``script`` says) and delays fast-forwarded; the
        trigger's conditions are explained, not enforced. InvalidInput names a scripted step
        the version does not have."""
        saved = await self.workflows.current(tenant_id, workflow_id)
        program = self.programs.put(saved.version)
        if script is not None:
            _check_script(script, {str(i.action.id) for i in program.instructions})
        context = run_context(
            sample_event(tenant_id, event.type, event.user, event.data, self.clock.now())
        )
        conditions = compile_conditions(program.document.trigger.conditions, self.clock)
        run, trace = await dry_run(
            program,
            tenant_id,
            context,
            self.renderer,
            self.registry,
            self.clock.now(),
            self.gateway,
            script,
        )
        explained = conditions.explain(context)
        return Trial(program.version, conditions(context), explained, run, trace)

    async def status(self, tenant_id: str) -> Status:
        """Every live workflow with its runs by status (the seed's status call)."""
        heads = await self.store.list_workflows(tenant_id, WorkflowFilter(), EVERY_WORKFLOW)
        counts = await self.store.run_counts(tenant_id)
        totals: dict[str, int] = {}
        for by_status in counts.values():
            for status, count in by_status.items():
                totals[status] = totals.get(status, 0) + count
        workflows = [
            WorkflowRuns(head, {str(k): v for k, v in counts.get(head.workflow_id, {}).items()})
            for head in heads
        ]
        return Status(workflows, totals)

    async def workflow_logs(self, tenant_id: str, workflow_id: str, limit: int) -> list[StepRecord]:
        """The workflow's latest step records, newest first (NotFound for an unknown one)."""
        await self.store.get_workflow(tenant_id, workflow_id)
        return await self.store.workflow_steps(tenant_id, workflow_id, limit)


def _check_script(script: Script, steps: set[str]) -> None:
    for part in ("outputs", "failures", "events"):
        unknown = sorted(set(getattr(script, part)) - steps)
        if unknown:
            raise InvalidInput(
                f"The script names steps the workflow's current version does not have: "
                f"{', '.join(unknown)}.",
                [ErrorDetail(("body", "script"), f"unknown step ids: {', '.join(unknown)}")],
            )


def _needs_redis(part: T | None) -> T:
    if part is None:
        raise redis_missing()
    return part
