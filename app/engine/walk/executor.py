"""Advancing real runs: the store and the queue behind the executor's walk."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson
from redis.exceptions import RedisError

from app import logs, metrics
from app.actions.base import ActionContext, ConnectorError
from app.clock import Clock
from app.engine.calls.gateway import Gateway
from app.engine.flow.concurrency import RunSlots
from app.engine.flow.leases import Leases
from app.engine.flow.queue import Queue
from app.engine.walk.effects import Heard
from app.engine.walk.family import Family
from app.engine.walk.forks import decide
from app.engine.walk.launcher import Launch, Launcher
from app.engine.walk.outcome import ended_by, failed
from app.engine.walk.program import Instruction, ProgramCache
from app.engine.walk.waits import since
from app.engine.walk.walker import SPANS, Walker, resumed_span
from app.errors import NotFound
from app.models import jsonc
from app.models.run import (
    PARKED,
    Run,
    RunStatus,
    StepRecord,
    StepStatus,
    Transition,
    changed_vars,
)
from app.store.errors import store_errors
from app.store.protocol import Store
from app.store.rules import LIVE, PROGRESS, SHARED

log = logging.getLogger(__name__)


def transient() -> tuple[type[Exception], ...]:
    """Failures of the store or Redis, not of the run: the walk stops and is retried later.
    A function, as the store's errors are (``app.store.errors.store_errors``)."""
    return (*store_errors(), RedisError)


# The history's note on a run found running: its last walk stopped mid-way (its worker died,
# or stalled past its lease), and this one takes over.
RESUMED = "resumed: its last walk stopped mid-way"
# A job that finds its run waiting at most this long before it falls due comes back at the
# due time (a stale job, or one enqueued on a clock running ahead); one earlier than that is
# a duplicate of the job already deferred to the due time, and is dropped.
EARLY = timedelta(seconds=1)
# Step outcomes an operator reading the logs should hear of, with the level and the words
# of each: a retry is routine, a step that failed for good (or may not have been made) is not.
NOT_THROUGH = {
    StepStatus.RETRYING: (logging.INFO, "failed, to be retried"),
    StepStatus.FAILED: (logging.WARNING, "failed"),
    StepStatus.UNKNOWN: (logging.WARNING, "has an unknown outcome, not made again"),
}


EPOCH, MS = datetime(1970, 1, 1, tzinfo=UTC), timedelta(milliseconds=1)
# What a walk carries onto a run written meanwhile as it is: the rest (SHARED) is merged.
UNSHARED = tuple(name for name in PROGRESS if name not in SHARED)


class Shared(NamedTuple):
    """A parked run's wait and variables as stored (JSON): the parts others write to it;
    with its status and due time (ms), which others' moves of it change."""

    wait: bytes
    vars: bytes
    status: RunStatus
    due: int | None

    @classmethod
    def of(cls, run: Run) -> "Shared":
        # In whole ms, as MongoDB keeps it, counted exactly (a float's may be off by one).
        due = None if run.due_at is None else (run.due_at - EPOCH) // MS
        return cls(_json(run.wait), _json(run.vars), run.status, due)

    def moved(self, fresh: Run) -> bool:
        """Whether ``fresh``, the run as stored now, was moved or answered since: more than
        its variables set (through the API, with a note in its history)."""
        now = Shared.of(fresh)
        return (now.wait, now.status, now.due) != (self.wait, self.status, self.due)


@dataclass  # not frozen: one per call, and a frozen __init__ costs three times a plain one's
class Sent:
    """A connector call made for a step whose record is not stored yet."""

    step_id: str
    action_type: str
    params: dict[str, Any]
    ctx: ActionContext
    started: datetime
    output: Any
    # The connector's error, when it raised one (the request may have been sent still).
    error: str | None


