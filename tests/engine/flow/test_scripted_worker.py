"""arq's semantics on the worker's scripted job path, against the real Redis and a real
worker: what arq's client (``enqueue_job``, ``Job``) sees is what arq's own run_job gives.
A failed job's result holds no exception here: the JSON serializer cannot write one, so arq
keeps "unable to serialize result"; its log line says why the job failed."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime
from typing import Any, cast

import pytest
from arq.connections import ArqRedis, RedisSettings
from arq.constants import (
    abort_jobs_ss,
    default_queue_name,
    in_progress_key_prefix,
    job_key_prefix,
    retry_key_prefix,
)
from arq.cron import cron
from arq.jobs import Job, JobStatus
from arq.utils import timestamp_ms
from arq.worker import Retry, RetryJob, func

from app.clock import SystemClock
from app.engine.flow.intake import Intake
from app.engine.flow.queue import ArqQueue, deserialize, serialize, start_job_id
from app.engine.flow.scripted_worker import (
    START_LEASES,
    TAKE_JOBS,
    End,
    ScriptedWorker,
    forget,
)
from app.engine.flow.together import Together
from app.engine.redis_keys import run_lease_key, taken_key, taken_scores_key
from app.engine.walk.jobs import stop_gracefully
from tests.waiting import DEADLINE, until

TRIES: list[int] = []
RAN: list[str] = []
RUNNING: list[int] = [0, 0]  # now, at most


async def flaky(ctx: dict[str, Any], until: int) -> int:
    """Asks to be run again until its ``until``-th try, then answers its try."""
    TRIES.append(ctx["job_try"])
    if ctx["job_try"] < until:
        raise Retry(defer=0.01)
    return int(ctx["job_try"])


async def noted(ctx: dict[str, Any]) -> None:
    """Notes its job and how many ran at once."""
    RAN.append(ctx["job_id"])
    RUNNING[0] += 1
    RUNNING[1] = max(RUNNING)
    await asyncio.sleep(0.01)
    RUNNING[0] -= 1


async def cut(ctx: dict[str, Any]) -> None:
    """Cut short at its first try, as a job is when its worker stops (arq's ``RetryJob``);
    notes the score it was taken at each time."""
    RAN.append(f"{ctx['job_try']}:{ctx['score']}")
    if ctx["job_try"] == 1:
        raise RetryJob


async def slow(ctx: dict[str, Any], seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "done"


HOLDS: list[asyncio.Event] = []


async def held(ctx: dict[str, Any]) -> str:
    """Runs until the test lets it end (``hold``): a job still running whenever the test
    looks, however slowly a loaded machine gets there."""
    await HOLDS[-1].wait()
    return "done"


GATES: dict[int, asyncio.Event] = {}
WALKS_UNDER: list[str | None] = []


async def gated(ctx: dict[str, Any]) -> None:
    """Notes its try and the run's lease it would walk under (``advance_run``'s: its take's,
    or None: it takes one itself), and waits for that try's gate; its first try then asks to
    be run again, as a job does whose worker is stopping."""
    RAN.append(str(ctx["job_try"]))
    WALKS_UNDER.append(ctx[START_LEASES].get(ctx["job_id"]))
    await GATES[ctx["job_try"]].wait()
    if ctx["job_try"] == 1:
        raise Retry(defer=0.01)


@pytest.fixture
def hold() -> asyncio.Event:
    """What ``held`` jobs wait for: set, it lets them end."""
    HOLDS.append(asyncio.Event())
    return HOLDS[-1]


@pytest.fixture
async def pool(redis_url: str) -> AsyncIterator[ArqRedis]:
    queue = ArqQueue.from_url(redis_url, SystemClock())
    yield queue.pool
    await queue.close()


def worker(redis_url: str, **options: Any) -> ScriptedWorker:
    functions = [
        func(flaky, name="flaky", max_tries=3),
        func(slow, name="slow", timeout=0.3),
        func(held, name="held"),
        func(noted, name="noted"),
        func(cut, name="cut"),
        func(gated, name="gated"),
        func(noted, name="fleeting", keep_result=0.0004),
    ]
    defaults: dict[str, Any] = {
        "functions": functions,
        "redis_settings": RedisSettings.from_dsn(redis_url),
        "job_serializer": serialize,
        "job_deserializer": deserialize,
        "burst": True,
        "poll_delay": 0.01,
        "handle_signals": False,
        "keep_result": 3600,
    }
    return ScriptedWorker(10, Intake(0), **(defaults | options))


async def enqueue(pool: ArqRedis, function: str, *args: Any, job_id: str) -> Job:
    job = await pool.enqueue_job(function, *args, _job_id=job_id)
    assert job is not None
    return job


async def nothing_taken(pool: ArqRedis) -> bool:
    """Whether no job is left among those taken from arq's queue, nor its score there."""
    queue = default_queue_name
    left: int = await pool.exists(taken_key(queue), taken_scores_key(queue))
    return left == 0


