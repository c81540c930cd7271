"""A worker killed with SIGKILL in the middle of runs loses none of them."""

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pytest_httpserver import HTTPServer
from redis.asyncio import Redis
from werkzeug import Request, Response

from app.models.run import RunFilter, RunStatus
from app.models.workflow import Page
from app.resources import Resources
from app.settings import Settings
from tests.conftest import drain, send
from tests.engine.walk.test_runs import drain_until

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

    worker = subprocess.Popen(
        [AUTOMATOR, "worker"],
        env=worker_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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


class IdempotentSink:
    """A local receiver that acts once per ``Idempotency-Key``, as an idempotent API does:
    the first request of a key is kept, a repeat is answered the same and only counted."""

    def __init__(self, server: HTTPServer) -> None:
        self.kept: dict[str, dict[str, Any]] = {}
        self.repeats: Counter[str] = Counter()
        server.expect_request("/sink", method="POST").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        key = request.headers["Idempotency-Key"]
        if key in self.kept:
            self.repeats[key] += 1
        else:
            self.kept[key] = request.get_json()
        return Response('{"ok": true}', content_type="application/json")


SINK_RUNS = 200
SINK_DELAY = 3


def sink_workflow(server: HTTPServer) -> dict[str, Any]:
    def hook(step: str) -> dict[str, Any]:
        body = {"step": step, "run": "{{ run.id }}"}
        return {"id": step, "type": "webhook_call",
                "data": {"url": server.url_for("/sink"), "json": body}}  # fmt: skip

    pause = {"id": "pause", "type": "log", "delay": SINK_DELAY}
    return {"workflow_id": "recovery", "name": "Recovery", "trigger": {"type": "go"},
            "actions": [hook("before"), pause, hook("after")]}  # fmt: skip


async def test_runs_asleep_in_a_delay_survive_a_killed_worker_and_a_flushed_redis(
    app_resources: tuple[httpx.AsyncClient, Resources],
    client: httpx.AsyncClient,
    settings: Settings,
    httpserver: HTTPServer,
) -> None:
    """200 runs call a local sink, sleep, and call it again. The worker is SIGKILLed while
    they sleep and Redis forgets everything (FLUSHALL); a new worker finishes every run, and
    the sink has each step's request once per idempotency key, and nothing else."""
    _, resources = app_resources
    sink = IdempotentSink(httpserver)
    assert (await client.post("/api/workflows", json=sink_workflow(httpserver))).status_code == 201
    batch = await client.post("/api/events/batch", json={"events": [{"type": "go"}] * SINK_RUNS})
    run_ids = [result["run_ids"][0] for result in batch.json()["results"]]
    allowed = {"AUTOMATOR_HTTP_ALLOWED_HOSTS": '["127.0.0.1"]'}
    worker = subprocess.Popen(
        [AUTOMATOR, "worker"], env=worker_env(settings) | allowed,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await until_asleep(resources, SINK_RUNS // 2)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    redis = Redis.from_url(str(settings.redis_url))
    await redis.flushall()
    await redis.aclose()
    runs = await resources.store.list_runs("acme", RunFilter(), Page(limit=SINK_RUNS))
    asleep = [run for run in runs if run.status == RunStatus.WAITING]
    assert asleep, "no run was asleep in its delay when the worker was killed"

    # The new worker reconciles as it starts; start it once every run is overdue.
    overdue = max(run.due_at for run in runs if run.due_at) + timedelta(seconds=1.2)
    await asyncio.sleep(max(0.0, (overdue - datetime.now(UTC)).total_seconds()))
    quick = settings.model_copy(update={**quick_settings(), "http_allowed_hosts": ["127.0.0.1"]})
    await drain_until(client, quick, run_ids, {"completed"}, seconds=60)

    assert len(await resources.store.list_runs("acme", RunFilter(), Page(limit=500))) == SINK_RUNS
    expected = {f"{run_id}:{step}:0" for run_id in run_ids for step in ("before", "after")}
    assert set(sink.kept) == expected
    assert all(sink.kept[f"{run_id}:after:0"]["run"] == run_id for run_id in run_ids)


def worker_env(settings: Settings) -> dict[str, str]:
    """An ``automator worker`` process on the test's store and Redis, with short timeouts."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    return inherited | {
        "AUTOMATOR_JOB_TIMEOUT": "2",
        "AUTOMATOR_RECONCILE_GRACE": "1",
        "AUTOMATOR_DATA_DIR": str(settings.data_dir),
        "AUTOMATOR_REDIS_URL": str(settings.redis_url),
    }


async def until_asleep(resources: Resources, count: int) -> None:
    for _ in range(1200):  # a cold worker process takes a few seconds to start
        asleep = await resources.store.list_runs(
            "acme", RunFilter(status=RunStatus.WAITING), Page(limit=count)
        )
        if len(asleep) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} runs reached their delay")
