"""Every Redis key the engine uses, and the per-run lease built on them."""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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


def run_lease_key(run_id: str) -> str:
    return f"{PREFIX}:lease:run:{run_id}"


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
