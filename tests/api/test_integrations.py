"""Each tenant's connector configuration through the API."""

from typing import Any

import httpx
import pytest

from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import key_for
from tests.engine.test_secrets import Echo

CONFIG = {"url": "https://erp.example", "api_key": {"$secret": "ERP_KEY"},
          "headers": [{"X-Team": "ops"}]}  # fmt: skip


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The deployment configures ``echo`` too."""
    return settings.model_copy(update={"integrations": {"echo": {"url": "https://default"}}})


@pytest.fixture(autouse=True)
def installed(resources: Resources) -> None:
    resources.registry.register(Echo())


async def test_a_configuration_is_stored_shown_with_its_references_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    created = await client.put("/api/integrations/echo", json={"config": CONFIG})
    assert created.status_code == 201
    body = created.json()
    assert (body["code"], body["config"], body["secrets"]) == ("echo", CONFIG, ["ERP_KEY"])
    assert body["replaces_default"] is True
    replaced = await client.put("/api/integrations/echo", json={"config": {"url": "https://b"}})
    assert replaced.status_code == 200
    assert replaced.json()["created_at"] == body["created_at"]
    assert [i["code"] for i in (await client.get("/api/integrations")).json()] == ["echo"]
    assert (await client.get("/api/integrations/echo")).json()["config"] == {"url": "https://b"}
    assert (await client.delete("/api/integrations/echo")).status_code == 204
    assert (await client.get("/api/integrations/echo")).status_code == 404
    assert (await client.delete("/api/integrations/echo")).status_code == 404


@pytest.mark.parametrize(
    ("code", "body", "status", "loc", "says"),
    [
        ("fax", {"config": {}}, 422, ["path", "code"], "installed: echo"),
        ("echo", {"config": {"k": {"$secret": "ERP_KEY", "x": 1}}}, 422,
         ["body", "config", "k"], '{"$secret": "NAME"}'),
        ("echo", {"config": {"k": [{"$secret": "lower"}]}}, 422,
         ["body", "config", "k", 0], "capital letters"),
        ("echo", {"config": {"blob": "x" * 70_000}}, 413, ["body", "config"], "65536"),
        ("echo", {"config": []}, 422, ["body", "config"], "valid dictionary"),
        ("echo", {"settings": {}}, 422, ["body", "config"], "required"),
    ],
)  # fmt: skip
async def test_bad_configurations_are_refused_naming_the_place(
    client: httpx.AsyncClient, code: str, body: dict[str, Any], status: int,
    loc: list[str | int], says: str,
) -> None:  # fmt: skip
    response = await client.put(f"/api/integrations/{code}", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["details"][0]["loc"] == loc
    assert says in error["message"] + error["details"][0]["msg"]


async def test_another_tenants_configurations_are_invisible(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    acme = {"Authorization": f"Bearer {await key_for(resources, 'acme', Role.ADMIN)}"}
    globex = {"Authorization": f"Bearer {await key_for(resources, 'globex', Role.ADMIN)}"}
    await client.put("/api/integrations/echo", json={"config": CONFIG}, headers=acme)
    assert (await client.get("/api/integrations", headers=globex)).json() == []
    assert (await client.get("/api/integrations/echo", headers=globex)).status_code == 404
    assert (await client.delete("/api/integrations/echo", headers=globex)).status_code == 404
    assert (await client.get("/api/integrations/echo", headers=acme)).status_code == 200
    viewer = {"Authorization": f"Bearer {await key_for(resources, 'acme', Role.VIEWER)}"}
    assert (await client.get("/api/integrations", headers=viewer)).status_code == 403
