"""A workflow version compiled once into a flat program the executor steps through.

Branches become jumps, so a run's position is one integer (``Run.pc``) that is cheap to
store and survives any number of nested conditions.
"""

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property, partial
from typing import Any, TypeVar

from app.actions.references import references
from app.clock import Clock
from app.engine.expressions.conditions import CompiledConditions, compile_conditions
from app.engine.expressions.names import WALK_NAMES
from app.engine.expressions.plan import Plan, plan_of
from app.errors import InvalidInput
from app.models.action import Action
from app.models.document import WorkflowDocument
from app.models.flow import FrequencyCap, QuietHours, SendWindow
from app.models.run import RunStatus
from app.models.validation import delay_seconds
from app.models.workflow import WorkflowVersion
from app.store.protocol import Store

Rule = TypeVar("Rule", QuietHours, SendWindow, FrequencyCap)


class Kind(StrEnum):
    STEP = "step"
    BRANCH = "branch"
    JUMP = "jump"
    # Parks until its event (then the next instruction: on_event) or its timeout (target:
    # on_timeout); laid out like a branch.
    WAIT = "wait"
    # Parks until a decision (then one of its arms: on_approve, on_reject) or its timeout
    # (its third arm: on_timeout); laid out like a branch.
    APPROVAL = "approval"
    # Goes to one of its arms (a variant), or past them all (the holdout).
    SPLIT = "split"
    # A loop's start (takes the list; an empty one goes to ``end``) and its last
    # instruction (the next item goes back to ``target``, the body's start).
    LOOP = "loop"
    NEXT = "next"
    # The end of the actions when compensation actions follow them.
    END = "end"
    # Starts a child run per arm (its branches), then joins them; the last instruction of
    # each arm ends the branch's run.
    PARALLEL = "parallel"
    RETURN = "return"
    # Starts a run of another workflow (trigger_workflow), and joins it if it waits.
    LAUNCH = "launch"


# Action types compiled to arms laid out one after the other: the first runs on the next
# instructions, each other one starts at one of ``arms``, and a jump to ``end`` follows every
# arm but the last.
ARMED = {
    "condition": Kind.BRANCH,
    "wait_for_event": Kind.WAIT,
    "split": Kind.SPLIT,
    "approval": Kind.APPROVAL,
}
# Instructions whose steps start child runs and wait for them.
FORKS = (Kind.PARALLEL, Kind.LAUNCH)
# The walker's own steps that take no connector.
CONTROL_TYPES = frozenset({"delay", "log", "set", "stop"})
# Steps that only move the run's own state, the same way each time they are taken: their
# checkpoint waits for the next step's (a condition's is written with the webhook after it).
# Not a split: its draw is random, and a variant's calls must not follow a redrawn one.
INTERNAL = frozenset({Kind.BRANCH, Kind.JUMP, Kind.NEXT, Kind.LOOP})
INTERNAL_TYPES = frozenset({"log", "set"})


@dataclass(frozen=True)
class Instruction:
    kind: Kind
    action: Action
    when: CompiledConditions | None
    delay: float
    # A jump's destination; a branch's or a wait's second arm; a loop's end.
    target: int = -1
    arms: tuple[int, ...] = ()
    # Past everything the action holds: where skipping it goes.
    end: int = -1
    # A step whose data, as the version writes it, holds no secret reference: its rendered
    # data holds none either (a template may not make one), so none is looked for per call.
    plain: bool = False

    # What the walk asks of the instruction at every step, worked out once per version.

    @cached_property
    def step_id(self) -> str:
        return str(self.action.id)

    @cached_property
    def internal(self) -> bool:
        """A step whose checkpoint can wait for the next step's."""
        kind = self.kind
        return kind in INTERNAL or (kind == Kind.STEP and self.action.type in INTERNAL_TYPES)

    @cached_property
    def inputs(self) -> Plan:
        """How the action's data renders for a run (a step's inputs)."""
        return plan_of(self.action.data, f"action {self.action.id} data")

    @cached_property
    def reads_event(self) -> bool:
        """A step or condition whose conditions and data read only names of the event's data
        (``WALK_NAMES`` aside), by lookups alone (no template that may read any name): it is
        judged and its data found in the event's data as it is, without a context built."""
        if self.kind not in (Kind.STEP, Kind.BRANCH):
            return False
        read = self.inputs.roots() if self.kind == Kind.STEP else frozenset()
        if read is None:
            return False
        if self.when is not None:
            read |= self.when.roots()
        return not read & WALK_NAMES

    @cached_property
    def calls_out(self) -> bool:
        """A step that calls a connector (so it needs time left in the walk's budget)."""
        return self.kind == Kind.STEP and self.action.type not in CONTROL_TYPES