@dataclass
class StoreEffects:
    store: Store
    clock: Clock
    queue: Queue
    gateway: Gateway
    lease_seconds: float
    family: Family
    launcher: Launcher | None = None
    # Where each run being walked stood when read, then at its last successful save (pc,
    # attempt): a change made meanwhile that left it there keeps the walk's progress; and
    # how many turns its history had then (the turns after are others').
    saved: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # Each run's call made since its last save of step records: what an engine error after
    # the call must still record.
    sent: dict[str, Sent] = field(default_factory=dict)
    # The steps each run being walked took since that save, written with its next one.
    held: dict[str, list[StepRecord]] = field(default_factory=dict)
    # The runs picked up whose walk has not saved them yet (``begin``).
    unsaved: set[str] = field(default_factory=set)
    # Each run being walked whose store copy, as the walk read or last saved it, is parked
    # (waiting): its wait and its variables then, which others may write meanwhile (an
    # answer, a decision, variables set through the API) and a conflict must keep.
    parked: dict[str, Shared] = field(default_factory=dict)
    # The runs a pause and a resume landed on as the walk saved them waiting (a delay, a
    # back-off): the carry-over armed the wait's timer for when the resumed wait ends, which
    # the refused save must not take back.
    rearmed: set[str] = field(default_factory=set)

    # The walk reads the time twenty-odd times a run: the clock's own method, with no frame
    # of ours around it.
    now: Callable[[], datetime] = field(init=False)
    # A running run's lease as a span of time, made once, not at every save.
    lease: timedelta = field(init=False)

    def __post_init__(self) -> None:
        self.now = self.clock.now
        self.lease = timedelta(seconds=self.lease_seconds)

    async def checkpoint(self, run: Run, steps: list[StepRecord]) -> bool:
        steps = [*self.held.pop(run.run_id, []), *steps]
        now = self.now()
        if run.status == RunStatus.RUNNING:
            # A running run is "due" when its lease would end: if its worker dies, the
            # reconciler finds it then.
            run.due_at = now + self.lease
        run.updated_at = now
        metrics.steps_recorded(steps)
        self.unsaved.discard(run.run_id)
        if await self.store.save_run(run, steps) or await self._carry_over(run):
            self.saved[run.run_id] = (run.pc, run.attempt, len(run.history))
            self._note_parked(run)
            if steps:
                self.sent.pop(run.run_id, None)
            metrics.run_saved(run)
            _report(run, steps)
            if run.finished:
                await self.family.ended(run)
            return True
        return False

    async def _carry_over(self, run: Run) -> bool:
        """The run changed under the walk. Its variables alone set (through the API): the
        walk's save is made again over them, and the walk goes on (True). Else (paused,
        cancelled, answered) keep its new state and add the walk's progress, unless the
        change moved the run itself (a skip, a retry) or another walker has it; then the
        change wins, and the walk stops (False). A delay or a retry's back-off that was being
        saved as a pause landed is kept by the paused run, or by the run a resume then
        resumed, its timer armed for the time the wait had left. Variables an operator set
        once the run was moved (paused) keep their values: the walk's progress is carried
        over as made before that move."""
        base = self.saved.get(run.run_id)
        fresh = await self.store.get_run(run.tenant_id, run.run_id)
        if (
            base is None
            or fresh.status == RunStatus.RUNNING
            or (fresh.pc, fresh.attempt) != base[:2]
        ):
            return False
        turns = base[2]
        parked = self.parked.get(run.run_id)
        if parked is not None and not parked.moved(fresh):
            return await self._over_variables(run, fresh, parked, turns)
        _carry_progress(fresh, run, parked, turns)
        resumed = run.wait_reason in SPANS and _keep_wait(fresh, run)
        if not await self.store.save_run(fresh):
            log.warning("run %s changed twice during one step; its progress is redone", run.run_id)
        elif resumed:
            # The resume armed no timer for the wait it did not know of.
            timer = run.timer(str(run.wait_reason))
            await self.queue.advance(run.tenant_id, run.run_id, timer, fresh.due_at)
            self.rearmed.add(run.run_id)
        if fresh.finished and run.join is not None:
            # Ended (cancelled, an exit event) as it forked: whoever ended it did not know
            # the children the walk had started.
            children = await self.family.children_of(run.tenant_id, run.join)
            await self.family.cancel(children, f"its parent run {fresh.status.value}")
        return False

    async def _over_variables(self, run: Run, fresh: Run, parked: Shared, turns: int) -> bool:
        """Save the walk's run over ``fresh``, the run as stored with variables set since
        ``parked`` (its history then ``turns`` long) and nothing moved: a change that wakes
        nothing, so the walk must go on itself (stopping, it would leave the run due, or its
        next wait's timer taken back, with nothing to walk it but the reconciler). The
        variables merge as ``_merge_shared`` says (the walk's change winning: the variables
        were set before it went on), and the notes of the change stay in the history."""
        _merge_shared(fresh, run, parked)
        run.vars = fresh.vars
        run.history = [*fresh.history, *run.history[turns:]]
        run.revision = fresh.revision
        if await self.store.save_run(run):
            return True
        log.warning("run %s changed twice during one step; its progress is redone", run.run_id)
        return False

    def _note_parked(self, run: Run) -> None:
        """Keep the shared parts of the run as stored now if it is stored parked: only a
        parked run is answered, decided or given variables by others."""
        if run.status in PARKED:
            self.parked[run.run_id] = Shared.of(run)
        else:
            self.parked.pop(run.run_id, None)

    def pick_up(self, run: Run) -> None:
        """The walk took the run as read (before it moves it running): its pick-up is saved
        with the walk's first checkpoint, or by ``begin``. A walk of internal steps to the
        run's end or its next wait (a timer's ``log`` after its delay) writes the run once
        instead of twice."""
        self.saved[run.run_id] = (run.pc, run.attempt, len(run.history))
        self._note_parked(run)
        self.unsaved.add(run.run_id)

    async def begin(self, run: Run) -> bool:
        if run.run_id not in self.unsaved:
            return True
        return await self.checkpoint(run, [])

    async def hold(self, run: Run, steps: list[StepRecord]) -> bool:
        self.held.setdefault(run.run_id, []).extend(steps)
        return True

    def forget(self, run_id: str) -> None:
        self.saved.pop(run_id, None)
        self.sent.pop(run_id, None)
        self.held.pop(run_id, None)
        self.unsaved.discard(run_id)
        self.parked.pop(run_id, None)
        self.rearmed.discard(run_id)

    async def defer(self, run: Run, job_id: str, reason: str) -> bool:
        await self._park(run, job_id)
        return False

    async def _park(self, run: Run, job_id: str) -> int | None:
        """Arm the timer of the wait the run parks at, then save it waiting: what moves the
        wait on (an event, a decision, a child's end; a skip or a retry through the API)
        writes the waiting run first and brings that timer forward after, so its arming
        comes last, instead of being put back by this one (a worker finding the timer due
        before the save finds the run's lease taken, and comes back). The timer as armed,
        or None: the save failed, and the timer is taken back (unless the carry-over armed
        it again for a resumed wait)."""
        armed = await self.queue.advance(run.tenant_id, run.run_id, job_id, run.due_at)
        if await self.checkpoint(run, []):
            return armed
        if run.run_id not in self.rearmed:
            await self.queue.take_back(run.tenant_id, run.run_id, job_id, armed)
        return None

    async def call(
        self, instruction: Instruction, params: dict[str, Any], ctx: ActionContext
    ) -> Any:
        action = instruction.action
        started = self.now()
        try:
            output = await self.gateway.call(
                action.type, params, ctx, referenced=not instruction.plain
            )
        except ConnectorError as failed:
            self.sent[ctx.run_id] = Sent(
                instruction.step_id, action.type, params, ctx, started, None, failed.message
            )
            raise
        self.sent[ctx.run_id] = Sent(
            instruction.step_id, action.type, params, ctx, started, output, None
        )
        return output

    async def listen(self, run: Run, job_id: str) -> Heard:
        # The order matters: the wait is indexed before the events are read, and an event is
        # written before the waits are read, so one of the two sides sees the other.
        armed = await self._park(run, job_id)
        if armed is None:
            return Heard(go_on=False)
        event = await self.find_event(run, None)
        if event is None:
            return Heard(go_on=False)
        # Heard at once: the deadline is not needed, unless an ingest woke it meanwhile.
        await self.queue.take_back(run.tenant_id, run.run_id, job_id, armed)
        return Heard(go_on=True, event=event)

    async def find_event(self, run: Run, until: datetime | None) -> dict[str, Any] | None:
        assert run.wait is not None
        found = await self.store.find_event(run.tenant_id, run.wait["key"], since(run.wait), until)
        return None if found is None else found.view()

    async def fork(self, run: Run, children: list[Run]) -> None:
        await self.family.start(children)

    async def launch(self, launch: Launch) -> Run | None:
        if self.launcher is None:
            raise ConnectorError("sub-workflows cannot be started by this process", retryable=False)
        return await self.launcher.launch(launch)

    async def children(self, run: Run) -> list[Run]:
        return await self.family.children(run)

    async def gather(self, run: Run, job_id: str) -> bool:
        # The order matters (app/engine/walk/family.py): parked first, children read second;
        # the recheck is armed before, so that a child's wake after the park brings it forward.
        armed = await self._park(run, job_id)
        if armed is None:
            return False
        assert run.join is not None
        if decide(run.join, await self.children(run)) is None:
            return False
        # Joined at once: the recheck is not needed, unless a child woke it meanwhile.
        await self.queue.take_back(run.tenant_id, run.run_id, job_id, armed)
        return True

    async def cancel(self, runs: list[Run], reason: str) -> None:
        await self.family.cancel(runs, reason)

    async def orphaned(self, run: Run) -> bool:
        if not run.branch:
            return False
        assert run.parent is not None
        parent = await self.store.get_run(run.tenant_id, run.parent["run_id"])
        if not parent.finished:
            return False
        await self.family.cancel([run], f"its parent run {parent.status.value}")
        return True


