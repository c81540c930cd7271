"""The job queue, behind a thin interface of ours so arq could be replaced.

Jobs are serialized as JSON, never pickle: whoever can write to Redis must not be able to run
code in a worker.
"""

from datetime import datetime
from typing import Any, Protocol

import orjson
from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool

ADVANCE_RUN = "advance_run"


def serialize(job: dict[str, Any]) -> bytes:
    return orjson.dumps(job)


def deserialize(data: bytes) -> dict[str, Any]:
    job: dict[str, Any] = orjson.loads(data)
    return job


class Queue(Protocol):
    async def advance(self, tenant_id: str, run_id: str, job_id: str, at: datetime | None) -> None:
        """Have a worker advance the run at ``at`` (now when None). ``job_id`` is stable for
        one purpose, so enqueueing the same job twice runs it once."""


class ArqQueue:
    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool

    @classmethod
    def from_url(cls, redis_url: str) -> "ArqQueue":
        """Connects lazily, so a process starts (and reports not ready) while Redis is down."""
        pool = ArqRedis(
            ConnectionPool.from_url(redis_url),
            job_serializer=serialize,
            job_deserializer=deserialize,
        )
        return cls(pool)

    async def advance(self, tenant_id: str, run_id: str, job_id: str, at: datetime | None) -> None:
        await self.pool.enqueue_job(ADVANCE_RUN, tenant_id, run_id, _job_id=job_id, _defer_until=at)

    async def close(self) -> None:
        await self.pool.aclose(close_connection_pool=True)
