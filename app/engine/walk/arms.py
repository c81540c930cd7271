"""Split and loop: the control actions that choose an arm of the program or repeat one.

A split assigns a run to a variant by a hash of the workflow, the action and a key (the
user's id by default), so the same user always gets the same variant, and records it on the
run. A loop keeps its list and position in ``run.loops`` (by loop id, innermost last): the
body's templates see ``item`` and ``index``, and its steps' idempotency keys carry the
iteration.
"""

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from app.engine.expressions.renderer import Renderer, TemplateError
from app.engine.walk.outcome import Outcome
from app.engine.walk.program import Instruction, Kind
from app.models.run import Run, StepStatus

HOLDOUT = "holdout"


def bucket(text: str) -> float:
    """A point in [0, 1) fixed by ``text``, uniform over texts."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    return int(digest[:15], 16) / 16**15


def assign(point: float, holdout: float, weights: list[float]) -> int | None:
    """The variant a point in [0, 1) falls in: None for the first ``holdout`` percent, then
    each variant in proportion to its weight."""
    percent = point * 100
    if percent < holdout:
        return None
    share = (percent - holdout) / (100 - holdout) * sum(weights)
    for index, weight in enumerate(weights):
        if share < weight:
            return index
        share -= weight
    return len(weights) - 1


def split(
    run: Run, instruction: Instruction, context: Mapping[str, Any], renderer: Renderer
) -> Outcome:
    """Send the run down its variant's arm (or past them all: the holdout), recorded in
    ``run.variants``."""
    action = instruction.action
    spec = action.split()
    try:
        key = _split_key(run, spec.key, context, renderer, f"action {action.id} data")
    except TemplateError as exc:
        return Outcome(StepStatus.FAILED, instruction.end, error={"message": exc.message})
    variants = action.variants or []
    chosen = assign(
        bucket(f"{run.workflow_id}:{action.id}:{key}"), spec.holdout, [v.weight for v in variants]
    )
    name = HOLDOUT if chosen is None else variants[chosen].name
    run.variants[str(action.id)] = name
    next_pc = instruction.end if chosen is None else instruction.arms[chosen]
    return Outcome(StepStatus.COMPLETED, next_pc, output={"variant": name}, input={"key": key})


def _split_key(
    run: Run, template: str | None, context: Mapping[str, Any], renderer: Renderer, where: str
) -> str:
    if template is not None:
        return str(renderer.render({"key": template}, context, where)["key"])
    return run.user_id or run.run_id


def loop_start(
    run: Run, instruction: Instruction, context: Mapping[str, Any], renderer: Renderer
) -> Outcome:
    """Take the list: the body starts on its first item; an empty list goes past the loop."""
    action = instruction.action
    spec = action.loop()
    where = f"action {action.id} data"
    try:
        items = renderer.render({"items": spec.items}, context, where)["items"]
    except TemplateError as exc:
        return Outcome(StepStatus.FAILED, instruction.end, error={"message": exc.message})
    problem = _bad_items(items, spec.max_iterations, where)
    if problem is not None:
        return Outcome(StepStatus.FAILED, instruction.end, error={"message": problem})
    output = {"iterations": len(items)}
    if not items:
        return Outcome(StepStatus.COMPLETED, instruction.end, output=output)
    run.loops[str(action.id)] = {"items": items, "index": 0}
    return Outcome(StepStatus.COMPLETED, instruction.arms[0], output=output)


def _bad_items(items: Any, limit: int, where: str) -> str | None:
    if not isinstance(items, list):
        return f"{where}.items is {type(items).__name__}, not a list"
    if len(items) > limit:
        return f"{where}.items holds {len(items)} items, over max_iterations ({limit})"
    return None


def loop_next(run: Run, instruction: Instruction) -> Outcome:
    """The next item, back at the body's start; or, after the last one, past the loop."""
    loop_id = str(instruction.action.id)
    frame = run.loops.get(loop_id)
    if frame is not None and frame["index"] + 1 < len(frame["items"]):
        frame["index"] += 1
        return Outcome(StepStatus.COMPLETED, instruction.target)
    run.loops.pop(loop_id, None)
    return Outcome(StepStatus.COMPLETED, instruction.end)


def loop_context(run: Run) -> dict[str, Any]:
    """What the body of the innermost loop sees: ``item``, ``index``, and every enclosing
    loop's under ``loops.<loop id>``."""
    if not run.loops:
        return {}
    loops = {
        loop_id: {"item": frame["items"][frame["index"]], "index": frame["index"]}
        for loop_id, frame in run.loops.items()
    }
    innermost = list(loops.values())[-1]
    return {"item": innermost["item"], "index": innermost["index"], "loops": loops}


def iteration(run: Run) -> str:
    """The iteration part of a step's idempotency key: ``0`` outside loops, else the index in
    each enclosing loop (``2``, ``2.0``)."""
    if not run.loops:
        return "0"
    return ".".join(str(frame["index"]) for frame in run.loops.values())


# The control actions that choose or repeat an arm, by their instruction's kind.
ARM_STEPS: dict[Kind, Callable[[Run, Instruction, Mapping[str, Any], Renderer], Outcome]] = {
    Kind.SPLIT: split,
    Kind.LOOP: loop_start,
}