@dataclass
class Executor:
    store: Store
    leases: Leases
    programs: ProgramCache
    walker: Walker
    effects: StoreEffects
    slots: RunSlots | None = None

    async def advance(self, tenant_id: str, run_id: str, lease: str | None = None) -> bool:
        """Walk the run as far as it goes now. Safe to call more than once for the same run:
        a second caller finds the lease taken, or the run not due. False: the lease was
        taken (see ``due``). ``lease``: the token of the run's lease, taken already (by a
        resume's claim, which gives it back)."""
        with logs.bound(tenant_id=tenant_id, run_id=run_id):
            return await self._advance(tenant_id, run_id, lease)

    async def _advance(self, tenant_id: str, run_id: str, lease: str | None) -> bool:
        async with self.leases.hold(run_id, lease) as mine:
            if not mine:
                return False
            run = await self._stored(tenant_id, run_id)
            if run is None:
                return True
            logs.bind(workflow_id=run.workflow_id)
            if not self._due(run):
                await self._come_back(run)
                return True
            metrics.picked_up(run, self.effects.now())
            try:
                await self._walk(run)
            except transient():
                raise  # the run stays due: the reconciler retries it once the store is back
            except Exception as exc:
                log.exception("run %s failed in the engine", run_id)
                await self._fail(tenant_id, run_id, exc, self.effects.sent.get(run_id))
            finally:
                self.effects.forget(run_id)
        return True

    async def _stored(self, tenant_id: str, run_id: str) -> Run | None:
        """The run, or None when the store does not have it: a job can outlive its run (the
        store restored from an older backup, a run deleted), and it then has nothing to do;
        failing it would have its resume taken again each time its claim lapses."""
        try:
            return await self.store.get_run(tenant_id, run_id)
        except NotFound:
            log.warning("run %s is not in the store: its job has nothing to do", run_id)
            return None

    async def due(self, tenant_id: str, run_id: str) -> bool:
        """Whether the run waits for a worker now (a job that found its lease taken while it
        does must come back: the holder may have read the run before it fell due)."""
        return self._due(await self.store.get_run(tenant_id, run_id), strict=True)

    async def _walk(self, run: Run) -> None:
        program = await self.programs.get(self.store, run.tenant_id, run.workflow_id, run.version)
        settings = program.document.settings
        gates = (
            [] if self.slots is None else await self.slots.enter(run, settings, self.effects.now())
        )
        if gates is None:
            return  # held: the run waits for a concurrency slot
        self.effects.pick_up(run)  # as read: parked, or not
        if run.status == RunStatus.RUNNING:
            # Its walker stopped mid-walk: its worker died, or stalled past its lease.
            run.note(self.effects.now(), RESUMED)
        else:
            run.move(RunStatus.RUNNING, self.effects.now(), "picked up")
        await self.walker.walk(run, program)
        if self.slots is not None and gates:
            await self.slots.leave(run, gates, self.effects.now())

    async def _fail(self, tenant_id: str, run_id: str, exc: Exception, sent: Sent | None) -> None:
        """An engine error must not leave the run to be retried forever: it fails, and can
        be retried through the API once the cause is fixed. A connector call made before
        the error is recorded as its step, failed, with what was sent and answered: a
        retry would call again, and whoever retries must see that the first call went out.
        In the run's compensation, the failure it handles stays the run's error."""
        run = await self.store.get_run(tenant_id, run_id)
        if run.status not in LIVE:
            return
        now = self.effects.now()
        error: dict[str, Any] = {"message": "internal error in the engine; see the worker's log"}
        steps = []
        if sent is not None:
            steps.append(_sent_record(run, sent, exc, now))
            error = {"step_id": sent.step_id, **(steps[0].error or {})}
        run.error = ended_by(run.error, error)
        run.due_at = None
        run.move(RunStatus.FAILED, now, "engine error")
        if await self.store.save_run(run, steps):
            metrics.run_saved(run)
            await self._release(run)
            await self.effects.family.ended(run)

    async def _release(self, run: Run) -> None:
        if self.slots is not None:
            program = await self.programs.get(
                self.store, run.tenant_id, run.workflow_id, run.version
            )
            await self.slots.leave(
                run, await self.slots.gates(run, program.document.settings), self.effects.now()
            )

    def _due(self, run: Run, *, strict: bool = False) -> bool:
        """Live and not waiting for later; ``strict`` also asks a running run's lease to have
        run out (its ``due_at``)."""
        if run.status not in LIVE:
            return False
        now = self.effects.now()
        if strict and run.status == RunStatus.RUNNING:
            return run.due_at is not None and run.due_at <= now
        return not (run.status == RunStatus.WAITING and run.due_at and run.due_at > now)

    async def _come_back(self, run: Run) -> None:
        """Defer a job to the due time of a run that waits for less than EARLY more: a
        delay never ends before its time, and the run does not wait for the reconciler."""
        now = self.effects.now()
        due = run.due_at
        if run.status != RunStatus.WAITING or due is None or not now < due <= now + EARLY:
            return
        job_id = f"{run.run_id}:due:{int(due.timestamp() * 1000)}"
        await self.effects.queue.advance(run.tenant_id, run.run_id, job_id, due)


