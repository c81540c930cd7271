"""What the runs API answers: runs, their waits, listeners and step records."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel

from app.api.schemas.page import Page
from app.api.schemas.stats import AiUsageRead
from app.engine.walk.approvals import approval_of
from app.engine.walk.control import paused_left
from app.errors import shown
from app.models.action import Action
from app.models.patterns import VARIABLE_PATTERN
from app.models.run import PARKED, Run, RunStatus, StepRecord, Wait
from app.runs import RunAt, RunRecord
from app.triggers.ingest import JsonObject


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


class PausedWaitRead(BaseModel):
    """The delay or retry back-off a paused run was in: its clock stopped at the pause."""

    reason: Literal["delay", "retry"] = Field(
        description="`delay`: a step's delay; `retry`: the back-off before a failed step's "
        "next attempt."
    )
    left_seconds: float = Field(
        examples=[1500.0],
        description="What the wait had left when the run was paused: a resume has the run "
        "wait this long again, however long the pause (`due_at` is the end it had before).",
    )

    @classmethod
    def of(cls, run: Run) -> "PausedWaitRead | None":
        left = paused_left(run)
        reason = run.began_wait
        if left is None or reason not in ("delay", "retry"):
            return None
        return cls(reason=reason, left_seconds=left.total_seconds())


class RunSummary(BaseModel):
    run_id: str
    workflow_id: str
    version: int
    event_id: str
    user_id: str | None
    status: RunStatus
    step: int = Field(description="Position in the workflow's compiled program.")
    attempt: int = Field(
        description="The attempt at the current step's call, counting every one made: 1 "
        "until it fails, then 2... A retry through the API goes on counting (its retry "
        "policy's `max_attempts` starts again)."
    )
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    error: dict[str, Any] | None
    wait: WaitRead | None = Field(
        description="Set while the run waits for an event, or for a decision (an approval)."
    )
    wait_reason: str | None = Field(
        description="Why a waiting run waits, as its move to waiting said: `retry` (out a "
        "failed step's backoff: `POST /api/runs/{run_id}/retry` brings the attempt forward), "
        "`delay`, `waiting for <event>`... A pause and a resume keep it; null unless waiting."
    )
    trigger: str | None = Field(
        description="The workflow's trigger that started the run: its `id`, else `trigger` "
        "(the seed's one) or `triggers.<n>`; null for run now and sub-workflows."
    )
    approval_id: str | None = Field(
        description="Set while the run waits at an approval step: decide it with "
        "`POST /api/approvals/{approval_id}/approve` (or `reject`)."
    )
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
    revision: int = Field(
        description="Moves on at every change of the run (each step saved, each command): a "
        "control command given it as `?revision=` acts only on the run as it was read, and is "
        "a 409 once the run moved on."
    )
    join: dict[str, Any] | None = Field(
        description="Set while the run waits for its child runs (a parallel step, a waited "
        "trigger_workflow): the `step`, the `mode` (all, any, first), the `count` needed and "
        "the `children` (run id and branch)."
    )

    @classmethod
    def of(cls, run: Run) -> "RunSummary":
        return cls(**summary_fields(run))


def summary_fields(run: Run) -> dict[str, Any]:
    """The fields a summary shows, as its model names them."""
    names = RunSummary.model_fields.keys() - {"step", "attempt", "wait", "approval_id", "trigger"}
    return {name: getattr(run, name) for name in names} | {
        "step": run.pc,
        "attempt": run.call_attempt,
        "wait": WaitRead.of(run.wait),
        "approval_id": approval_of(run.wait) if run.status in PARKED else None,
        "trigger": (run.context.get("event") or {}).get("trigger"),
    }


class StepRead(BaseModel):
    run_id: str
    step_id: str
    action_type: str
    attempt: int = Field(
        description="Which attempt at its call this record is, counting every one made of "
        "the call (the records sharing its `idempotency_key`), across retries through the API."
    )
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


class CurrentStep(BaseModel):
    """A step as the workflow's author wrote it."""

    id: str = Field(examples=["action_002"])
    type: str = Field(examples=["send_push"])
    name: str | None = Field(description="The step's name, when the workflow gives one.")

    @classmethod
    def of(cls, action: Action | None) -> "CurrentStep | None":
        if action is None or action.id is None:
            return None
        return cls(id=action.id, type=action.type, name=action.name)


class RunListItem(RunSummary):
    """A run as `GET /api/runs` lists it: its summary and the step it is at."""

    current_step: CurrentStep | None = Field(
        description="The step the run is at or goes to next (`step` is its position in the "
        "compiled program), or where a failed or cancelled run stopped; null once it "
        "completed, or when it stands at the end of its actions."
    )

    @classmethod
    def at(cls, listed: RunAt) -> "RunListItem":
        return cls(**summary_fields(listed.run), current_step=CurrentStep.of(listed.current))


class RunRead(RunListItem):
    context: dict[str, Any] = Field(
        description="What the run started from: the event's data at the root, then `user` "
        "and `event` (its type, id and time)."
    )
    listeners: list[ListenerRead]
    vars: dict[str, Any]
    outputs: dict[str, Any]
    active_seconds: float
    skip_delays: bool = Field(
        description="A test run: its steps' delays are passed over (run now with skip_delays)."
    )
    history: list[dict[str, Any]]
    paused_wait: PausedWaitRead | None = Field(
        description="Set while the run is paused in a delay or a retry's back-off: what it "
        "had left of it, which a resume waits again; null otherwise (a paused wait for an "
        "event or an approval keeps its deadline, `due_at`)."
    )
    steps: list[StepRead]
    ai_usage: AiUsageRead = Field(description="What the run's AI steps spent, summed.")

    @classmethod
    def of_record(cls, record: RunRecord) -> "RunRead":
        run = record.run
        return cls(
            **summary_fields(run),
            context=run.context,
            listeners=[ListenerRead.model_validate(one) for one in run.listeners],
            vars=run.vars,
            outputs=run.outputs,
            active_seconds=run.active_seconds,
            skip_delays=run.skip_delays,
            history=run.history,
            paused_wait=PausedWaitRead.of(run),
            steps=[StepRead.of(step) for step in record.steps],
            ai_usage=AiUsageRead.of(record.ai_usage),
            current_step=CurrentStep.of(record.current),
        )


class RunList(Page[RunListItem]):
    """A page of runs, newest first."""


VARIABLES_EXAMPLE: dict[str, Any] = {"discount_code": "WELCOME10", "retries_left": None}


def _named(variables: dict[str, Any]) -> dict[str, Any]:
    for name in variables:
        if not re.fullmatch(VARIABLE_PATTERN, name):
            raise ValueError(f"{shown(name)} is not a variable name (letters, digits and _)")
    if not variables:
        raise ValueError("name at least one variable")
    return variables


class VariablesIn(RootModel[Annotated[JsonObject, AfterValidator(_named)]]):
    """Variable name → new value; `null` removes the variable."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [VARIABLES_EXAMPLE],
            "minProperties": 1,
            "propertyNames": {"pattern": VARIABLE_PATTERN},
        }
    )
