"""Tenants' limits as every process reads them: from the store, kept for a moment."""

import asyncio

from app.clock import Clock
from app.models.flow import TenantLimits
from app.store.protocol import Store


class TenantLimitsCache:
    """Each tenant's limits, read at most once per ``seconds``: a change made through any
    process applies everywhere within that time (at once in the process that made it).

    Callers that find a tenant's copy stale while a read of it is on its way wait for that
    read instead of making their own: a worker's claim of 100 resumes walks 100 runs at
    once, and each asked for the limits (100 reads in one store hop, once a second)."""

    def __init__(self, store: Store, clock: Clock, seconds: float) -> None:
        self._store = store
        self._clock = clock
        self._seconds = seconds
        self._kept: dict[str, tuple[float, TenantLimits]] = {}
        # The reads on their way, by tenant (none when nothing is kept: ``seconds`` 0).
        self._reading: dict[str, asyncio.Task[TenantLimits]] = {}

    async def get(self, tenant_id: str) -> TenantLimits:
        kept = self._kept.get(tenant_id)
        if kept is not None and self._clock.monotonic() - kept[0] < self._seconds:
            return kept[1]
        if self._seconds <= 0:
            return await self._store.get_limits(tenant_id)
        reading = self._reading.get(tenant_id)
        if reading is None or reading.get_loop() is not asyncio.get_running_loop():
            reading = asyncio.create_task(self._read(tenant_id))
            # Its callers may all be cancelled: its error is theirs to hear, not the loop's.
            reading.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._reading[tenant_id] = reading
        # Shielded: a caller cancelled does not cancel the read the others wait for.
        return await asyncio.shield(reading)

    async def _read(self, tenant_id: str) -> TenantLimits:
        current = asyncio.current_task()
        try:
            limits = await self._store.get_limits(tenant_id)
            if self._reading.get(tenant_id) is current:  # not forgotten meanwhile
                self._kept[tenant_id] = (self._clock.monotonic(), limits)
            return limits
        finally:
            if self._reading.get(tenant_id) is current:
                del self._reading[tenant_id]

    def forget(self, tenant_id: str) -> None:
        """Read the tenant's limits anew at the next ``get`` (they changed here); a read on
        its way may have started before the change, so it is not kept."""
        self._kept.pop(tenant_id, None)
        self._reading.pop(tenant_id, None)