def _report(run: Run, steps: list[StepRecord]) -> None:
    """Log the saved steps that did not go through, and the run's failure, so an operator
    following the logs hears what the run's record says (the walk's ``logs.bound`` adds
    the run's ids; each step's own is added here, since the walk is past it)."""
    for step in steps:
        if step.status in NOT_THROUGH:
            level, said = NOT_THROUGH[step.status]
            message = (step.error or {}).get("message", "")
            with logs.bound(step_id=step.step_id):
                log.log(
                    level,
                    "step %s (%s) attempt %d %s: %s",
                    step.step_id,
                    step.action_type,
                    step.attempt,
                    said,
                    message,
                )
    if run.status == RunStatus.FAILED:
        log.warning("run %s %s", run.run_id, _failure(run))


def _failure(run: Run) -> str:
    """What failed the run, as its ``error`` holds it: the step and its error, and the
    compensation step's if one failed too (the run's last turn says "compensation done",
    or nothing of the error). A run failed with no error held (its compensation finished
    after a retry through the API that cleared it, as retries did before they kept the
    failure a compensation handles): why it moved to failed."""
    error = run.error
    if error is None:
        moved = next(turn for turn in reversed(run.history) if turn["to"] == RunStatus.FAILED)
        return f"failed: {moved['reason']}"
    said = failed(error)
    if "compensation" in error:
        said += f"; its compensation {failed(error['compensation'])}"
    return said


