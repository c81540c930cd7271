"""A workflow version compiled once into a flat program the executor steps through.

Branches become jumps, so a run's position is one integer (``Run.pc``) that is cheap to
store and survives any number of nested conditions.
"""

from collections import OrderedDict
from dataclasses import dataclass, replace
from enum import StrEnum

from app.engine.conditions import CompiledConditions, compile_conditions
from app.models.document import Action, WorkflowDocument, delay_seconds
from app.models.workflow import WorkflowVersion
from app.store.base import Store


class Kind(StrEnum):
    STEP = "step"
    BRANCH = "branch"
    JUMP = "jump"
    # Parks until its event (then the next instruction: on_event) or its timeout (target:
    # on_timeout); laid out like a branch.
    WAIT = "wait"


# Action types compiled to two branches: the first runs on the next instructions, the second
# at the instruction's target, and a jump past both ends the first.
BRANCHING = {"condition": Kind.BRANCH, "wait_for_event": Kind.WAIT}


@dataclass(frozen=True)
class Instruction:
    kind: Kind
    action: Action
    when: CompiledConditions | None
    delay: float
    target: int = -1


@dataclass(frozen=True)
class Program:
    document: WorkflowDocument
    version: int
    instructions: tuple[Instruction, ...]


def compile_program(document: WorkflowDocument, version: int) -> Program:
    instructions: list[Instruction] = []
    _emit(document.actions, instructions)
    return Program(document, version, tuple(instructions))


def _emit(actions: list[Action], out: list[Instruction]) -> None:
    for action in actions:
        when = compile_conditions(action.conditions) if action.conditions else None
        delay = delay_seconds(action.delay)
        kind = BRANCHING.get(action.type)
        if kind is None:
            out.append(Instruction(Kind.STEP, action, when, delay))
            continue
        first, second = action.branches()
        branch = len(out)
        out.append(Instruction(kind, action, when, delay))
        _emit(first, out)
        jump = len(out)
        out.append(Instruction(Kind.JUMP, action, None, 0))
        _emit(second, out)
        out[branch] = replace(out[branch], target=jump + 1)
        out[jump] = replace(out[jump], target=len(out))


def end_of(program: "Program", pc: int) -> int:
    """Where a branching instruction's two branches end."""
    return program.instructions[program.instructions[pc].target - 1].target


class ProgramCache:
    """Versions never change, so a compiled program is kept until evicted (LRU)."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._programs: OrderedDict[tuple[str, str, int], Program] = OrderedDict()

    async def get(self, store: Store, tenant_id: str, workflow_id: str, version: int) -> Program:
        key = (tenant_id, workflow_id, version)
        program = self._programs.get(key)
        if program is None:
            stored = await store.get_version(tenant_id, workflow_id, version)
            program = self.put(stored)
        self._programs.move_to_end(key)
        return program

    def put(self, stored: WorkflowVersion) -> Program:
        document = WorkflowDocument.model_validate(stored.document)
        program = compile_program(document, stored.version)
        self._programs[(stored.tenant_id, stored.workflow_id, stored.version)] = program
        while len(self._programs) > self._size:
            self._programs.popitem(last=False)
        return program
