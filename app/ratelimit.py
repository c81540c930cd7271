"""Requests per API key, counted in Redis so every API process shares one budget.

A fixed window per key: the first request of a window creates its counter with the window's
expiry, every request adds to it, in one script (one round trip). Over the limit, the answer
is 429 with the seconds until the window ends. If Redis cannot be reached the request goes
through: an outage of the limiter must not stop ingestion.

A process takes its keys' budget in slices (a hundredth of the limit, at most ``MAX_SLICE``
requests) and spends them locally: one round trip per slice instead of one per request,
which was a sixth of an event's CPU. The limit still holds across processes; what a slice
costs in precision is at most one slice per process per window: requests a process took and
did not use are refused to the others until the window ends, and a process whose clock
reads the window's end a little after Redis does may spend the last of its slice in the next
window's first moments. A small limit (under 200) is counted request by request, exactly.
"""

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.engine.redis_keys import rate_key
from app.errors import RateLimited

log = logging.getLogger(__name__)

# Adds ARGV[2] to the count; returns the count so far and the milliseconds left in the window.
COUNT = """
local n = redis.call('incrby', KEYS[1], ARGV[2])
local left = redis.call('pttl', KEYS[1])
if left < 0 then
    redis.call('pexpire', KEYS[1], ARGV[1])
    left = tonumber(ARGV[1])
end
return {n, left}
"""
MAX_SLICE = 100
# Keys whose slices a process keeps; past it, they are dropped (and taken again as needed).
MAX_KEYS = 10_000


@dataclass
class Slice:
    """Requests of one key's window this process may still let through, until ``ends``
    (``time.monotonic()``); ``left`` 0 with ``spent``: the window's budget is used up."""

    left: int
    ends: float
    spent: bool = False


@dataclass
class RateLimiter:
    """At most ``limit`` requests per key per ``window`` seconds; 0 turns it off."""

    redis: Redis
    limit: int
    window: float
    _slices: dict[str, Slice] = field(default_factory=dict, init=False, repr=False)
    _taking: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._count = self.redis.register_script(COUNT)
        self._slice = max(1, min(MAX_SLICE, self.limit // 100))

    async def check(self, key_id: str) -> None:
        """Count one request of ``key_id``; RateLimited once it is over the limit."""
        if self.limit == 0:
            return
        key = rate_key(key_id)
        retry_after = self._spend(key)
        if retry_after is None:
            return
        if retry_after == 0:
            async with self._taking:  # one slice taken at a time; the others wait for it
                retry_after = self._spend(key)
                if retry_after == 0:
                    await self._take(key)
                    retry_after = self._spend(key)
        if retry_after:
            raise RateLimited(
                f"API key {key_id} made over {self.limit} requests in {self.window:g} s "
                f"(AUTOMATOR_RATE_LIMIT); retry in {retry_after} s.",
                retry_after=retry_after,
            )

    def _spend(self, key: str) -> int | None:
        """One request from this process's slice of ``key``: None when it goes through, the
        seconds until the window ends when the window's budget is spent, 0 when no slice
        is held (one must be taken from Redis)."""
        held = self._slices.get(key)
        now = time.monotonic()
        if held is None or held.ends <= now:
            return 0
        if held.left > 0:
            held.left -= 1
            return None
        return max(1, math.ceil(held.ends - now)) if held.spent else 0

    async def _take(self, key: str) -> None:
        """A slice of the window's budget from Redis (what is left of it, if less); if Redis
        cannot be reached, a slice that lets the next requests through."""
        now = time.monotonic()
        try:
            count, left_ms = await self._count(
                keys=[key], args=[int(self.window * 1000), self._slice]
            )
        except RedisError:
            log.warning("the rate limiter cannot reach Redis; requests let through")
            self._slices[key] = Slice(self._slice, now + self.window)
            return
        granted = max(0, min(self._slice, self.limit - (int(count) - self._slice)))
        if len(self._slices) >= MAX_KEYS:
            self._slices.clear()
        self._slices[key] = Slice(granted, now + int(left_ms) / 1000, spent=granted < self._slice)

    async def count(self, key: str) -> int | None:
        """Count one hit on the Redis ``key`` (exactly: no slice): once over the limit, the
        seconds until its window ends; otherwise (or when off, or Redis cannot be reached)
        None."""
        if self.limit == 0:
            return None
        try:
            count, left_ms = await self._count(keys=[key], args=[int(self.window * 1000), 1])
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
