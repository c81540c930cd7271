"""Parallel branches and waited sub-workflows: a run forks child runs, then joins them.

A ``parallel`` step starts one child run per branch: the same version, positioned at the
branch's first instruction, with a copy of the run's context, variables, step outputs and
loops, so its templates see what the parent saw; it ends at the branch's end. A
``trigger_workflow`` step that waits has one child: the sub-run it started. The parent then
waits at the join; a child that ends tells its parent, and the parent reads its children's
states from the store, so the join is decided on what is stored, never on a message.

Once the join is met (all, any, or the first N completed) the children still running lose
and are cancelled; the completed branches' step outputs and variables become the parent's.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.engine.walk.outcome import Outcome
from app.engine.walk.program import Instruction
from app.models.run import Join, JoinMode, Run, RunStatus, StepStatus

# A key the run had no value for at the fork.
_UNSET = object()


@dataclass(frozen=True)
class Verdict:
    """A join that is decided: the children that completed (in the order they ended), the
    ones still live (they lose), and the one whose end made the join impossible, if any."""

    completed: list[Run]
    losers: list[Run]
    failed: Run | None = None
    children: list[Run] = field(default_factory=list)


def branch_runs(run: Run, instruction: Instruction, now: datetime) -> list[Run]:
    """The parallel step's children, named by the run, the fork and the branch, so forking
    again (a repeated job) finds the same runs."""
    names = [name for name, _ in instruction.action.arms()]
    return [
        replace(
            run,
            run_id=f"{run.run_id}.{run.forks}.{name}",
            status=RunStatus.PENDING,
            created_at=now,
            updated_at=now,
            due_at=now,
            pc=start,
            attempt=1,
            delay_served=False,
            vars=dict(run.vars),
            outputs=dict(run.outputs),
            active_seconds=0.0,
            error=None,
            history=[],
            revision=0,
            wait=None,
            # An exit event ends the branches with their parent; a goal counts once.
            listeners=[one for one in run.listeners if one["on"] != "goal"],
            converted=None,
            variants=dict(run.variants),
            loops={key: frame.copy() for key, frame in run.loops.items()},
            parent={"run_id": run.run_id, "step": str(instruction.action.id), "branch": name},
            join=None,
            forks=0,
        )
        for name, start in zip(names, instruction.arms, strict=True)
    ]


def join_of(instruction: Instruction, children: list[Run]) -> Join:
    """What the run waits for: its children (run id, and branch name for a parallel's)."""
    action = instruction.action
    mode: JoinMode = "all"
    count: int | None = None
    if action.type == "parallel":
        spec = action.parallel()
        mode, count = spec.join, spec.needed
    return {
        "step": str(action.id),
        "mode": mode,
        "count": count,
        "children": [
            {
                "run_id": child.run_id,
                "branch": None if child.parent is None else child.parent["branch"],
            }
            for child in children
        ],
    }


def decide(join: Join, children: list[Run]) -> Verdict | None:
    """The join's verdict on the children as they are now; None: it goes on waiting."""
    needed = join["count"] or len(children)
    completed = sorted(
        (child for child in children if child.status == RunStatus.COMPLETED),
        key=lambda child: child.updated_at,
    )
    live = [child for child in children if not child.finished]
    if len(completed) >= needed:
        return Verdict(completed, live, children=children)
    if len(completed) + len(live) < needed:
        failed = next(c for c in children if c.finished and c.status != RunStatus.COMPLETED)
        return Verdict(completed, live, failed, children)
    return None


def joined(run: Run, verdict: Verdict, next_pc: int) -> Outcome:
    """The fork step's outcome; a parallel step's completed branches hand the step outputs
    and variables they changed to the run (in branch order)."""
    join = run.join
    assert join is not None
    run.join = None
    if join["children"][0]["branch"] is None:
        return _sub_run(verdict, next_pc)
    outputs, variables = dict(run.outputs), dict(run.vars)
    for child in verdict.children:
        if child.status == RunStatus.COMPLETED:
            run.outputs.update(_changed(outputs, child.outputs))
            run.vars.update(_changed(variables, child.vars))
    output = {
        "join": join["mode"],
        "completed": [_branch(child) for child in verdict.completed],
        "branches": {
            _branch(c): {"run_id": c.run_id, "status": c.status} for c in verdict.children
        },
    }
    if verdict.failed is None:
        return Outcome(StepStatus.COMPLETED, next_pc, output=output)
    failed = verdict.failed
    error = {
        "message": f"branch {_branch(failed)} {failed.status.value}",
        "branch": _branch(failed),
        "run_id": failed.run_id,
        "error": failed.error,
    }
    return Outcome(StepStatus.FAILED, next_pc, output=output, error=error)


def _sub_run(verdict: Verdict, next_pc: int) -> Outcome:
    (child,) = verdict.children
    output = {
        "run_id": child.run_id,
        "workflow_id": child.workflow_id,
        "status": child.status,
        "outputs": child.outputs,
        "vars": child.vars,
    }
    if verdict.failed is None:
        return Outcome(StepStatus.COMPLETED, next_pc, output=output)
    message = f"sub-run {child.run_id} of workflow {child.workflow_id} {child.status.value}"
    return Outcome(
        StepStatus.FAILED,
        next_pc,
        output=output,
        error={"message": message, "run_id": child.run_id, "error": child.error},
    )


def _changed(forked: dict[str, Any], branch: dict[str, Any]) -> dict[str, Any]:
    """What a branch changed in its copy of the run's ``forked`` values (the run stays
    parked meanwhile): a value it left alone must not undo another branch's change."""
    return {key: value for key, value in branch.items() if forked.get(key, _UNSET) != value}


def _branch(child: Run) -> str:
    assert child.parent is not None
    return str(child.parent["branch"])
