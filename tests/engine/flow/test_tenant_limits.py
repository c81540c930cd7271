"""Tenants' limits kept for a moment per process, over a real SQLite store."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.clock import Clock
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.models.flow import TenantLimits
from app.settings import Settings
from app.store.factory import open_store
from app.store.protocol import Store
from tests.clock import FrozenClock, ShiftedClock, now

QUOTA = TenantLimits.model_validate({"quota": {"runs": 10, "period": "P1D"}})
THROTTLE = TenantLimits.model_validate({"throttle": {"limit": 60, "period": 60}})


class Counted:
    """The real store, counting the reads of limits it is asked for."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reads = 0

    async def get_limits(self, tenant_id: str) -> TenantLimits:
        self.reads += 1
        return await self.store.get_limits(tenant_id)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Counted]:
    opened = await open_store(Settings(data_dir=tmp_path, _env_file=None), ShiftedClock())
    await opened.set_limits("acme", QUOTA)
    try:
        yield Counted(opened)
    finally:
        await opened.close()


def cache_of(store: Counted, clock: Clock, seconds: float = 1) -> TenantLimitsCache:
    return TenantLimitsCache(store, clock, seconds)  # type: ignore[arg-type]


async def test_walks_that_find_the_limits_stale_together_share_one_read(store: Counted) -> None:
    clock = FrozenClock(now())  # the second kept lasts however slowly a loaded machine reads
    cache = cache_of(store, clock)
    found = await asyncio.gather(*(cache.get("acme") for _ in range(100)))
    assert found == [QUOTA] * 100
    assert store.reads == 1
    clock.advance(1)  # stale: read again, once
    await asyncio.gather(*(cache.get("acme") for _ in range(100)))
    assert store.reads == 2
    await cache.get("acme")
    assert store.reads == 2


async def test_limits_changed_while_read_are_read_again(store: Counted) -> None:
    cache = cache_of(store, ShiftedClock())
    reading = asyncio.ensure_future(cache.get("acme"))
    await asyncio.sleep(0)  # the read is on its way
    await store.store.set_limits("acme", THROTTLE)
    cache.forget("acme")
    assert await cache.get("acme") == THROTTLE
    assert await reading in (QUOTA, THROTTLE)  # asked before the change was made here
    assert await cache.get("acme") == THROTTLE


async def test_a_caller_cancelled_leaves_the_read_to_the_others(store: Counted) -> None:
    cache = cache_of(store, ShiftedClock())
    first = asyncio.ensure_future(cache.get("acme"))
    second = asyncio.ensure_future(cache.get("acme"))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == QUOTA
    assert first.cancelled()
    assert store.reads == 1


async def test_with_no_time_to_keep_them_each_caller_reads(store: Counted) -> None:
    cache = cache_of(store, ShiftedClock(), seconds=0)
    await asyncio.gather(*(cache.get("acme") for _ in range(3)))
    assert store.reads == 3
