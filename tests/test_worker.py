"""The worker's composition: its executor starts sub-workflows through an ingestor of its own,
and the sub-runs it starts are run by workers; an idle worker polls seldom, and still starts
runs and takes timers on time."""

import asyncio
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest
from arq.constants import in_progress_key_prefix, retry_key_prefix

from app.engine.flow.queue import start_job_id
from app.engine.flow.scripted_worker import End
from app.engine.flow.served_first import ServedFirst
from app.engine.flow.together import Together
from app.engine.redis_keys import run_lease_key, taken_key, taken_scores_key
from app.engine.walk.jobs import stop_gracefully
from app.models.run import RunStatus
from app.resources import Resources
from app.settings import Settings
from app.worker import PollingWorker, create_worker
from tests.conftest import drain, send
from tests.engine.walk.test_retry_now import redis_known
from tests.engine.walk.test_runs import create, run_of, workflow
from tests.sink import sink
from tests.triggers.test_sub_workflows import LOG, PARENT, launch
from tests.waiting import DEADLINE, until


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
    taking = worker._take

    async def take(room: int) -> int:
        taken = await taking(room)
        marked.update(worker.start_leases)  # before the jobs run and give them back
        return taken

    worker._take = take  # type: ignore[method-assign]
    try:
        await worker.async_run()
    finally:
        await worker.close()
    assert marked == {start_job_id(run_id)}
    assert resources.engine is not None
    assert await resources.engine.queue.pool.exists(run_lease_key(run_id)) == 0
    run = await resources.store.get_run("acme", run_id)
    assert run.status == RunStatus.COMPLETED


