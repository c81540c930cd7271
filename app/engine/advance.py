"""Advancing real runs: the store and the queue behind the executor's walk."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.actions.base import ActionContext, ConnectorError
from app.actions.registry import Registry
from app.engine.executor import Walker, transition
from app.engine.program import Instruction, ProgramCache
from app.engine.queue import Queue
from app.engine.state import Leases
from app.models.run import Run, RunStatus, StepRecord
from app.store.base import LIVE, Store

# What a walk changes; carried onto a run that a control call changed meanwhile.
PROGRESS = ("pc", "attempt", "delay_served", "vars", "outputs", "active_seconds", "error")
# A job for a run that is still waiting this far ahead is an early duplicate: ignore it.
EARLY = timedelta(seconds=1)


@dataclass
class StoreEffects:
    store: Store
    queue: Queue
    registry: Registry
    lease_seconds: float

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def checkpoint(self, run: Run, steps: list[StepRecord]) -> bool:
        now = self.now()
        if run.status == RunStatus.RUNNING:
            # A running run is "due" when its lease would end: if its worker dies, the
            # reconciler finds it then.
            run.due_at = now + timedelta(seconds=self.lease_seconds)
        run.updated_at = now
        if await self.store.save_run(run, steps):
            return True
        await self._carry_over(run)
        return False

    async def _carry_over(self, run: Run) -> None:
        """The run changed under the walk (paused, cancelled): keep its new state, add the
        walk's progress, and stop."""
        fresh = await self.store.get_run(run.tenant_id, run.run_id)
        if fresh.status == RunStatus.RUNNING:
            return
        for name in PROGRESS:
            setattr(fresh, name, getattr(run, name))
        await self.store.save_run(fresh)

    async def defer(self, run: Run, job_id: str) -> bool:
        if await self.checkpoint(run, []):
            await self.queue.advance(run.tenant_id, run.run_id, job_id, run.due_at)
        return False

    async def call(
        self, instruction: Instruction, params: dict[str, Any], ctx: ActionContext
    ) -> Any:
        kind = instruction.action.type
        connector = self.registry.find(kind)
        if connector is None:
            raise ConnectorError(
                f"action type {kind!r} is not available: no connector for it is installed"
            )
        return await connector.execute(kind, params, ctx)


@dataclass
class Executor:
    store: Store
    leases: Leases
    programs: ProgramCache
    walker: Walker

    async def advance(self, tenant_id: str, run_id: str) -> None:
        """Walk the run as far as it goes now. Safe to call more than once for the same run:
        a second caller finds the lease taken, or the run not due."""
        async with self.leases.hold(run_id) as mine:
            if not mine:
                return
            run = await self.store.get_run(tenant_id, run_id)
            if not self._due(run):
                return
            program = await self.programs.get(self.store, tenant_id, run.workflow_id, run.version)
            transition(run, RunStatus.RUNNING, self.walker.effects.now(), "picked up")
            if await self.walker.effects.checkpoint(run, []):
                await self.walker.walk(run, program)

    def _due(self, run: Run) -> bool:
        if run.status not in LIVE:
            return False
        now = self.walker.effects.now()
        return not (run.status == RunStatus.WAITING and run.due_at and run.due_at > now + EARLY)
