"""Provider health: a circuit breaker per messaging provider endpoint.

After ``threshold`` consecutive retryable failures a provider is unhealthy for ``cooldown``
seconds, and channels pass it over for the next provider in their list. When the cool-down
ends the provider is tried again; one more failure makes it unhealthy again at once (the
count is still at the threshold), one success forgets its failures.

``RedisBreaker`` shares this between every worker (the worker builds it from the settings);
``LocalBreaker`` keeps it in one process, for callers that have no Redis.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

PREFIX = "automator:provider"
# A failure streak nobody has added to for a day is forgotten, so keys cannot pile up.
STREAK_TTL = 86400

# Counts a failure and opens the breaker when the streak reaches the threshold, in one step
# so that concurrent workers cannot both read a count below it.
FAILED = """
local streak = redis.call('incr', KEYS[1])
redis.call('expire', KEYS[1], ARGV[3])
if streak >= tonumber(ARGV[1]) then
    redis.call('set', KEYS[2], '1', 'px', ARGV[2])
end
return streak
"""


class Breaker(Protocol):
    """Health of providers, by a key naming one provider endpoint."""

    async def cooling(self, key: str) -> float:
        """Seconds left before ``key`` may be tried again; 0 when it is healthy."""

    async def failed(self, key: str) -> None:
        """Count a retryable failure of ``key``."""

    async def succeeded(self, key: str) -> None:
        """``key`` answered: forget its failures."""


@dataclass
class _Health:
    streak: int = 0
    open_until: float = 0.0


class LocalBreaker:
    """Health kept in this process (other processes learn it on their own). Its cooldown
    runs on ``clock`` (the machine's by default, as ``RedisBreaker``'s key expiry does; a
    test passes its own)."""

    def __init__(
        self,
        threshold: int = 3,
        cooldown: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._health: dict[str, _Health] = {}

    async def cooling(self, key: str) -> float:
        health = self._health.get(key)
        return max(0.0, health.open_until - self._clock()) if health else 0.0

    async def failed(self, key: str) -> None:
        health = self._health.setdefault(key, _Health())
        health.streak += 1
        if health.streak >= self.threshold:
            health.open_until = self._clock() + self.cooldown

    async def succeeded(self, key: str) -> None:
        self._health.pop(key, None)


class RedisBreaker:
    """Health shared by every process using this Redis."""

    def __init__(self, redis: Redis, threshold: int = 3, cooldown: float = 60.0) -> None:
        self.redis = redis
        self.threshold = threshold
        self.cooldown = cooldown
        self._failed = redis.register_script(FAILED)

    async def cooling(self, key: str) -> float:
        left = await self.redis.pttl(_open_key(key))
        return max(0, int(left)) / 1000

    async def failed(self, key: str) -> None:
        args = [self.threshold, max(1, round(self.cooldown * 1000)), STREAK_TTL]
        await self._failed(keys=[_streak_key(key), _open_key(key)], args=args)

    async def succeeded(self, key: str) -> None:
        await self.redis.delete(_streak_key(key), _open_key(key))


def _streak_key(key: str) -> str:
    return f"{PREFIX}:{key}:failures"


def _open_key(key: str) -> str:
    return f"{PREFIX}:{key}:unhealthy"
