"""Run control: pause, resume, cancel, retry from the failed step (or now, for a run waiting
to retry it), skip the current step.

A control call writes the run under its revision guard; a worker walking the same run finds
its next checkpoint refused, keeps the new state and stops. Every transition is recorded in
the run's history.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app import metrics
from app.clock import Clock
from app.engine.flow.concurrency import HELD, HELD_WAIT, RunSlots, is_held
from app.engine.flow.queue import Queue, start_job_id
from app.engine.walk.approvals import approval_of
from app.engine.walk.family import Family
from app.engine.walk.outcome import failed
from app.engine.walk.program import Kind, Program, ProgramCache, end_of
from app.engine.walk.send_guard import QUIET_HOURS, SEND_WINDOW
from app.engine.walk.walker import (
    APPROVAL_WAIT,
    DELAY_WAIT,
    EVENT_WAIT,
    HANDOVER_WAIT,
    JOIN_WAIT,
    PARKED_FOR,
    SPANS,
    resumed_span,
)
from app.errors import Conflict
from app.models.run import RETRY_WAIT, Command, Join, Run, RunStatus
from app.store.protocol import Store
from app.store.rules import RUN_WRITE_ATTEMPTS

ALLOWED: dict[Command, frozenset[RunStatus]] = {
    Command.PAUSE: frozenset({RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING}),
    Command.RESUME: frozenset({RunStatus.PAUSED}),
    Command.CANCEL: frozenset(
        {RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING, RunStatus.PAUSED}
    ),
    # Of the waiting runs, only one waiting to retry a failed step (see ``allows``).
    Command.RETRY: frozenset({RunStatus.FAILED, RunStatus.WAITING}),
    Command.SKIP: frozenset({RunStatus.WAITING, RunStatus.PAUSED, RunStatus.FAILED}),
}


def allows(command: Command, run: Run) -> bool:
    """Whether ``command`` fits the run's state: ``retry`` takes a waiting run only while
    it waits to retry a failed step (a delay, an event or an approval is no failure)."""
    if command == Command.RETRY and run.status == RunStatus.WAITING:
        return run.wait_reason == RETRY_WAIT
    return run.status in ALLOWED[command]


def _refusal(command: Command, run: Run) -> str:
    allowed = ", ".join(sorted(ALLOWED[command]))
    if command == Command.RETRY:
        allowed = f"{RunStatus.FAILED}, or {RunStatus.WAITING} to retry a failed step"
    why = f", its wait: {run.wait_reason}" if run.wait_reason else ""
    return (
        f"Cannot {command} run {run.run_id}: it is {run.status}{why} "
        f"({command} works on runs that are {allowed})."
    )


def _moved_on(command: Command, run: Run, revision: int) -> str:
    return (
        f"Cannot {command} run {run.run_id} as read at revision {revision}: it moved on "
        f"since (now {run.status}, at revision {run.revision}); read it again and decide on "
        "it as it is."
    )


@dataclass
class RunControl:
    store: Store
    queue: Queue
    programs: ProgramCache
    clock: Clock
    slots: RunSlots | None = None
    family: Family | None = None

    async def apply(
        self, tenant_id: str, run_id: str, command: Command, revision: int | None = None
    ) -> Run:
        """Apply ``command`` to the run; with ``revision``, only to the run at that revision
        (the one the command was decided on): a run that moved on since is a Conflict, as
        a skip or a retry would act on a step nobody saw."""
        for _ in range(RUN_WRITE_ATTEMPTS):
            run = await self.store.get_run(tenant_id, run_id)
            if revision is not None and run.revision != revision:
                raise Conflict(_moved_on(command, run, revision))
            if not allows(command, run):
                raise Conflict(_refusal(command, run))
            now, join, timer = self.clock.now(), run.join, wait_timer(run)
            await self._change(run, command, now)
            run.updated_at = now
            if await self.store.save_run(run):
                metrics.run_saved(run)
                await self._release(run, now)
                await self._settle_children(run, join)
                await self._arm(run, command, timer)
                return run
        raise Conflict(f"Run {run_id} kept changing; try again.")

    async def _change(self, run: Run, command: Command, now: datetime) -> None:
        if command == Command.PAUSE:
            if run.status != RunStatus.WAITING:
                run.due_at = None  # a lease's end, not a timer: resume starts at once
            run.move(RunStatus.PAUSED, now, "paused")
        elif command == Command.CANCEL:
            run.due_at = None
            run.move(RunStatus.CANCELLED, now, "cancelled")
        elif command == Command.RESUME:
            due = _resumed_due(run, now)
            waiting = due is not None and due > now
            status = RunStatus.WAITING if waiting else RunStatus.PENDING
            run.due_at = due if waiting else now
            run.move(status, now, "resumed")
            if is_held(run):
                # The pause gave its place in line back: it asks for a slot again now, and
                # if refused takes its place again, where a slot given back wakes it.
                run.due_at = now
        elif command == Command.RETRY and run.status == RunStatus.WAITING:
            # The attempt the walker set up, its number and the budget left kept: only sooner.
            run.due_at = now
            run.move(RunStatus.PENDING, now, "retry brought forward")
        elif command == Command.RETRY:
            # A fresh retry budget; the attempts made so far still count for readers.
            run.earlier_attempts, run.attempt = run.call_attempt, 1
            run.error, told = _kept_error(run, await self._program(run))
            run.due_at, run.delay_served = now, True
            run.active_seconds = 0.0
            run.move(RunStatus.PENDING, now, f"retried{told}")
        else:
            await self._skip(run, now)

    async def _program(self, run: Run) -> Program:
        return await self.programs.get(self.store, run.tenant_id, run.workflow_id, run.version)

    async def _skip(self, run: Run, now: datetime) -> None:
        """Past the current action; a condition, a wait, a split or a loop is skipped whole,
        with what it holds."""
        program = await self._program(run)
        instructions = program.instructions
        while run.pc < len(instructions) and instructions[run.pc].kind == Kind.JUMP:
            run.pc = instructions[run.pc].target  # the end of a branch is no step of its own
        current = None if program.ending(run.pc) else instructions[run.pc]
        run.error, told = _kept_error(run, program)
        if current is not None:
            run.pc = end_of(program, run.pc)
        if current is not None and current.kind == Kind.NEXT:
            run.loops.pop(str(current.action.id), None)  # skipping a loop's turn leaves it
        run.attempt, run.earlier_attempts, run.due_at = 1, 0, now
        run.delay_served, run.wait, run.join = False, None, None
        run.move(RunStatus.PENDING, now, f"step {current and current.action.id} skipped{told}")

    async def _release(self, run: Run, now: datetime) -> None:
        """A paused or cancelled run is no longer live: its concurrency slots go to the
        next runs in line."""
        if self.slots is not None and run.status in (RunStatus.PAUSED, RunStatus.CANCELLED):
            program = await self._program(run)
            await self.slots.leave(run, await self.slots.gates(run, program.document.settings), now)

    async def _settle_children(self, run: Run, join: Join | None) -> None:
        """A cancelled run ends its children and wakes its parent; a skipped join cancels
        the children it waited for. A paused run's children go on."""
        if self.family is None:
            return
        if run.finished:
            await self.family.ended(run)
        elif join is not None and run.join is None:
            children = await self.family.children_of(run.tenant_id, join)
            await self.family.cancel(children, "its parent run skipped the step")

    async def _arm(self, run: Run, command: Command, timer: str | None) -> None:
        """Have a worker take the run on when the command leaves it due, under the timer of
        the wait it was in (``timer``, read before the command: a retry brought forward, a
        step skipped) or is in again (a wait resumed), so that timer runs once, now or when
        due, instead of also firing later for nothing; a run paused or cancelled goes on by
        no timer, so the wait's is taken back (a resume arms it again)."""
        if run.status in (RunStatus.PENDING, RunStatus.WAITING):
            job_id = timer or wait_timer(run) or f"{run.run_id}:{command}:{run.revision}"
            await self.queue.advance(run.tenant_id, run.run_id, job_id, run.due_at)
        elif timer is not None:
            await self.queue.disarm(run.tenant_id, run.run_id, timer)
            if run.status == RunStatus.PAUSED:
                await self._keep_resumed(run, timer)

    async def _keep_resumed(self, run: Run, timer: str) -> None:
        """A resume saved between the pause's save and its disarm armed the wait's timer
        again, which the disarm then took: the run would wait for the reconciler (its grace
        after the due time). Read after the disarm, a run waiting out that timer has it
        armed again; a resume saved later arms it itself."""
        fresh = await self.store.get_run(run.tenant_id, run.run_id)
        if wait_timer(fresh) == timer:
            await self.queue.advance(run.tenant_id, run.run_id, timer, fresh.due_at)


