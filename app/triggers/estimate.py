"""Whether a planned send fits the limits, before it is made (seed 003's credit check):
the tenant's quota, and with a workflow its rate limits and how long its throttles take to
start every run. Limits per key (per user, per site) are not counted: a planned audience
is many keys."""

import math
from dataclasses import dataclass
from datetime import datetime

from app.engine.flow.limiters import Limiters
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.engine.redis_keys import flow_key
from app.models.document import WorkflowDocument
from app.models.flow import RateLimit, Throttle, period_seconds
from app.store.protocol import Store
from app.triggers.admission import quota_window


@dataclass(frozen=True)
class Check:
    """One limit against the planned runs."""

    limit: str
    allowed: int
    period_seconds: float
    used: int
    resets_at: datetime | None

    @property
    def remaining(self) -> int:
        return max(self.allowed - self.used, 0)


@dataclass(frozen=True)
class Estimate:
    runs: int
    needed: int
    checks: list[Check]
    start_seconds: float

    @property
    def fits(self) -> bool:
        return all(self.needed <= check.remaining for check in self.checks)


@dataclass
class Estimator:
    store: Store
    limiters: Limiters
    limits: TenantLimitsCache

    async def estimate(
        self, tenant_id: str, runs: int, margin: float, workflow_id: str | None, now: datetime
    ) -> Estimate:
        """``runs`` planned (``margin`` more required: 0.2 asks for 20 % headroom)."""
        tenant = await self.limits.get(tenant_id)
        quota = await self.quota(tenant_id, now)
        checks = [] if quota is None else [quota]
        throttles = [tenant.throttle]
        if workflow_id is not None:
            settings = (await self._document(tenant_id, workflow_id)).settings
            scope = f"workflow:{workflow_id}"
            checks += await self._rate(tenant_id, scope, settings.rate_limit, now)
            throttles.append(settings.throttle)
        checks += await self._rate(tenant_id, "tenant", tenant.rate_limit, now)
        needed = math.ceil(runs * (1 + margin))
        return Estimate(runs, needed, checks, max(_start_seconds(t, runs) for t in throttles))

    async def _document(self, tenant_id: str, workflow_id: str) -> WorkflowDocument:
        head = await self.store.get_workflow(tenant_id, workflow_id)
        number = head.active_version or head.latest_version
        version = await self.store.get_version(tenant_id, workflow_id, number)
        return WorkflowDocument.model_validate(version.document)

    async def quota(self, tenant_id: str, now: datetime) -> Check | None:
        """The tenant's quota as it stands (None without one)."""
        quota = (await self.limits.get(tenant_id)).quota
        if quota is None:
            return None
        key, resets_at = quota_window(tenant_id, quota, now)
        used = await self.limiters.quota_used(key)
        return Check("tenant quota", quota.runs, period_seconds(quota.period), used, resets_at)

    async def _rate(
        self, tenant_id: str, scope: str, rate: RateLimit | None, now: datetime
    ) -> list[Check]:
        if rate is None or rate.key is not None:
            return []
        period = period_seconds(rate.period)
        used = await self.limiters.rate_used(flow_key(tenant_id, scope, "rate", ""), period, now)
        return [Check(f"{scope.split(':')[0]} rate_limit", rate.limit, period, used, None)]


def _start_seconds(throttle: Throttle | None, runs: int) -> float:
    """How long a throttle without a key takes to start ``runs`` runs."""
    if throttle is None or throttle.key is not None:
        return 0.0
    return (math.ceil(runs / throttle.limit) - 1) * period_seconds(throttle.period)
