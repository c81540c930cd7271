"""Provider health: in one process, and shared between processes through the real Redis."""

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.actions.breaker import Breaker, LocalBreaker, RedisBreaker


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_a_provider_is_unhealthy_after_the_threshold_of_consecutive_failures() -> None:
    now = [0.0]
    breaker = LocalBreaker(threshold=3, cooldown=60, clock=lambda: now[0])
    for _ in range(2):
        await breaker.failed("p")
    assert await breaker.cooling("p") == 0
    await breaker.failed("p")
    assert await breaker.cooling("p") == 60
    now[0] += 45
    assert await breaker.cooling("p") == 15
    assert await breaker.cooling("other") == 0


async def test_a_success_breaks_the_streak() -> None:
    breaker = LocalBreaker(threshold=2, cooldown=60)
    await breaker.failed("p")
    await breaker.succeeded("p")
    await breaker.failed("p")
    assert await breaker.cooling("p") == 0


async def test_after_the_cool_down_one_more_failure_reopens_it() -> None:
    now = [0.0]
    breaker = LocalBreaker(threshold=3, cooldown=60, clock=lambda: now[0])
    for _ in range(3):
        await breaker.failed("p")
    now[0] += 61
    assert await breaker.cooling("p") == 0
    await breaker.failed("p")
    assert await breaker.cooling("p") == 60


async def test_redis_shares_health_between_workers(redis: Redis) -> None:
    one: Breaker = RedisBreaker(redis, threshold=2, cooldown=60)
    other: Breaker = RedisBreaker(redis, threshold=2, cooldown=60)
    await one.failed("p")
    await other.failed("p")
    assert 59 < await one.cooling("p") <= 60
    assert 59 < await other.cooling("p") <= 60
    assert await one.cooling("q") == 0
    await other.succeeded("p")
    assert await one.cooling("p") == 0
    await one.failed("p")
    assert await one.cooling("p") == 0


async def test_redis_keys_expire_on_their_own(redis: Redis) -> None:
    breaker = RedisBreaker(redis, threshold=1, cooldown=5)
    await breaker.failed("p")
    ttls = {key: await redis.ttl(key) for key in await redis.keys("automator:provider:p:*")}
    assert set(ttls) == {b"automator:provider:p:failures", b"automator:provider:p:unhealthy"}
    assert all(ttl > 0 for ttl in ttls.values())
    assert ttls[b"automator:provider:p:unhealthy"] <= 5
