"""Each tenant's configuration of its connectors (admin role), and test calls of their
actions: ``POST /api/integrations/test`` (the seed's call, editor role)."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from app.actions.references import references
from app.api.deps import AuditDep, ResourcesDep, SecretManager, Writer
from app.api.errors import ERROR_RESPONSES
from app.api.examples import INTEGRATION_TEST_EXAMPLE
from app.engine.calls.probe import ProbeCall, Prober
from app.models.secret import IntegrationConfig
from app.triggers.ingest import JsonObject

router = APIRouter(prefix="/api/integrations", tags=["integrations"], responses=ERROR_RESPONSES)
CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Created (200: an existing configuration was replaced)"}
}
CONFIG_EXAMPLE: dict[str, Any] = {
    "config": {"url": "https://erp.example.com/api", "api_key": {"$secret": "ERP_API_KEY"}}
}


class IntegrationWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CONFIG_EXAMPLE]})

    config: dict[str, Any] = Field(
        description="What the connector gets as `context.config`. Put credentials in as "
        '`{"$secret": "NAME"}` references, never as plain values: plain values are shown by '
        "the GET calls."
    )


class IntegrationRead(BaseModel):
    code: str
    config: dict[str, Any] = Field(description="As stored: secrets appear as references.")
    secrets: list[str] = Field(description="Names of the secrets the configuration refers to.")
    created_at: datetime
    updated_at: datetime
    replaces_default: bool = Field(
        description="The deployment configures this connector too (AUTOMATOR_INTEGRATIONS); "
        "this tenant's runs use this configuration instead, not merged with it."
    )


def _read(stored: IntegrationConfig, resources: ResourcesDep) -> IntegrationRead:
    return IntegrationRead(
        code=stored.code,
        config=stored.config,
        secrets=sorted(references(stored.config, ("config",))),
        created_at=stored.created_at,
        updated_at=stored.updated_at,
        replaces_default=resources.integrations.has_default(stored.code),
    )


@router.get("")
async def list_integrations(
    caller: SecretManager, resources: ResourcesDep
) -> list[IntegrationRead]:
    """The tenant's connector configurations."""
    found = await resources.integrations.list(caller.tenant_id)
    return [_read(stored, resources) for stored in found]


@router.get("/{code}")
async def get_integration(
    code: str, caller: SecretManager, resources: ResourcesDep
) -> IntegrationRead:
    """The tenant's configuration of one connector."""
    return _read(await resources.integrations.get(caller.tenant_id, code), resources)


@router.put("/{code}", responses=CREATED)
async def put_integration(
    code: str, body: IntegrationWrite, caller: SecretManager, resources: ResourcesDep,
    response: Response, audit: AuditDep,
) -> IntegrationRead:  # fmt: skip
    """Create or replace the tenant's configuration of an installed connector. It replaces
    the deployment's configuration of that connector for this tenant's runs (no merging);
    `{"$secret": "NAME"}` references resolve when a step runs."""
    stored, created = await resources.integrations.put(caller.tenant_id, code, body.config)
    response.status_code = 201 if created else 200
    action = "integration.create" if created else "integration.update"
    await audit.record(caller.tenant_id, caller.key_id, action, code, after={"config": body.config})
    return _read(stored, resources)


@router.delete("/{code}", status_code=204)
async def delete_integration(
    code: str, caller: SecretManager, resources: ResourcesDep, audit: AuditDep
) -> None:
    """Delete the tenant's configuration; its runs use the deployment's again, if any."""
    await resources.integrations.delete(caller.tenant_id, code)
    await audit.record(caller.tenant_id, caller.key_id, "integration.delete", code)


class IntegrationTest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [INTEGRATION_TEST_EXAMPLE]}
    )

    integration: str = Field(
        min_length=1, max_length=64, description="A connector's code (`GET /api/connectors`)."
    )
    action: str = Field(min_length=1, max_length=64, description="One of its actions.")
    data: JsonObject = Field(
        default_factory=dict,
        description="The action's `data`, checked against its input schema; templates in it "
        "render over the test's context (`{{user.email}}`).",
    )
    template: str | None = Field(
        None, max_length=128, description="A stored message template to render, as a step's."
    )
    user: JsonObject = Field(
        default_factory=dict,
        description="The test event's `user` (templates, the default recipient).",
    )


class CallError(BaseModel):
    message: str
    retryable: bool = Field(description="Whether a step failing so would be tried again.")


class IntegrationTestResult(BaseModel):
    ok: bool = Field(description="Whether the connector call succeeded.")
    integration: str
    action: str
    idempotency_key: str = Field(description="`integration-test:<id>`, as the call carried it.")
    duration_ms: float
    output: Any = Field(None, description="What the action returned (a step's output).")
    error: CallError | None = None


@router.post("/test")
async def test_integration(
    body: IntegrationTest, caller: Writer, resources: ResourcesDep
) -> IntegrationTestResult:
    """Make a real call of one connector action (an email is really sent) through the path
    steps take, with a synthetic event, and report its outcome: a failed call is `ok: false`
    with the error and whether a step would retry it. An unknown integration is a 404; an
    unknown action, or data its input schema refuses, a 422."""
    prober = Prober(resources.gateway, resources.renderer, resources.settings.action_timeout)
    call = ProbeCall(body.integration, body.action, body.data, body.template, body.user)
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