async def test_jobs_ending_together_leave_no_key_and_no_lease_behind(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    """Jobs end in calls shared by the jobs ending meanwhile (the reconciler's cron job too):
    each call takes the job, its retry counter, its in-progress mark, its place among the
    jobs taken and its run's lease away."""
    await create(client, workflow([{"id": "hello", "type": "log", "data": {"message": "hi"}}]))
    run_ids = [
        (await send(client, {"type": "signup", "user": {"id": f"u{n}"}}))["run_ids"][0]
        for n in range(20)
    ]
    worker = create_worker(
        settings, store=resources.store, burst=True, poll_delay=0.01, handle_signals=False
    )
    assert isinstance(worker, PollingWorker)
    ended: list[str] = []
    finishing = worker._finish_jobs

    async def finish(ends: list[End]) -> None:
        ended.extend(end.job_id for end in ends)
        await finishing(ends)

    worker._finish = Together(finish)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    start_jobs = [start_job_id(run_id) for run_id in run_ids]
    assert sorted(job_id for job_id in ended if job_id in start_jobs) == sorted(start_jobs)
    assert resources.engine is not None
    redis = resources.engine.queue.pool
    assert (
        await redis.exists(taken_key(worker.queue_name), taken_scores_key(worker.queue_name)) == 0
    )
    left = [key async for key in redis.scan_iter("arq:*")]
    assert [key for key in left if any(run_id.encode() in key for run_id in run_ids)] == []
    assert await redis.exists(*(run_lease_key(run_id) for run_id in run_ids)) == 0
    for run_id in run_ids:
        assert (await resources.store.get_run("acme", run_id)).status == RunStatus.COMPLETED


async def test_a_start_job_finding_its_run_leased_comes_back_and_walks_it_once_free(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    """The job ends not done: pushed back in the queue, its in-progress mark gone, so that
    it is taken again (by any worker) once the run's lease is free."""
    await create(client, workflow([{"id": "hello", "type": "log", "data": {"message": "hi"}}]))
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    assert resources.engine is not None
    redis = resources.engine.queue.pool
    await redis.set(run_lease_key(run_id), "another worker's", px=60_000)
    job_id = start_job_id(run_id)
    worker = create_worker(
        settings, store=resources.store, burst=True, poll_delay=0.01, handle_signals=False
    )
    running = asyncio.create_task(worker.async_run())
    try:
        async with asyncio.timeout(DEADLINE):
            tried = retry_key_prefix + job_id
            while not await redis.exists(tried) or await redis.exists(  # noqa: ASYNC110 - Redis changes
                in_progress_key_prefix + job_id
            ):
                await asyncio.sleep(0.01)
        assert await redis.zscore(worker.queue_name, job_id) is not None  # still queued
        assert (await resources.store.get_run("acme", run_id)).status == RunStatus.PENDING
        await redis.delete(run_lease_key(run_id))
        await running
    finally:
        await worker.close()
    assert (await resources.store.get_run("acme", run_id)).status == RunStatus.COMPLETED
    assert await redis.zscore(worker.queue_name, job_id) is None


async def test_a_job_whose_end_fails_to_reach_redis_still_gives_its_runs_lease_back(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    """The call that ends jobs together fails (a stand-in for Redis dropping the connection
    mid-call): the job's run walked, and the lease its mark took is given back after the
    job, so the run's next walk (a timer, a wake) need not wait for the lease to lapse."""
    await create(client, workflow([{"id": "hello", "type": "log", "data": {"message": "hi"}}]))
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    worker = create_worker(
        settings, store=resources.store, burst=True, poll_delay=0.01, handle_signals=False
    )
    assert isinstance(worker, PollingWorker)
    failed = asyncio.Event()
    finishing = worker._finish_jobs

    async def lost(ends: list[End]) -> None:
        if all(end.job_id != start_job_id(run_id) for end in ends):
            return await finishing(ends)  # the reconciler's, cut short as the worker closes
        failed.set()
        raise ConnectionError("Connection closed by server.")

    worker._finish = Together(lost)
    running = asyncio.create_task(worker.async_run())
    try:
        async with asyncio.timeout(DEADLINE):
            await failed.wait()
            # A job's end failing is the worker's own failure: its next poll raises it, as
            # arq's does. (Waiting for the job to end instead raced that poll: close() then
            # raised it and left the worker's connections open.)
            with pytest.raises(ConnectionError):
                await running
    finally:
        running.cancel()
        await worker.close()
    assert resources.engine is not None
    assert await resources.engine.queue.pool.exists(run_lease_key(run_id)) == 0


async def test_with_requests_in_flight_all_along_a_worker_in_the_apis_process_runs_all_runs(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    """A worker sharing the API's process (automator dev) takes at most its few start jobs at
    once while the API has requests in flight, never none: runs go on completing however long
    the requests last (here the API is never idle)."""
    always_serving = ServedFirst(lambda: 1, 2)
    # Else the worker takes the test's flushed Redis for one that lost its data, and arms
    # a resume for every stored run as it starts: resumes go first, unbounded.
    await redis_known(resources)
    with sink(delay=0.05) as hooks:
        call = {"type": "webhook_call", "data": {"url": f"{hooks.url}/calls", "json": {}}}
        await create(client, workflow([{"id": "call", **call}]))
        events = [{"type": "signup", "user": {"id": f"u{n}"}} for n in range(12)]
        run_ids = [(await send(client, event))["run_ids"][0] for event in events]
        allowed = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})
        worker = create_worker(
            allowed, served_first=always_serving, burst=True, poll_delay=0.01, handle_signals=False
        )
        try:
            await worker.async_run()
        finally:
            await worker.close()
    assert {(await run_of(client, run_id))["status"] for run_id in run_ids} == {"completed"}
    assert hooks.most_in_flight <= 2


def idle_worker(
    settings: Settings,
    resources: Resources,
    idle: float,
    poll_delay: float,
    on_poll: Callable[[], None] | None = None,
) -> PollingWorker:
    """A worker whose polls space out up to ``idle`` seconds while it has nothing to do."""
    quiet = settings.model_copy(update={"worker_idle_poll_delay": idle})
    worker = create_worker(
        quiet, store=resources.store, on_poll=on_poll, poll_delay=poll_delay, handle_signals=False
    )
    assert isinstance(worker, PollingWorker)
    return worker


async def completed(resources: Resources, run_id: str) -> None:
    """Wait until the run has completed."""

    async def done() -> bool:
        return (await resources.store.get_run("acme", run_id)).status == RunStatus.COMPLETED

    await until(done, f"run {run_id} completed")


async def test_an_idle_worker_polls_seldom_and_starts_a_new_run_all_the_same(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    """With nothing to do its polls space out to the idle delay; an event's run after that
    quiet spell starts at its next poll."""
    await create(client, workflow([{"id": "hello", "type": "log"}]))
    polls = 0
    quiet_polls = asyncio.Event()  # at the idle delay: its reconciler's run at start-up done

    def polled() -> None:
        nonlocal polls
        polls += 1
        if worker.pace.delay >= 0.5:
            quiet_polls.set()

    worker = idle_worker(settings, resources, 0.5, 0.01, polled)
    running = asyncio.create_task(worker.async_run())
    try:
        async with asyncio.timeout(DEADLINE):
            await quiet_polls.wait()
        before = polls
        await asyncio.sleep(2)
        assert polls - before <= 20  # about 4; at its poll delay of 0.01 s, about 200
        run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
        await completed(resources, run_id)
    finally:
        await stop_gracefully(worker, running)


async def test_an_idle_worker_still_takes_a_timer_when_it_falls_due(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    """The delay's resume is known to the worker's claim before it falls due: the claim's
    wait ends then, however long the idle worker rests between polls (here ten minutes from
    its first quiet poll on: taken at its next poll, the step would start minutes late)."""

    def rested() -> None:
        if worker.pace.quiet and not worker.busy():
            worker.pace.delay = worker.pace.idle

    await create(
        client,
        workflow(
            [
                {"id": "first", "type": "log"},
                {"id": "second", "type": "log", "delay": 4, "data": {"message": "later"}},
            ]
        ),
    )
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    worker = idle_worker(settings, resources, 600, 0.1, rested)
    running = asyncio.create_task(worker.async_run())
    try:
        await completed(resources, run_id)
    finally:
        await stop_gracefully(worker, running)
    first, second = (await run_of(client, run_id))["steps"]
    started = datetime.fromisoformat(second["started_at"])
    late = (started - datetime.fromisoformat(first["finished_at"])).total_seconds() - 4
    assert 0 <= late < DEADLINE  # far under the ten minutes a poll would have been late


async def test_a_worker_resting_between_quiet_polls_stops_at_once(
    resources: Resources, settings: Settings
) -> None:
    """A stop (SIGTERM) does not wait out the rest of an idle worker's quiet poll: the
    process stops as soon as the jobs in progress end, whatever the idle delay."""
    resting = asyncio.Event()

    def polled() -> None:
        # Idle since its start-up's reconcile: its next rest is as long as it gets.
        if worker.pace.quiet and not worker.busy():
            worker.pace.delay = worker.pace.idle
            resting.set()

    worker = idle_worker(settings, resources, 600, 0.01, polled)
    running = asyncio.create_task(worker.async_run())
    try:
        async with asyncio.timeout(DEADLINE):
            await resting.wait()
    finally:
        async with asyncio.timeout(DEADLINE):  # not the ten minutes it rests for
            await stop_gracefully(worker, running)


async def test_the_claims_wait_ends_at_the_claims_time_or_when_a_walk_makes_room(
    resources: Resources, settings: Settings
) -> None:
    worker = idle_worker(settings, resources, 60, 0.01)
    worker.pace.delay = 0.05  # the next claim's time, with no resume known to fall due
    async with asyncio.timeout(DEADLINE):
        await worker._wait_for_room()

    worker.pace.delay = 60
    waiting = asyncio.create_task(worker._wait_for_room())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    worker.room.set()  # a walk ended while due resumes waited: not a minute later
    async with asyncio.timeout(DEADLINE):
        await waiting

    # A wait cancelled (the worker stopping) leaves no timer to set the room later.
    worker.pace.delay = 0.05
    waiting = asyncio.create_task(worker._wait_for_room())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.sleep(0.2)  # past the cancelled wait's time: its timer would have fired
    assert not worker.room.is_set()
