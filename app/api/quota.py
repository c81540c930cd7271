"""The tenant's run quota: where it stands, and whether a planned send fits."""

from fastapi import APIRouter

from app.api.bodies import JsonRoute
from app.api.deps import Reader, ResourcesDep
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.quota import AiBudgetRead, EstimateIn, EstimateRead, LimitRead, QuotaRead
from app.triggers.ai_budget import AiCosts
from app.triggers.estimate import Estimator

router = APIRouter(
    prefix="/api/quota", tags=["quota"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


def _estimator(resources: ResourcesDep) -> Estimator:
    engine = resources.engine
    ai = AiCosts.from_settings(resources.store, resources.settings)
    return Estimator(resources.store, engine.limiters, engine.limits, ai)


@router.get("")
async def get_quota(caller: Reader, resources: ResourcesDep) -> QuotaRead:
    """The tenant's run quota in its current window: allowed, used, remaining, reset time."""
    check = await _estimator(resources).quota(caller.tenant_id, resources.clock.now())
    return QuotaRead(quota=None if check is None else LimitRead.of(check))


@router.post("/estimate")
async def estimate(body: EstimateIn, caller: Reader, resources: ResourcesDep) -> EstimateRead:
    """Whether a planned send of `runs` runs fits the tenant's quota (and the workflow's
    limits, and its expected AI cost the tenant's AI budget) now, with `margin` to spare:
    seed 003's credit check, made before starting. Nothing is reserved."""
    found = await _estimator(resources).estimate(
        caller.tenant_id, body.runs, body.margin, body.workflow_id, resources.clock.now()
    )
    return EstimateRead(
        fits=found.fits,
        runs=found.runs,
        needed=found.needed,
        limits=[LimitRead.of(check) for check in found.checks],
        start_seconds=found.start_seconds,
        ai_cost=round(found.ai_cost, 8),
        ai_budget=None if found.ai_budget is None else AiBudgetRead.of(found.ai_budget),
    )
