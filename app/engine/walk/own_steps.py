"""The outcomes of the steps the walker takes itself, without a connector: a wait's answer,
a condition's branch, ``set``, ``stop``, ``log`` and ``delay``, and a call whose outcome is
unknown."""

import logging
from typing import Any

from app.engine.walk.outcome import Outcome
from app.engine.walk.program import Instruction, Kind
from app.models.run import Run, StepStatus, Wait

log = logging.getLogger(__name__)

CONTROL_TYPES = frozenset({"delay", "log", "set", "stop"})
# Steps that only move the run's own state, the same way each time they are taken: their
# checkpoint waits for the next step's (a condition's is written with the webhook after it).
# Not a split: its draw is random, and a variant's calls must not follow a redrawn one.
INTERNAL = frozenset({Kind.BRANCH, Kind.JUMP, Kind.NEXT, Kind.LOOP})
INTERNAL_TYPES = frozenset({"log", "set"})


def internal(instruction: Instruction) -> bool:
    """A step whose checkpoint can wait for the next step's."""
    kind = instruction.kind
    return kind in INTERNAL or (kind == Kind.STEP and instruction.action.type in INTERNAL_TYPES)


def calls_out(instruction: Instruction) -> bool:
    """A step that calls a connector (so it needs time left in the walk's budget)."""
    return instruction.kind == Kind.STEP and instruction.action.type not in CONTROL_TYPES


def unknown(run: Run, params: dict[str, Any], following: int, why: str) -> Outcome:
    """An at_most_once call that may or may not have been made: never made again; the
    workflow's error handling (``settings.on_error``) decides what follows."""
    run.call_started = None
    message = f"outcome unknown: {why}; not sent again (the action's delivery is at_most_once)"
    return Outcome(
        StepStatus.UNKNOWN, following, error={"message": message, "retryable": False}, input=params
    )


def heard(wait: Wait, event: dict[str, Any] | None, next_pc: int) -> Outcome:
    """A wait's step: the event (``steps.<id>.output.event``), or that it timed out."""
    asked = {"event": wait["event"], "match": wait["match"]}
    output = {"event": event, "timed_out": event is None}
    return Outcome(StepStatus.COMPLETED, next_pc, output=output, input=asked)


def branch(instruction: Instruction, context: dict[str, Any], following: int) -> Outcome:
    assert instruction.when is not None  # a condition action always has conditions
    taken = instruction.when(context)
    output = {
        "branch": "then" if taken else "else",
        "conditions": instruction.when.explain(context),
    }
    return Outcome(StepStatus.COMPLETED, following if taken else instruction.target, output=output)


def control(kind: str, params: dict[str, Any], instruction: Instruction, following: int) -> Outcome:
    if kind == "set":
        return Outcome(StepStatus.COMPLETED, following, output=params, input=params, vars=params)
    if kind == "stop":
        return Outcome(StepStatus.COMPLETED, following, output=params, input=params, stop=True)
    if kind == "log":
        log.info("workflow log: %s", params.get("message", params))
        return Outcome(StepStatus.COMPLETED, following, output=params, input=params)
    return Outcome(StepStatus.COMPLETED, following, output={"delayed_seconds": instruction.delay})
