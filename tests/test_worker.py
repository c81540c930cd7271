"""The worker's composition: its executor starts sub-workflows through an ingestor of its own,
and the sub-runs it starts are run by workers."""

import httpx

from app.models.run import RunStatus
from app.resources import Resources
from app.settings import Settings
from app.worker import create_worker
from tests.conftest import drain
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
