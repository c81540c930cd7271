"""Runs: list, inspect, and control."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.deps import AuditDep, Reader, ResourcesDep, Writer
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.page import Page
from app.engine.walk.control import Command
from app.models.run import Run, RunFilter, RunStatus, StepRecord, Wait
from app.models.workflow import Page as PageQuery

router = APIRouter(prefix="/api/runs", tags=["runs"], responses=ERROR_RESPONSES)


class WaitRead(BaseModel):
    """What a run parked at a wait_for_event step waits for."""

    step_id: str
    event: str = Field(description="The event type awaited.")
    match: dict[str, str] = Field(description="The correlation: event fields → rendered values.")
    started_at: datetime
    since: datetime = Field(description="Events received from this time on count (lookback).")
    deadline: datetime = Field(description="When the on_timeout actions run if no event came.")
    answered: bool = Field(description="An event answered the wait; the run is due to go on.")

    @classmethod
    def of(cls, wait: Wait | None) -> "WaitRead | None":
        if wait is None:
            return None
        return cls(
            step_id=wait["step"],
            event=wait["event"],
            match=wait["match"],
            started_at=wait["started_at"],
            since=wait["since"],
            deadline=wait["deadline"],
            answered="resolved" in wait,
        )


class RunSummary(BaseModel):
    run_id: str
    workflow_id: str
    version: int
    event_id: str
    user_id: str | None
    status: RunStatus
    step: int = Field(description="Position in the workflow's compiled program.")
    attempt: int
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    error: dict[str, Any] | None
    wait: WaitRead | None = Field(description="Set while the run waits for an event.")
    converted: dict[str, Any] | None = Field(
        description="Set once the workflow's goal event came: its type, event id and time."
    )
    variants: dict[str, str] = Field(
        description="The variant each split sent the run down (split id → name, or holdout)."
    )
    parent: dict[str, Any] | None = Field(
        description="A child run's parent: its `run_id`, the `step` that started this run "
        "and, for a parallel branch, the `branch` name."
    )
    depth: int = Field(description="Sub-workflow levels above this run (trigger_workflow).")
    join: dict[str, Any] | None = Field(
        description="Set while the run waits for its child runs (a parallel step, a waited "
        "trigger_workflow): the `step`, the `mode` (all, any, first), the `count` needed and "
        "the `children` (run id and branch)."
    )


class StepRead(BaseModel):
    run_id: str
    step_id: str
    action_type: str
    attempt: int
    status: str
    started_at: datetime
    finished_at: datetime
    idempotency_key: str
    input: dict[str, Any] | None
    output: Any
    error: dict[str, Any] | None

    @classmethod
    def of(cls, step: StepRecord) -> "StepRead":
        return cls.model_validate(step, from_attributes=True)


class ListenerRead(BaseModel):
    """An event that acts on the run while it lives (settings.cancel_on, settings.goal)."""

    event: str
    match: dict[str, str] = Field(description="Rendered when the run started.")
    on: Literal["cancel", "goal", "goal_exit"] = Field(
        description="`cancel`: an exit event; `goal`: marks the run converted; `goal_exit`: "
        "marks it converted and ends it."
    )


class RunRead(RunSummary):
    context: dict[str, Any] = Field(
        description="What the run started from: the event's data at the root, then `user` "
        "and `event` (its type, id and time)."
    )
    listeners: list[ListenerRead]
    vars: dict[str, Any]
    outputs: dict[str, Any]
    active_seconds: float
    history: list[dict[str, Any]]
    steps: list[StepRead]


class RunList(Page[RunSummary]):
    """A page of runs, newest first."""


def _summary(run: Run) -> RunSummary:
    return RunSummary(**_fields(run))


def _fields(run: Run) -> dict[str, Any]:
    names = RunSummary.model_fields.keys() - {"step", "wait"}
    return {name: getattr(run, name) for name in names} | {
        "step": run.pc,
        "wait": WaitRead.of(run.wait),
    }


@router.get("")
async def list_runs(
    caller: Reader,
    resources: ResourcesDep,
    workflow_id: str | None = None,
    status: RunStatus | None = None,
    user_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(description="The last run_id of the page before.")] = None,
) -> RunList:
    """The tenant's runs, newest first, filtered by workflow, status, user and time."""
    runs = await resources.store.list_runs(
        caller.tenant_id,
        RunFilter(workflow_id, status, user_id, since, until),
        PageQuery(limit, after),
    )
    return RunList.after_last([_summary(run) for run in runs], limit, lambda item: item.run_id)


@router.get("/{run_id}")
async def get_run(run_id: str, caller: Reader, resources: ResourcesDep) -> RunRead:
    """A run with its variables, step outputs, history of transitions and step records."""
    return await _read(resources, caller.tenant_id, run_id)


async def _read(resources: ResourcesDep, tenant_id: str, run_id: str) -> RunRead:
    run = await resources.store.get_run(tenant_id, run_id)
    steps = await resources.store.list_steps(tenant_id, run_id)
    return RunRead(
        **_fields(run),
        context=run.context,
        listeners=[ListenerRead.model_validate(one) for one in run.listeners],
        vars=run.vars,
        outputs=run.outputs,
        active_seconds=run.active_seconds,
        history=run.history,
        steps=[StepRead.of(step) for step in steps],
    )


@router.post(
    "/{run_id}/{command}", responses={409: {"description": "Not allowed in the run's state"}}
)
async def control_run(
    run_id: str, command: Command, caller: Writer, resources: ResourcesDep, audit: AuditDep
) -> RunRead:
    """`pause`, `resume`, `cancel`, `retry` (from the failed step) or `skip` (the current
    step). A command the run's state does not allow is a 409 naming that state."""
    run = await resources.engine.control.apply(caller.tenant_id, run_id, command)
    change = run.history[-1]
    await audit.record(caller.tenant_id, caller.key_id, f"run.{command}", run_id,
                       {"status": change["from"]}, {"status": change["to"], "step": run.pc})  # fmt: skip
    return await _read(resources, caller.tenant_id, run_id)