async def run_until_noted(taking: ScriptedWorker, count: int) -> None:
    """Run ``taking`` (not a burst) until its jobs have noted ``count`` ids in RAN, then
    stop it as the service stops a worker."""
    running = asyncio.create_task(taking.async_run())
    try:
        await until(lambda: noted_at_least(count), f"{count} jobs noted")
    finally:
        await stop_gracefully(taking, running)


async def noted_at_least(count: int) -> bool:
    return len(RAN) >= count


async def drained(worker: ScriptedWorker) -> ScriptedWorker:
    try:
        async with asyncio.timeout(DEADLINE):
            await worker.async_run()
    finally:
        await worker.close()
    return worker


async def test_a_retried_job_runs_again_with_its_try_counted_up(
    pool: ArqRedis, redis_url: str
) -> None:
    TRIES.clear()
    job = await enqueue(pool, "flaky", 3, job_id="j1")
    done = await drained(worker(redis_url))
    info = await job.result_info()
    assert info is not None
    assert (TRIES, info.success, info.result, info.job_try) == ([1, 2, 3], True, 3, 3)
    assert (done.jobs_retried, done.jobs_complete) == (2, 1)
    assert await pool.exists(retry_key_prefix + "j1", in_progress_key_prefix + "j1") == 0
    assert await nothing_taken(pool)


async def test_a_job_cut_short_is_due_again_at_its_own_score(
    pool: ArqRedis, redis_url: str
) -> None:
    """Run again (its worker stopping cut it short), it goes back into the queue at the
    score it was taken at, ahead of the jobs queued after it, as when arq left it there."""
    RAN.clear()
    await enqueue(pool, "cut", job_id="j1")
    score = await pool.zscore(default_queue_name, "j1")
    done = await drained(worker(redis_url))
    assert RAN[:] == [f"1:{score:.0f}", f"2:{score:.0f}"]
    assert (done.jobs_retried, done.jobs_complete) == (1, 1)
    assert await nothing_taken(pool)