@dataclass(frozen=True)
class SendRules:
    """The rules of a version's settings that can hold or count a step of one action type
    (each names the types it applies to). The tenant's frequency cap is not among them: it
    is the tenant's, changed at any time, and read at every step."""

    quiet_hours: QuietHours | None = None
    send_window: SendWindow | None = None
    frequency_cap: FrequencyCap | None = None


# What holds a step of a type no rule of the version names.
NO_SEND_RULES = SendRules()


@dataclass(frozen=True)
class Program:
    document: WorkflowDocument
    version: int
    instructions: tuple[Instruction, ...]
    # Where the compensation actions start (after an END instruction); -1: none.
    compensation: int = -1

    def ending(self, pc: int) -> tuple[RunStatus, str] | None:
        """How a run at ``pc`` ends, if it does: completed at the end of its actions or of
        its parallel branch, or failed once its compensation actions are done."""
        kind = self.instructions[pc].kind if pc < len(self.instructions) else Kind.END
        if kind == Kind.RETURN:
            return RunStatus.COMPLETED, "branch done"
        if kind != Kind.END:
            return None
        if pc >= len(self.instructions) and self.compensation >= 0:
            return RunStatus.FAILED, "compensation done"
        return RunStatus.COMPLETED, "all actions done"

    def compensating(self, pc: int) -> bool:
        return 0 <= self.compensation <= pc

    def step_at(self, pc: int) -> Action | None:
        """The action a run at ``pc`` is at or goes to next, as the workflow's author wrote
        it: a jump is followed, a loop's last instruction is its loop; None at the end of
        the actions or of a parallel branch."""
        while pc < len(self.instructions) and self.instructions[pc].kind == Kind.JUMP:
            pc = self.instructions[pc].target
        if pc >= len(self.instructions) or self.instructions[pc].kind in (Kind.END, Kind.RETURN):
            return None
        return self.instructions[pc].action

    def next_approval(self, pc: int) -> Instruction | None:
        """The first approval step at or after ``pc``, in program order."""
        for instruction in self.instructions[pc:]:
            if instruction.kind == Kind.APPROVAL:
                return instruction
        return None

    @cached_property
    def approves(self) -> bool:
        """Whether the program has an approval step (whose links templates may read)."""
        return self.next_approval(0) is not None

    @cached_property
    def send_rules(self) -> dict[str, SendRules]:
        """Each action type some rule of the settings names, with the rules naming it; a
        type not here has ``NO_SEND_RULES``. Worked out once per version, so a step of a
        type that no rule names (a webhook, by default) looks none of them through."""
        settings = self.document.settings
        quiet, window, cap = settings.quiet_hours, settings.send_window, settings.frequency_cap
        named = {action for rule in (quiet, window, cap) if rule for action in rule.actions}
        return {
            action: SendRules(_naming(quiet, action), _naming(window, action), _naming(cap, action))
            for action in named
        }


def _naming(rule: Rule | None, action_type: str) -> Rule | None:
    """``rule`` if it applies to steps of ``action_type``."""
    return rule if rule is not None and action_type in rule.actions else None


# What stands for the END instruction's action (it is never run or recorded).
END_OF_ACTIONS = Action(id="end_of_actions", type="stop")


def compile_program(document: WorkflowDocument, version: int, clock: Clock) -> Program:
    """The version as a flat program; its conditions read ``clock`` for ``now``."""
    instructions: list[Instruction] = []
    _emit(document.actions, instructions, clock)
    compensation = document.settings.compensation
    if not compensation:
        return Program(document, version, tuple(instructions))
    instructions.append(Instruction(Kind.END, END_OF_ACTIONS, None, 0))
    start = len(instructions)
    _emit(compensation, instructions, clock)
    return Program(document, version, tuple(instructions), start)


def _emit(actions: list[Action], out: list[Instruction], clock: Clock) -> None:
    for action in actions:
        when = compile_conditions(action.conditions, clock) if action.conditions else None
        delay = delay_seconds(action.delay)
        kind = ARMED.get(action.type)
        if action.type == "loop":
            _emit_loop(action, when, delay, out, clock)
        elif action.type == "parallel":
            _emit_branches(action, when, delay, out, clock)
        elif kind is not None:
            _emit_arms(kind, action, when, delay, out, clock)
        else:
            step = Kind.LAUNCH if action.type == "trigger_workflow" else Kind.STEP
            out.append(Instruction(step, action, when, delay, plain=_plain(action.data)))