def _kept_error(run: Run, program: Program) -> tuple[dict[str, Any] | None, str]:
    """What a retry or a skip keeps of the run's error, and adds to its history turn. In the
    run's compensation: the failure the compensation handles, which its steps read as
    ``run.error`` and the run fails with once they are done, and the words of the
    compensation's own failure, if one failed it (its step's record keeps it too). Else
    nothing: the failed step's record keeps its error."""
    error = run.error
    if error is None or not program.compensating(run.pc):
        return None, ""
    handled = {name: value for name, value in error.items() if name != "compensation"}
    compensation = error.get("compensation")
    return handled, "" if compensation is None else f"; its compensation {failed(compensation)}"


def _resumed_due(run: Run, now: datetime) -> datetime | None:
    """When the paused run's wait ends once it is resumed ``now``: a delay or a retry's
    back-off has the time it had left when paused (a paused timer's clock stops); any other
    wait keeps its due time, one the clock sets (an event's or an approval's deadline, the
    end of quiet hours or the opening of a send window)."""
    span = _paused_span(run)
    return run.due_at if span is None else resumed_span(*span, now)


def paused_left(run: Run) -> timedelta | None:
    """What a run paused in a delay or a retry's back-off had left of it when paused: the
    time a resume has it wait (``due_at`` is the end it had before the pause). None for a
    run not paused, or paused in another wait or none."""
    span = _paused_span(run)
    if span is None:
        return None
    paused = span[1]
    return resumed_span(*span, paused) - paused  # as if resumed the moment it was paused


