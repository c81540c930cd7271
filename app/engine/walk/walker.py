"""The walker: walks a run through its compiled program, one checkpointed step at a time.

The walk is shared by real runs and dry runs; what differs (persisting, scheduling, calling
connectors, the clock) is an ``Effects`` object. A walk ends at the program's end, at a
delay or a retry (a deferred job takes over), or when the run stops being ours to advance
(paused or cancelled meanwhile).
"""

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from app import logs
from app.actions.base import ActionContext, ConnectorError
from app.actions.deadline import CallTimeout
from app.engine.expressions.renderer import NOT_FOUND, Renderer, TemplateError
from app.engine.walk import own_steps
from app.engine.walk.approvals import Links, begin_approval, decided
from app.engine.walk.arms import ARM_STEPS, loop_next
from app.engine.walk.context import idempotency_key, template_context
from app.engine.walk.effects import Effects, StepGuard
from app.engine.walk.forks import branch_runs, decide, join_of, joined
from app.engine.walk.launcher import Launch
from app.engine.walk.outcome import Outcome, ended_by
from app.engine.walk.program import CONTROL_TYPES, FORKS, Instruction, Kind, Program, end_of
from app.engine.walk.waits import begin_wait, deadline
from app.models import jsonc
from app.models.action import RetryPolicy
from app.models.run import RETRY_WAIT, Run, RunStatus, StepRecord, StepStatus, Wait

log = logging.getLogger(__name__)

# Instructions that are no step of their own: the end of a branch, a loop's turn.
UNRECORDED = (Kind.JUMP, Kind.NEXT)
# The kinds of the waits the walker arms a timer for (``Run.timer``). A timed wait's kind is
# its reason; a run parked for an event, an approval or child runs waits "waiting for ...".
DELAY_WAIT, HANDOVER_WAIT = "delay", "handover"
EVENT_WAIT, APPROVAL_WAIT, JOIN_WAIT = "event", "approval", "join"
# The timed waits that last a span from their start, not until a time the clock sets (a
# deadline, the end of quiet hours): a pause stops their clock (app/engine/walk/control.py).
SPANS = (DELAY_WAIT, RETRY_WAIT)
PARKED_FOR = "waiting for"


def resumed_span(due: datetime, paused: datetime, resumed: datetime) -> datetime:
    """When a delay or a retry's back-off due at ``due``, paused at ``paused`` and resumed at
    ``resumed``, ends: it has the time it had left when paused (a paused timer's clock
    stops), none if it had run out."""
    return resumed + max(due - paused, timedelta(0))