def _sent_record(run: Run, sent: Sent, exc: Exception, now: datetime) -> StepRecord:
    """The step record of a call an engine error followed."""
    message = (
        f"the call was made, then the engine failed ({type(exc).__name__}; see the worker's"
        " log): retrying the run makes the call again"
    )
    error = {"message": message} if sent.error is None else {"message": f"{sent.error}; {message}"}
    return StepRecord(
        tenant_id=run.tenant_id,
        run_id=run.run_id,
        workflow_id=run.workflow_id,
        step_id=sent.step_id,
        action_type=sent.action_type,
        attempt=sent.ctx.attempt,
        status=StepStatus.FAILED,
        started_at=sent.started,
        finished_at=now,
        idempotency_key=sent.ctx.idempotency_key,
        input=sent.params,
        output=_recordable(sent.output),
        error=error,
    )


def _recordable(output: Any) -> Any:
    """The output as every store keeps it, or as much as can be said of it."""
    try:
        return jsonc.storable(output)
    except Exception as exc:  # the output may be what made the engine fail
        return (
            f"(the connector's answer, a {type(output).__name__}, cannot be recorded: {exc!r:.200})"
        )


def _carry_progress(fresh: Run, run: Run, parked: Shared | None, turns: int) -> None:
    """Onto ``fresh``, the run as a change the walk's save lost to left it (its history
    ``turns`` long when the walk read or last saved it), the walk's progress: carried, or
    merged as ``_merge_shared`` says where others write too (``parked``). The walk's
    progress counts as made before the change (a pause), so variables an operator set after
    it, on the paused run, keep the values set (a name removed stays removed); the walk's
    other changes, its new variables among them, are kept."""
    # Read before the walk's variables are carried over them: None for a name removed.
    edited = {name: fresh.vars.get(name) for name in fresh.vars_set_after_a_move(turns)}
    for name in PROGRESS if parked is None else UNSHARED:
        setattr(fresh, name, getattr(run, name))
    if parked is not None:
        _merge_shared(fresh, run, parked)
    fresh.vars = changed_vars(fresh.vars, edited)


