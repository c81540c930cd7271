"""The worker's composition: its executor starts sub-workflows through an ingestor of its own,
and the sub-runs it starts are run by workers."""

import httpx

from app.engine.flow.queue import start_job_id
from app.engine.redis_keys import run_lease_key
from app.models.run import RunStatus
from app.resources import Resources
from app.settings import Settings
from app.worker import PollingWorker, create_worker
from tests.conftest import drain, send
from tests.engine.walk.test_runs import create, workflow
from tests.triggers.test_sub_workflows import LOG, PARENT, launch


async def test_the_worker_launches_sub_runs_that_workers_then_run(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    await create(client, workflow(LOG))
    worker = create_worker(
        settings, store=resources.store, burst=True, poll_delay=0.01, handle_signals=False
    )
    try:
        await worker.async_run()
        launcher = worker.ctx["executor"].effects.launcher
        run = await launcher.launch(launch(data={"n": 5}))
    finally:
        await worker.close()
    await drain(settings)
    done = await resources.store.get_run("acme", run.run_id)
    assert (done.status, done.parent, done.outputs["hello"]["output"]["message"]) == (
        RunStatus.COMPLETED,
        PARENT,
        "n=5",
    )


async def test_a_start_job_leases_its_run_as_it_is_taken_and_gives_the_lease_back(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    """The lease is taken in the script that marks the job started (not in a round trip of
    the walk's own); once the job ends it is gone, so the run's next wake waits for nothing."""
    await create(client, workflow([{"id": "hello", "type": "log", "data": {"message": "hi"}}]))
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    worker = create_worker(
        settings, store=resources.store, burst=True, poll_delay=0.01, handle_signals=False
    )
    assert isinstance(worker, PollingWorker)
    marked: set[str] = set()
    taking = worker._start

    async def start(job_ids: list[str]) -> None:
        await taking(job_ids)
        marked.update(worker.start_leases)  # before the jobs run and give them back

    worker._start = start  # type: ignore[method-assign]
    try:
        await worker.async_run()
    finally:
        await worker.close()
    assert marked == {start_job_id(run_id)}
    assert resources.engine is not None
    assert await resources.engine.queue.pool.exists(run_lease_key(run_id)) == 0
    run = await resources.store.get_run("acme", run_id)
    assert run.status == RunStatus.COMPLETED
