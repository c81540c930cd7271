"""Concurrency limits on runs: a run takes a slot before it walks and keeps it while it is
live (walking or waiting in a delay); a run finding every slot taken waits in line.

A slot lapses a lease after its run's due time, so a worker that dies never keeps one for
good. When a run ends, pauses or is cancelled it gives its slots back and wakes the oldest
runs in line; a held run also checks again every ``recheck`` seconds, in case a wake was
lost (a crash between giving back and waking, or a slot that lapsed).
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.engine.expressions.renderer import Renderer, TemplateError
from app.engine.flow.limiters import Gate, Held, Limiters, rendered_key
from app.engine.flow.queue import Queue
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.errors import NotFound, shown
from app.models.document import WorkflowDocument
from app.models.flow import Concurrency
from app.models.run import FINISHED, Run, RunStatus
from app.models.workflow_settings import WorkflowSettings
from app.store.protocol import Store

log = logging.getLogger(__name__)
HELD = "queued behind"
# The kind of a held run's timer (``Run.timer``): its recheck, which a wake brings forward.
HELD_WAIT = "held"
WAKE_ATTEMPTS = 3
# How long a wake waits for a run in line to be saved as held: 40 polls of 0.05 s.
SAVE_POLLS, SAVE_POLL_SECONDS = 40, 0.05
# Held runs keep their place in line this long after they last asked for a slot.
LINE_SECONDS = 86400


def is_held(run: Run) -> bool:
    """Whether the run waits for a concurrency slot (rather than for a delay): its wait
    began held, whatever came since (a pause and a resume, a note)."""
    return (run.wait_reason or "").startswith(HELD)


@dataclass
class RunSlots:
    limiters: Limiters
    store: Store
    queue: Queue
    limits: TenantLimitsCache
    renderer: Renderer
    # Seconds a slot outlives its run's due time: a walk, plus the reconciler's grace.
    lease: float
    recheck: float

    async def gates(self, run: Run, settings: WorkflowSettings) -> list[Gate]:
        """The concurrency limits this run is under: its workflow's and its tenant's; a
        parallel branch is under none (its parent holds the slots), a sub-run its parent
        waits for is under none of the slots its parent holds (else it would queue behind
        the parent waiting for it)."""
        if run.branch:
            return []
        held = await self._held_above(run)
        return [gate for gate in await self._own(run, settings) if gate.slots not in held]

    async def _held_above(self, run: Run) -> set[str]:
        """The slots held for ``run`` by the runs it runs within: a branch's parent, the
        parent of a sub-run it waits for, and theirs in turn."""
        if run.parent is None or not (run.branch or run.parent.get("wait")):
            return set()
        try:
            parent = await self.store.get_run(run.tenant_id, run.parent["run_id"])
            version = await self.store.get_version(
                parent.tenant_id, parent.workflow_id, parent.version
            )
        except NotFound:
            return set()
        settings = WorkflowDocument.model_validate(version.document).settings
        held = {gate.slots for gate in await self._own(parent, settings)}
        return held | await self._held_above(parent)

    async def _own(self, run: Run, settings: WorkflowSettings) -> list[Gate]:
        tenant = await self.limits.get(run.tenant_id)
        scopes = (
            (f"workflow:{run.workflow_id}", settings.concurrency),
            ("tenant", tenant.concurrency),
        )
        return [
            gate for scope, limit in scopes if limit and (gate := self._gate(run, scope, limit))
        ]

    def _gate(self, run: Run, scope: str, limit: Concurrency) -> Gate | None:
        where = f"{scope} concurrency"
        try:
            key = rendered_key(self.renderer, limit.key, run.context, where)
        except TemplateError as exc:  # ingest checked it; a changed tenant limit may not fit
            log.warning("run %s is not under %s: %s", run.run_id, where, exc.message)
            return None
        label = f"{scope.split(':')[0]} concurrency {limit.limit}" + (
            f" per key {shown(key)}" if limit.key else ""
        )
        return Gate(
            self.limiters.key(run.tenant_id, scope, "slots", key),
            self.limiters.key(run.tenant_id, scope, "waiters", key),
            limit.limit,
            label,
        )

    async def enter(self, run: Run, settings: WorkflowSettings, now: datetime) -> list[Gate] | None:
        """Take the run's slots: the gates it passed, or None when it must wait (it is then
        saved as waiting)."""
        gates = await self.gates(run, settings)
        if not gates:
            return gates
        expires = now + timedelta(seconds=self.lease)
        held = await self.limiters.acquire(
            gates, run.run_id, run.created_at, expires, now, LINE_SECONDS
        )
        if held is None:
            return gates
        await self._hold(run, held, now)
        return None

    async def _hold(self, run: Run, held: Held, now: datetime) -> None:
        run.due_at = now + timedelta(seconds=self.recheck)
        run.updated_at = now
        behind = f"run {held.holder}" if held.holder else "other runs"
        run.move(RunStatus.WAITING, now, f"{HELD} {behind} ({held.gate.label})")
        # Armed before the save that holds the run: a slot given back wakes only a run saved
        # held, so its wake comes after and brings this recheck forward, not the reverse.
        timer = run.timer(HELD_WAIT)
        armed = await self.queue.advance(run.tenant_id, run.run_id, timer, run.due_at)
        if not await self.store.save_run(run):
            await self._refused(run, timer, armed)

    async def _refused(self, run: Run, timer: str, armed: int) -> None:
        """The save holding the run met a write made since the walk read it. A slot given
        back may have woken it (saved it due now, then brought this recheck forward), and
        before this arming put the recheck back: a run stored held keeps the recheck, due
        when the store says. Anything else (a pause, a cancel) takes it back."""
        fresh = await self.store.get_run(run.tenant_id, run.run_id)
        if is_held(fresh) and fresh.timer(HELD_WAIT) == timer:
            await self.queue.wake(run.tenant_id, run.run_id, timer, fresh.due_at)
        else:
            await self.queue.take_back(run.tenant_id, run.run_id, timer, armed)

    async def leave(self, run: Run, gates: list[Gate], now: datetime) -> None:
        """After a walk or a control command: keep the slots of a run waiting in a delay
        until its due time, give back those of a run that ended or paused."""
        if not gates or is_held(run):
            return
        if run.status == RunStatus.WAITING and run.due_at is not None:
            expires = max(run.due_at, now) + timedelta(seconds=self.lease)
            await self.limiters.extend(gates, run.run_id, expires, now)
        elif run.status in FINISHED or run.status == RunStatus.PAUSED:
            for woken in await self.limiters.release(gates, run.run_id, now):
                await self._wake(run.tenant_id, woken, now)

    async def release_ended(self, runs: Sequence[Run], now: datetime) -> None:
        """Runs an event ended in the store's write (an exit event, a goal that exits):
        their slots go to the next runs in line."""
        for run in runs:
            version = await self.store.get_version(run.tenant_id, run.workflow_id, run.version)
            settings = WorkflowDocument.model_validate(version.document).settings
            await self.leave(run, await self.gates(run, settings), now)

    async def _held(self, tenant_id: str, run_id: str) -> Run | None:
        """The run, once it is saved as held. A run given a slot while still pending is
        between taking its place in line and that save (``enter``): wait for the save
        rather than leave it asleep until its recheck."""
        for _ in range(SAVE_POLLS):
            try:
                run = await self.store.get_run(tenant_id, run_id)
            except NotFound:
                return None
            if is_held(run):
                return run
            if run.status != RunStatus.PENDING:
                return None
            await asyncio.sleep(SAVE_POLL_SECONDS)
        return None

    async def _wake(self, tenant_id: str, run_id: str, now: datetime) -> None:
        """Make a held run due now, in the store first: if the job is lost, the
        reconciler still finds it."""
        for _ in range(WAKE_ATTEMPTS):
            run = await self._held(tenant_id, run_id)
            if run is None:
                return
            run.due_at, run.updated_at = now, now
            if await self.store.save_run(run):
                await self.queue.wake(tenant_id, run_id, run.timer(HELD_WAIT))
                return