def _keep_wait(fresh: Run, run: Run) -> bool:
    """Onto ``fresh``, the run as a pause that landed during the walk left it, the wait
    ``run``'s refused save began: its due time, and the move into it just before the
    pause's, at the pause's time. The pause knew nothing of that wait: it found the run
    running (and kept no due time, a lease's end being no timer), or as stored before the
    walk's first save (waiting in the wait the walk went on from, long due). The run is then
    paused in the walk's wait, as one paused once its save was made: a resume waits out
    what is left of it, under its reason (a retry's wait can still be brought forward),
    rather than go on at once. A resume that landed too, before the save, is applied to
    that wait (``_resume_into``); True if the run then waits (its timer is to be armed)."""
    pause, resume = _pause_and_resume(fresh, run)
    if pause is None:
        return False
    history = fresh.history
    paused = history[pause]
    began: Transition = {
        "at": paused["at"],
        "from": RunStatus.RUNNING.value,
        "to": RunStatus.WAITING.value,
        "reason": str(run.wait_reason),
    }
    history[pause : pause + 1] = [began, {**paused, "from": RunStatus.WAITING.value}]
    fresh.due_at = run.due_at
    return resume is not None and _resume_into(fresh, resume + 1, paused["at"])


def _resume_into(fresh: Run, turn: int, paused: str) -> bool:
    """``fresh``, paused (at ``paused``) in the wait it keeps, was resumed (its history's
    ``turn``) before the walk's save: the resume, knowing of no wait, made it due at once.
    It is resumed into the wait as it would have been, due once the time the wait had left
    at the pause has passed since the resume (True); or, none left, it goes on at once."""
    resumed = fresh.history[turn]
    at = datetime.fromisoformat(resumed["at"])
    assert fresh.due_at is not None  # a delay's or a back-off's end
    due = resumed_span(fresh.due_at, datetime.fromisoformat(paused), at)
    if due <= at:
        fresh.due_at = at
        return False
    fresh.history[turn] = {**resumed, "to": RunStatus.WAITING.value}
    fresh.status, fresh.due_at = RunStatus.WAITING, due
    return True


def _pause_and_resume(fresh: Run, run: Run) -> tuple[int | None, int | None]:
    """Where in ``fresh``'s history the pause that landed during ``run``'s walk is, and the
    resume after it if one landed too (then its last move, notes aside); None for the pause
    if the run is neither paused nor so resumed."""
    if fresh.status == RunStatus.PAUSED:
        return fresh.pause_turn, None
    history = fresh.history
    moves = [at for at, turn in enumerate(history) if turn["from"] != turn["to"]]
    if fresh.status != RunStatus.PENDING or len(moves) < 2:
        return None, None
    pause, resume = moves[-2:]
    # A resume the walk read (the run it took up was pending after it) is not one of these.
    if history[resume]["from"] != RunStatus.PAUSED.value or history[resume] in run.history:
        return None, None
    return pause, resume


def _json(value: Any) -> bytes:
    """``value`` as JSON, to tell whether it changed (a value JSON lacks, by its repr)."""
    return orjson.dumps(value, default=repr)


def _merge_shared(fresh: Run, run: Run, parked: Shared) -> None:
    """Onto ``fresh``, the run as others wrote it while parked, what the walk changed of its
    wait and variables since ``parked``: an answer or a decision given to the wait the walk
    left as it was stays; a wait the walk heard or moved on from is the walk's. Variables
    merge by name, the walk's change winning where both changed one."""
    if _json(run.wait) != parked.wait:
        fresh.wait = run.wait
    before = orjson.loads(parked.vars)
    for name in dict.fromkeys([*before, *run.vars]):
        if name not in run.vars:
            fresh.vars.pop(name, None)
        elif name not in before or _json(run.vars[name]) != _json(before[name]):
            fresh.vars[name] = run.vars[name]
