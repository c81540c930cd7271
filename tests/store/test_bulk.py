"""Bulk run commands: runs counted by filter, a job's progress saved under its cursor; on
every adapter."""

from dataclasses import replace
from datetime import timedelta

import pytest

from app.errors import NotFound
from app.models.bulk import BulkAction, BulkJob, BulkState
from app.models.run import RunFilter, RunStatus
from app.store.protocol import Store
from tests.clock import now
from tests.store.records import run


async def test_runs_are_counted_by_the_filters_of_the_listing(store: Store) -> None:
    at = now()
    await store.add_runs(
        [
            run("r1", status=RunStatus.FAILED),
            run("r2", status=RunStatus.FAILED, user_id="u2"),
            run("r3", "other", status=RunStatus.COMPLETED),
            run("r4", status=RunStatus.FAILED, created_at=at - timedelta(days=2)),
            run("g1", tenant_id="globex", status=RunStatus.FAILED),
        ]
    )
    assert await store.count_runs("acme", RunFilter()) == 4
    assert await store.count_runs("acme", RunFilter(status=RunStatus.FAILED)) == 3
    assert await store.count_runs("acme", RunFilter("wf", RunStatus.FAILED, "u2")) == 1
    recent = RunFilter(status=RunStatus.FAILED, since=at - timedelta(days=1))
    assert await store.count_runs("acme", recent) == 2
    assert await store.count_runs("acme", RunFilter(workflow_id="none")) == 0


def job(job_id: str = "bulk_1", tenant_id: str = "acme") -> BulkJob:
    at = now()
    where = RunFilter("wf", RunStatus.FAILED, None, at - timedelta(days=1), None)
    return BulkJob(tenant_id, job_id, BulkAction.RETRY, where, "key_1", 3, "run_z", at, at)


async def test_a_bulk_job_is_kept_and_its_progress_saved_once_per_cursor(store: Store) -> None:
    requested = job()
    await store.add_bulk_job(requested)
    stored = await store.get_bulk_job("acme", "bulk_1")
    assert stored == requested
    stored.cursor, stored.done, stored.changed = "run_b", 2, 1
    stored.refuse("run_c", "it is completed")
    assert await store.save_bulk_job(stored, "run_z")
    assert not await store.save_bulk_job(stored, "run_z")  # the same batch, run again
    again = await store.get_bulk_job("acme", "bulk_1")
    assert (again.cursor, again.done, again.changed, again.refused_count) == ("run_b", 2, 1, 1)
    assert again.refused == [{"run_id": "run_c", "reason": "it is completed"}]
    again.status, again.finished_at = BulkState.COMPLETED, now()
    assert await store.save_bulk_job(again, "run_b")
    assert (await store.get_bulk_job("acme", "bulk_1")).status == BulkState.COMPLETED
    with pytest.raises(NotFound):
        await store.get_bulk_job("globex", "bulk_1")


async def test_running_jobs_without_recent_progress_are_stalled(store: Store) -> None:
    old = now() - timedelta(hours=1)
    quiet = replace(job("quiet"), updated_at=old)
    busy = job("busy")
    done = replace(job("done"), updated_at=old, status=BulkState.COMPLETED)
    elsewhere = replace(job("elsewhere", "globex"), updated_at=old)
    for one in (quiet, busy, done, elsewhere):
        await store.add_bulk_job(one)
    stalled = await store.stalled_bulk_jobs(now() - timedelta(minutes=1), 10)
    assert sorted((one.tenant_id, one.job_id) for one in stalled) == [
        ("acme", "quiet"),
        ("globex", "elsewhere"),
    ]
    assert await store.stalled_bulk_jobs(now() - timedelta(minutes=1), 1) != []
    assert len(await store.stalled_bulk_jobs(now() - timedelta(minutes=1), 1)) == 1
