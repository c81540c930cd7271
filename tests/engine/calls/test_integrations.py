"""A connector's configuration as steps' calls read it: kept for a moment per process, so a
change made through another process reaches them within that time."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app.actions.registry import default_registry
from app.engine.calls.integrations import Configuration, Integrations
from app.models.secret import IntegrationConfig
from app.store.sqlite import SQLiteStore
from tests.clock import FrozenClock, now

DEFAULTS = {"webhook": {"timeout": 5}}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = await SQLiteStore.open(tmp_path / "store.db", FrozenClock(now()))
    yield opened
    await opened.close()


async def test_a_change_made_elsewhere_reaches_calls_once_the_kept_copy_is_old(
    store: SQLiteStore,
) -> None:
    clock = FrozenClock(now())
    worker = Integrations(store, default_registry(), DEFAULTS, clock, seconds=1)
    assert await worker.for_call("acme", "webhook") == Configuration(
        DEFAULTS["webhook"], tenant=False
    )
    # Another process (the API) configures the tenant's own: this one's copy is kept.
    await store.put_integration("acme", "webhook", {"timeout": 9})
    clock.advance(0.9)
    assert await worker.for_call("acme", "webhook") == Configuration(
        DEFAULTS["webhook"], tenant=False
    )
    clock.advance(0.1)
    assert await worker.for_call("acme", "webhook") == Configuration({"timeout": 9}, tenant=True)
    # Kept per tenant: another tenant still gets the deployment's.
    assert await worker.for_call("globex", "webhook") == Configuration(
        DEFAULTS["webhook"], tenant=False
    )


async def test_a_change_made_through_the_same_object_applies_at_once(store: SQLiteStore) -> None:
    clock = FrozenClock(now())
    api = Integrations(store, default_registry(), DEFAULTS, clock, seconds=60)
    assert not (await api.for_call("acme", "webhook")).tenant
    await api.put("acme", "webhook", {"timeout": 9})
    assert await api.for_call("acme", "webhook") == Configuration({"timeout": 9}, tenant=True)
    await api.delete("acme", "webhook")
    assert await api.for_call("acme", "webhook") == Configuration(DEFAULTS["webhook"], tenant=False)


class CountedReads:
    """The real store, counting its reads of configurations (named so: a probe, not a fake)."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def get_integration(self, tenant_id: str, code: str) -> IntegrationConfig | None:
        self.reads += 1
        return await self._store.get_integration(tenant_id, code)


async def test_calls_finding_the_copy_old_together_share_one_read(store: SQLiteStore) -> None:
    counted, clock = CountedReads(store), FrozenClock(now())
    worker = Integrations(counted, default_registry(), DEFAULTS, clock, seconds=1)
    await store.put_integration("acme", "webhook", {"timeout": 9})
    calls = [worker.for_call("acme", "webhook") for _ in range(20)]
    for got in await asyncio.gather(*calls):
        assert got == Configuration({"timeout": 9}, tenant=True)
    assert counted.reads == 1
    clock.advance(1)
    await asyncio.gather(*(worker.for_call("acme", "webhook") for _ in range(20)))
    assert counted.reads == 2


async def test_a_failed_read_whose_callers_all_left_is_not_logged_as_unheard(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A step's call cancelled (its run stopped, its worker stopping) while the store fails
    leaves the read's error to no one: asyncio must not log it as never retrieved."""
    store = await SQLiteStore.open(tmp_path / "store.db", FrozenClock(now()))
    integrations = Integrations(store, default_registry(), DEFAULTS, FrozenClock(now()), 1)
    await store.close()  # every read fails
    call = asyncio.create_task(integrations.for_call("acme", "webhook"))
    await asyncio.sleep(0)  # the call has started the read
    read = integrations._configurations._reading["acme", "webhook"]
    call.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await call
    await asyncio.wait([read])  # as the loop sees it: ended, its error heard by no caller
    del read
    gc.collect()
    assert "never retrieved" not in caplog.text