async def test_a_job_past_its_tries_ends_failed_without_running(
    pool: ArqRedis, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    TRIES.clear()
    job = await enqueue(pool, "flaky", 9, job_id="j1")
    await drained(worker(redis_url))
    info = await job.result_info()
    assert info is not None
    assert TRIES == [1, 2, 3]
    assert not info.success
    assert await job.status() == JobStatus.complete
    assert "j1:flaky max retries 3 exceeded" in caplog.text


async def test_a_job_over_its_timeout_fails_and_is_not_run_again(
    pool: ArqRedis, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    job = await enqueue(pool, "slow", 5, job_id="j1")
    done = await drained(worker(redis_url))
    info = await job.result_info()
    assert info is not None
    assert (info.success, done.jobs_failed) == (False, 1)
    assert "j1:slow failed, TimeoutError" in caplog.text
    assert await pool.zcard(done.queue_name) == 0


async def test_aborted_jobs_end_cancelled_before_or_while_running(
    pool: ArqRedis, redis_url: str, caplog: pytest.LogCaptureFixture, hold: asyncio.Event
) -> None:
    """What arq's ``Job.abort`` asks (a member of its abort set; its wait for the result
    cannot read a result the JSON serializer could not write)."""
    caplog.set_level(logging.INFO, "arq.worker")
    queued = await enqueue(pool, "slow", 0.01, job_id="queued")
    await pool.zadd(abort_jobs_ss, {"queued": timestamp_ms()})
    running = await enqueue(pool, "held", job_id="running")
    task = asyncio.create_task(drained(worker(redis_url, allow_abort_jobs=True)))
    await until(lambda: pool.exists(in_progress_key_prefix + "running"), "running taken")
    await pool.zadd(abort_jobs_ss, {"running": timestamp_ms()})
    done = await task
    for job in (running, queued):
        info = await job.result_info()
        assert info is not None
        assert not info.success
    assert (done.jobs_failed, done.jobs_complete) == (2, 0)
    assert "running:held aborted" in caplog.text
    assert "running:held aborted before start" not in caplog.text
    assert "queued:slow aborted before start" in caplog.text


async def test_an_older_crashed_workers_job_is_taken_once_its_mark_lapses_as_its_next_try(
    pool: ArqRedis, redis_url: str
) -> None:
    """A worker of the version before (or arq's own) killed mid-job leaves the job queued,
    marked in progress and counted once: another takes it when the mark lapses, as its
    second try."""
    TRIES.clear()
    job = await enqueue(pool, "flaky", 1, job_id="j1")
    await pool.set(in_progress_key_prefix + "j1", b"1", px=200)
    await pool.set(retry_key_prefix + "j1", 1)
    await drained(worker(redis_url))
    info = await job.result_info()
    assert info is not None
    assert (TRIES, info.result, info.job_try) == ([2], 2, 2)


async def test_a_crashed_workers_job_is_taken_once_its_mark_lapses_as_its_next_try(
    pool: ArqRedis, redis_url: str
) -> None:
    """A worker killed mid-job leaves the job among those taken, marked in progress and
    counted once: a burst worker waits for it, puts it back once its mark lapses and runs
    it as its second try."""
    TRIES.clear()
    job = await enqueue(pool, "flaky", 1, job_id="j1")
    dead = worker(redis_url)
    dead.in_progress_timeout_s = 0.2
    take = pool.register_script(TAKE_JOBS)
    assert await take(keys=dead.taking_keys(), args=dead._taking_args(1, "dead"))
    assert await pool.zcard(default_queue_name) == 0
    await drained(worker(redis_url))
    info = await job.result_info()
    assert info is not None
    assert (TRIES, info.result, info.job_try) == ([2], 2, 2)
    assert await nothing_taken(pool)


async def test_a_dead_workers_job_goes_back_as_its_mark_lapses_whatever_its_clock(
    pool: ArqRedis, redis_url: str
) -> None:
    """A worker whose clock runs a minute ahead takes j1 and dies: j1 goes back as soon as
    its mark lapses (Redis's clock), not a minute later, when the survivor's clock reaches
    the lapse the dead worker's clock would have given it."""
    TRIES.clear()
    job = await enqueue(pool, "flaky", 1, job_id="j1")
    dead = worker(redis_url)
    dead.in_progress_timeout_s = 0.2
    ahead = dead._taking_args(1, "dead")
    ahead[0] = int(ahead[0]) + 60_000
    take = pool.register_script(TAKE_JOBS)
    assert await take(keys=dead.taking_keys(), args=ahead)
    await drained(worker(redis_url))
    info = await job.result_info()
    assert info is not None
    assert (TRIES, info.job_try) == ([2], 2)
    assert await nothing_taken(pool)


async def test_a_take_never_holds_a_dead_workers_job_past_its_marks_lapse(
    pool: ArqRedis, redis_url: str
) -> None:
    """Twenty jobs, each taken by a worker that dies (a 20 ms mark), and takes every
    millisecond or so by a worker whose marks last 11 s: none is held taken a span of the
    taker's marks past its own mark's lapse. A mark in its last millisecond reads PTTL 0
    (there in the script's time, its lapse passed), and a rescore to the mark's lapse lands
    there: such jobs were held a whole span (11 s) more, 40-60 % of them."""
    dead = worker(redis_url)
    dead.in_progress_timeout_s = 0.02
    taker = worker(redis_url)
    take = pool.register_script(TAKE_JOBS)
    for n in range(20):
        await enqueue(pool, "noted", job_id=f"j{n}")
        assert await take(keys=dead.taking_keys(), args=dead._taking_args(1, "dead"))
        while True:
            await take(keys=taker.taking_keys(), args=taker._taking_args(0, "taker"))
            score = await pool.zscore(taken_key(default_queue_name), f"j{n}")
            if score is None:
                break
            seconds, micros = await pool.time()
            assert score < seconds * 1000 + micros // 1000 + 1000
            await asyncio.sleep(0.001)
        assert await pool.zscore(default_queue_name, f"j{n}") is not None
        await pool.delete(default_queue_name)


async def test_a_take_puts_back_at_their_scores_the_jobs_whose_marks_lapsed(
    pool: ArqRedis, redis_url: str
) -> None:
    """Each job taken whose mark is gone goes back into the queue at the score it was taken
    at; one whose mark lives, its lapse passed by the taker's clock, stays taken, scored to
    when the mark lapses by Redis's."""
    for job_id in ("dead", "live"):
        await enqueue(pool, "noted", job_id=job_id)
    scores = dict(await pool.zrange(default_queue_name, 0, -1, withscores=True))
    other = worker(redis_url)
    take = pool.register_script(TAKE_JOBS)
    assert await take(keys=other.taking_keys(), args=other._taking_args(2, "other"))
    # Both past their lapses by the taker's clock; one mark lapsed (its worker died), the
    # other renewed by a worker whose clock runs behind.
    await pool.zadd(taken_key(default_queue_name), {"dead": 0, "live": 0}, xx=True)
    await pool.delete(in_progress_key_prefix + "dead")
    assert await take(keys=other.taking_keys(), args=other._taking_args(0, "next")) == []
    assert await pool.zrange(default_queue_name, 0, -1, withscores=True) == [
        (b"dead", scores[b"dead"])
    ]
    live = await pool.zscore(taken_key(default_queue_name), "live")
    assert live is not None
    assert live >= timestamp_ms()
    # redis-py types hash commands as sync-or-async; on the asyncio client they are async.
    kept = cast(Awaitable[dict[bytes, bytes]], pool.hgetall(taken_scores_key(default_queue_name)))
    assert await kept == {b"live": str(int(scores[b"live"])).encode()}


async def test_a_renewed_job_stays_taken_and_its_id_stays_refused(
    pool: ArqRedis, redis_url: str, hold: asyncio.Event
) -> None:
    """The renewal of a mark moves its job's lapse among the jobs taken; while it runs, arq
    refuses its id."""
    await enqueue(pool, "held", job_id="j1")
    taking = worker(redis_url, burst=False)
    running = asyncio.create_task(taking.async_run())
    try:
        await until(lambda: pool.exists(in_progress_key_prefix + "j1"), "j1 taken")
        taken = await pool.zscore(taken_key(default_queue_name), "j1")
        assert taken is not None
        await taking.renew_marks(60)
        renewed = await pool.zscore(taken_key(default_queue_name), "j1")
        assert renewed is not None
        assert renewed > taken
        assert await pool.pttl(in_progress_key_prefix + "j1") > 50_000
        assert await pool.zscore(default_queue_name, "j1") is None
        assert await pool.enqueue_job("held", _job_id="j1") is None
    finally:
        hold.set()
        await stop_gracefully(taking, running)
    assert await nothing_taken(pool)


async def test_a_stalled_workers_renewal_and_end_leave_its_job_to_the_worker_that_took_it(
    pool: ArqRedis, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker stalls past j1's mark (here nothing renews it) and another takes j1 over. The
    stalled one's renewal finds the mark the other's: it says so, and extends nothing. Its
    end (its try asks to be run again) touches none of j1's keys: before, it deleted the
    other's mark and place among the jobs taken and queued j1 again, for a third take while
    the other still ran it. The other's end ends j1, run twice in all."""
    RAN.clear()
    GATES.clear()
    GATES.update({1: asyncio.Event(), 2: asyncio.Event()})
    mark = in_progress_key_prefix + "j1"
    job = await enqueue(pool, "gated", job_id="j1")
    stalled = worker(redis_url, burst=False, max_jobs=1)
    stalled.in_progress_timeout_s = 0.2
    other = worker(redis_url, burst=False)
    running = {stalled: asyncio.create_task(stalled.async_run())}

    async def lapsed() -> bool:
        return RAN == ["1"] and not await pool.exists(mark)

    async def taken_over() -> bool:
        return RAN == ["1", "2"]

    async def ended(by: ScriptedWorker) -> bool:
        return by.job_counter == 0

    try:
        await until(lapsed)
        running[other] = asyncio.create_task(other.async_run())
        await until(taken_over)
        holder = await pool.get(mark)
        assert holder is not None
        await stalled.renew_marks(60)
        assert f"j1 (now {holder.decode()})" in caplog.text
        assert await pool.pttl(mark) <= other.in_progress_timeout_s * 1000
        GATES[1].set()
        await until(lambda: ended(stalled))
        assert await pool.get(mark) == holder
        assert await pool.zscore(taken_key(default_queue_name), "j1") is not None
        assert await pool.zscore(default_queue_name, "j1") is None
        GATES[2].set()
        await until(lambda: ended(other))
    finally:
        for taking, task in running.items():
            await stop_gracefully(taking, task)
    info = await job.result_info()
    assert info is not None
    assert (RAN, info.success, info.job_try) == (["1", "2"], True, 2)
    assert await nothing_taken(pool)


async def test_a_renewal_answered_after_its_jobs_ended_or_were_taken_again_loses_neither(
    pool: ArqRedis, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A renewal reads the marks to extend as it starts, and its answer comes back later.
    Meanwhile j1 ended (its mark gone, and off the marks renewed here) and j2, whose mark
    lapsed as this worker stalled, was taken again here: the answer names both, and neither
    is lost. j1's end is no stall (taking off its entry, gone already, would fail the
    renewal), and j2's later take stays renewed (``_lost`` compares each entry with the one
    renewed). j3's mark, which another worker's take holds now, is lost: logged, and no
    longer renewed here."""
    caplog.set_level(logging.WARNING)
    for n in (1, 2, 3):
        await enqueue(pool, "noted", job_id=f"j{n}")
    renewing = worker(redis_url, redis_pool=pool)
    renewing.in_progress_timeout_s = 0.05  # the first take's marks: it stalls past them
    take = pool.register_script(TAKE_JOBS)
    assert await take(keys=renewing.taking_keys(), args=renewing._taking_args(3, "first"))
    renewing.marks.update({f"j{n}": "first" for n in (1, 2, 3)})
    j1_ended = End("j1", "first", None)
    await renewing._finish_jobs([j1_ended])

    async def lapsed() -> bool:
        marks = [in_progress_key_prefix + job_id for job_id in ("j2", "j3")]
        left: int = await pool.exists(*marks)
        return left == 0

    await until(lapsed)
    renewing.in_progress_timeout_s = 11
    for token in ("second", "other"):  # j2 taken again here, then j3 by another worker
        assert await take(keys=renewing.taking_keys(), args=renewing._taking_args(1, token))
    renewal = asyncio.create_task(renewing.renew_marks(60))
    await asyncio.sleep(0)  # it read the marks to renew: the first take's, all three
    forget(renewing.marks, j1_ended)  # what j1's end does here (``_end``)
    renewing.marks["j2"] = "second"  # and what j2's later take does
    await renewal

    assert renewing.marks == {"j2": "second"}
    assert "j3 (now other)" in caplog.text
    assert "j1 (" not in caplog.text
    assert "j2 (" not in caplog.text
    await renewing.renew_marks(60)
    assert await pool.pttl(in_progress_key_prefix + "j2") > 50_000


@pytest.mark.parametrize("elsewhere", [None, "a resume's walk"])
async def test_a_job_its_own_worker_took_again_after_a_stall_keeps_the_second_take(
    pool: ArqRedis, redis_url: str, elsewhere: str | None
) -> None:
    """A worker stalls past a start job's mark and its run's lease, and its own next take
    takes the job again (try 2) while try 1 still runs: both take the same job id. Try 2
    walks under the run's lease its take took, or takes one itself when a walk ``elsewhere``
    took it meanwhile (before, it walked under try 1's lapsed lease, beside that walk). Try
    1's end leaves try 2 what is try 2's: its mark, still renewed (before, try 1's end took
    it off the marks renewed, so that try 2 was taken a third time once its mark lapsed),
    and its lease, given back by try 2's end (before, try 1's end forgot it, and it held the
    run for a lease after try 2 ended). Try 2 then ends the job, run twice in all."""
    RAN.clear()
    WALKS_UNDER.clear()
    GATES.clear()
    GATES.update({1: asyncio.Event(), 2: asyncio.Event()})
    job_id = start_job_id("r1")
    mark, lease = in_progress_key_prefix + job_id, run_lease_key("r1")
    job = await enqueue(pool, "gated", job_id=job_id)
    taking = worker(redis_url, burst=False, max_jobs=2)
    # Try 1's: it stalls past them, and no room is left to take it again until then.
    taking.lease, taking.in_progress_timeout_s, taking.max_jobs = 0.1, 0.2, 1
    running = asyncio.create_task(taking.async_run())

    async def lapsed() -> bool:
        return RAN == ["1"] and not await pool.exists(mark, lease)

    async def taken_again() -> bool:
        return RAN == ["1", "2"]

    async def ended(count: int) -> bool:
        return taking.job_counter == count

    try:
        await until(lapsed)
        if elsewhere is not None:
            await pool.set(lease, elsewhere)
        taking.lease, taking.in_progress_timeout_s, taking.max_jobs = 10, 11, 2  # try 2's
        await until(taken_again)
        token = await pool.get(mark)
        assert token is not None
        holder = token if elsewhere is None else elsewhere.encode()
        assert await pool.get(lease) == holder
        assert WALKS_UNDER[1] == (token.decode() if elsewhere is None else None)
        GATES[1].set()
        await until(lambda: ended(1))
        await taking.renew_marks(60)
        assert await pool.pttl(mark) > 50_000
        assert await pool.get(lease) == holder
        GATES[2].set()
        await until(lambda: ended(0))
        assert await pool.exists(mark) == 0
        assert await pool.get(lease) == (None if elsewhere is None else holder)
    finally:
        for gate in GATES.values():
            gate.set()
        await stop_gracefully(taking, running)
    info = await job.result_info()
    assert info is not None
    assert (RAN, info.success, info.job_try) == (["1", "2"], True, 2)
    assert await nothing_taken(pool)


async def test_a_graceful_stop_waits_for_a_take_its_worker_took_again_after_a_stall(
    pool: ArqRedis, redis_url: str
) -> None:
    """A worker stalls past j1's mark and takes j1 again itself (try 2) while try 1 still
    runs; try 2 ends first. A graceful stop waits for try 1 too before it closes the
    worker's pool: before, try 2's task had taken try 1's place among the worker's tasks,
    so the stop neither waited for try 1 nor cancelled it, and try 1 went on past the
    pool's close."""
    RAN.clear()
    GATES.clear()
    GATES.update({1: asyncio.Event(), 2: asyncio.Event()})
    job = await enqueue(pool, "gated", job_id="j1")
    taking = worker(redis_url, burst=False, max_jobs=1)
    taking.in_progress_timeout_s = 0.2  # try 1's mark: it stalls past it
    running = asyncio.create_task(taking.async_run())
    stopping: asyncio.Task[None] | None = None

    async def lapsed() -> bool:
        return RAN == ["1"] and not await pool.exists(in_progress_key_prefix + "j1")

    async def taken_again() -> bool:
        return RAN == ["1", "2"]

    async def ended() -> bool:
        return taking.job_counter == 1

    try:
        await until(lapsed)
        taking.in_progress_timeout_s, taking.max_jobs = 11, 2  # try 2's
        await until(taken_again)
        GATES[2].set()
        await until(ended)
        stopping = asyncio.create_task(stop_gracefully(taking, running))
        await asyncio.sleep(0.5)
        assert not stopping.done(), "the stop ended while try 1 still ran"
        assert taking._pool is not None
        GATES[1].set()
        async with asyncio.timeout(DEADLINE):
            await stopping
    finally:
        for gate in GATES.values():
            gate.set()
        await (stopping or stop_gracefully(taking, running))
    assert taking.job_counter == 0
    info = await job.result_info()
    assert info is not None
    assert (RAN, info.success, info.job_try) == (["1", "2"], True, 2)
    assert await nothing_taken(pool)


async def test_a_result_kept_under_a_millisecond_fails_none_of_the_ends_beside_it(
    pool: ArqRedis, redis_url: str
) -> None:
    """Results of ``fleeting`` are kept 0.4 ms (arq keeps any ``keep_result`` above 0): that
    rounds to ``PX 0``, which Redis refuses, and the call ending it failed, with every job
    ending beside it left taken until its mark lapsed, and the worker with it. Kept a
    millisecond, it ends with the others."""
    jobs = [
        await enqueue(pool, "fleeting" if n % 5 == 2 else "noted", job_id=f"j{n:02}")
        for n in range(20)
    ]
    done = await drained(worker(redis_url))
    assert done.jobs_complete == 20
    assert await nothing_taken(pool)
    assert await pool.exists(*(in_progress_key_prefix + job.job_id for job in jobs)) == 0
    kept = [job.job_id for job in jobs if await job.result_info() is not None]
    assert kept == [job.job_id for n, job in enumerate(jobs) if n % 5 != 2]


async def ticked(ctx: dict[str, Any]) -> None:
    RAN.append(ctx["job_id"])


async def test_a_cron_jobs_mark_outlives_it_and_it_leaves_the_jobs_taken(
    pool: ArqRedis, redis_url: str
) -> None:
    """As arq ends a cron job: its mark kept a while (so that the same run of it enqueued
    again by another worker is not run twice), its keys gone."""
    RAN.clear()
    # Its schedule falls days away (arq's weekdays count from Monday, 0), so only the run at
    # start-up happens: an every-minute tick enqueued a second run near a minute's end.
    weekday = (datetime.now().weekday() + 3) % 7
    tick = cron(ticked, name="tick", run_at_startup=True, weekday=weekday)
    ticking = worker(redis_url, cron_jobs=[tick])
    await drained(ticking)
    assert len(RAN) == 1
    assert await pool.pttl(in_progress_key_prefix + RAN[0]) > 50_000
    assert await pool.exists(job_key_prefix + RAN[0], retry_key_prefix + RAN[0]) == 0
    assert await nothing_taken(pool)


async def test_expired_and_unknown_jobs_end_failed_and_leave_the_queue(
    pool: ArqRedis, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    gone = await enqueue(pool, "flaky", 1, job_id="gone")
    unknown = await enqueue(pool, "nowhere", job_id="unknown")
    await pool.delete(job_key_prefix + "gone")
    done = await drained(worker(redis_url))
    results = [await job.result_info() for job in (gone, unknown)]
    assert [info is not None and info.success for info in results] == [False, False]
    assert await pool.zcard(done.queue_name) == 0
    assert await nothing_taken(pool)
    assert "job gone expired" in caplog.text
    assert "job unknown, function 'nowhere' not found" in caplog.text


async def test_jobs_taken_by_another_worker_are_run_once(pool: ArqRedis, redis_url: str) -> None:
    TRIES.clear()
    for n in range(40):
        await enqueue(pool, "flaky", 1, job_id=f"j{n}")
    workers = [worker(redis_url) for _ in range(2)]
    await asyncio.gather(*(drained(w) for w in workers))
    assert len(TRIES) == 40
    assert sum(w.jobs_complete for w in workers) == 40


async def test_a_poll_takes_the_jobs_it_has_room_for_past_those_in_progress_elsewhere(
    pool: ArqRedis, redis_url: str
) -> None:
    """Jobs in progress on other workers come first in the queue: the poll reads past them
    (within arq's read limit, 100 here) and takes the others in queue order, no more at
    once than its room."""
    RAN.clear()
    RUNNING[:] = [0, 0]
    for n in range(150):
        await enqueue(pool, "noted", job_id=f"j{n:03}")
    for n in range(80):
        await pool.set(in_progress_key_prefix + f"j{n:03}", b"1", px=60_000)
    taking = worker(redis_url, max_jobs=10, burst=False)
    await run_until_noted(taking, 70)
    in_queue_order = [f"j{n:03}" for n in range(80, 150)]
    assert RAN[:] == in_queue_order
    assert RUNNING[1] == 10


async def test_a_take_of_more_than_a_page_takes_the_due_jobs_in_queue_order(
    pool: ArqRedis, redis_url: str
) -> None:
    """A take with room for more than a page (100 jobs) reads on page by page and skips none
    of the due jobs, whatever it has marked on the pages before."""
    RAN.clear()
    for n in range(300):
        await enqueue(pool, "noted", job_id=f"j{n:03}")
    done = await drained(worker(redis_url, max_jobs=200))
    assert done.jobs_complete == 300
    assert RAN[:] == [f"j{n:03}" for n in range(300)]


async def crawl(ctx: dict[str, Any]) -> None:
    """Notes its job and takes a tenth of a second: one at a time, they make a backlog."""
    RAN.append(ctx["job_id"])
    await asyncio.sleep(0.1)


async def test_a_dead_workers_job_is_taken_once_its_mark_lapses_not_after_the_backlog(
    pool: ArqRedis, redis_url: str
) -> None:
    """A worker takes j0 and dies at once (the take is the script's, nothing runs after it);
    40 jobs are enqueued after it, and a worker runs them one at a time, 0.1 s each. j0 runs
    once its 1.2 s mark lapses, ahead of the jobs still waiting: a dead worker's runs come
    back within the lease under a backlog, not after it (a job taken scored to its mark's
    lapse ran last)."""
    RAN.clear()
    await enqueue(pool, "noted", job_id="j0")
    dead = worker(redis_url)
    dead.lease, dead.in_progress_timeout_s = 0.2, 1.2
    take = pool.register_script(TAKE_JOBS)
    assert await take(keys=dead.taking_keys(), args=dead._taking_args(1, "dead"))
    for n in range(1, 41):
        await enqueue(pool, "noted", job_id=f"j{n:02}")
    live = worker(redis_url, functions=[func(crawl, name="noted")], max_jobs=1, burst=False)
    running = asyncio.create_task(live.async_run())
    try:
        await until(lambda: noted_at_least(41), "41 jobs noted")
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await live.close()
    assert RAN.index("j0") <= 20, RAN


async def test_a_take_finds_due_jobs_past_more_jobs_in_progress_than_arqs_read(
    pool: ArqRedis, redis_url: str
) -> None:
    """Six workers of 100 jobs run 600 (taken in one call here, their marks a minute long);
    ten jobs queued after them are taken by a worker at the default concurrency, whose read
    of the queue (arq's read limit, 500) met only jobs in progress while they stayed in it."""
    RAN.clear()
    for n in range(600):
        await enqueue(pool, "noted", job_id=f"busy{n:03}")
    others = worker(redis_url, max_jobs=600)
    others.in_progress_timeout_s = 60
    take = pool.register_script(TAKE_JOBS)
    assert len(await take(keys=others.taking_keys(), args=others._taking_args(600, "x"))) == 3600
    for n in range(10):
        await enqueue(pool, "noted", job_id=f"j{n}")
    taking = worker(redis_url, max_jobs=100, burst=False)
    assert taking.queue_read_limit == 500
    await run_until_noted(taking, 10)
    assert RAN[:] == [f"j{n}" for n in range(10)]


async def test_a_take_pages_past_an_older_workers_jobs_skipping_and_repeating_none(
    pool: ArqRedis, redis_url: str
) -> None:
    """Every other one of 250 due jobs is run by a worker of the version before (left in the
    queue, its mark live): a take of 100 reads on past them, page after page, and takes the
    first 100 of the others in queue order, each once, leaving the older worker's queued."""
    jobs = [f"j{n:03}" for n in range(250)]
    for job_id in jobs:
        await enqueue(pool, "noted", job_id=job_id)
    older = jobs[::2]
    for job_id in older:
        await pool.psetex(in_progress_key_prefix + job_id, 60_000, b"1")
    taking = worker(redis_url, max_jobs=100)  # arq's read: 500 jobs
    take = pool.register_script(TAKE_JOBS)
    answer = await take(keys=taking.taking_keys(), args=taking._taking_args(100, "t"))
    assert [name.decode() for name in answer[::6]] == jobs[1::2][:100]
    queued = await pool.zrange(default_queue_name, 0, -1)
    assert [name.decode() for name in queued] == sorted(older + jobs[1::2][100:])


async def test_a_burst_ends_once_no_job_is_queued_nor_taken_at_one_moment(
    pool: ArqRedis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """j1 falls due just as the burst worker has found no job taken, and another worker
    takes it before arq's look at the queue finds it empty: the burst goes on (j1 comes back
    when the other worker's mark lapses), rather than end with j1 taken by a worker that
    dies or runs it again."""
    RAN.clear()
    await pool.enqueue_job("noted", _job_id="j1", _defer_by=0.3)
    other = worker(redis_url)
    other.in_progress_timeout_s = 0.2
    take = pool.register_script(TAKE_JOBS)
    bursting = worker(redis_url)
    looked = bursting._jobs_left

    async def looked_then_taken_elsewhere() -> bool:
        left = await looked()
        while not left and await pool.zcard(default_queue_name):
            if await take(keys=other.taking_keys(), args=other._taking_args(1, "other")):
                break
            await asyncio.sleep(0.01)
        return left

    monkeypatch.setattr(bursting, "_jobs_left", looked_then_taken_elsewhere)
    await drained(bursting)
    assert RAN[:] == ["j1"]
    assert await nothing_taken(pool)


async def test_a_full_worker_told_to_stop_takes_no_job_as_its_jobs_end(
    pool: ArqRedis, redis_url: str, hold: asyncio.Event
) -> None:
    """A poll that filled the room waits for room to take more: a stop meanwhile ends the
    jobs in progress and takes none of those left."""
    for n in range(5):
        await enqueue(pool, "held", job_id=f"j{n}")
    full = worker(redis_url, max_jobs=2, burst=False)
    running = asyncio.create_task(full.async_run())
    stopping: asyncio.Task[None] | None = None
    try:
        await until(lambda: full_of(full, 2), "two jobs taken")
        stopping = asyncio.create_task(stop_gracefully(full, running))
        await asyncio.sleep(0)  # the stop is asked for (its first step) while both run
    finally:
        hold.set()
        await (stopping or stop_gracefully(full, running))
    assert (full.jobs_complete, await pool.zcard(full.queue_name)) == (2, 3)


async def full_of(taking: ScriptedWorker, jobs: int) -> bool:
    return taking.job_counter == jobs


async def test_a_worker_its_jobs_fill_keeps_beating_while_they_run(
    pool: ArqRedis, redis_url: str, hold: asyncio.Event
) -> None:
    """A poll whose take fills the room ends when no job ends within a poll's delay, as
    arq's does: its heart beat (readiness, the health check, cron jobs such as the
    reconciler) and its aborts go on while long jobs hold the room."""
    for n in range(2):
        await enqueue(pool, "held", job_id=f"j{n}")
    full = worker(redis_url, max_jobs=2, burst=False)
    beats: list[int] = []
    beat = full.heart_beat

    async def counted() -> None:
        beats.append(full.job_counter)
        await beat()

    async def beaten_while_full() -> bool:
        return beats.count(2) >= 5

    full.heart_beat = counted  # type: ignore[method-assign]
    running = asyncio.create_task(full.async_run())
    try:
        # Polls every 0.01 s: a worker that beat only between takes would never get there.
        await until(beaten_while_full, lambda: f"beats with 2 jobs running: {beats.count(2)}")
        assert full.jobs_complete == 0
    finally:
        hold.set()
        await stop_gracefully(full, running)
    assert full.jobs_complete == 2


async def test_a_job_cancelled_while_its_end_is_on_its_way_still_ends(
    pool: ArqRedis, redis_url: str
) -> None:
    """The end of a job goes with the ends gathered for one call; the job's task cancelled
    while that call is held back (its worker closing) leaves its end to go all the same:
    the job leaves the jobs taken and its mark goes."""
    RAN.clear()
    await enqueue(pool, "noted", job_id="j1")
    ending = worker(redis_url)
    held, release = asyncio.Event(), asyncio.Event()
    finish = ending._finish_jobs

    async def held_back(ends: list[Any]) -> None:
        held.set()
        await release.wait()
        await finish(ends)

    ending._finish = Together(held_back)
    running = asyncio.create_task(ending.async_run())
    try:
        async with asyncio.timeout(DEADLINE):
            await held.wait()
            [task] = ending.tasks.values()
            task.cancel()
            await asyncio.sleep(0.01)
            release.set()
            while not await nothing_taken(pool):  # noqa: ASYNC110 - the end is on its way
                await asyncio.sleep(0.01)
    finally:
        await asyncio.gather(running, return_exceptions=True)
        await ending.close()
    assert RAN[:] == ["j1"]
    assert await pool.exists(in_progress_key_prefix + "j1") == 0
