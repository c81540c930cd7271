"""A worker killed with SIGKILL in the middle of runs loses none of them."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from redis.asyncio import Redis

from app.models.run import RunFilter, RunStatus
from app.models.workflow import Page
from app.resources import Resources
from app.settings import Settings
from tests.conftest import drain, send
from tests.engine.test_runs import drain_until

AUTOMATOR = str(Path(sys.executable).parent / "automator")
STEPS = 15
RUNS = 150


async def test_no_run_is_lost_when_a_worker_is_killed_mid_run(
    app_resources: tuple[httpx.AsyncClient, Resources],
    client: httpx.AsyncClient,
    settings: Settings,
) -> None:
    _, resources = app_resources
    actions = [{"id": f"s{n}", "type": "set", "data": {f"v{n}": n}} for n in range(STEPS)]
    document = {"workflow_id": "long", "name": "n", "trigger": {"type": "go"}, "actions": actions}
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    run_ids = [(await send(client, {"type": "go"}))["run_ids"][0] for _ in range(RUNS)]

    quick = {"AUTOMATOR_JOB_TIMEOUT": "2", "AUTOMATOR_RECONCILE_GRACE": "1"}
    env = (
        {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
        | quick
        | {
            "AUTOMATOR_DATA_DIR": str(settings.data_dir),
            "AUTOMATOR_REDIS_URL": str(settings.redis_url),
        }
    )
    worker = subprocess.Popen(
        [AUTOMATOR, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        await until_some_completed(resources)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    store = resources.store
    after_kill = await store.list_runs("acme", RunFilter(), Page(limit=RUNS))
    unfinished = [r for r in after_kill if r.status != RunStatus.COMPLETED]
    assert unfinished, (
        "the worker finished everything before it was killed; the test proved nothing"
    )

    await drain(settings.model_copy(update=quick_settings()))
    for run_id in run_ids:
        run = await store.get_run("acme", run_id)
        assert run.status == RunStatus.COMPLETED, (run_id, run.status)
        assert run.vars == {f"v{n}": n for n in range(STEPS)}
        steps = {s.step_id for s in await store.list_steps("acme", run_id)}
        assert steps == {f"s{n}" for n in range(STEPS)}


def quick_settings() -> dict[str, int]:
    return {"job_timeout": 2, "reconcile_grace": 1}


async def until_some_completed(resources: Resources) -> None:
    for _ in range(1200):  # a cold worker process takes a few seconds to start
        done = await resources.store.list_runs(
            "acme", RunFilter(status=RunStatus.COMPLETED), Page(limit=5)
        )
        if len(done) >= 5:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the worker completed nothing")


async def test_runs_survive_redis_losing_every_job(
    app_resources: tuple[httpx.AsyncClient, Resources],
    client: httpx.AsyncClient,
    settings: Settings,
) -> None:
    """Runs waiting in a delay when Redis forgets everything are found by the reconciler."""
    _, resources = app_resources
    actions = [{"id": "wait", "type": "log", "delay": 2}, {"id": "after", "type": "log"}]
    document = {
        "workflow_id": "delayed",
        "name": "n",
        "trigger": {"type": "go"},
        "actions": actions,
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    run_ids = [(await send(client, {"type": "go"}))["run_ids"][0] for _ in range(20)]
    quick = settings.model_copy(update=quick_settings())
    await drain_until(client, quick, run_ids, {"waiting"})
    redis = Redis.from_url(str(settings.redis_url))
    await redis.flushdb()
    await redis.aclose()
    await drain_until(client, quick, run_ids, {"completed"}, seconds=40)
    for run_id in run_ids:
        steps = await resources.store.list_steps("acme", run_id)
        assert [s.step_id for s in steps] == ["wait", "after"]
