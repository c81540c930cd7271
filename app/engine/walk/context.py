"""What a step sees: the template context of its run, and its idempotency key."""

from typing import Any

from app.engine.walk.arms import iteration, loop_context
from app.engine.walk.program import Instruction
from app.models.run import Run
from app.models.timestamps import iso_text


def template_context(run: Run) -> dict[str, Any]:
    """What templates and conditions see: the event's data at the root, then ``user``,
    ``event``, ``steps.<action id>.output``, ``vars``, ``run`` (``run.error`` is the failure
    compensation actions handle, ``run.parent`` a child run's parent) and ``workflow``;
    inside a loop, ``item``, ``index`` and ``loops``."""
    return {
        **run.context,
        "steps": run.outputs,
        "vars": run.vars,
        "run": {
            "id": run.run_id,
            "attempt": run.call_attempt,
            "created_at": iso_text(run.created_at),
            "error": run.error,
            "parent": run.parent,
            "depth": run.depth,
        },
        "workflow": {"id": run.workflow_id, "version": run.version},
        **loop_context(run),
    }


def idempotency_key(run: Run, instruction: Instruction) -> str:
    """Stable across retries and re-deliveries of the same step: ``run:action:iteration``
    (the iteration is ``0`` outside loops)."""
    return f"{run.run_id}:{instruction.action.id}:{iteration(run)}"
