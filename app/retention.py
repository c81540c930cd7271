"""Data retention: how long each tenant keeps its events, runs, outbox messages and audit
entries (its own days, else the deployment's), and the hourly job that purges the rest.

The job deletes in batches of ``AUTOMATOR_RETENTION_BATCH`` records, one short store write
each, so an event being accepted waits for one batch at most, never for the whole purge.
It may run more than once (a second run finds less or nothing to delete). Expired
idempotency keys and week-old notice claims go too.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from app.audit import CLI, Acting, Audit
from app.models.retention import Kept, Retention
from app.settings import Settings
from app.store.protocol import Store

# How long a notice's claim (an on_failure send, an alert) is kept: well past any delivery of
# its job again and the longest alert window (a day), after which nothing can repeat it.
NOTICES_KEPT = timedelta(days=7)

log = logging.getLogger(__name__)


def default_retention(settings: Settings) -> Retention:
    """The deployment's retention, for tenants that set none of their own."""
    return Retention(
        settings.event_retention_days,
        settings.run_retention_days,
        settings.outbox_retention_days,
        settings.audit_retention_days,
    )


@dataclass(frozen=True)
class Retainer(Acting):
    """Retention for ``actor`` (an API key id; ``cli`` by default), named in the audit log."""

    store: Store
    audit: Audit
    defaults: Retention
    batch: int
    actor: str = field(default=CLI)

    async def read(self, tenant_id: str) -> Retention:
        """The tenant's retention: its own, else the deployment's."""
        return await self.store.get_retention(tenant_id) or self.defaults

    async def set(self, tenant_id: str, retention: Retention) -> Retention:
        """Replace the tenant's retention; recorded in the audit log."""
        before = await self.read(tenant_id)
        await self.store.set_retention(tenant_id, retention)
        await self.audit.record(
            tenant_id,
            self.actor,
            "tenant.retention",
            tenant_id,
            asdict(before),
            asdict(retention),
        )
        return retention

    async def purge(self, now: datetime) -> dict[Kept, int]:
        """Delete what every tenant keeps no longer, kind by kind; returns how many."""
        own = await self.store.retentions()
        deleted = {}
        for kind in Kept:
            days = self.defaults.days(kind)
            count = 0 if days is None else await self._drain(kind, now, days, None, list(own))
            for tenant_id, retention in own.items():
                days = retention.days(kind)
                if days is not None:
                    count += await self._drain(kind, now, days, tenant_id, [])
            deleted[kind] = count
        await self.store.purge_claims(now)
        await self.store.purge_notices(now - NOTICES_KEPT)
        return deleted

    async def _drain(
        self, kind: Kept, now: datetime, days: int, tenant_id: str | None, skip: list[str]
    ) -> int:
        before, total = now - timedelta(days=days), 0
        while True:
            count = await self.store.purge_batch(kind, before, self.batch, tenant_id, skip)
            total += count
            if count < self.batch:
                return total
