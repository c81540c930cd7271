"""Bulk run control: one command (retry, cancel, pause, resume) over every run a filter of
``GET /api/runs`` matches, worked by the arq worker in batches of
``AUTOMATOR_BULK_BATCH_SIZE`` runs.

A job takes runs newest first from a cursor that starts below the ids of runs created after
it, so runs started meanwhile are left alone. Each batch job applies the command through
``RunControl`` (the run's revision guard and allowed states, as for one run), saves the
job's progress under its cursor, and only then enqueues the next batch: a batch job that
runs twice finds the cursor moved on and does nothing, and a run is commanded once.
"""

import time
from dataclasses import dataclass, field
from typing import Protocol

from app.audit import CLI, Acting, Audit
from app.clock import Clock
from app.engine.walk.control import RunControl
from app.errors import Conflict, NotFound, redis_missing
from app.models.bulk import BulkAction, BulkJob, BulkState
from app.models.ids import ids_before, new_id
from app.models.run import Command, RunFilter
from app.models.workflow import Page
from app.store.protocol import Store


class BulkQueue(Protocol):
    async def bulk_batch(self, tenant_id: str, job_id: str, cursor: str) -> None:
        """Have a worker take the job's batch after ``cursor``."""


@dataclass(frozen=True)
class BulkPlan:
    """What a bulk request came to: the runs it matches and, unless a dry run, its job."""

    matched: int
    job: BulkJob | None


@dataclass(frozen=True)
class BulkRuns(Acting):
    """Bulk commands for ``actor`` (an API key id; ``cli`` by default)."""

    store: Store
    clock: Clock
    audit: Audit
    batch: int
    control: RunControl | None = None
    queue: BulkQueue | None = None
    actor: str = field(default=CLI)

    async def request(
        self, tenant_id: str, action: BulkAction, where: RunFilter, *, dry_run: bool
    ) -> BulkPlan:
        """Count the runs ``where`` matches; unless ``dry_run``, record a job for them,
        audit it once with the filter and the count, then enqueue its first batch."""
        matched = await self.store.count_runs(tenant_id, where)
        if dry_run:
            return BulkPlan(matched, None)
        if self.queue is None:
            raise redis_missing()
        at = self.clock.now()
        job = BulkJob(
            tenant_id,
            new_id("bulk"),
            action,
            where,
            self.actor,
            matched,
            # Run ids sort by the machine's time (app/models/ids.py), so the cut is too.
            ids_before("run", time.time_ns() // 1_000_000),
            at,
            at,
        )
        await self.store.add_bulk_job(job)
        after = {"action": action.value, "filter": _plain(where), "matched": matched}
        await self.audit.record(tenant_id, self.actor, "run.bulk", job.job_id, None, after)
        await self.queue.bulk_batch(tenant_id, job.job_id, job.cursor)
        return BulkPlan(matched, job)

    async def read(self, tenant_id: str, job_id: str) -> BulkJob:
        """The job's progress (NotFound for another tenant's)."""
        return await self.store.get_bulk_job(tenant_id, job_id)

    async def work(self, tenant_id: str, job_id: str, cursor: str) -> None:
        """Apply the job's command to its batch after ``cursor``, save the progress, then
        enqueue the next batch or mark the job completed. May run more than once."""
        if self.control is None or self.queue is None:
            raise redis_missing()
        job = await self.store.get_bulk_job(tenant_id, job_id)
        if job.status != BulkState.RUNNING or job.cursor != cursor:
            return  # done already: this batch ran before
        # In run id order whatever the filter: the job's first cursor is a cut of ids.
        page = Page(self.batch, cursor)
        runs = await self.store.list_runs(tenant_id, job.filter, page, by_id=True)
        for run in runs:
            await self._command(job, run.run_id, self.control)
        job.batches += 1
        job.updated_at = self.clock.now()
        if runs:
            job.cursor = runs[-1].run_id
        if len(runs) < self.batch:
            job.status, job.finished_at = BulkState.COMPLETED, job.updated_at
        if await self.store.save_bulk_job(job, cursor) and job.status == BulkState.RUNNING:
            await self.queue.bulk_batch(tenant_id, job_id, job.cursor)

    async def _command(self, job: BulkJob, run_id: str, control: RunControl) -> None:
        job.done += 1
        try:
            await control.apply(job.tenant_id, run_id, Command(job.action.value))
        except (Conflict, NotFound) as refused:
            job.refuse(run_id, refused.message)
            return
        job.changed += 1


def _plain(where: RunFilter) -> dict[str, str]:
    """The filter's fields that are set, as text (for the audit log)."""
    fields = {
        "workflow_id": where.workflow_id,
        "status": where.status,
        "user_id": where.user_id,
        "since": where.since and where.since.isoformat(),
        "until": where.until and where.until.isoformat(),
    }
    return {name: str(value) for name, value in fields.items() if value is not None}