def _paused_span(run: Run) -> tuple[datetime, datetime] | None:
    """The due time and the pause's time of a run paused in a delay or a retry's back-off."""
    due, turn = run.due_at, run.pause_turn
    if due is None or turn is None or run.began_wait not in SPANS:
        return None
    pause = run.history[turn]
    if pause["from"] != RunStatus.WAITING:
        return None
    return due, datetime.fromisoformat(pause["at"])


# The waits the walker times by their reason: a delay, a retry, a handover to a fresh job, a
# step held for quiet hours or a send window.
TIMED_WAITS = frozenset({DELAY_WAIT, RETRY_WAIT, HANDOVER_WAIT, QUIET_HOURS, SEND_WINDOW})


def wait_timer(run: Run) -> str | None:
    """The id of the one timer armed for the wait the run is in: a timed wait's, the
    deadline or recheck of a wait for an event, an approval or child runs, the recheck of a
    run held by a concurrency limit, or the deferred start of one flow control made wait at
    admission (a debounce, a throttle). A command moves or takes back that timer, and a
    wake brings it forward, rather than arm another beside it. None unless the run waits."""
    reason = run.wait_reason
    if reason is None:
        return None
    if reason.startswith(HELD):
        return run.timer(HELD_WAIT)
    if reason in TIMED_WAITS:
        return run.timer(reason)
    if not reason.startswith(PARKED_FOR):
        return start_job_id(run.run_id)  # the one wait left: flow control's at admission
    if run.join is not None:
        return run.timer(JOIN_WAIT)
    return run.timer(EVENT_WAIT if approval_of(run.wait) is None else APPROVAL_WAIT)
