"""Parents and children in the store: starting branches, waking a parent whose child ended,
cancelling the children of a run that ended before its join.

Why a join cannot miss a child's end (the argument of docs/architecture.md's waits): the
parent saves itself parked at the join, then reads its children; a child saves its end, then
reads its parent. Each side reads after it writes, so whichever reads second sees the
other: the parent sees the child ended, or the child sees the parent parked and wakes it.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app import metrics
from app.clock import Clock
from app.engine.flow.concurrency import RunSlots
from app.engine.flow.queue import Queue
from app.engine.walk.walker import JOIN_WAIT
from app.errors import NotFound
from app.models.document import WorkflowDocument
from app.models.run import Join, Run, RunStatus
from app.store.protocol import Store
from app.store.rules import RUN_WRITE_ATTEMPTS

log = logging.getLogger(__name__)
# The note of an on_failure whose error workflow a limit keeps from starting for now.
DELAYED = "on_failure: delayed"
# The parent step of a run on_failure started: no action id can be it (``ID_PATTERN``).
ON_FAILURE_STEP = "$on_failure"


@dataclass
class Family:
    store: Store
    queue: Queue
    clock: Clock
    slots: RunSlots | None = None

    async def start(self, runs: Sequence[Run]) -> None:
        """Record the children (those not recorded yet), then enqueue their start."""
        await self.store.add_runs(runs)
        await self.queue.start_many([(run.tenant_id, run.run_id) for run in runs])

    async def children(self, run: Run) -> list[Run]:
        """The children the run's join waits for, as stored now."""
        assert run.join is not None
        return await self.children_of(run.tenant_id, run.join)

    async def children_of(self, tenant_id: str, join: Join) -> list[Run]:
        return [await self.store.get_run(tenant_id, child["run_id"]) for child in join["children"]]

    async def ended(self, run: Run) -> None:
        """After ``run`` ended: wake its parent if it waits for it; cancel its children if
        it ended while waiting for them (cancelled, an exit event, a failure). A failed
        run (not a parallel branch: its parent fails for it) gets its workflow's
        ``on_failure`` job, enqueued now that the failure is stored."""
        if run.status == RunStatus.FAILED and not run.branch:
            await self.queue.run_failed(run.tenant_id, run.run_id, failures(run))
        if run.parent is not None:
            await self._tell_parent(run)
        if run.join is not None:
            await self.cancel(await self.children(run), f"its parent run {run.status.value}")

    async def cancel(self, runs: Sequence[Run], reason: str) -> None:
        """Cancel the runs still unfinished, and in turn the children they wait for."""
        for run in runs:
            cancelled = await self._cancel(run, reason)
            if cancelled is not None and cancelled.join is not None:
                await self.cancel(await self.children(cancelled), "its parent run cancelled")

    async def _cancel(self, run: Run, reason: str) -> Run | None:
        for _ in range(RUN_WRITE_ATTEMPTS):
            if run.finished:
                return None
            now = self.clock.now()
            run.due_at, run.updated_at = None, now
            run.move(RunStatus.CANCELLED, now, reason)
            if await self.store.save_run(run):
                metrics.run_saved(run)
                await self._release(run, now)
                return run
            run = await self.store.get_run(run.tenant_id, run.run_id)
        log.warning("run %s kept changing; it was not cancelled", run.run_id)
        return None

    async def _release(self, run: Run, now: datetime) -> None:
        if self.slots is not None:
            version = await self.store.get_version(run.tenant_id, run.workflow_id, run.version)
            settings = WorkflowDocument.model_validate(version.document).settings
            await self.slots.leave(run, await self.slots.gates(run, settings), now)

    async def _tell_parent(self, child: Run) -> None:
        """Make the parent due if it is parked at the join that waits for ``child``, and
        bring its join's recheck forward (one timer, not a wake beside it). A parent still
        running reads its children after it parks, so it needs no word; a paused one is
        left to its resume, which arms that timer again."""
        assert child.parent is not None
        for _ in range(RUN_WRITE_ATTEMPTS):
            try:
                parent = await self.store.get_run(child.tenant_id, child.parent["run_id"])
            except NotFound:
                return
            if not _waits_for(parent, child) or parent.status == RunStatus.RUNNING:
                return
            now = self.clock.now()
            if parent.due_at is not None and parent.due_at <= now:
                break
            parent.due_at = now
            if await self.store.save_run(parent):
                break
        else:
            log.warning("run %s kept changing; it finds its children at its recheck", parent.run_id)
            return
        if parent.status != RunStatus.PAUSED:
            await self.queue.wake(parent.tenant_id, parent.run_id, parent.timer(JOIN_WAIT))


def failures(run: Run) -> int:
    """How many times the run has failed (a retried run may fail again): the number of
    the failure it is in now, for its ``on_failure`` job's id."""
    return len(_failed_at(run))


def started_by_on_failure(run: Run) -> bool:
    """Whether on_failure started this run: then its own failure sets nothing off."""
    return run.parent is not None and run.parent["step"] == ON_FAILURE_STEP


def failure_handled(run: Run) -> bool:
    """Whether on_failure noted what it did for the run's latest failure (its history has
    an ``on_failure:`` note after it), the start of its error workflow included: a start
    a limit delayed (noted with its sends, ``on_failure: delayed``) is still to come."""
    notes = failure_notes(run)
    return bool(notes) and not notes[-1].startswith(DELAYED)


def failure_delayed(run: Run) -> bool:
    """Whether on_failure made its sends for the run's latest failure and a limit delays
    the start of its error workflow."""
    notes = failure_notes(run)
    return bool(notes) and notes[-1].startswith(DELAYED)


def failure_notes(run: Run) -> list[str]:
    """What on_failure noted after the run's latest failure, in order."""
    turns = _failed_at(run)
    after = run.history[turns[-1] + 1 :] if turns else []
    return [turn["reason"] for turn in after if turn["reason"].startswith("on_failure:")]


def _failed_at(run: Run) -> list[int]:
    """Where in the run's history it turned failed (notes on a failed run are not turns)."""
    return [
        n
        for n, turn in enumerate(run.history)
        if turn["to"] == "failed" and turn["from"] != "failed"
    ]


def _waits_for(parent: Run, child: Run) -> bool:
    join = parent.join
    if parent.finished or join is None or child.parent is None:
        return False
    ids = {one["run_id"] for one in join["children"]}
    return join["step"] == child.parent["step"] and child.run_id in ids
