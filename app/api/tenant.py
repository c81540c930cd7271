"""The tenant's own configuration: its flow-control limits over every workflow."""

from fastapi import APIRouter

from app.api.deps import ConfigurationDep, Configurer, Reader, ResourcesDep
from app.api.errors import ERROR_RESPONSES
from app.models.flow import TenantLimits

router = APIRouter(prefix="/api/tenant", tags=["tenant"], responses=ERROR_RESPONSES)


@router.get("/limits", response_model_exclude_unset=True)
async def get_limits(caller: Reader, resources: ResourcesDep) -> TenantLimits:
    """The tenant's limits: concurrency, throttle, rate_limit, frequency_cap and quota; an
    empty object when none is set."""
    return await resources.store.get_limits(caller.tenant_id)


@router.put("/limits", response_model_exclude_unset=True)
async def put_limits(
    body: TenantLimits, caller: Configurer, configuration: ConfigurationDep
) -> TenantLimits:
    """Replace the tenant's limits (admin). They apply to runs admitted or started from now
    on, in this process at once and in others within `AUTOMATOR_LIMITS_CACHE_SECONDS`."""
    return await configuration.set_limits(caller.tenant_id, body)
