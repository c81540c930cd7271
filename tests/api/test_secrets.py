"""The secrets API: values go in, and never come out."""

import httpx
import pytest

from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import auth_for

VALUE = "plain-text-value-4f9c"


async def test_a_secret_is_created_replaced_rotated_and_deleted(client: httpx.AsyncClient) -> None:
    created = await client.put("/api/secrets/API_KEY", json={"value": VALUE})
    assert created.status_code == 201
    first = created.json()
    assert first["value"] == "********"
    assert (first["name"], first["rotated_at"], first["shadowed_by_env"]) == (
        "API_KEY",
        None,
        False,
    )
    replaced = await client.put("/api/secrets/API_KEY", json={"value": VALUE + "-2"})
    assert replaced.status_code == 200
    assert replaced.json()["created_at"] == first["created_at"]
    rotated = await client.post("/api/secrets/API_KEY/rotate", json={"value": VALUE + "-3"})
    assert rotated.json()["rotated_at"] is not None
    listed = (await client.get("/api/secrets")).json()
    assert [(s["name"], s["value"]) for s in listed] == [("API_KEY", "********")]
    assert (await client.get("/api/secrets/API_KEY")).json()["rotated_at"] is not None
    assert (await client.delete("/api/secrets/API_KEY")).status_code == 204
    assert (await client.get("/api/secrets")).json() == []
    assert (await client.delete("/api/secrets/API_KEY")).status_code == 404
    missing = await client.post("/api/secrets/API_KEY/rotate", json={"value": VALUE})
    assert missing.status_code == 404


async def test_the_stored_file_holds_no_plaintext(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await client.put("/api/secrets/API_KEY", json={"value": VALUE})).status_code == 201
    files = list(settings.data_dir.glob("automator.db*"))
    assert files
    assert not [path for path in files if VALUE.encode() in path.read_bytes()]


@pytest.mark.parametrize(
    ("name", "body", "status", "loc", "says"),
    [
        ("api_key", {"value": VALUE}, 422, ["path", "name"], "capital letters"),
        ("A" * 101, {"value": VALUE}, 422, ["path", "name"], "1 to 100"),
        ("9LIVES", {"value": VALUE}, 422, ["path", "name"], "starting with a letter"),
        ("API_KEY", {"value": "x" * 65_537}, 422, ["body", "value"], "at most 65536"),
        ("API_KEY", {"value": "abc"}, 422, ["body", "value"], "at least 4"),
        ("API_KEY", {"value": 1234}, 422, ["body", "value"], "valid string"),
        ("API_KEY", {"value": VALUE, "note": "x"}, 422, ["body", "note"], "not permitted"),
    ],
)
async def test_bad_names_and_values_are_refused_naming_the_rule(
    client: httpx.AsyncClient,
    name: str,
    body: dict[str, object],
    status: int,
    loc: list[str],
    says: str,
) -> None:
    response = await client.put(f"/api/secrets/{name}", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["details"][0]["loc"] == loc
    assert says in error["details"][0]["msg"] + error["message"]
    assert VALUE not in response.text


async def test_a_tenant_holds_a_bounded_number_of_secrets(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.engine.calls.secrets.MAX_SECRETS", 2)
    for name in ("ONE", "TWO"):
        assert (await client.put(f"/api/secrets/{name}", json={"value": VALUE})).is_success
    refused = await client.put("/api/secrets/THREE", json={"value": VALUE})
    assert refused.status_code == 409
    assert "at most 2 secrets" in refused.json()["error"]["message"]
    assert (await client.put("/api/secrets/TWO", json={"value": VALUE})).status_code == 200


async def test_only_admins_manage_secrets(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    editor = await auth_for(resources, "acme", Role.EDITOR)
    assert (await client.get("/api/secrets", headers=editor)).status_code == 403
    put = await client.put("/api/secrets/API_KEY", json={"value": VALUE}, headers=editor)
    assert put.status_code == 403


async def test_another_tenants_secrets_are_invisible(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    acme = await auth_for(resources, "acme", Role.ADMIN)
    globex = await auth_for(resources, "globex", Role.ADMIN)
    await client.put("/api/secrets/API_KEY", json={"value": VALUE}, headers=acme)
    assert (await client.get("/api/secrets", headers=globex)).json() == []
    for method, path, body in [
        ("GET", "/api/secrets/API_KEY", None),
        ("POST", "/api/secrets/API_KEY/rotate", {"value": VALUE}),
        ("DELETE", "/api/secrets/API_KEY", None),
    ]:
        response = await client.request(method, path, json=body, headers=globex)
        assert response.status_code == 404, (method, path)
    assert (await client.get("/api/secrets/API_KEY", headers=acme)).status_code == 200


async def test_the_list_says_when_the_environment_shadows_a_stored_secret(
    app_resources: tuple[httpx.AsyncClient, Resources], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, resources = app_resources
    monkeypatch.setenv("AUTOMATOR_SECRET_API_KEY", "from-the-environment")
    admin = await auth_for(resources, "default", Role.ADMIN)
    stored = await client.put("/api/secrets/API_KEY", json={"value": VALUE}, headers=admin)
    assert stored.json()["shadowed_by_env"] is True  # `default` may read the environment
    acme = await auth_for(resources, "acme", Role.ADMIN)
    stored = await client.put("/api/secrets/API_KEY", json={"value": VALUE}, headers=acme)
    assert stored.json()["shadowed_by_env"] is False
    assert "from-the-environment" not in stored.text
