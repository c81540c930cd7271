"""Whether a planned send fits the limits, before it is made (seed 003's credit check):
the tenant's quota, and with a workflow its rate limits, how long its throttles take to
start every run, and its expected AI cost against the tenant's AI budget. Limits per key (per user, per site) are not counted: a planned audience
is many keys."""

import math
from dataclasses import dataclass
from datetime import datetime

from app.engine.flow.limiters import Limiters
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.models.document import WorkflowDocument
from app.models.flow import RateLimit, Throttle, period_seconds
from app.store.protocol import Store
from app.triggers.admission import quota_window
from app.triggers.ai_budget import AiCosts, BudgetCheck


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
    # The workflow's expected AI cost for every run, and the tenant's AI budget against it.
    ai_cost: float = 0.0
    ai_budget: BudgetCheck | None = None

    @property
    def fits(self) -> bool:
        budget = self.ai_budget is None or self.ai_budget.fits
        return budget and all(self.needed <= check.remaining for check in self.checks)


@dataclass
class Estimator:
    store: Store
    limiters: Limiters
    limits: TenantLimitsCache
    ai: AiCosts | None = None

    async def estimate(
        self, tenant_id: str, runs: int, margin: float, workflow_id: str | None, now: datetime
    ) -> Estimate:
        """``runs`` planned (``margin`` more required: 0.2 asks for 20 % headroom, of runs
        and of AI budget)."""
        tenant = await self.limits.get(tenant_id)
        quota = await self.quota(tenant_id, now)
        checks = [] if quota is None else [quota]
        throttles = [tenant.throttle]
        per_run, budget = 0.0, None
        if workflow_id is not None:
            document = await self._document(tenant_id, workflow_id)
            scope = f"workflow:{workflow_id}"
            checks += await self._rate(tenant_id, scope, document.settings.rate_limit, now)
            throttles.append(document.settings.throttle)
            per_run = self.ai.per_run(document) if self.ai is not None else 0.0
        if self.ai is not None and tenant.ai_budget is not None:
            asked = tenant.ai_budget.model_copy(update={"margin": margin})
            budget = await self.ai.check(tenant_id, asked, per_run, runs, now)
        checks += await self._rate(tenant_id, "tenant", tenant.rate_limit, now)
        needed = math.ceil(runs * (1 + margin))
        start = max(_start_seconds(t, runs) for t in throttles)
        return Estimate(runs, needed, checks, start, per_run * runs, budget)

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
        key = self.limiters.key(tenant_id, scope, "rate", "")
        used = await self.limiters.rate_used(key, period, now)
        return [Check(f"{scope.split(':')[0]} rate_limit", rate.limit, period, used, None)]


def _start_seconds(throttle: Throttle | None, runs: int) -> float:
    """How long a throttle without a key takes to start ``runs`` runs."""
    if throttle is None or throttle.key is not None:
        return 0.0
    return (math.ceil(runs / throttle.limit) - 1) * period_seconds(throttle.period)
