"""Requests per API key: a shared budget in Redis, 429 with Retry-After past it."""

import httpx
import pytest
from redis.asyncio import Redis

from app.engine.redis_keys import rate_key
from app.errors import RateLimited
from app.main import create_app
from app.models.tenant import Role
from app.ratelimit import RateLimiter
from app.settings import Settings
from tests.conftest import auth_for


async def test_a_key_over_its_limit_gets_429_and_others_go_on(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"rate_limit": 3, "rate_limit_window": 60}))
    async with app.router.lifespan_context(app):
        resources = app.state.resources
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://automator") as client:
            busy = await auth_for(resources, "acme", Role.ADMIN)
            calm = await auth_for(resources, "acme", Role.ADMIN)
            answers = [await client.get("/api/workflows", headers=busy) for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 200]
            refused = await client.post("/api/events", json={"type": "x"}, headers=busy)
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
            error = refused.json()["error"]
            assert error["code"] == "rate_limited"
            assert "over 3 requests in 60 s" in error["message"]
            assert (await client.get("/api/workflows", headers=calm)).status_code == 200


async def test_every_process_shares_one_budget(redis_url: str) -> None:
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        await RateLimiter(first, 2, 60).check("key_a")
        await RateLimiter(second, 2, 60).check("key_a")
        with pytest.raises(RateLimited) as refused:
            await RateLimiter(first, 2, 60).check("key_a")
        assert refused.value.retry_after is not None
        assert refused.value.retry_after <= 60
        await RateLimiter(second, 2, 60).check("key_b")
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_large_limit_taken_in_slices_still_holds_across_processes(
    redis_url: str,
) -> None:
    """Two processes' limiters spend slices of one budget: together they let through no more
    than the limit, and no fewer than the limit less a slice each."""
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        limiters = [RateLimiter(first, 1000, 60), RateLimiter(second, 1000, 60)]
        through = 0
        for n in range(1500):
            try:
                await limiters[n % 2].check("key_a")
                through += 1
            except RateLimited:
                pass
        assert 1000 - 2 * 10 <= through <= 1000
        assert int(await first.get(rate_key("key_a")) or 0) <= 1000 + 2 * 10
    finally:
        await first.aclose()
        await second.aclose()


async def test_requests_go_through_while_redis_is_unreachable(closed_port: int) -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{closed_port}")
    try:
        for _ in range(3):
            await RateLimiter(unreachable, 1, 60).check("key_a")
    finally:
        await unreachable.aclose()


async def test_zero_is_no_limit(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        for _ in range(5):
            await RateLimiter(redis, 0, 60).check("key_a")
        assert await redis.keys("*") == []
    finally:
        await redis.aclose()