def _plain(data: dict[str, Any]) -> bool:
    """Whether ``data`` holds no secret reference (a malformed one counts as one: the call
    reports it)."""
    try:
        return not references(data, ("data",), unrendered=True)
    except InvalidInput:
        return False


def _emit_arms(
    kind: Kind,
    action: Action,
    when: CompiledConditions | None,
    delay: float,
    out: list[Instruction],
    clock: Clock,
) -> None:
    at = len(out)
    out.append(Instruction(kind, action, when, delay))
    arms = [arm for _, arm in action.arms()]
    starts, jumps = [], []
    for n, arm in enumerate(arms):
        starts.append(len(out))
        _emit(arm, out, clock)
        if n < len(arms) - 1:
            jumps.append(len(out))
            out.append(Instruction(Kind.JUMP, action, None, 0))
    end = len(out)
    for jump in jumps:
        out[jump] = replace(out[jump], target=end)
    second = starts[1] if len(starts) > 1 else end
    out[at] = replace(out[at], target=second, arms=tuple(starts), end=end)


def _emit_loop(
    action: Action,
    when: CompiledConditions | None,
    delay: float,
    out: list[Instruction],
    clock: Clock,
) -> None:
    at = len(out)
    out.append(Instruction(Kind.LOOP, action, when, delay))
    _emit(action.actions or [], out, clock)
    out.append(Instruction(Kind.NEXT, action, None, 0, target=at + 1))
    out[at] = replace(out[at], target=len(out), arms=(at + 1,), end=len(out))
    out[-1] = replace(out[-1], end=len(out))


def _emit_branches(
    action: Action,
    when: CompiledConditions | None,
    delay: float,
    out: list[Instruction],
    clock: Clock,
) -> None:
    at = len(out)
    out.append(Instruction(Kind.PARALLEL, action, when, delay))
    starts = []
    for _, arm in action.arms():
        starts.append(len(out))
        _emit(arm, out, clock)
        out.append(Instruction(Kind.RETURN, action, None, 0))
    out[at] = replace(out[at], arms=tuple(starts), end=len(out))


def end_of(program: "Program", pc: int) -> int:
    """Past everything the instruction at ``pc`` holds (its branches, arms or body)."""
    instruction = program.instructions[pc]
    return instruction.end if instruction.end >= 0 else pc + 1


VersionKey = tuple[str, str, int]


class ProgramCache:
    """Versions never change, so a compiled program is kept until evicted (LRU)."""

    def __init__(self, clock: Clock, size: int = 1024) -> None:
        self._clock = clock
        self._size = size
        self._programs: OrderedDict[VersionKey, Program] = OrderedDict()
        # The versions being read and compiled now, for the runs that ask meanwhile.
        self._loading: dict[VersionKey, asyncio.Task[Program]] = {}

    async def get(self, store: Store, tenant_id: str, workflow_id: str, version: int) -> Program:
        key = (tenant_id, workflow_id, version)
        program = self._programs.get(key)
        if program is None:
            return await self._load(store, key)
        self._programs.move_to_end(key)
        return program

    async def _load(self, store: Store, key: VersionKey) -> Program:
        """Read and compile a version once for every run asking for it meanwhile: a worker
        takes a hundred runs at once, and each would read and compile it again until the
        first had it kept. The read goes on if the first asker is cancelled; a failure is
        every asker's, and the next one reads again."""
        loop = asyncio.get_running_loop()
        loading = self._loading.get(key)
        if loading is None or loading.get_loop() is not loop:
            loading = loop.create_task(self._read(store, key))
            self._loading[key] = loading
            loading.add_done_callback(partial(self._loaded, key))
        return await asyncio.shield(loading)

    async def _read(self, store: Store, key: VersionKey) -> Program:
        return self.put(await store.get_version(*key))

    def _loaded(self, key: VersionKey, loading: "asyncio.Task[Program]") -> None:
        if self._loading.get(key) is loading:
            del self._loading[key]

    def put(self, stored: WorkflowVersion) -> Program:
        document = WorkflowDocument.model_validate(stored.document)
        program = compile_program(document, stored.version, self._clock)
        self._programs[(stored.tenant_id, stored.workflow_id, stored.version)] = program
        while len(self._programs) > self._size:
            self._programs.popitem(last=False)
        return program
