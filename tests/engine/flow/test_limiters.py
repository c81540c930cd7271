"""The flow-control scripts on the session's real Redis."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from app.engine.flow.limiters import Cap, Gate, Limiters

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
DAY = 86400.0
# What a keyring's ``flow_secret`` gives: the scripts take any key, as long as it is one.
FLOW_SECRET = b"flow-secret-of-the-limiters-tests"


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


@pytest.fixture
async def limiters(redis_url: str) -> AsyncIterator[Limiters]:
    redis = Redis.from_url(redis_url)
    yield Limiters(redis, FLOW_SECRET)
    await redis.aclose()


GATE = Gate("slots", "waiters", 1, "workflow concurrency 1")


async def test_a_full_gate_holds_a_run_until_the_first_gives_its_slot_back(
    limiters: Limiters,
) -> None:
    assert await limiters.acquire([GATE], "run_a", NOW, later(60), NOW, 600) is None
    held = await limiters.acquire([GATE], "run_b", later(1), later(60), NOW, 600)
    assert held is not None
    assert (held.holder, held.gate) == ("run_a", GATE)
    assert await limiters.acquire([GATE], "run_a", NOW, later(90), NOW, 600) is None  # again
    assert await limiters.release([GATE], "run_a", later(2)) == ["run_b"]
    assert await limiters.acquire([GATE], "run_b", later(1), later(60), later(2), 600) is None


async def test_a_slot_nobody_gives_back_lapses_with_its_lease(limiters: Limiters) -> None:
    assert await limiters.acquire([GATE], "run_dead", NOW, later(30), NOW, 600) is None
    assert await limiters.acquire([GATE], "run_b", NOW, later(60), later(29), 600) is not None
    assert await limiters.acquire([GATE], "run_b", NOW, later(90), later(31), 600) is None


async def test_a_slot_extended_for_a_delay_is_kept(limiters: Limiters) -> None:
    await limiters.acquire([GATE], "run_a", NOW, later(30), NOW, 600)
    await limiters.extend([GATE], "run_a", later(3600), later(10))
    assert await limiters.acquire([GATE], "run_b", NOW, later(60), later(100), 600) is not None


async def test_gates_are_taken_all_or_none(limiters: Limiters) -> None:
    tenant = Gate("tenant-slots", "tenant-waiters", 1, "tenant concurrency 1")
    other = Gate("other-slots", "other-waiters", 1, "workflow concurrency 1")
    await limiters.acquire([tenant], "run_a", NOW, later(60), NOW, 600)
    held = await limiters.acquire([other, tenant], "run_b", NOW, later(60), NOW, 600)
    assert held is not None
    assert held.gate == tenant
    assert await limiters.acquire([other], "run_c", NOW, later(60), NOW, 600) is None


async def test_a_throttle_spreads_starts_so_no_period_holds_more_than_the_limit(
    limiters: Limiters,
) -> None:
    starts = [
        await limiters.reserve_start("starts", f"run_{n}", 2, 60, NOW, NOW, None) for n in range(5)
    ]
    assert [(s - NOW).total_seconds() for s in starts] == [0, 0, 60, 60, 120]


async def test_a_throttled_run_replacing_another_takes_its_place(limiters: Limiters) -> None:
    await limiters.reserve_start("starts", "run_a", 1, 60, NOW, NOW, None)
    start = await limiters.reserve_start("starts", "run_b", 1, 60, later(5), later(5), "run_a")
    assert start == later(5)


async def test_a_rate_limit_refuses_over_the_limit_and_says_when_there_is_room(
    limiters: Limiters,
) -> None:
    assert await limiters.take_rate("rate", "run_a", 2, 60, NOW, None) is None
    assert await limiters.take_rate("rate", "run_b", 2, 60, later(10), None) is None
    assert await limiters.take_rate("rate", "run_c", 2, 60, later(20), None) == 40
    assert await limiters.rate_used("rate", 60, later(20)) == 2
    await limiters.forget("rate", "run_b")
    assert await limiters.take_rate("rate", "run_c", 2, 60, later(20), None) is None
    assert await limiters.take_rate("rate", "run_d", 2, 60, later(61), None) is None


async def test_a_quota_counts_runs_in_its_window_and_gives_back(limiters: Limiters) -> None:
    assert await limiters.take_quota("quota", 1, 2, 60) == (True, 1)
    assert await limiters.take_quota("quota", 1, 2, 60) == (True, 2)
    assert await limiters.take_quota("quota", 1, 2, 60) == (False, 2)
    await limiters.give_back_quota("quota", 1)
    assert await limiters.quota_used("quota") == 1
    await limiters.give_back_quota("other window", 1)
    assert await limiters.quota_used("other window") == 0


async def test_debounce_keeps_one_run_per_burst_and_never_waits_past_the_maximum(
    limiters: Limiters,
) -> None:
    assert await limiters.debounce("burst", "run_a", NOW, 10, 25) == (None, later(10))
    assert await limiters.debounce("burst", "run_b", later(8), 10, 25) == ("run_a", later(18))
    assert await limiters.debounce("burst", "run_c", later(17), 10, 25) == ("run_b", later(25))
    assert await limiters.debounce("burst", "run_d", later(26), 10, 25) == (None, later(36))


async def test_an_unrecorded_debounced_run_hands_the_burst_back(limiters: Limiters) -> None:
    await limiters.debounce("burst", "run_a", NOW, 10, None)
    await limiters.debounce("burst", "run_b", later(1), 10, None)
    await limiters.undo_debounce("burst", "run_b")
    assert await limiters.debounce("burst", "run_c", later(2), 10, None) == ("run_a", later(12))


async def test_frequency_caps_count_messages_once_each(limiters: Limiters) -> None:
    daily = Cap(1, DAY, "1 per day")
    assert await limiters.count_message("log", "run_a:sms:0", [daily], NOW, 31 * DAY) is None
    assert await limiters.count_message("log", "run_a:sms:0", [daily], later(5), 31 * DAY) is None
    refused = await limiters.count_message("log", "run_b:sms:0", [daily], later(60), 31 * DAY)
    assert refused == (daily, DAY - 60)
    hourly = Cap(5, 3600, "5 per hour")
    tomorrow = later(DAY + 1)
    assert (
        await limiters.count_message("log", "run_b:sms:0", [hourly, daily], tomorrow, 31 * DAY)
        is None
    )