@dataclass
class Walker:
    effects: Effects
    renderer: Renderer
    delay_scale: float = 1.0
    action_timeout: float = 30.0
    # Seconds one walk may take: a job is cancelled at the queue's job timeout, so a walk
    # hands over to a fresh job before it, and no action may take longer.
    budget: float = math.inf
    guard: StepGuard | None = None
    # Sub-workflow levels a run may start below it (trigger_workflow).
    max_depth: int = 10
    # Seconds between looks at the children of a run parked at a join, in case a child's
    # word was lost (its process died between its end and telling the parent).
    join_recheck: float = 300.0
    # Signs the links of approval steps that templates show (``approval.approve_url``).
    links: Links | None = None

    async def walk(self, run: Run, program: Program) -> None:
        # The real time spent walking (not the process's clock): it bounds a walk by the job
        # timeout, and what it reports is work done.
        started = mark = time.monotonic()
        while run.status == RunStatus.RUNNING:
            run.active_seconds += time.monotonic() - mark
            mark = time.monotonic()
            if not await self._one(run, program, self.budget - (mark - started)):
                return

    def _timeout(self, instruction: Instruction) -> float:
        """An attempt's time limit; at most half the budget, so a fresh walk always has room."""
        return min(instruction.action.timeout or self.action_timeout, self.budget / 2)

    async def _one(self, run: Run, program: Program, remaining: float) -> bool:
        """Take one step; False when the walk must end."""
        ending = program.ending(run.pc)
        if ending is not None:
            return await self._finish(run, *ending)
        limit = program.document.settings.timeout
        if run.active_seconds > limit:
            timed_out = {"message": f"the run exceeded its timeout of {limit} s of execution"}
            run.error = ended_by(run.error, timed_out)
            return await self._finish(run, RunStatus.FAILED, "timeout")
        instruction = program.instructions[run.pc]
        if instruction.delay and not run.delay_served:
            if not run.skip_delays:
                return await self._wait(run, instruction.delay * self.delay_scale, DELAY_WAIT)
            run.delay_served = True
            note = f"delay of {instruction.delay:g} s before {instruction.step_id} skipped"
            run.note(self.effects.now(), f"{note}: a test run skipping delays")
        if not instruction.internal and not await self.effects.begin(run):
            return False
        return await self._by_kind(run, program, instruction, remaining)

    async def _by_kind(
        self, run: Run, program: Program, instruction: Instruction, remaining: float
    ) -> bool:
        """Take the step at ``run.pc`` as its kind says; False when the walk must end."""
        if instruction.kind == Kind.WAIT:
            return await self._await_event(run, program, instruction)
        if instruction.kind == Kind.APPROVAL:
            return await self._await_decision(run, program, instruction)
        if instruction.kind in FORKS:
            return await self._fork(run, program, instruction)
        if remaining <= 0 or (instruction.calls_out and self._timeout(instruction) > remaining):
            # A long run of quick steps hands over too: a busy store can make them slow.
            return await self._wait(run, 0, HANDOVER_WAIT)
        return await self._take(run, program, instruction)

    async def _take(self, run: Run, program: Program, instruction: Instruction) -> bool:
        """Take the step at ``run.pc`` and apply what it came to."""
        started = self.effects.now()
        with logs.bound(step_id=instruction.step_id):
            outcome = await self._step(run, program, instruction, started)
        if outcome is None:
            return False
        return await self._apply(run, program, instruction, outcome, started)

    async def _wait(self, run: Run, seconds: float, reason: str) -> bool:
        run.due_at = self.effects.now() + timedelta(seconds=seconds)
        if reason == DELAY_WAIT:
            run.delay_served = True
        run.move(RunStatus.WAITING, self.effects.now(), reason)
        if not await self.effects.defer(run, run.timer(reason), reason):
            return False
        run.move(RunStatus.RUNNING, self.effects.now(), f"{reason} over")
        return True

    async def _await_event(self, run: Run, program: Program, instruction: Instruction) -> bool:
        started = self.effects.now()
        outcome = await self._hear(run, program, instruction)
        if outcome is None:
            return await self._park(run)
        return await self._apply(run, program, instruction, outcome, started)

    async def _hear(self, run: Run, program: Program, instruction: Instruction) -> Outcome | None:
        """What the wait comes to now: its event, its timeout, or None: it goes on waiting."""
        action = instruction.action
        wait = self._wait_at(
            run,
            program,
            instruction,
            lambda context, now: begin_wait(action, context, self.renderer, now, self.delay_scale),
        )
        if isinstance(wait, Outcome):
            return wait
        if "resolved" not in wait and self.effects.now() >= deadline(wait):
            # The last look: an event that came in time but whose answer was lost (a crash
            # between writing the event and answering the wait) still counts.
            found = await self.effects.find_event(run, deadline(wait))
            if found is None:
                return own_steps.heard(wait, None, instruction.target)
            wait["resolved"] = found
        if "resolved" in wait:
            return own_steps.heard(wait, wait["resolved"], run.pc + 1)
        return None

    async def _park(self, run: Run) -> bool:
        assert run.wait is not None
        run.due_at = deadline(run.wait)
        run.move(RunStatus.WAITING, self.effects.now(), f"{PARKED_FOR} {run.wait['event']}")
        heard = await self.effects.listen(run, run.timer(EVENT_WAIT))
        if not heard.go_on:
            return False
        if heard.event is not None:
            run.wait["resolved"] = heard.event
        reason = "the event had arrived" if heard.event is not None else "wait over"
        run.move(RunStatus.RUNNING, self.effects.now(), reason)
        return True

    async def _await_decision(self, run: Run, program: Program, instruction: Instruction) -> bool:
        started = self.effects.now()
        outcome = self._decision(run, program, instruction)
        if outcome is not None:
            return await self._apply(run, program, instruction, outcome, started)
        assert run.wait is not None
        run.due_at = deadline(run.wait)
        approval = run.wait["match"]["approval_id"]
        run.move(RunStatus.WAITING, self.effects.now(), f"{PARKED_FOR} approval {approval}")
        if not await self.effects.defer(run, run.timer(APPROVAL_WAIT), APPROVAL_WAIT):
            return False
        run.move(RunStatus.RUNNING, self.effects.now(), "approval wait over")
        return True

    def _decision(self, run: Run, program: Program, instruction: Instruction) -> Outcome | None:
        """What the approval comes to now: its decision, its timeout, or None: it goes on
        waiting. A decision is written onto the parked run (app/approvals.py)."""
        action = instruction.action
        wait = self._wait_at(
            run,
            program,
            instruction,
            lambda context, now: begin_approval(
                action, run, context, self.renderer, now, self.delay_scale
            ),
        )
        if isinstance(wait, Outcome):
            return wait
        if "resolved" in wait or self.effects.now() >= deadline(wait):
            return decided(wait, instruction, self.effects.now())
        return None

    def _wait_at(
        self,
        run: Run,
        program: Program,
        instruction: Instruction,
        begin: Callable[[Mapping[str, Any], datetime], Wait],
    ) -> Wait | Outcome:
        """The wait the run parks at for this step: the one it holds, else a new one from
        ``begin``; or the outcome that ends the step first (its ``when`` is false, or a
        template in it fails)."""
        context = template_context(run)
        if instruction.when is not None and not instruction.when(context):
            return Outcome(StepStatus.SKIPPED, end_of(program, run.pc))
        if run.wait is not None and run.wait["step"] == instruction.action.id:
            return run.wait
        try:
            run.wait = begin(context, self.effects.now())
        except TemplateError as exc:
            end = end_of(program, run.pc)
            return Outcome(StepStatus.FAILED, end, error={"message": exc.message})
        return run.wait

    async def _fork(self, run: Run, program: Program, instruction: Instruction) -> bool:
        started = self.effects.now()
        outcome = await self._join(run, program, instruction)
        if outcome is None:
            return await self._park_join(run)
        return await self._apply(run, program, instruction, outcome, started)

    async def _join(self, run: Run, program: Program, instruction: Instruction) -> Outcome | None:
        """Start the step's children (unless started), then what the join comes to now:
        its outcome, or None: it goes on waiting."""
        step = str(instruction.action.id)
        if run.join is None or run.join["step"] != step:
            context = template_context(run)
            if instruction.when is not None and not instruction.when(context):
                return Outcome(StepStatus.SKIPPED, end_of(program, run.pc))
            unjoined = await self._start_children(run, program, instruction, context)
            if unjoined is not None:
                return unjoined
        assert run.join is not None
        verdict = decide(run.join, await self.effects.children(run))
        if verdict is None:
            return None
        if verdict.losers:
            await self.effects.cancel(verdict.losers, f"lost the join of {run.run_id} at {step}")
        return joined(run, verdict, end_of(program, run.pc))

    async def _start_children(
        self, run: Run, program: Program, instruction: Instruction, context: dict[str, Any]
    ) -> Outcome | None:
        """Start the children and set the run's join; or the step's outcome when there is
        nothing to join (a sub-run not waited for, a failure to start)."""
        if instruction.kind == Kind.PARALLEL:
            children = branch_runs(run, instruction, self.effects.now())
            await self.effects.fork(run, children)
        else:
            launched = await self._launch(run, program, instruction, context)
            if isinstance(launched, Outcome):
                return launched
            children = [launched]
        run.join = join_of(instruction, children)
        run.forks += 1
        return None

    async def _launch(
        self, run: Run, program: Program, instruction: Instruction, context: dict[str, Any]
    ) -> Outcome | Run:
        """A trigger_workflow step: the sub-run to join, or the step's outcome."""
        action, following = instruction.action, run.pc + 1
        spec = action.sub_workflow()
        if run.depth >= self.max_depth:
            message = (
                f"workflow {spec.workflow_id} not started: this run is {run.depth} "
                f"sub-workflow levels deep, the limit of {self.max_depth} "
                "(AUTOMATOR_MAX_WORKFLOW_DEPTH)"
            )
            return Outcome(StepStatus.FAILED, following, error={"message": message})
        try:
            launch = self._launch_of(run, instruction, context)
        except TemplateError as exc:
            return Outcome(StepStatus.FAILED, following, error={"message": exc.message})
        params = {"workflow_id": launch.workflow_id, "data": launch.data, "user": launch.user}
        try:
            child = await self.effects.launch(launch)
        except ConnectorError as failed:
            outcome = self._failure(run, program, instruction, params, failed, following)
            if outcome.retry_in is None:
                # The refused event holds the key: a retry through the API, once the cause
                # is fixed, launches under a new one.
                run.forks += 1
            return outcome
        if child is not None and spec.wait:
            return child
        output = {"run_id": child and child.run_id, "workflow_id": spec.workflow_id}
        return Outcome(StepStatus.COMPLETED, following, output=output, input=params)

    def _launch_of(self, run: Run, instruction: Instruction, context: dict[str, Any]) -> Launch:
        action = instruction.action
        spec = action.sub_workflow()
        where = f"action {action.id} data"
        asked = {
            "data": spec.data,
            "user": context.get("user", {}) if spec.user is None else spec.user,
        }
        rendered = self.renderer.render(asked, context, where)
        if not isinstance(rendered["user"], dict):
            raise TemplateError(f"{where}.user is {type(rendered['user']).__name__}, not an object")
        return Launch(
            tenant_id=run.tenant_id,
            workflow_id=spec.workflow_id,
            user=rendered["user"],
            data=rendered["data"],
            key=f"{idempotency_key(run, instruction)}:{run.forks}",
            parent={
                "run_id": run.run_id,
                "step": str(action.id),
                "branch": None,
                "wait": spec.wait,
            },
            depth=run.depth + 1,
            skip_delays=run.skip_delays,
        )

    async def _park_join(self, run: Run) -> bool:
        assert run.join is not None
        run.due_at = self.effects.now() + timedelta(seconds=self.join_recheck)
        waiting = len(run.join["children"])
        run.move(RunStatus.WAITING, self.effects.now(), f"{PARKED_FOR} {waiting} child runs")
        if not await self.effects.gather(run, run.timer(JOIN_WAIT)):
            return False
        run.move(RunStatus.RUNNING, self.effects.now(), "child runs done")
        return True

    async def _finish(
        self, run: Run, status: RunStatus, reason: str, steps: list[StepRecord] | None = None
    ) -> bool:
        run.due_at = None
        run.move(status, self.effects.now(), reason)
        await self.effects.checkpoint(run, steps or [])
        return False

    async def _apply(
        self,
        run: Run,
        program: Program,
        instruction: Instruction,
        outcome: Outcome,
        started: datetime,
    ) -> bool:
        if outcome.wait_until is not None:
            seconds = (outcome.wait_until - self.effects.now()).total_seconds()
            return await self._wait(run, max(seconds, 0.0), outcome.wait_reason)
        steps = []
        if instruction.kind not in UNRECORDED:
            steps.append(self._record(run, instruction, outcome, started))
        if outcome.retry_in is not None:
            if not await self.effects.checkpoint(run, steps):
                return False
            run.attempt += 1
            return await self._wait(run, outcome.retry_in, RETRY_WAIT)
        if outcome.status in (StepStatus.FAILED, StepStatus.UNKNOWN):
            return await self._failed(run, program, instruction, outcome, steps)
        return await self._done(run, program, instruction, outcome, steps)

    async def _done(
        self,
        run: Run,
        program: Program,
        instruction: Instruction,
        outcome: Outcome,
        steps: list[StepRecord],
    ) -> bool:
        """A step that went through: on to the next, saved now, or with the next step's save
        (an internal step), or with the run's end when it was the last."""
        if outcome.output is not None and instruction.kind not in (Kind.BRANCH, *UNRECORDED):
            run.outputs[instruction.step_id] = {"output": outcome.output}
        run.vars.update(outcome.vars)
        _go_to(run, outcome.next_pc)
        ending = _ending(run, program, outcome.stop)
        if ending is not None:
            return await self._finish(run, *ending, steps)
        if instruction.internal:
            return await self.effects.hold(run, steps)
        return await self.effects.checkpoint(run, steps)

    async def _failed(
        self,
        run: Run,
        program: Program,
        instruction: Instruction,
        outcome: Outcome,
        steps: list[StepRecord],
    ) -> bool:
        """A step failed for good: as ``settings.on_error`` says, go on with the next action,
        start the compensation actions (in the parent run, not a branch), or fail the run."""
        step_id = instruction.step_id
        error = {"step_id": step_id, **(outcome.error or {})}
        on_error = program.document.settings.on_error
        if on_error == "continue":
            run.outputs[step_id] = {"output": None, "error": outcome.error}
            _go_to(run, outcome.next_pc)
            return await self.effects.checkpoint(run, steps)
        # A branch fails whole: its parent's join fails, and the parent compensates.
        if on_error == "compensate" and not run.branch and not program.compensating(run.pc):
            run.error = error
            run.loops = {}
            _go_to(run, program.compensation)
            run.note(self.effects.now(), f"step {step_id} failed: compensating")
            return await self.effects.checkpoint(run, steps)
        run.error = ended_by(run.error, error)
        run.due_at = None
        run.move(RunStatus.FAILED, self.effects.now(), f"step {step_id} failed")
        await self.effects.checkpoint(run, steps)
        return False

    def _record(
        self, run: Run, instruction: Instruction, outcome: Outcome, started: datetime
    ) -> StepRecord:
        now = self.effects.now()
        status = StepStatus.RETRYING if outcome.retry_in is not None else outcome.status
        return StepRecord(
            tenant_id=run.tenant_id,
            run_id=run.run_id,
            workflow_id=run.workflow_id,
            step_id=instruction.step_id,
            action_type=instruction.action.type,
            attempt=run.call_attempt,
            status=status,
            started_at=started,
            finished_at=now,
            idempotency_key=idempotency_key(run, instruction),
            input=outcome.input,
            output=outcome.output,
            error=outcome.error,
        )

    async def _step(
        self, run: Run, program: Program, instruction: Instruction, started: datetime
    ) -> Outcome | None:
        """What the step came to; None when the walk must end before it (the run changed
        while an at_most_once attempt was being recorded, or it is a branch whose parent
        ended)."""
        following = run.pc + 1
        if instruction.kind == Kind.JUMP:
            return Outcome(StepStatus.COMPLETED, instruction.target)
        if instruction.kind == Kind.NEXT:
            return loop_next(run, instruction)
        # A step reading only the event's data reads it as it is: the context is built
        # only when more is read (bench/README.md).
        context = run.context if instruction.reads_event else template_context(run)
        if instruction.kind == Kind.BRANCH:
            return own_steps.branch(instruction, context, following)
        if instruction.when is not None and not instruction.when(context):
            return Outcome(StepStatus.SKIPPED, end_of(program, run.pc), output=None, error=None)
        if instruction.kind in ARM_STEPS:
            return ARM_STEPS[instruction.kind](run, instruction, context, self.renderer)
        try:
            params = self._params(run, program, instruction, context)
        except TemplateError as exc:
            return Outcome(StepStatus.FAILED, following, error={"message": exc.message})
        held = await self._guarded(run, program, instruction, params, following, started)
        if held is not None:
            return held
        return await self._act(run, program, instruction, params, following)

    def _params(
        self, run: Run, program: Program, instruction: Instruction, context: dict[str, Any]
    ) -> dict[str, Any]:
        """The action's data rendered; with the links of the approval step ahead, if any.
        ``context`` is the event's data for a step that reads only that (``reads_event``):
        a value any of its lookups does not find as it is, goes the renderer's way against
        the whole context, as do the links."""
        links = self.links if program.approves else None
        if instruction.reads_event:
            if links is None:
                found = instruction.inputs.found(context, self.renderer.bounds)
                if found is not NOT_FOUND:
                    return cast(dict[str, Any], found)
            context = template_context(run)
        if links is not None:
            context |= links.context(run, program, self.effects.now(), self.delay_scale)
        params: dict[str, Any] = instruction.inputs.render(self.renderer, context)
        return params

    async def _guarded(
        self,
        run: Run,
        program: Program,
        instruction: Instruction,
        params: dict[str, Any],
        following: int,
        started: datetime,
    ) -> Outcome | None:
        if self.guard is None:
            return None
        hold = await self.guard.check(run, program, instruction, started)
        if hold is None:
            return None
        if hold.until is not None:
            return Outcome(
                StepStatus.COMPLETED, run.pc, wait_until=hold.until, wait_reason=hold.reason
            )
        if hold.fail:
            return Outcome(
                StepStatus.FAILED, following, error={"message": hold.reason}, input=params
            )
        output = {"skipped": True, "reason": hold.reason}
        return Outcome(StepStatus.SKIPPED, following, output=output, input=params)

    async def _act(
        self,
        run: Run,
        program: Program,
        instruction: Instruction,
        params: dict[str, Any],
        following: int,
    ) -> Outcome | None:
        action = instruction.action
        if action.type in CONTROL_TYPES:
            return own_steps.control(action.type, params, instruction, following)
        if await self.effects.orphaned(run):
            return None
        key = idempotency_key(run, instruction)
        if action.delivery == "at_most_once":
            started = run.call_started
            # The call's attempt, not the budget's: a retry through the API starts the budget
            # again, and a call whose engine failed after it (its outcome recorded) is made again.
            attempt = run.call_attempt
            if started is not None and (started["key"], started["attempt"]) == (key, attempt):
                return own_steps.unknown(
                    run, params, following, "its worker stopped during the call"
                )
            at = self.effects.now().isoformat()
            run.call_started = {"key": key, "attempt": attempt, "at": at}
            if not await self.effects.checkpoint(run, []):
                return None
        return await self._call(run, program, instruction, params, following, key)

    async def _call(
        self,
        run: Run,
        program: Program,
        instruction: Instruction,
        params: dict[str, Any],
        following: int,
        key: str,
    ) -> Outcome:
        """Call the action's connector, within its timeout."""
        action = instruction.action
        context = ActionContext(
            tenant_id=run.tenant_id,
            run_id=run.run_id,
            workflow_id=run.workflow_id,
            step_id=instruction.step_id,
            idempotency_key=key,
            attempt=run.call_attempt,
            event=run.context,
            template=action.template,
        )
        try:
            with CallTimeout(self._timeout(instruction)):
                output = await self.effects.call(instruction, params, context)
        except TimeoutError:
            timed_out = f"timed out after {self._timeout(instruction)} s"
            if action.delivery == "at_most_once":  # the receiver may have acted on it
                return own_steps.unknown(run, params, following, f"the call {timed_out}")
            error = ConnectorError(timed_out, retryable=True)
            return self._failure(run, program, instruction, params, error, following)
        except ConnectorError as failed:
            return self._failure(run, program, instruction, params, failed, following)
        except Exception as exc:  # a connector bug fails its step, never the worker
            log.exception("connector for %s raised", action.type)
            bug = ConnectorError.unexpected(exc)
            return self._failure(run, program, instruction, params, bug, following)
        finally:
            run.call_started = None  # the outcome is known: saved with the step's record
        # The call is made: whatever the connector returned, its record must be kept.
        return Outcome(StepStatus.COMPLETED, following, output=jsonc.storable(output), input=params)

    def _failure(
        self,
        run: Run,
        program: Program,
        instruction: Instruction,
        params: dict[str, Any],
        error: ConnectorError,
        following: int,
    ) -> Outcome:
        policy = instruction.action.retry or program.document.settings.retry or RetryPolicy()
        details = {**error.detail, "message": error.message, "retryable": error.retryable}
        outcome = Outcome(StepStatus.FAILED, following, error=details, input=params)
        if error.retryable and run.attempt < policy.max_attempts:
            backoff = min(policy.backoff * 2 ** (run.attempt - 1), policy.max_backoff)
            outcome.retry_in = max(backoff, error.retry_after or 0) * self.delay_scale
        return outcome


def _go_to(run: Run, pc: int) -> None:
    """Move on to the instruction at ``pc``, fresh: first attempt, no delay served, no wait."""
    run.pc, run.attempt, run.earlier_attempts, run.delay_served, run.wait = pc, 1, 0, False, None


def _ending(run: Run, program: Program, stop: bool) -> tuple[RunStatus, str] | None:
    """How the run ends now that it moved on, if it does (then at the end it lands on, past a
    branch's closing jump)."""
    if stop:
        return RunStatus.COMPLETED, "stop action"
    landing = _past_jumps(program, run.pc)
    ending = program.ending(landing)
    if ending is not None:
        run.pc = landing
    return ending


def _past_jumps(program: Program, pc: int) -> int:
    """Where the walk lands from ``pc`` once the jumps there are taken (a branch's end)."""
    while pc < len(program.instructions) and program.instructions[pc].kind == Kind.JUMP:
        pc = program.instructions[pc].target
    return pc
