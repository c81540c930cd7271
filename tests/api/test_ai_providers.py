"""``GET /api/integrations/ai/providers``: the AI configuration the tenant's calls use, as the
Studio's AI page shows it (the tenant's own, else the deployment's), with whether a key is
set and never the key; and ``POST /api/integrations/test`` of ``ai_task`` calling only the
model server that configuration points at. The model servers are stand-ins on 127.0.0.1
(tests/stand_in_models.py), not models."""

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from app.actions.ai.summary import summarise
from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import auth_for
from tests.stand_in_models import StandInOpenAI

DEPLOYMENT_KEY = "sk-deployment-canary-4711"
TENANT_KEY = "sk-tenant-canary-0815"
PROBE = {"integration": "ai", "action": "ai_task", "data": {"prompt_template": "Say OK."}}


@pytest.fixture
def settings(settings: Settings, httpserver: HTTPServer) -> Settings:
    """The deployment's model: the stand-in on pytest-httpserver's port, with a key."""
    return settings.model_copy(
        update={
            "ai_base_url": httpserver.url_for("/v1"),
            "ai_api_key": SecretStr(DEPLOYMENT_KEY),
            "ai_model": "deployment-model",
            "http_allowed_hosts": ["127.0.0.1"],
        }
    )


@pytest.fixture
def tenant_server() -> Iterator[HTTPServer]:
    """A second stand-in model server: the one the tenant configures."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_the_deployments_providers_show_without_their_key(
    client: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    shown = await client.get("/api/integrations/ai/providers")

    assert shown.status_code == 200, shown.text
    assert shown.json() == {
        "source": "deployment",
        "providers": [
            {
                "provider": "openai",
                "name": None,
                "base_url": httpserver.url_for("/v1"),
                "model": "deployment-model",
                "key": "value",
                "key_secret": None,
                "settings": [],
            }
        ],
        "problem": None,
    }
    assert DEPLOYMENT_KEY not in shown.text


async def test_the_tenants_own_providers_replace_them_naming_the_secret_only(
    client: httpx.AsyncClient,
) -> None:
    stored = await client.put("/api/secrets/AI_KEY", json={"value": TENANT_KEY})
    assert stored.status_code == 201, stored.text
    config = {
        "providers": [
            {
                "provider": "anthropic",
                "name": "claude",
                "model": "claude-3-5-haiku-latest",
                "api_key": {"$secret": "AI_KEY"},
                "models": {"smart": "claude-sonnet-4-0"},
                "timeout": 20,
            },
            {"provider": "openai", "base_url": "https://llm.example.com/v1", "api_key": "sk-x"},
        ]
    }
    put = await client.put("/api/integrations/ai", json={"config": config})
    assert put.status_code == 201, put.text

    shown = (await client.get("/api/integrations/ai/providers")).json()

    assert shown["source"] == "tenant"
    claude, plain = shown["providers"]
    assert claude == {
        "provider": "anthropic",
        "name": "claude",
        "base_url": "https://api.anthropic.com",
        "model": "claude-3-5-haiku-latest",
        "key": "secret",
        "key_secret": "AI_KEY",
        "settings": ["models", "timeout"],
    }
    assert (plain["key"], plain["key_secret"], plain["model"]) == ("value", None, None)
    assert "sk-x" not in str(shown)
    assert TENANT_KEY not in str(shown)
    assert shown["problem"] is None


async def test_a_configuration_calls_would_refuse_says_why(client: httpx.AsyncClient) -> None:
    config = {"providers": [{"provider": "openai", "model": "m"}]}
    assert (await client.put("/api/integrations/ai", json={"config": config})).status_code == 201

    shown = (await client.get("/api/integrations/ai/providers")).json()

    assert shown["providers"][0]["base_url"] is None
    assert "providers[0].base_url" in shown["problem"]


def test_with_no_provider_anywhere_the_problem_names_the_settings() -> None:
    shown = summarise({}, tenant=False)

    assert (shown.source, shown.providers) == ("none", [])
    assert shown.problem is not None
    assert "AUTOMATOR_AI_BASE_URL" in shown.problem


async def test_only_an_admin_reads_them(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    editor = await auth_for(resources, "acme", Role.EDITOR)

    refused = await client.get("/api/integrations/ai/providers", headers=editor)

    assert refused.status_code == 403


async def test_a_test_call_goes_only_where_the_configuration_points(
    client: httpx.AsyncClient, httpserver: HTTPServer, tenant_server: HTTPServer
) -> None:
    deployment = StandInOpenAI(httpserver, ["from the deployment's model"])
    tenant = StandInOpenAI(tenant_server, ["OK"], model="tenant-model")
    assert (await client.put("/api/secrets/AI_KEY", json={"value": TENANT_KEY})).is_success
    provider = {"provider": "openai", "base_url": tenant.base_url, "model": "tenant-model"}
    config = {"providers": [provider | {"api_key": {"$secret": "AI_KEY"}}]}
    assert (await client.put("/api/integrations/ai", json={"config": config})).is_success

    tested = await client.post("/api/integrations/test", json=PROBE)

    assert tested.status_code == 200, tested.text
    body = tested.json()
    assert body["ok"] is True, body
    assert body["output"]["text"] == "OK"
    assert body["output"]["usage"]["model"] == "tenant-model"
    assert len(tenant.requests) == 1
    assert deployment.requests == []
    assert tenant.headers[0]["Authorization"] == f"Bearer {TENANT_KEY}"
    assert TENANT_KEY not in tested.text


async def test_a_test_call_of_an_unsaved_configuration_goes_where_it_points(
    client: httpx.AsyncClient, httpserver: HTTPServer, tenant_server: HTTPServer
) -> None:
    """The AI page tests its form before it is saved: the call goes to the model the form
    names, with the key from the secret it picks, while the deployment's stays in use."""
    deployment = StandInOpenAI(httpserver, ["from the deployment's model"])
    tenant = StandInOpenAI(tenant_server, ["OK"], model="tenant-model")
    assert (await client.put("/api/secrets/AI_KEY", json={"value": TENANT_KEY})).is_success
    provider = {"provider": "openai", "base_url": tenant.base_url, "model": "tenant-model"}
    config = {"providers": [provider | {"api_key": {"$secret": "AI_KEY"}}]}

    tested = await client.post("/api/integrations/test", json=PROBE | {"config": config})

    assert tested.status_code == 200, tested.text
    body = tested.json()
    assert body["ok"] is True, body
    assert body["output"]["usage"]["model"] == "tenant-model"
    assert tenant.headers[0]["Authorization"] == f"Bearer {TENANT_KEY}"
    assert deployment.requests == []
    assert TENANT_KEY not in tested.text
    shown = (await client.get("/api/integrations/ai/providers")).json()
    assert shown["source"] == "deployment"
