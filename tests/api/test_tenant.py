import httpx

from app.models.tenant import Role
from app.resources import Resources
from tests.conftest import auth_for

LIMITS = {
    "concurrency": {"limit": 5, "key": "{{ site }}"},
    "quota": {"runs": 1000, "period": "P1D"},
}


async def test_limits_are_empty_until_set_then_read_back_as_written(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/tenant/limits")).json() == {}
    saved = await client.put("/api/tenant/limits", json=LIMITS)
    assert (saved.status_code, saved.json()) == (200, LIMITS)
    assert (await client.get("/api/tenant/limits")).json() == LIMITS


async def test_bad_limits_name_the_field(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/tenant/limits", json={"quota": {"runs": 0, "period": 60}})
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["loc"] == ["body", "quota", "runs"]
    assert "greater than or equal to 1" in detail["msg"]
    unknown = await client.put("/api/tenant/limits", json={"debounce": {"period": 5}})
    assert unknown.json()["error"]["details"][0]["loc"] == ["body", "debounce"]


async def test_only_admins_set_limits_and_tenants_see_only_their_own(
    app_resources: tuple[httpx.AsyncClient, Resources], client: httpx.AsyncClient
) -> None:
    _, resources = app_resources
    await client.put("/api/tenant/limits", json=LIMITS)
    editor = await auth_for(resources, "acme", Role.EDITOR)
    refused = await client.put("/api/tenant/limits", json={}, headers=editor)
    assert refused.status_code == 403
    assert (await client.get("/api/tenant/limits", headers=editor)).json() == LIMITS
    other = await auth_for(resources, "globex", Role.ADMIN)
    assert (await client.get("/api/tenant/limits", headers=other)).json() == {}
