"""The job queue, behind a thin interface of ours so arq could be replaced.

Jobs are serialized as JSON, never pickle: whoever can write to Redis must not be able to run
code in a worker.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import orjson
from arq.connections import ArqRedis
from arq.constants import default_queue_name, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms, to_unix_ms
from redis.asyncio import ConnectionPool

from app.clock import Clock
from app.engine.flow.resumes import Resumes
from app.engine.flow.together import Together
from app.engine.redis_keys import QUEUE_MEMORY, RESUMES, taken_key

ADVANCE_RUN = "advance_run"
BULK_RUNS = "bulk_runs"
RUN_FAILED = "run_failed"
SEND_ALERT = "send_alert"
# arq's enqueue_job for many jobs in one call instead of four round trips each (WATCH,
# EXISTS, MULTI/EXEC): the same keys, score and expiry, and the same refusal of a job id it
# still holds. KEYS holds the queue; ARGV arq's job and result key prefixes, the jobs'
# expiry, and the jobs as one JSON array of [id, body, score]: one argument for them all, as
# redis-py packs a command's arguments one by one in Python, which at three arguments a job
# was a fifth to a quarter of a start job's enqueue (13-14 against 10-11 us of CPU a job).
ENQUEUE_MANY = """
local added = 0
local jobs, results, expiry = ARGV[1], ARGV[2], ARGV[3]
for _, job in ipairs(cjson.decode(ARGV[4])) do
    local id = job[1]
    if redis.call('exists', jobs .. id, results .. id) == 0 then
        redis.call('psetex', jobs .. id, expiry, job[2])
        redis.call('zadd', KEYS[1], job[3], id)
        added = added + 1
    end
end
return added
"""


def start_job_id(run_id: str) -> str:
    """The id of a run's first job: the same wherever it is enqueued from."""
    return f"{run_id}:start"


def serialize(job: dict[str, Any]) -> bytes:
    return orjson.dumps(job)


def deserialize(data: bytes) -> dict[str, Any]:
    job: dict[str, Any] = orjson.loads(data)
    return job


class Queue(Protocol):
    async def advance(self, tenant_id: str, run_id: str, job_id: str, at: datetime | None) -> int:
        """Have a worker advance the run, already started, at ``at`` (now when None): a
        resume (``app/engine/flow/resumes.py``), which workers take before new runs.
        ``job_id`` is stable for one purpose, so the same resume armed while it waits or
        runs is one; armed again after it ran, it runs again and finds nothing to do (the
        run's state is what a second walk checks). Returns the resume as armed, for
        ``take_back``."""

    async def wake(
        self, tenant_id: str, run_id: str, job_id: str, at: datetime | None = None
    ) -> None:
        """Have a worker advance the run at ``at`` (now when None) under the resume
        ``job_id`` (the timer of the wait that something answered): armed for later, it is
        brought forward, not doubled, and one due sooner keeps its time; a walk under it
        that has begun is followed by another."""

    async def take_back(self, tenant_id: str, run_id: str, job_id: str, armed: int) -> None:
        """Take back the resume ``advance`` armed (``armed``) unless it was armed again or
        woken since: the save that needed it failed, or the wait ended at once."""

    async def disarm(self, tenant_id: str, run_id: str, job_id: str) -> None:
        """Take back the resume armed as ``job_id`` for the run (a timer of a wait the run
        no longer goes on from by itself); none armed, nothing changes."""

    async def start_many(
        self, runs: Sequence[tuple[str, str]], priorities: Mapping[str, float] | None = None
    ) -> None:
        """Have workers start each ``(tenant_id, run_id)`` now, in one round trip;
        ``priorities`` by run id: seconds of head start, so that busy workers take the run
        before start jobs queued up to that long before it."""

    async def run_failed(self, tenant_id: str, run_id: str, failure: int) -> None:
        """Have a worker apply the workflow's ``on_failure`` to the run's ``failure``-th
        failure (a retried run may fail again); one job per failure."""


