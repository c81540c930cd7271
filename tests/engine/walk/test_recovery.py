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

from app.engine.walk.executor import RESUMED
from app.engine.walk.jobs import reconcile, stop_gracefully
from app.models.run import Run, RunFilter, RunStatus, StepStatus
from app.models.workflow import Page
from app.resources import Resources
from app.settings import Settings
from app.worker import PollingWorker, create_worker
from tests.clock import ShiftedClock
from tests.conftest import drain, send
from tests.engine.walk.test_runs import create, drain_until, workflow
from tests.processes import fleet
from tests.sink import Sink, sink
from tests.waiting import COLD_START, until

AUTOMATOR = str(Path(sys.executable).parent / "automator")
STEPS = 15
# Enough that a worker is mid-way through them when the first few have completed, on a
# fast machine with the test's own process slowed by load (150 were all done on one).
RUNS = 600


async def test_no_run_is_lost_when_a_worker_is_killed_mid_run(
    app_resources: tuple[httpx.AsyncClient, Resources],
    client: httpx.AsyncClient,
    settings: Settings,
) -> None:
    _, resources = app_resources
    actions = [{"id": f"s{n}", "type": "set", "data": {f"v{n}": n}} for n in range(STEPS)]
    document = {"workflow_id": "long", "name": "n", "trigger": {"type": "go"}, "actions": actions}
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    batch = await client.post("/api/events/batch", json={"events": [{"type": "go"}] * RUNS})
    run_ids = [result["run_ids"][0] for result in batch.json()["results"]]

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
    """Short timeouts, and a run lease as short as the job: a killed worker's runs are free
    again before a draining worker has emptied the queue."""
    return {"job_timeout": 2, "reconcile_grace": 1, "run_lease_seconds": 2}


async def until_some_completed(resources: Resources) -> None:
    await until(
        lambda: at_least(resources, RunStatus.COMPLETED, 5), "5 runs completed", seconds=COLD_START
    )


async def at_least(resources: Resources, status: RunStatus, count: int) -> bool:
    runs = await resources.store.list_runs("acme", RunFilter(status=status), Page(limit=count))
    return len(runs) >= count


