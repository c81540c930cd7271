"""Resumes (timers, wakes of runs already started) on a queue of their own: served before
new runs, and never lost with the worker that took them."""

import asyncio
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, cast

import httpx
import orjson
import pytest
from prometheus_client import REGISTRY

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter
from app.engine.flow.queue import ArqQueue
from app.engine.redis_keys import CLAIMERS, QUEUE_MEMORY, RESUMES
from app.engine.walk.jobs import rearm, reconcile
from app.models.run import RunStatus
from app.redis_server import LocalRedisServer
from app.resources import Resources
from app.settings import Settings
from app.store.protocol import Store
from app.worker import create_worker
from tests.clock import ShiftedClock
from tests.conftest import as_admin, drain, send, serving, worker_running
from tests.engine.walk.test_retry_now import redis_known, timers_later
from tests.engine.walk.test_runs import (
    Slow,
    create,
    drain_until,
    registry_of,
    run_of,
    workflow,
)
from tests.store.records import run as stored_run
from tests.waiting import DEADLINE, until

DELAY = 5  # seconds of the workflow's delay, scaled by SCALE: half a second
SCALE = 0.1


def delayed() -> dict[str, Any]:
    document = workflow([{"id": "later", "type": "log", "delay": DELAY}], workflow_id="delayed")
    return document | {"trigger": {"type": "later"}}


def started(run: dict[str, Any], step_id: str) -> datetime:
    [step] = [step for step in run["steps"] if step["step_id"] == step_id]
    return datetime.fromisoformat(step["started_at"])


def finished(run: dict[str, Any], step_id: str) -> datetime:
    [step] = [step for step in run["steps"] if step["step_id"] == step_id]
    return datetime.fromisoformat(step["finished_at"])


def queue_of(resources: Resources) -> ArqQueue:
    assert resources.engine is not None
    return resources.engine.queue


