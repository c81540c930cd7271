"""Our enqueue writes arq's own job format for start jobs (a real arq worker runs what it
writes), and arms resumes in a sorted set of their own."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from arq.connections import ArqRedis
from arq.constants import default_queue_name
from arq.utils import timestamp_ms
from arq.worker import Worker, func
from redis.asyncio import ConnectionPool
from redis.exceptions import ResponseError

from app.clock import SystemClock
from app.engine.flow.queue import ADVANCE_RUN, ArqQueue, deserialize, serialize
from app.engine.redis_keys import QUEUE_MEMORY, RESUMES, taken_key
from app.settings import Settings
from tests.clock import ShiftedClock


async def test_a_start_job_is_enqueued_once_and_run_by_a_real_arq_worker(
    settings: Settings,
) -> None:
    queue = ArqQueue.from_url(str(settings.redis_url), SystemClock())
    seen: list[tuple[str, str]] = []

    async def advance_run(ctx: dict[str, Any], tenant_id: str, run_id: str) -> None:
        seen.append((tenant_id, run_id))

    try:
        await queue.start_many([("acme", "run_1")])
        await queue.start_many([("acme", "run_1")])
        assert await queue.pool.zrange(default_queue_name, 0, -1) == [b"run_1:start"]
        worker = Worker(
            functions=[func(advance_run, name=ADVANCE_RUN)],
            redis_pool=queue.pool,
            burst=True,
            poll_delay=0.01,
            handle_signals=False,
            job_serializer=serialize,
            job_deserializer=deserialize,
        )
        await worker.async_run()
        assert seen == [("acme", "run_1")]
        await queue.start_many([("acme", "run_1"), ("acme", "run_3"), ("acme", "run_3")])
        assert await queue.pool.zrange(default_queue_name, 0, -1) == [b"run_3:start"], (
            "arq still holds run_1's result; run_3 is enqueued once"
        )
    finally:
        await queue.close()


async def test_a_resume_is_armed_once_per_purpose_at_its_time_beside_arqs_queue(
    settings: Settings,
) -> None:
    queue = ArqQueue.from_url(str(settings.redis_url), SystemClock())
    try:
        later = datetime.now(UTC) + timedelta(hours=1)
        await queue.advance("acme", "run_2", "run_2:delay", later)
        await queue.advance("acme", "run_2", "run_2:delay", later)
        await queue.advance("acme", "run_1", "run_1:event", None)
        armed = dict(await queue.pool.zrange(RESUMES, 0, -1, withscores=True))
        assert len(armed) == 2
        assert abs(armed[b'["acme","run_2","run_2:delay"]'] / 1000 - later.timestamp()) < 0.01
        assert not await queue.pool.exists(default_queue_name), "no arq job for a resume"
        assert await queue.depth() == (1, 1)
    finally:
        await queue.close()


async def test_start_jobs_being_run_count_as_due_out_of_arqs_queue(settings: Settings) -> None:
    """A job a worker takes leaves arq's queue for the jobs taken: still due, for the
    gauge of the jobs ready."""
    queue = ArqQueue.from_url(str(settings.redis_url), SystemClock())
    try:
        await queue.start_many([("acme", "run_1"), ("acme", "run_2")])
        await queue.pool.zrem(default_queue_name, "run_1:start")  # as a take moves it
        await queue.pool.zadd(taken_key(default_queue_name), {"run_1:start": timestamp_ms()})
        assert await queue.depth() == (2, 0)
    finally:
        await queue.close()


async def test_a_deferred_job_waits_its_span_on_the_machine_whatever_the_process_clock(
    settings: Settings,
) -> None:
    """A run due an hour from the process's clock (moved a day ahead here) is scored an hour
    from the machine's time, which the workers read."""
    clock = ShiftedClock()
    clock.advance(86_400)
    queue = ArqQueue.from_url(str(settings.redis_url), clock)
    try:
        before = timestamp_ms()
        await queue.advance("acme", "run_1", "run_1:delay", clock.now() + timedelta(hours=1))
        after = timestamp_ms()
        [(_, score)] = await queue.pool.zrange(RESUMES, 0, -1, withscores=True)
        # An hour from the machine's time as the test read the clock (times kept in whole
        # ms, so 2 ms either way), however long the calls around it took.
        assert before + 3_600_000 - 2 <= score <= after + 3_600_000 + 2
    finally:
        await queue.close()


async def test_start_jobs_of_concurrent_callers_all_land_and_errors_reach_each(
    settings: Settings,
) -> None:
    """Callers starting runs at once share one call to Redis: each run is enqueued once,
    with its priority; when Redis refuses the call, every caller hears of it."""
    queue = ArqQueue.from_url(str(settings.redis_url), SystemClock())
    try:
        await asyncio.gather(
            *(queue.start_many([("acme", f"run_{n}"), ("acme", "shared")]) for n in range(20)),
            queue.start_many([("acme", "urgent")], {"urgent": 60}),
        )
        queued = await queue.pool.zrange(default_queue_name, 0, -1)
        assert sorted(queued) == sorted(
            [f"run_{n}:start".encode() for n in range(20)] + [b"shared:start", b"urgent:start"]
        )
        assert queued[0] == b"urgent:start", "a minute of head start puts it first"
        await queue.pool.set(default_queue_name, "not a sorted set")
        calls = [queue.start_many([("acme", f"late_{n}")]) for n in range(3)]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(outcome, ResponseError) for outcome in outcomes)
    finally:
        await queue.close()


class StandInForInfoWithoutRunId(ArqRedis):
    """A real Redis whose INFO answers as some Redis-compatible servers and proxies do,
    naming no run of the server (a stand-in: the project's Redis always names it)."""

    async def info(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        info: dict[str, Any] = await super().info(*args, **kwargs)
        return {key: value for key, value in info.items() if key != "run_id"}


async def test_a_server_whose_info_names_no_run_is_known_by_the_marker_alone(
    settings: Settings,
) -> None:
    """Else every worker's start failed on the run id missing from INFO."""
    pool = StandInForInfoWithoutRunId(
        ConnectionPool.from_url(str(settings.redis_url)),
        job_serializer=serialize,
        job_deserializer=deserialize,
    )
    queue = ArqQueue(pool, SystemClock())
    try:
        assert await queue.forgot(), "a new Redis may have lost data"
        assert not await queue.forgot(), "the marker is there: nothing lost"
        await queue.pool.delete(QUEUE_MEMORY)  # flushed
        assert await queue.forgot()
    finally:
        await queue.close()
