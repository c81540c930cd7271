"""The outcomes of the steps the walker takes itself, without a connector: a wait's answer,
a condition's branch, ``set``, ``stop``, ``log`` and ``delay``, and a call whose outcome is
unknown."""

import logging
from typing import Any

from app.engine.walk.outcome import Outcome
from app.engine.walk.program import Instruction
from app.models.run import Run, StepStatus, Wait

log = logging.getLogger(__name__)


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
    # Judged once: the explanation's results agree with the conditions' call.
    conditions = instruction.when.explain(context)
    taken = all(condition["result"] for condition in conditions)
    output = {"branch": "then" if taken else "else", "conditions": conditions}
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
