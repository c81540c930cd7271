"""Run leases: short, renewed while held, never renewed for another holder."""

import logging
from typing import Any

import pytest
from redis.asyncio import Redis

from app.engine.flow.leases import Leases
from app.engine.redis_keys import run_lease_key


async def test_a_held_lease_is_renewed_to_a_whole_lease_and_released_after(
    redis_url: str,
) -> None:
    redis = Redis.from_url(redis_url)
    leases = Leases(redis, seconds=10)
    key = run_lease_key("r1")
    async with leases.hold("r1") as mine:
        assert mine
        await redis.pexpire(key, 1000)  # most of the lease has gone by
        assert await leases.renew() == 1
        assert await redis.pttl(key) > 9000
    assert not await redis.exists(key)
    assert await leases.renew() == 0
    await redis.aclose()


async def test_a_lease_taken_over_meanwhile_is_not_renewed_nor_released(redis_url: str) -> None:
    """The holder stalled past its lease and another worker took the run: the first one's
    renewal and release leave the new holder's lease alone."""
    redis = Redis.from_url(redis_url)
    leases, key = Leases(redis, seconds=10), run_lease_key("r1")
    async with leases.hold("r1") as mine:
        assert mine
        await redis.set(key, "another worker", px=5000)
        assert await leases.renew() == 0
        assert 0 < await redis.pttl(key) <= 5000
    assert await redis.get(key) == b"another worker"
    await redis.aclose()


async def test_a_lease_given_back_while_its_renewal_is_on_its_way_is_not_reported_lost(
    redis_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A walk ends (its lease given back) between the renewal reading the leases held and
    Redis renewing them, as a round of timers ending together does: no warning that the
    worker stalled. The moment is made by running the walk's end just before the call."""
    redis = Redis.from_url(redis_url)
    leases = Leases(redis, seconds=10)
    walk = leases.hold("r1")
    assert await walk.__aenter__()
    renew_all = leases._renew_all

    async def after_the_walk_ends(**call: Any) -> Any:
        await walk.__aexit__(None, None, None)
        return await renew_all(**call)

    monkeypatch.setattr(leases, "_renew_all", after_the_walk_ends)
    with caplog.at_level(logging.WARNING):
        assert await leases.renew() == 0
    assert "lost" not in caplog.text
    assert not await redis.exists(run_lease_key("r1"))
    await redis.aclose()
