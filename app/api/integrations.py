"""Each tenant's configuration of its connectors (admin role), and test calls of their
actions: ``POST /api/integrations/test`` (the seed's call, editor role)."""

from typing import Any

from fastapi import APIRouter, Response

from app.actions.references import references
from app.api.bodies import JsonRoute
from app.api.deps import ConfigurationDep, ResourcesDep, SecretManager, Writer
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.integrations import (
    AiProvidersRead,
    CallError,
    IntegrationRead,
    IntegrationTest,
    IntegrationTestResult,
    IntegrationWrite,
)
from app.engine.calls.integrations import Integrations
from app.engine.calls.probe import ProbeCall, Prober
from app.errors import ErrorDetail, Forbidden
from app.models.secret import IntegrationConfig
from app.models.tenant import ApiKey, Permission
from app.resources import Resources

router = APIRouter(
    prefix="/api/integrations",
    tags=["integrations"],
    responses=ERROR_RESPONSES,
    route_class=JsonRoute,
)
CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Created (200: an existing configuration was replaced)"}
}


def _read(stored: IntegrationConfig, integrations: Integrations) -> IntegrationRead:
    return IntegrationRead.of(stored, replaces_default=integrations.has_default(stored.code))


@router.get("")
async def list_integrations(
    caller: SecretManager, resources: ResourcesDep
) -> list[IntegrationRead]:
    """The tenant's connector configurations."""
    found = await resources.integrations.list(caller.tenant_id)
    return [_read(stored, resources.integrations) for stored in found]


@router.get("/ai/providers")
async def ai_providers(caller: SecretManager, configuration: ConfigurationDep) -> AiProvidersRead:
    """The AI providers the tenant's `ai_task` steps and copilot use now: its own
    configuration (`PUT /api/integrations/ai`), else the deployment's (AUTOMATOR_AI_*), each
    with its kind, base URL and default model and whether a key is set, never the key (a
    secret's name at most); and what a call would fail with now. The Studio's AI page shows
    it; `POST /api/integrations/test` with the `ai_task` action tests it."""
    summary = await configuration.ai_providers(caller.tenant_id)
    return AiProvidersRead.model_validate(summary, from_attributes=True)


@router.get("/{code}")
async def get_integration(
    code: str, caller: SecretManager, resources: ResourcesDep
) -> IntegrationRead:
    """The tenant's configuration of one connector."""
    return _read(await resources.integrations.get(caller.tenant_id, code), resources.integrations)


@router.put("/{code}", responses=CREATED)
async def put_integration(
    code: str,
    body: IntegrationWrite,
    caller: SecretManager,
    configuration: ConfigurationDep,
    response: Response,
) -> IntegrationRead:
    """Create or replace the tenant's configuration of an installed connector. It replaces
    the deployment's configuration of that connector for this tenant's runs (no merging);
    `{"$secret": "NAME"}` references resolve when a step runs."""
    stored, created = await configuration.put_integration(caller.tenant_id, code, body.config)
    response.status_code = 201 if created else 200
    return _read(stored, configuration.integrations)


@router.delete("/{code}", status_code=204)
async def delete_integration(
    code: str, caller: SecretManager, configuration: ConfigurationDep
) -> None:
    """Delete the tenant's configuration; its runs use the deployment's again, if any."""
    await configuration.delete_integration(caller.tenant_id, code)


@router.post("/test")
async def test_integration(
    body: IntegrationTest, caller: Writer, resources: ResourcesDep
) -> IntegrationTestResult:
    """Make a real call of one connector action (an email is really sent) through the path
    steps take, with a synthetic event, and report its outcome: a failed call is `ok: false`
    with the error and whether a step would retry it. An unknown integration is a 404; an
    unknown action, or data its input schema refuses, a 422. With `config`, the call uses
    that configuration instead of the tenant's, to test a change before saving it (the
    Studio's AI page tests its form so). A test that would use a secret (referred to in its
    data, or in the integration's configuration), or an unsaved configuration, needs an
    admin key: its data says where the values go, and no admin approved that (403)."""
    await _check_may_test(caller, resources, body)
    prober = Prober(
        resources.gateway, resources.renderer, resources.clock, resources.settings.action_timeout
    )
    call = ProbeCall(
        body.integration, body.action, body.data, body.template, body.user, body.config
    )
    outcome = await prober.call(caller.tenant_id, call)
    return IntegrationTestResult(
        ok=outcome.ok,
        integration=body.integration,
        action=body.action,
        idempotency_key=outcome.idempotency_key,
        duration_ms=outcome.duration_ms,
        output=outcome.output,
        error=CallError.model_validate(outcome.error) if outcome.error else None,
    )


async def _check_may_test(caller: ApiKey, resources: Resources, body: IntegrationTest) -> None:
    if caller.can(Permission.MANAGE_SECRETS):
        return
    if body.config is not None:
        raise Forbidden(
            "Only an admin may test a configuration that is not saved, as only an admin may "
            "save one; leave config out to test the saved configuration.",
            [ErrorDetail(("body", "config"), "needs an admin key")],
        )
    configuration = await resources.integrations.for_call(caller.tenant_id, body.integration)
    names = references(body.data, ("body", "data"), unrendered=True) | references(
        dict(configuration.values), ("config",)
    )
    if names:
        raise Forbidden(
            f"This test would use secrets ({', '.join(sorted(names))}); only an admin may run "
            "a test that does: its data chooses where their values go.",
            [ErrorDetail(("body", "data"), "uses secrets; needs an admin key")],
        )
