"""Tenants' limits as every process reads them: from the store, kept for a moment."""

from app.clock import Clock
from app.models.flow import TenantLimits
from app.store.protocol import Store


class TenantLimitsCache:
    """Each tenant's limits, read at most once per ``seconds``: a change made through any
    process applies everywhere within that time (at once in the process that made it)."""

    def __init__(self, store: Store, clock: Clock, seconds: float) -> None:
        self._store = store
        self._clock = clock
        self._seconds = seconds
        self._kept: dict[str, tuple[float, TenantLimits]] = {}

    async def get(self, tenant_id: str) -> TenantLimits:
        kept = self._kept.get(tenant_id)
        if kept is not None and self._clock.monotonic() - kept[0] < self._seconds:
            return kept[1]
        limits = await self._store.get_limits(tenant_id)
        self._kept[tenant_id] = (self._clock.monotonic(), limits)
        return limits

    def forget(self, tenant_id: str) -> None:
        self._kept.pop(tenant_id, None)
