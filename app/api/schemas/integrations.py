"""What the integrations API reads and answers."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.actions.references import references
from app.api.examples import INTEGRATION_TEST_EXAMPLE
from app.models.secret import IntegrationConfig
from app.triggers.ingest import JsonObject

AI_PROVIDERS_EXAMPLE: dict[str, Any] = {
    "source": "tenant",
    "providers": [
        {
            "provider": "openai",
            "name": "primary",
            "base_url": "https://api.openai.com/v1",
            "model": "gpt-4o-mini",
            "key": "secret",
            "key_secret": "OPENAI_API_KEY",
            "settings": ["models"],
        }
    ],
    "problem": None,
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
    config: dict[str, Any] | None = Field(
        None,
        description="A configuration of the integration to call with instead of the one the "
        "tenant's steps use: a change not saved yet, as `PUT /api/integrations/{code}` takes "
        'it. `{"$secret": "NAME"}` references resolve from the tenant\'s secrets, never the '
        "deployment's environment. Needs an admin key, as saving it does.",
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


class AiProviderRead(BaseModel):
    provider: str = Field(description="`openai` (the chat completions format) or `anthropic`.")
    name: str | None = Field(description="Its label in step outputs and errors, if named.")
    base_url: str | None = Field(description="Where its calls go (Anthropic's by default).")
    model: str | None = Field(description="The model used when a step or draft names none.")
    key: Literal["secret", "value", "none"] = Field(
        description="How its key is given: a secret reference, a value written in the "
        "configuration (the deployment's AUTOMATOR_AI_API_KEY), or none. Never the key."
    )
    key_secret: str | None = Field(description="The secret's name when `key` is `secret`.")
    settings: list[str] = Field(
        description="Its other fields set (`models`, `timeout`, ...), by name."
    )


class AiProvidersRead(BaseModel):
    """The AI providers the tenant's calls use now, as a person reads them."""

    model_config = ConfigDict(json_schema_extra={"examples": [AI_PROVIDERS_EXAMPLE]})

    source: Literal["tenant", "deployment", "none"] = Field(
        description="Whose configuration it is: the tenant's (`PUT /api/integrations/ai`), "
        "else the deployment's (AUTOMATOR_AI_* or AUTOMATOR_INTEGRATIONS), else none."
    )
    providers: list[AiProviderRead] = Field(description="In the order calls try them.")
    problem: str | None = Field(
        description="What every call would fail with now (no provider, a field the providers "
        "refuse); null when the configuration is usable."
    )