async def parked(client: httpx.AsyncClient, settings: Settings) -> str:
    """A run of ``delayed`` parked in its delay; waits until the delay is over."""
    await create(client, delayed())
    run_id: str = (await send(client, {"type": "later", "user": {"id": "u0"}}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"})
    await asyncio.sleep(DELAY * SCALE)  # the timer's score is on the machine's clock
    return run_id


async def all_completed(client: httpx.AsyncClient, run_ids: list[str]) -> list[dict[str, Any]]:
    """The runs, read again until every one has completed (while a worker walks them)."""
    return await until(lambda: runs_in(client, run_ids, "completed"), "every run completed")


async def runs_in(
    client: httpx.AsyncClient, run_ids: list[str], status: str
) -> list[dict[str, Any]] | None:
    """The runs, if every one is in ``status``."""
    runs = [await run_of(client, run_id) for run_id in run_ids]
    return runs if {run["status"] for run in runs} == {status} else None


class Crowd(ConnectorAdapter):
    """A test connector (named so) that counts its calls in flight, the most at once: each
    call of the workflow ``gather`` (and of those ``held``) waits until ``together`` calls
    of ``gather`` are in flight at once, then every call takes ``seconds``. What went on
    at once is counted, not read from times a loaded machine stretches."""

    code: ClassVar[str] = "crowd"
    actions: ClassVar[Mapping[str, ActionSpec]] = {"send_sms": ActionSpec()}

    def __init__(
        self, gather: str, together: int, *, held: Collection[str] = (), seconds: float = 0
    ) -> None:
        self.gather = gather
        self.together = together
        self.held = {gather, *held}
        self.seconds = seconds
        self.flying: Counter[str] = Counter()  # calls in flight now, by workflow
        self.peaks: Counter[str] = Counter()  # the most in flight at once, by workflow
        self.most = 0  # the most in flight at once, of every workflow
        self.gathered = asyncio.Event()

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        workflow = context.workflow_id
        self.flying[workflow] += 1
        self.peaks[workflow] = max(self.peaks[workflow], self.flying[workflow])
        self.most = max(self.most, self.flying.total())
        if self.flying[self.gather] >= self.together:
            self.gathered.set()
        try:
            if workflow in self.held:
                await self.gathered.wait()
            await asyncio.sleep(self.seconds)
        finally:
            self.flying[workflow] -= 1
        return {"slept": self.seconds}

    async def gathering(self) -> None:
        """Until ``together`` calls of ``gather`` were in flight at once. If they never are,
        the calls held go (a worker's stop waits for them) and the test fails, saying so."""
        try:
            await asyncio.wait_for(self.gathered.wait(), DEADLINE)
        except TimeoutError:
            self.gathered.set()
            pytest.fail(
                f"never {self.together} calls of {self.gather} in flight at once "
                f"(at most {self.peaks[self.gather]}) within {DEADLINE:g} s"
            )

    async def in_flight(self, workflow_id: str, calls: int) -> bool:
        """Whether ``calls`` calls of ``workflow_id`` are in flight now."""
        return self.flying[workflow_id] == calls


async def test_a_due_timer_goes_before_the_new_runs_queued_ahead_of_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """One worker, one job at a time: twenty runs started before a parked run's delay is
    over wait until its step has started (arq, taking jobs by time, ran them all first)."""
    one = settings.model_copy(update={"delay_scale": SCALE, "worker_concurrency": 1})
    await create(client, workflow([{"id": "now", "type": "log"}], workflow_id="new"))
    await create(client, delayed())
    timer = (await send(client, {"type": "later", "user": {"id": "u0"}}))["run_ids"][0]
    await drain_until(client, one, [timer], {"waiting"})
    news = [
        (await send(client, {"type": "signup", "user": {"id": f"u{n}"}}))["run_ids"][0]
        for n in range(1, 21)
    ]
    await asyncio.sleep(DELAY * SCALE)  # the delay is over: the timer is due behind them
    await drain_until(client, one, [timer, *news], {"completed"})
    resumed = started(await run_of(client, timer), "later")
    before = [run_id for run_id in news if started(await run_of(client, run_id), "now") < resumed]
    assert len(before) <= 1, "the worker's first poll may take one start job beside it"


async def test_a_timer_falling_due_between_two_polls_is_taken_when_due_not_a_poll_later(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A worker polling every 3 s takes a timer due a second after it starts at that
    second: its claim knows when the next resume falls due."""
    scaled = settings.model_copy(update={"delay_scale": SCALE})
    document = workflow([{"id": "later", "type": "log", "delay": 10}], workflow_id="delayed")
    await create(client, document | {"trigger": {"type": "later"}})
    run_id = (await send(client, {"type": "later", "user": {"id": "u0"}}))["run_ids"][0]
    await drain_until(client, scaled, [run_id], {"waiting"})
    poll = 3.0
    async with worker_running(scaled, poll_delay=poll):
        [run] = await until(lambda: runs_in(client, [run_id], "completed"), "the run completed")
    [parked_at] = [h["at"] for h in run["history"] if h["to"] == "waiting"]
    due = datetime.fromisoformat(parked_at).timestamp() + 10 * SCALE
    assert started(run, "later").timestamp() - due < poll / 2


# The workers' look ahead in the tests below, in seconds: long beside a walk's 0.4 s, so a
# worker polling sees a burst coming however late a loaded machine makes its polls, and the
# new runs in flight then end before it falls due (the hold lasts at most twice as long).
LEAD = 3.0


async def due_together(resources: Resources, run_ids: list[str], at: datetime) -> None:
    """Bring the delays of the parked runs, and their timers, forward to one instant ``at``:
    a burst of timers falling due together, whenever the runs were parked."""
    queue = queue_of(resources)
    for run_id in run_ids:
        run = await resources.store.get_run("acme", run_id)
        run.due_at = at
        assert await resources.store.save_run(run)
        await queue.advance("acme", run_id, run.timer("delay"), at)


async def burst_soon(resources: Resources, run_ids: list[str], clock: ShiftedClock) -> None:
    """The parked runs' timers falling due together just over a look ahead on."""
    await due_together(resources, run_ids, clock.now() + timedelta(seconds=LEAD + 0.5))


def crowd_settings(settings: Settings) -> Settings:
    """A worker with room for 2 walks of each kind, looking ``LEAD`` seconds ahead, whose
    calls a ``Crowd`` holds are not cut short by the action timeout (30 s) before the
    crowd's deadline: a call cut short is retried a minute later."""
    update = {"worker_concurrency": 2, "worker_resume_lead": LEAD, "action_timeout": 2 * DEADLINE}
    return settings.model_copy(update=update)


async def parked_timers(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, count: int
) -> list[str]:
    """``count`` runs of ``delayed`` parked an hour before their ``send_sms`` step, to be
    brought due together once the test's worker runs: a delay a loaded machine's set-up
    could outlast would have them due before the worker starts. The test's flushed Redis is
    marked known: else the worker parking them arms them again as it starts, and their
    resumes, left claimed, fall due as the test's worker starts (see the look-ahead test)."""
    await redis_known(resources)
    later = {"id": "sms", "type": "send_sms", "delay": 3600}
    await create(client, workflow([later], workflow_id="delayed") | {"trigger": {"type": "later"}})
    run_ids = [
        (await send(client, {"type": "later", "user": {"id": f"t{n}"}}))["run_ids"][0]
        for n in range(count)
    ]
    await drain_until(client, settings, run_ids, {"waiting"})
    return run_ids


async def new_runs(client: httpx.AsyncClient, count: int) -> list[str]:
    """``count`` new runs of ``new`` (one ``send_sms`` step) queued."""
    await create(client, workflow([{"id": "sms", "type": "send_sms"}], workflow_id="new"))
    return [
        (await send(client, {"type": "signup", "user": {"id": f"u{n}"}}))["run_ids"][0]
        for n in range(count)
    ]


async def test_new_runs_in_flight_end_before_more_timers_fall_due_than_the_worker_has_room_for(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    """A worker with room for 2 walks, a flood of new runs whose step takes 0.4 s, and 3
    timers falling due together once new runs are flowing: the worker takes no new run in
    the look ahead before they do, so none is walked beside them (on main, 2 were), and
    takes new runs again after them: every new run completes."""
    two = settings.model_copy(update={"worker_concurrency": 2, "worker_resume_lead": LEAD})
    # Else the first worker takes the test's flushed Redis for one that lost its data and
    # arms the timers' runs again as it starts, still pending: their resumes, claimed when
    # it stops, fall due as the second worker starts, which then holds its start jobs and
    # runs its first reconcile first, arming a resume for each new run: all walked ahead.
    await redis_known(resources)
    later = {"id": "later", "type": "log", "delay": 3600}
    await create(client, workflow([later], workflow_id="delayed") | {"trigger": {"type": "later"}})
    timers = [
        (await send(client, {"type": "later", "user": {"id": f"t{n}"}}))["run_ids"][0]
        for n in range(3)
    ]
    await drain_until(client, two, timers, {"waiting"})
    news = await new_runs(client, 60)  # 6 s of walks or more: some in flight as timers fall due
    async with worker_running(two, registry_of(Slow(0.4))):
        await until(lambda: runs_in(client, news[:1], "completed"), "a new run completed")
        await burst_soon(resources, timers, clock)  # while new runs are flowing
        runs = await all_completed(client, [*timers, *news])
    walked = [started(run, "later") for run in runs[:3]]
    spans = [(started(run, "sms"), finished(run, "sms")) for run in runs[3:]]
    beside = [span for span in spans if span[0] <= max(walked) and span[1] >= min(walked)]
    assert beside == [], "no new run is walked beside the timers"
    assert any(end < min(walked) for _, end in spans), "new runs were taken before them"
    assert any(start > max(walked) for start, _ in spans), "and after them"


async def test_a_timer_taken_by_a_worker_that_died_is_walked_once_when_its_claim_lapses(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    """A worker takes the due timer (its claim and the run's lease) and dies before walking
    it: another worker walks the run once the lease has lapsed, and only then."""
    scaled = settings.model_copy(update={"delay_scale": SCALE})
    run_id = await parked(client, scaled)
    queue = queue_of(resources)
    died = time.time()  # before the claim: its lease ends a second after it, or later
    [claim] = (await queue.resumes.claim(10, seconds=1.2, lease=1)).claims
    assert claim.run_id == run_id
    await drain_until(client, scaled, [run_id], {"completed"})
    run = await run_of(client, run_id)
    assert [step["step_id"] for step in run["steps"]] == ["later"]
    assert started(run, "later").timestamp() >= died + 1, "not while the dead worker's lease held"


async def test_a_resume_of_a_run_the_store_does_not_have_is_dropped(
    resources: Resources, settings: Settings
) -> None:
    """Redis may hold resumes of runs the store does not have (a store restored from an
    older backup, a run deleted): the worker drops them, instead of failing on each and
    taking them again each time their claim lapses, for good."""
    queue = queue_of(resources)
    await queue.advance("acme", "run_gone", "run_gone:wait:1", None)

    async def dropped() -> bool:
        return await queue.resumes.left() == 0

    async with worker_running(settings):
        await until(dropped, "the resume dropped")


async def test_a_resume_of_a_run_that_cannot_be_read_backs_off_and_is_reported(
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A run whose record does not read (here, bytes that are not JSON) fails its walk the
    same way each time: each of its resumes comes back a minute later, then two, not each
    time its claim lapses (a lease and a second); the reconciler, finding the run overdue,
    adds no resume beside them nor cuts their wait; each failure is logged and counted."""
    scaled = settings.model_copy(update={"delay_scale": SCALE})
    run_id = await parked(client, scaled)
    with sqlite3.connect(settings.sqlite_path) as db:
        db.execute("UPDATE runs SET doc = ? WHERE run_id = ?", (b"not a run", run_id))
    queue = queue_of(resources)
    redis = queue.pool
    # Only the delay's timer is this test's: under load the setup's worker can stop before
    # taking its other jobs (the start it re-armed on a new Redis, a ``:due:`` come-back
    # for a delay it reached early), and each would back off here as a third resume.
    leftovers = [m for m in await redis.zrange(RESUMES, 0, -1) if b":delay:" not in m]
    if leftovers:
        await redis.zrem(RESUMES, *leftovers)
    failures = REGISTRY.get_sample_value("automator_resume_failures_total") or 0.0

    # The run is overdue when the worker starts: its first reconcile arms this beside the
    # delay's timer. Waiting for it keeps a slow first pass from arming it after ``first``.
    reconciled = orjson.dumps(["acme", run_id, f"{run_id}:reconcile"])

    async def backed_off(since: float) -> dict[bytes, float]:
        """The run's resumes, the reconciler's among them, once each is scored well past
        ``since``."""

        async def scored() -> dict[bytes, float] | None:
            scores = {
                member: score
                for member, score in await redis.zrange(RESUMES, 0, -1, withscores=True)
                if orjson.loads(member)[1] == run_id
            }
            later = reconciled in scores and min(scores.values()) > (since + 30) * 1000
            return scores if later else None

        return await until(scored, "the run's resumes backed off")

    async with worker_running(scaled):
        now = time.time()
        first = await backed_off(now)
        assert len(first) == 2  # the delay's timer and the reconciler's resume
        assert all(now + 60 <= score / 1000 <= time.time() + 60 for score in first.values())
        now = time.time()
        await redis.zadd(RESUMES, dict.fromkeys(first, int(now * 1000)))  # as if a minute on
        second = await backed_off(now)
        assert second.keys() == first.keys()
        assert all(now + 120 <= score / 1000 <= time.time() + 120 for score in second.values())
    await queue.overdue([("acme", run_id)])  # the reconciler's next pass
    assert {m: s for m, s in await redis.zrange(RESUMES, 0, -1, withscores=True)} == second
    counted = REGISTRY.get_sample_value("automator_resume_failures_total")
    assert counted == failures + len(first) + len(second)
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.count(f"resuming run {run_id} failed; it is tried again in 60 s") == len(first)
    assert logged.count(f"resuming run {run_id} failed; it is tried again in 120 s") == len(second)


async def test_timers_held_for_take_the_room_new_runs_leave_and_no_more(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    """A worker with room for 2 walks of each kind, a flood of new runs whose step takes
    0.4 s and 4 timers falling due together: while new runs are held off for them, the
    timers take the new runs' room too, so all 4 are walked at once (on main, 2 then 2,
    and the 4 calls are never in flight together), and never more than 4 walks go on at
    once; every new run completes."""
    two = crowd_settings(settings)
    timers = await parked_timers(client, two, resources, 4)
    news = await new_runs(client, 20)  # 4 s of walks or more: some wait out the burst
    crowd = Crowd("delayed", 4, seconds=0.4)
    async with worker_running(two, registry_of(crowd)):
        await until(lambda: runs_in(client, news[:1], "completed"), "a new run completed")
        await burst_soon(resources, timers, clock)
        await crowd.gathering()
        await all_completed(client, [*timers, *news])
    assert crowd.most <= 4


async def claiming(resources: Resources, workers: int) -> bool:
    """Whether ``workers`` workers claim resumes (each counts once it claimed)."""
    return bool(await queue_of(resources).pool.zcard(CLAIMERS) == workers)


async def test_a_burst_seen_ahead_is_split_among_the_workers_and_taken_in_one_round(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    """Two workers with room for 2 walks of each kind and 12 timers falling due together:
    each worker takes its half of the burst it saw coming in one claim, so every step is
    in flight before any ends (on main, 4 walks a worker at most: rounds of 8 then 4, and
    the 12 calls are never in flight together)."""
    two = crowd_settings(settings)
    timers = await parked_timers(client, two, resources, 12)
    crowd = Crowd("delayed", 12)
    crowded = registry_of(crowd)
    async with worker_running(two, crowded), worker_running(two, crowded):
        await until(lambda: claiming(resources, 2), "both workers claiming resumes")
        await burst_soon(resources, timers, clock)
        await crowd.gathering()
        await all_completed(client, timers)


async def test_new_runs_still_in_flight_when_a_burst_falls_due_leave_it_its_share(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    """A worker with room for 2 walks of each kind takes 2 new runs before 4 timers fall
    due, and their calls go on until the 4 timers' calls are in flight: they outlast the
    hold before the burst, yet every timer's step starts before they end (on main, 2 of
    the timers waited for them, and the 4 calls are never in flight together)."""
    two = crowd_settings(settings)
    timers = await parked_timers(client, two, resources, 4)
    news = await new_runs(client, 2)
    crowd = Crowd("delayed", 4, held={"new"})
    async with worker_running(two, registry_of(crowd)):
        await until(lambda: crowd.in_flight("new", 2), "the new runs' calls in flight")
        await burst_soon(resources, timers, clock)
        await crowd.gathering()
        await all_completed(client, [*timers, *news])


async def test_a_delay_a_loop_passes_again_is_armed_again_by_the_walk_serving_its_timer(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    # Each turn's delay has the timer id of the last (same step, attempt 1), armed while
    # the walk that serves that timer holds it: the walk's end must leave the new arming.
    later = {"id": "later", "type": "log", "delay": DELAY, "data": {"message": "{{ item }}"}}
    turns = {"id": "turns", "type": "loop", "data": {"items": [1, 2, 3]}, "actions": [later]}
    await create(client, workflow([turns]))
    await redis_known(resources)  # no resume of the reconciler's to stand in for a lost one
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    await drain(settings.model_copy(update={"delay_scale": SCALE}))
    run = await run_of(client, run_id)
    assert run["status"] == "completed"
    assert [s["output"] for s in run["steps"] if s["step_id"] == "later"] == [
        {"message": n} for n in (1, 2, 3)
    ]
    assert await timers_later(resources) == []


async def test_a_redis_taken_for_new_rearms_a_waiting_runs_timer_under_its_own_id(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    # A Redis that kept its data but lost the marker saying so (or a reconcile late to a
    # flushed test Redis): the store's timers armed again must not double the walker's.
    await create(client, workflow([{"id": "later", "type": "log", "delay": 3600}]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"})
    (timer,) = await timers_later(resources)
    assert resources.engine is not None
    queue = resources.engine.queue
    await queue.pool.delete(QUEUE_MEMORY)
    assert await queue.forgot()
    assert await rearm(resources.store, queue, clock.now()) == 1
    assert await timers_later(resources) == [timer]


async def armed_runs(resources: Resources) -> set[str]:
    """The runs with a resume armed, due or not."""
    members = await queue_of(resources).pool.zrange(RESUMES, 0, -1)
    return {orjson.loads(member)[1] for member in members}


async def test_a_worker_on_a_new_redis_arms_the_stored_runs_before_its_first_job(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    # Armed as it starts (before it says it is ready), not by its first reconcile pass a
    # poll later, which would arm the runs made meanwhile too: each has its start job, and
    # a resume of its own besides is a second walk, one the worker that serves its API
    # first (AUTOMATOR_DEV_JOBS_WHILE_SERVING) does not bound.
    await create(client, workflow([{"id": "later", "type": "log", "delay": 3600}]))
    before = (await send(client, {"type": "signup"}))["run_ids"][0]
    worker = create_worker(settings, store=resources.store, clock=clock)
    ctx: dict[str, Any] = {"redis": queue_of(resources).pool}
    assert worker.on_startup is not None
    assert worker.on_shutdown is not None
    await worker.on_startup(ctx)
    try:
        assert await armed_runs(resources) == {before}
        await send(client, {"type": "signup"})
        await reconcile(ctx)
        assert await armed_runs(resources) == {before}
    finally:
        await worker.on_shutdown(ctx)


async def test_timers_a_redis_restarted_from_an_older_snapshot_lost_are_armed_again(
    tmp_path: Path, settings: Settings, clock: ShiftedClock
) -> None:
    """A Redis restarted from a snapshot older than its last writes (AOF off, RDB on; a
    restored copy; a replica promoted before it had them all) holds the reconciler's marker,
    and not the timers armed since: a worker's next look (at its start, or a reconcile pass)
    arms them again from the store. Before, the marker said nothing was lost, and a run
    parked in a delay was found only once overdue by the grace."""
    # On a unix socket in its own directory: a port picked free may be taken by another
    # process before it binds it, at its start or again at its restart.
    server = LocalRedisServer(tmp_path / "redis", persistent=False, dies_with_parent=True)
    with server:
        own = settings.model_copy(update={"redis_url": server.url})
        async with serving(own, clock) as (client, resources):
            client = await as_admin(client, resources)
            await redis_known(resources)
            await queue_of(resources).pool.save()  # the snapshot: the marker, no timer
            await create(client, workflow([{"id": "later", "type": "log", "delay": 3600}]))
            run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
            await drain_until(client, own, [run_id], {"waiting"})
            (timer,) = await timers_later(resources)

            await queue_of(resources).pool.shutdown(nosave=True)
            server.stop()
            server.start()  # from its snapshot
            assert await timers_later(resources) == []
            async with worker_running(own, clock=clock):
                assert await until(lambda: timers_later(resources), "the timer armed again")
            assert await timers_later(resources) == [timer]


class CountedStore:
    """The real store, counting the calls made to it: each is a hop (to SQLite's thread, or
    a round trip to MongoDB)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self._store, name)


async def test_rearm_reads_a_thousand_waiting_runs_a_page_at_a_time(
    settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    later = clock.now() + timedelta(hours=1)
    runs = [stored_run(f"r{n:04}", status=RunStatus.RUNNING, due_at=later) for n in range(1000)]
    for run in runs:  # each waiting out a delay, as the walker leaves it
        run.move(RunStatus.WAITING, clock.now(), "delay")
    await resources.store.add_runs(runs)
    with sqlite3.connect(settings.sqlite_path) as db:  # one record that does not read
        db.execute("UPDATE runs SET doc = ? WHERE run_id = ?", (b"not a run", "r0000"))
    store = CountedStore(resources.store)
    queue = queue_of(resources)

    assert await rearm(cast(Store, store), queue, clock.now()) == 1000
    assert store.calls == {"armed_runs": 2}  # a page of 1,000, then none (1,002 before)
    purposes = {orjson.loads(member)[2] for member in await queue.pool.zrange(RESUMES, 0, -1)}
    assert len(purposes) == 1000
    assert "r0001:0:delay:1" in purposes  # the walker's id: a timer still held is not doubled
    assert f"r0000:rearm:{later.timestamp():.6f}" in purposes  # one of its own
