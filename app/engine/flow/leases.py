"""Leases in Redis: one holder of a run, or of a named role, at a time across processes.

A lease lapses after its time, so a process that dies never keeps a run or a role for good.
"""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from app.engine.redis_keys import run_lease_key

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
