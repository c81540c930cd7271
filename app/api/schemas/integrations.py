"""What the integrations API reads and answers."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.actions.references import references
from app.api.examples import INTEGRATION_TEST_EXAMPLE
from app.models.secret import IntegrationConfig
from app.triggers.ingest import JsonObject

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

    @classmethod
    def of(cls, stored: IntegrationConfig, *, replaces_default: bool) -> "IntegrationRead":
        return cls(
            code=stored.code,
            config=stored.config,
            secrets=sorted(references(stored.config, ("config",))),
            created_at=stored.created_at,
            updated_at=stored.updated_at,
            replaces_default=replaces_default,
        )


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
