"""The tenant's own configuration: its settings, its flow-control limits over every
workflow, how long its records are kept, and its failure alert rules."""

from fastapi import APIRouter, Response

from app.api.bodies import JsonRoute
from app.api.deps import (
    AlertsDep,
    ConfigurationDep,
    Configurer,
    Reader,
    ResourcesDep,
    RetainerDep,
)
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.retention import RetentionIn, RetentionRead
from app.models.alert import AlertRules
from app.models.flow import TenantLimits
from app.models.tenant import TenantSettings

router = APIRouter(
    prefix="/api/tenant", tags=["tenant"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.get("/settings")
async def get_settings(caller: Reader, resources: ResourcesDep) -> TenantSettings:
    """The tenant's settings (`four_eyes_publishing`), defaults included."""
    return await resources.store.get_settings(caller.tenant_id)


@router.put("/settings")
async def put_settings(
    body: TenantSettings, caller: Configurer, configuration: ConfigurationDep
) -> TenantSettings:
    """Replace the tenant's settings (admin); a field left out takes its default. With
    `four_eyes_publishing` a version one key publishes waits for another key's approval
    (docs/workflows.md#four-eyes-publishing). Recorded in the audit log (`tenant.settings`)."""
    return await configuration.set_settings(caller.tenant_id, body)


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


@router.get("/retention")
async def get_retention(caller: Reader, retainer: RetainerDep) -> RetentionRead:
    """How many days the tenant's events, finished runs (with their step records), outbox
    messages and audit entries are kept (null: for ever): its own, else the deployment's."""
    return RetentionRead.of(await retainer.read(caller.tenant_id))


@router.put("/retention")
async def put_retention(
    body: RetentionIn, caller: Configurer, retainer: RetainerDep
) -> RetentionRead:
    """Set the tenant's retention (admin); a field left out takes the deployment's default,
    null keeps that kind for ever. The hourly retention job purges by it, in bounded
    batches. Recorded in the audit log (`tenant.retention`)."""
    retention = body.retention(retainer.defaults)
    return RetentionRead.of(await retainer.set(caller.tenant_id, retention))


@router.get("/alerts")
async def get_alerts(caller: Reader, alerts: AlertsDep) -> AlertRules:
    """The tenant's failure alert rules (`{"rules": []}` when none is set)."""
    return await alerts.read(caller.tenant_id)


@router.put("/alerts")
async def put_alerts(body: AlertRules, caller: Configurer, alerts: AlertsDep) -> AlertRules:
    """Replace the tenant's failure alert rules (admin). Each rule watches one workflow
    (`workflow_id`) or every workflow on its own (null): when, among its runs started in the
    last `window_minutes` that have ended, at least `min_runs` and a share of `threshold` or
    more failed, the alert is sent once per window to `email` and/or `webhook_url`, with
    links to those failed runs in the Studio and the API. The workflow must exist; the
    addresses and the URL are checked as the email and webhook_call actions check them.
    Recorded in the audit log (`tenant.alerts`)."""
    return await alerts.set(caller.tenant_id, body)


@router.delete("/alerts", status_code=204)
async def delete_alerts(caller: Configurer, alerts: AlertsDep) -> Response:
    """Remove every failure alert rule of the tenant (admin); 404 when it has none.
    Recorded in the audit log (`tenant.alerts_delete`)."""
    await alerts.delete(caller.tenant_id)
    return Response(status_code=204)
