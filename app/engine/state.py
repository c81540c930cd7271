"""Every Redis key the engine uses, and the per-run lease built on them."""

import hashlib
import secrets
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import cast

from redis.asyncio import Redis

PREFIX = "automator"

# Deletes the lease only if it is still ours: a lease that expired and was taken by another
# worker must not be released by the first one.
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
SCHEDULER_LEADER = f"{PREFIX}:scheduler:leader"
SCHEDULE_LAST_FIRED = f"{PREFIX}:scheduler:last-fired"


def rate_key(key_id: str) -> str:
    """Requests of one API key in the current rate-limit window."""
    return f"{PREFIX}:rate:{key_id}"


def run_lease_key(run_id: str) -> str:
    return f"{PREFIX}:lease:run:{run_id}"


def flow_key(tenant_id: str, scope: str, kind: str, key: str) -> str:
    """A flow-control key: ``kind`` (slots, waiters, starts, rate, debounce, messages) of
    one rendered ``key`` in ``scope`` (``workflow:<id>`` or ``tenant``). The rendered key is
    hashed: it comes from event data, so its length and characters are the sender's."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{PREFIX}:flow:{tenant_id}:{scope}:{kind}:{digest}"


def quota_key(tenant_id: str, period_ms: int, window: int) -> str:
    """The tenant's run counter for one quota window (``window`` periods since the epoch)."""
    return f"{PREFIX}:flow:{tenant_id}:quota:{period_ms}:{window}"


async def last_fired(redis: Redis, fields: list[str]) -> list[str | None]:
    """When each schedule (``tenant:workflow``) last fired, as ISO text."""
    if not fields:
        return []
    # redis-py types hash commands as sync-or-async; on the asyncio client they are async.
    values = await cast(Awaitable[list[bytes | None]], redis.hmget(SCHEDULE_LAST_FIRED, fields))
    return [None if value is None else value.decode() for value in values]


async def set_last_fired(redis: Redis, field: str, at: str) -> None:
    await cast(Awaitable[int], redis.hset(SCHEDULE_LAST_FIRED, field, at))


class Leadership:
    """One holder of a named role at a time across processes, kept while it renews."""

    def __init__(self, redis: Redis, key: str, seconds: float) -> None:
        self._redis = redis
        self._key = key
        self._ms = int(seconds * 1000)
        self._token = secrets.token_hex(8)
        self._renew = redis.register_script(RENEW)

    async def hold(self) -> bool:
        """True while this process leads: takes the role if free, or renews it if ours."""
        if await self._redis.set(self._key, self._token, nx=True, px=self._ms):
            return True
        return bool(await self._renew(keys=[self._key], args=[self._token, self._ms]))


class Leases:
    """One walker per run at a time, across every worker process."""

    def __init__(self, redis: Redis, seconds: float) -> None:
        self._redis = redis
        self._ms = int(seconds * 1000)
        self._release = redis.register_script(RELEASE)

    @asynccontextmanager
    async def hold(self, run_id: str) -> AsyncIterator[bool]:
        """Yields whether the lease was taken; a False means another worker has the run."""
        token = secrets.token_hex(8)
        key = run_lease_key(run_id)
        taken = bool(await self._redis.set(key, token, nx=True, px=self._ms))
        try:
            yield taken
        finally:
            if taken:
                await self._release(keys=[key], args=[token])