async def test_runs_survive_redis_losing_every_job(
    app_resources: tuple[httpx.AsyncClient, Resources],
    client: httpx.AsyncClient,
    settings: Settings,
    clock: ShiftedClock,
) -> None:
    """Runs waiting in a delay when Redis forgets everything are found by the reconciler.
    The delay is an hour, and the clock moves past it once Redis has forgotten: a delay
    the machine's load could outlast would let a run end before all were waiting."""
    _, resources = app_resources
    actions = [{"id": "wait", "type": "log", "delay": 3600}, {"id": "after", "type": "log"}]
    document = {
        "workflow_id": "delayed",
        "name": "n",
        "trigger": {"type": "go"},
        "actions": actions,
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    run_ids = [(await send(client, {"type": "go"}))["run_ids"][0] for _ in range(20)]
    quick = settings.model_copy(update=quick_settings())
    await drain_until(client, quick, run_ids, {"waiting"}, clock=clock)
    redis = Redis.from_url(str(settings.redis_url))
    await redis.flushdb()
    await redis.aclose()
    clock.advance(3601)
    await drain_until(client, quick, run_ids, {"completed"}, seconds=COLD_START, clock=clock)
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
ONE_ATTEMPT_EACH = [(step, StepStatus.COMPLETED) for step in ("before", "pause", "after")]
# Workers on which no attempt can time out before the drill's own deadline: a loaded
# machine slows the drill down, and never makes it retry a step.
PATIENT = {"action_timeout": COLD_START, "job_timeout": 3 * COLD_START}
PATIENT_ENV = {f"AUTOMATOR_{name.upper()}": str(value) for name, value in PATIENT.items()}


def sink_workflow(server: HTTPServer) -> dict[str, Any]:
    def hook(step: str) -> dict[str, Any]:
        body = {"step": step, "run": "{{ run.id }}"}
        return {
            "id": step,
            "type": "webhook_call",
            "data": {"url": server.url_for("/sink"), "json": body},
        }

    pause = {"id": "pause", "type": "log", "delay": SINK_DELAY}
    return {
        "workflow_id": "recovery",
        "name": "Recovery",
        "trigger": {"type": "go"},
        "actions": [hook("before"), pause, hook("after")],
    }


async def test_runs_asleep_in_a_delay_survive_a_killed_worker_and_a_flushed_redis(
    app_resources: tuple[httpx.AsyncClient, Resources],
    client: httpx.AsyncClient,
    settings: Settings,
    httpserver: HTTPServer,
    clock: ShiftedClock,
) -> None:
    """200 runs call a local sink, sleep, and call it again. The worker is SIGKILLed while
    they sleep and Redis forgets everything (FLUSHALL); a new worker finishes every run, each
    step in one attempt, and the sink has each step's request once per idempotency key, and
    nothing else.

    Both workers' attempts are bounded beyond the drill's deadline (``PATIENT``). With a
    2 s job (0.8 s per attempt) calls timed out on the sink (served one request at a time,
    in this process) under load: the new worker's ~90 first calls, of the runs not yet
    asleep, then waited out the 60 s back-off; the killed worker's first ~100, made at once
    as it starts, had a failed attempt recorded. From the new worker's start to the last
    run's end it took 3.3-3.8 s, or 65 s when calls timed out (2 runs in 7, load 4 to 12);
    now 3.7-5.4 s, 3 s of them the delay of the runs that had not slept yet
    (bench/README.md, "Recovery")."""
    _, resources = app_resources
    sink = IdempotentSink(httpserver)
    assert (await client.post("/api/workflows", json=sink_workflow(httpserver))).status_code == 201
    batch = await client.post("/api/events/batch", json={"events": [{"type": "go"}] * SINK_RUNS})
    run_ids = [result["run_ids"][0] for result in batch.json()["results"]]
    allowed = {"AUTOMATOR_HTTP_ALLOWED_HOSTS": '["127.0.0.1"]'}
    worker = subprocess.Popen(
        [AUTOMATOR, "worker"],
        env=worker_env(settings) | allowed | PATIENT_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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

    # The new worker reconciles as it starts; its clock is moved past every run's due time.
    overdue = max(run.due_at for run in runs if run.due_at) + timedelta(seconds=1.2)
    clock.advance(max(0.0, (overdue - clock.now()).total_seconds()))
    patient = settings.model_copy(update={**PATIENT, "http_allowed_hosts": ["127.0.0.1"]})
    await drain_until(client, patient, run_ids, {"completed"}, seconds=COLD_START, clock=clock)

    assert len(await resources.store.list_runs("acme", RunFilter(), Page(limit=500))) == SINK_RUNS
    for run_id in run_ids:  # no step retried: recovery cost no back-off
        steps = await resources.store.list_steps("acme", run_id)
        assert [(s.step_id, s.status) for s in steps] == ONE_ATTEMPT_EACH, run_id
    expected = {f"{run_id}:{step}:0" for run_id in run_ids for step in ("before", "after")}
    assert set(sink.kept) == expected
    assert all(sink.kept[f"{run_id}:after:0"]["run"] == run_id for run_id in run_ids)


def worker_env(settings: Settings) -> dict[str, str]:
    """An ``automator worker`` process on the test's store and Redis, with short timeouts."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    return inherited | {
        "AUTOMATOR_JOB_TIMEOUT": "2",
        "AUTOMATOR_RUN_LEASE_SECONDS": "2",
        "AUTOMATOR_RECONCILE_GRACE": "1",
        "AUTOMATOR_DATA_DIR": str(settings.data_dir),
        "AUTOMATOR_REDIS_URL": str(settings.redis_url),
    }


async def until_asleep(resources: Resources, count: int) -> None:
    await until(
        lambda: at_least(resources, RunStatus.WAITING, count),
        f"{count} runs waiting",
        seconds=COLD_START,
    )


INFLIGHT_RUNS = 150
# Seconds within which a run in flight on a killed worker must be walked again elsewhere.
TAKEOVER = 15
SURVIVOR_SLOTS = 20


def calls_workflow(url: str) -> dict[str, Any]:
    """The issue's shape: a condition, then three webhook calls to ``url``."""
    call = {"type": "webhook_call", "data": {"url": url, "json": {"n": "{{ n }}"}}}
    then = [{**call, "id": f"call_{n}"} for n in range(3)]
    condition = {
        "id": "check",
        "type": "condition",
        "conditions": [{"field": "n", "operator": ">=", "value": 0}],
        "then": then,
    }
    return {
        "workflow_id": "calls",
        "name": "Calls",
        "trigger": {"type": "go"},
        "actions": [condition],
    }


async def until_in_flight(hooks: Sink, count: int) -> None:
    async def in_flight() -> bool:
        return hooks.in_flight >= count

    await until(in_flight, f"{count} calls in flight at once", seconds=COLD_START)


async def until_finished(resources: Resources, count: int, seconds: float) -> list[Run]:
    """Every run of the test, once ``count`` have finished, within ``seconds``."""
    for _ in range(int(seconds * 10)):
        runs = await resources.store.list_runs("acme", RunFilter(), Page(limit=count + 1))
        if len(runs) == count and all(run.finished for run in runs):
            return runs
        await asyncio.sleep(0.1)
    unfinished = [run for run in runs if not run.finished]
    steps = await resources.store.list_steps("acme", unfinished[0].run_id) if unfinished else []
    raise AssertionError(
        f"runs unfinished {seconds} s after the kill: "
        f"{Counter(run.status.value for run in unfinished)}; one's steps: {steps}"
    )


def resumed_at(run: Run) -> datetime | None:
    notes = [turn["at"] for turn in run.history if turn["reason"] == RESUMED]
    return datetime.fromisoformat(notes[0]) if notes else None


async def test_runs_in_flight_on_a_killed_worker_resume_on_another_within_15_s(
    app_resources: tuple[httpx.AsyncClient, Resources],
    client: httpx.AsyncClient,
    settings: Settings,
    tmp_path: Path,
) -> None:
    """Two `automator worker` processes under load, the sink slow enough that calls are in
    flight; one worker is SIGKILLed. With the default lease (10 s), every run it was walking
    is taken over by the other within 15 s, and every run completes. Each step in flight on
    the dead worker is sent again at most once, with its original idempotency key."""
    _, resources = app_resources
    with (
        sink(delay=0.3) as hooks,
        fleet(
            settings.data_dir, str(settings.redis_url), AUTOMATOR_HTTP_ALLOWED_HOSTS="127.0.0.1"
        ) as started,
    ):
        document = calls_workflow(f"{hooks.url}/calls")
        assert (await client.post("/api/workflows", json=document)).status_code == 201
        # The survivor walks at most SURVIVOR_SLOTS runs at once, so once more calls than
        # that are in flight some are the doomed worker's: the start jobs arrive in one
        # script call, and a survivor free to take them all before the other's first poll
        # would leave the kill nothing to prove.
        # The doomed worker walks twice as many at once: the survivor takes all it leaves
        # behind in two rounds of its slots once their leases lapse. With the default (100)
        # in flight there, five rounds of the survivor's, not the takeover, would decide
        # when the last one is walked again.
        survivor = started.start("worker", AUTOMATOR_WORKER_CONCURRENCY=str(SURVIVOR_SLOTS))
        doomed = started.start("worker", AUTOMATOR_WORKER_CONCURRENCY=str(2 * SURVIVOR_SLOTS))
        await asyncio.gather(*(asyncio.to_thread(w.wait_ready) for w in (survivor, doomed)))
        batch = {"events": [{"type": "go", "data": {"n": n}} for n in range(INFLIGHT_RUNS)]}
        assert (await client.post("/api/events/batch", json=batch)).status_code == 202
        await until_in_flight(hooks, SURVIVOR_SLOTS + 10)
        doomed.kill()
        killed = datetime.now(UTC)
        runs = await until_finished(resources, INFLIGHT_RUNS, seconds=TAKEOVER + 25)

    assert {run.status for run in runs} == {RunStatus.COMPLETED}
    resumed = {run.run_id: at for run in runs if (at := resumed_at(run)) is not None}
    assert resumed, "no run was in flight on the killed worker; the test proved nothing"
    late = {
        run_id: at - killed
        for run_id, at in resumed.items()
        if at - killed > timedelta(seconds=TAKEOVER)
    }
    assert not late, f"runs taken over more than {TAKEOVER} s after the kill: {late}"
    expected = {f"{run.run_id}:call_{n}:0" for run in runs for n in range(3)}
    assert set(hooks.received) == expected
    assert hooks.repeats() <= len(resumed)
    assert all(hooks.received[key] == 1 for key in expected if key.split(":")[0] not in resumed)


ONCE_RUNS = 3


def once_workflow(url: str, timeout: float | None = None) -> dict[str, Any]:
    """A call that must never be made twice, then a step after it."""
    charge = {
        "id": "charge",
        "type": "webhook_call",
        "delivery": "at_most_once",
        "data": {"url": url, "json": {"amount": 10}},
        "timeout": timeout,
    }
    return {
        "workflow_id": "once",
        "name": "Once",
        "trigger": {"type": "go"},
        "actions": [charge, {"id": "after", "type": "log"}],
    }


async def test_an_at_most_once_call_cut_short_by_a_crash_ends_unknown_not_sent_again(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """An `automator worker` SIGKILLed while its at_most_once calls are under way (the sink
    holds them): the worker that takes the runs over finds each attempt recorded without an
    outcome, marks the step `unknown` and sends nothing; the runs fail as `on_error` says."""
    lease = {"AUTOMATOR_RUN_LEASE_SECONDS": "2", "AUTOMATOR_HTTP_ALLOWED_HOSTS": "127.0.0.1"}
    with sink() as hooks, fleet(settings.data_dir, str(settings.redis_url), **lease) as started:
        document = once_workflow(f"{hooks.url}/held")
        assert (await client.post("/api/workflows", json=document)).status_code == 201
        hooks.hold()
        doomed = started.start("worker")
        await asyncio.to_thread(doomed.wait_ready)
        run_ids = [(await send(client, {"type": "go"}))["run_ids"][0] for _ in range(ONCE_RUNS)]
        await until_in_flight(hooks, ONCE_RUNS)
        doomed.kill()
        hooks.release()
        quick = settings.model_copy(
            update={"run_lease_seconds": 2, "http_allowed_hosts": ["127.0.0.1"]}
        )
        await drain_until(client, quick, run_ids, {"failed"}, seconds=COLD_START)

    for run_id in run_ids:
        run = (await client.get(f"/api/runs/{run_id}")).json()
        assert [(s["step_id"], s["status"]) for s in run["steps"]] == [("charge", "unknown")]
        assert "not sent again" in run["steps"][0]["error"]["message"]
        assert run["error"]["step_id"] == "charge"
        assert hooks.received[f"{run_id}:charge:0"] == 1
    assert sum(hooks.received.values()) == ONCE_RUNS


async def test_an_at_most_once_call_that_times_out_is_unknown_not_retried(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """The receiver may have acted on a call it did not answer in time: not retried."""
    with sink(delay=2) as hooks:
        document = once_workflow(f"{hooks.url}/slow", timeout=0.3)
        document["settings"] = {"on_error": "continue"}
        assert (await client.post("/api/workflows", json=document)).status_code == 201
        run_id = (await send(client, {"type": "go"}))["run_ids"][0]
        quick = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})
        await drain_until(client, quick, [run_id], {"completed"})
    run = (await client.get(f"/api/runs/{run_id}")).json()
    assert [(s["step_id"], s["status"]) for s in run["steps"]] == [
        ("charge", "unknown"),
        ("after", "completed"),
    ]
    assert "timed out" in run["steps"][0]["error"]["message"]
    assert sum(hooks.received.values()) == 1


async def test_only_a_workers_first_reconcile_skips_the_grace(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    """The first pass takes every run due by now (what Redis lost is due at once); a later
    pass leaves a run due for less than the grace to its own job, as a backlog of start jobs
    is: arq hands each pass a copy of the worker's context, and the later passes too must
    know the first is done."""
    await create(client, workflow([{"id": "hello", "type": "log"}]))
    await send(client, {"type": "signup", "user": {"id": "u1"}})  # its start job waits
    worker = create_worker(settings, store=resources.store, handle_signals=False)
    assert isinstance(worker, PollingWorker)
    worker.allow_pick_jobs = False
    running = asyncio.create_task(worker.async_run())
    try:
        await worker.polling.wait()  # started up; it takes no job, its reconciler's neither
        passes = [await reconcile(worker.ctx | {"job_id": f"pass-{n}"}) for n in range(3)]
    finally:
        await stop_gracefully(worker, running)
    assert passes == [1, 0, 0]
