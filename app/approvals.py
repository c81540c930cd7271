"""Deciding approvals, for the API (an editor's or admin's key) and for signed links.

A decision is written onto the run parked at the approval step, under the run's revision
guard, and only while the run waits there undecided: so one decision wins, the timeout
included (the walker takes the run off the wait before it records a timeout), and a second
decision finds the first. The woken run is enqueued after the write; a lost job is found by
the reconciler, as the run is due.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

from app.audit import CLI, Acting, Audit
from app.clock import Clock
from app.engine.flow.queue import Queue
from app.engine.walk.approvals import (
    DECIDED,
    Decision,
    Links,
    approval_of,
    decision_of,
    run_of,
)
from app.engine.walk.walker import APPROVAL_WAIT
from app.errors import AutomatorError, Conflict, Forbidden, NotFound, redis_missing
from app.models.run import PARKED, Run, RunStatus
from app.store.protocol import Store
from app.store.rules import RUN_WRITE_ATTEMPTS

Status = Literal["pending", "approved", "rejected", "timed_out", "not_waiting"]
LINK = "signed link"


class LinkExpired(AutomatorError):
    code = "link_expired"
    status = 410


@dataclass(frozen=True)
class ApprovalState:
    """An approval as its run shows it: pending (the run waits), decided (by whom, when,
    with what comment), or ``not_waiting`` (the run has not reached it, or ended first)."""

    approval_id: str
    run_id: str
    workflow_id: str
    step_id: str
    status: Status
    run_status: RunStatus
    message: str | None = None
    deadline: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Decided:
    """What a decision came to: the approval as it now stands, and whether this decision
    made it (False: it was decided before, and ``state`` says how)."""

    state: ApprovalState
    now: bool


@dataclass(frozen=True)
class Approvals(Acting):
    store: Store
    clock: Clock
    audit: Audit
    queue: Queue | None
    links: Links
    actor: str = field(default=CLI)

    def check_link(
        self, tenant_id: str, approval: str, decision: Decision, expires: int, signature: str
    ) -> None:
        """Forbidden unless a signed link's values are the ones we signed; LinkExpired once
        its time has passed (the approval timed out by then)."""
        if not self.links.valid(tenant_id, approval, decision, expires, signature):
            raise Forbidden("This link is not valid: copy it whole from the message.")
        if expires < self.clock.now().timestamp():
            raise LinkExpired("This link has expired: the approval timed out.")

    async def state(self, tenant_id: str, approval: str) -> ApprovalState:
        """The approval as it stands; NotFound for an id naming no run of the tenant."""
        run = await self._run(tenant_id, approval)
        return await self._state(run, approval)

    async def decide(
        self, tenant_id: str, approval: str, decision: Decision, comment: str | None
    ) -> Decided:
        """Approve or reject; a second decision changes nothing and says what the first was.
        Conflict while the run has not reached the approval or ended without a decision."""
        for _ in range(RUN_WRITE_ATTEMPTS):
            run = await self._run(tenant_id, approval)
            if not _pending(run, approval):
                break
            if await self._write(run, decision, comment):
                return Decided(await self._state(run, approval), now=True)
        state = await self._state(run, approval)
        if state.status == "not_waiting":
            raise Conflict(
                f"Approval {approval} is not waiting for a decision: its run is "
                f"{state.run_status} and {_where(state)}."
            )
        return Decided(state, now=False)

    async def _write(self, run: Run, decision: Decision, comment: str | None) -> bool:
        """Write the decision onto the parked run; False: the run changed since it was read."""
        assert run.wait is not None
        if self.queue is None:
            raise redis_missing()
        now = self.clock.now()
        approval = run.wait["match"]["approval_id"]
        run.wait["resolved"] = decision_of(decision, self.actor, now, comment)
        waiting = run.status == RunStatus.WAITING
        if waiting:  # a paused run keeps the decision until it is resumed
            run.due_at = now
        if not await self.store.save_run(run):
            return False
        await self.audit.record(
            run.tenant_id,
            self.actor,
            f"approval.{decision}",
            approval,
            {"status": "pending"},
            {"status": DECIDED[decision], "run_id": run.run_id, "comment": comment},
        )
        if waiting:  # the deadline's timer brought forward: one timer, not a second beside it
            await self.queue.wake(run.tenant_id, run.run_id, run.timer(APPROVAL_WAIT))
        return True

    async def _run(self, tenant_id: str, approval: str) -> Run:
        run_id = run_of(approval)
        try:
            if run_id is None:
                raise NotFound("")
            return await self.store.get_run(tenant_id, run_id)
        except NotFound:
            raise NotFound(f"Approval {approval!r} was not found.") from None

    async def _state(self, run: Run, approval: str) -> ApprovalState:
        step_id = approval.rsplit("~", 2)[1]
        base = ApprovalState(
            approval, run.run_id, run.workflow_id, step_id, "not_waiting", run.status
        )
        wait = run.wait
        if wait is not None and approval_of(wait) == approval:
            decided = wait.get("resolved")
            if decided is None:
                status: Status = "pending" if run.status in PARKED else "not_waiting"
                return _with(base, status, wait.get("message"), wait["deadline"], {})
            return _with(base, decided["decision"], wait.get("message"), wait["deadline"], decided)
        for step in reversed(await self.store.list_steps(run.tenant_id, run.run_id)):
            output = step.output if isinstance(step.output, dict) else {}
            if step.step_id == step_id and output.get("approval_id") == approval:
                asked = step.input or {}
                return _with(
                    base, output["decision"], asked.get("message"), asked.get("deadline"), output
                )
        return base


def _pending(run: Run, approval: str) -> bool:
    wait = run.wait
    return (
        run.status in PARKED
        and wait is not None
        and approval_of(wait) == approval
        and "resolved" not in wait
    )


def _with(
    base: ApprovalState,
    status: Status,
    message: str | None,
    deadline: str | None,
    decided: dict[str, Any],
) -> ApprovalState:
    return ApprovalState(
        base.approval_id,
        base.run_id,
        base.workflow_id,
        base.step_id,
        status,
        base.run_status,
        message,
        deadline,
        decided.get("decided_by"),
        decided.get("decided_at"),
        decided.get("comment"),
    )


def _where(state: ApprovalState) -> str:
    if state.run_status in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED):
        return "ended before a decision"
    return "has not reached the approval step yet; try again once it waits there"
