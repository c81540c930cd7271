"""Requests per API key, counted in Redis so every API process shares one budget.

A fixed window per key: the first request of a window creates its counter with the window's
expiry, every request adds one, in one script (one round trip). Over the limit, the answer is
429 with the seconds until the window ends. If Redis cannot be reached the request goes
through: an outage of the limiter must not stop ingestion.
"""

import logging
import math
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.engine.redis_keys import rate_key
from app.errors import RateLimited

log = logging.getLogger(__name__)

# Returns the count so far and the milliseconds left in the window.
COUNT = """
local n = redis.call('incr', KEYS[1])
if n == 1 then
    redis.call('pexpire', KEYS[1], ARGV[1])
    return {n, tonumber(ARGV[1])}
end
return {n, redis.call('pttl', KEYS[1])}
"""


@dataclass
class RateLimiter:
    """At most ``limit`` requests per key per ``window`` seconds; 0 turns it off."""

    redis: Redis
    limit: int
    window: float

    def __post_init__(self) -> None:
        self._count = self.redis.register_script(COUNT)

    async def check(self, key_id: str) -> None:
        """Count one request of ``key_id``; RateLimited once it is over the limit."""
        retry_after = await self.count(rate_key(key_id))
        if retry_after is not None:
            raise RateLimited(
                f"API key {key_id} made over {self.limit} requests in {self.window:g} s "
                f"(AUTOMATOR_RATE_LIMIT); retry in {retry_after} s.",
                retry_after=retry_after,
            )

    async def count(self, key: str) -> int | None:
        """Count one hit on the Redis ``key``: once over the limit, the seconds until its
        window ends; otherwise (or when off, or Redis cannot be reached) None."""
        if self.limit == 0:
            return None
        try:
            count, left_ms = await self._count(keys=[key], args=[int(self.window * 1000)])
        except RedisError:
            log.warning("the rate limiter cannot reach Redis; request let through")
            return None
        return _seconds(left_ms) if count > self.limit else None

    async def spent(self, key: str) -> int | None:
        """Like ``count`` once the budget under ``key`` is used up, without counting a hit."""
        if self.limit == 0:
            return None
        try:
            count, left_ms = await self.redis.get(key), await self.redis.pttl(key)
        except RedisError:
            log.warning("the rate limiter cannot reach Redis; request let through")
            return None
        return _seconds(left_ms) if count is not None and int(count) >= self.limit else None


def _seconds(left_ms: int) -> int:
    return max(1, math.ceil(int(left_ms) / 1000))