class ArqQueue:
    def __init__(self, pool: ArqRedis, clock: Clock) -> None:
        self.pool = pool
        self._clock = clock
        self.resumes = Resumes(pool)
        self._enqueue_many = pool.register_script(ENQUEUE_MANY)
        self._expiry_ms = pool.expires_extra_ms
        # Start jobs of concurrent callers (the events one group commit stored) go to Redis
        # together: one script call per batch waiting, as the store commits them together.
        self._starts = Together(self._send_jobs)

    @classmethod
    def from_url(cls, redis_url: str, clock: Clock) -> "ArqQueue":
        """Connects lazily, so a process starts (and reports not ready) while Redis is down."""
        pool = ArqRedis(
            ConnectionPool.from_url(redis_url),
            job_serializer=serialize,
            job_deserializer=deserialize,
        )
        return cls(pool, clock)

    async def advance(self, tenant_id: str, run_id: str, job_id: str, at: datetime | None) -> int:
        score = self._score(at)
        await self.resumes.arm(tenant_id, run_id, job_id, score)
        return score

    async def wake(
        self, tenant_id: str, run_id: str, job_id: str, at: datetime | None = None
    ) -> None:
        await self.resumes.wake(tenant_id, run_id, job_id, self._score(at))

    async def take_back(self, tenant_id: str, run_id: str, job_id: str, armed: int) -> None:
        await self.resumes.take_back(tenant_id, run_id, job_id, armed)

    async def disarm(self, tenant_id: str, run_id: str, job_id: str) -> None:
        await self.resumes.disarm(tenant_id, run_id, job_id)

    async def overdue(self, runs: Sequence[tuple[str, str]]) -> None:
        """Have workers advance each overdue ``(tenant_id, run_id)`` now, by one resume per
        run armed where it has none: one that waits out a failed walk (a run whose record
        does not read) keeps its wait, and a run overdue for long has one, not one per
        reconcile."""
        reconciles = [(tenant_id, run_id, f"{run_id}:reconcile") for tenant_id, run_id in runs]
        await self.resumes.arm_absent(reconciles, self._score(None))

    async def forgot(self) -> bool:
        """Whether Redis may have lost data since the last call: its marker is gone (flushed,
        a new Redis), or names another run of the server (restarted, so it holds at most
        what its snapshot or append-only file had: a snapshot misses every write since; a
        replica promoted may miss the last ones). The marker then names this run. A
        Redis-compatible server or proxy whose INFO names no run: the marker's presence
        alone tells (a restart from a snapshot goes unseen)."""
        server: str | None = (await self.pool.info("server")).get("run_id")
        if server is None:
            return bool(await self.pool.set(QUEUE_MEMORY, "1", nx=True))
        marked: bytes | None = await self.pool.getset(QUEUE_MEMORY, server)
        return marked != server.encode()

    async def start_many(
        self, runs: Sequence[tuple[str, str]], priorities: Mapping[str, float] | None = None
    ) -> None:
        now, priorities = timestamp_ms(), priorities or {}
        await self._starts([self._job(run, priorities.get(run[1], 0), now) for run in runs])

    async def _send_jobs(self, jobs: list[tuple[str, str, str]]) -> None:
        args: list[str | bytes | int] = [
            job_key_prefix,
            result_key_prefix,
            self._expiry_ms,
            orjson.dumps(jobs),
        ]
        await self._enqueue_many([default_queue_name], args)

    async def bulk_batch(self, tenant_id: str, job_id: str, cursor: str) -> None:
        """Have a worker take the bulk job's batch that starts after ``cursor``; one job per
        batch (its id names the cursor), however often it is enqueued."""
        await self.pool.enqueue_job(
            BULK_RUNS, tenant_id, job_id, cursor, _job_id=f"bulk:{job_id}:{cursor}"
        )

    async def run_failed(self, tenant_id: str, run_id: str, failure: int) -> None:
        await self.pool.enqueue_job(
            RUN_FAILED, tenant_id, run_id, failure, _job_id=f"{run_id}:failed:{failure}"
        )

    async def send_alert(self, tenant_id: str, alert: dict[str, Any]) -> None:
        """Have a worker send an alert (``app/triggers/alerts.py``); one job per tenant,
        rule, workflow and window (the alert's ``key``), however often a check finds it."""
        job_id = f"alert:{tenant_id}:{alert['key']}"
        await self.pool.enqueue_job(SEND_ALERT, tenant_id, alert, _job_id=job_id)

    def _score(self, at: datetime | None) -> int:
        """When a job for ``at`` (now when None) is due, in ms of the machine's clock: arq
        and the resumes compare scores with the machine's time; ``at`` is on the process's
        clock, so the job waits the same span on the machine's."""
        now = timestamp_ms()
        return now if at is None else now + to_unix_ms(at) - to_unix_ms(self._clock.now())

    def _job(self, run: tuple[str, str], priority: float, now: int) -> tuple[str, str, str]:
        """A start job for ``(tenant_id, run_id)``, enqueued at ``now`` (ms) and due then: its
        id, body and score, as text (a score in JSON text stays exact in Lua). arq takes
        ready jobs lowest score first, so one scored ``priority`` seconds earlier is taken
        first."""
        tenant_id, run_id = run
        job = serialize_job(ADVANCE_RUN, (tenant_id, run_id), {}, None, now, serializer=serialize)
        return start_job_id(run_id), job.decode(), str(now - int(priority * 1000))

    async def depth(self) -> tuple[int, int]:
        """Jobs due now (waiting for a worker, or being run) and jobs deferred to later
        (resumes being run count as deferred: their score is when their claim lapses)."""
        now = timestamp_ms()
        async with self.pool.pipeline(transaction=False) as pipe:
            for queue in (default_queue_name, RESUMES):
                pipe.zcount(queue, "-inf", now)
                pipe.zcount(queue, f"({now}", "+inf")
            pipe.zcard(taken_key(default_queue_name))  # out of the queue while they run
            ready, deferred, resumes_ready, resumes_deferred, running = await pipe.execute()
        return int(ready + resumes_ready + running), int(deferred + resumes_deferred)

    async def close(self) -> None:
        await self.pool.aclose(close_connection_pool=True)
