"""Segments over the API: defined by editors, read by viewers, members computed when asked."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.models.tenant import Role
from app.resources import Resources
from tests.conftest import auth_for, send

INACTIVE = {
    "segment_id": "inactive_7d",
    "name": "Not seen for a week",
    "conditions": [{"field": "last_seen", "operator": "before", "value": "now-P7D"}],
}


async def seen(client: httpx.AsyncClient, user: dict[str, Any], days: float) -> None:
    at = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    await send(client, {"type": "seen", "user": user, "timestamp": at})


async def members(client: httpx.AsyncClient, segment_id: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/segments/{segment_id}/members", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def users(page: dict[str, Any]) -> list[str]:
    return [member["user_id"] for member in page["items"]]


async def test_a_segment_is_defined_replaced_and_listed(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    viewer = await auth_for(resources, "acme", Role.VIEWER)
    editor = await auth_for(resources, "acme", Role.EDITOR)
    assert (await client.post("/api/segments", json=INACTIVE, headers=viewer)).status_code == 403
    created = await client.post("/api/segments", json=INACTIVE, headers=editor)
    assert created.status_code == 201
    assert created.json()["conditions"] == INACTIVE["conditions"]
    pros = {
        "segment_id": "inactive_7d",
        "conditions": [{"field": "plan", "operator": "==", "value": "pro"}],
    }
    replaced = await client.post("/api/segments", json=pros, headers=editor)
    assert replaced.status_code == 200
    assert (replaced.json()["name"], replaced.json()["conditions"][0]["operator"]) == (
        "inactive_7d",
        "equals",
    )
    await client.post("/api/segments", json={**INACTIVE, "segment_id": "a"}, headers=editor)
    listed = (await client.get("/api/segments", headers=viewer)).json()
    assert [s["segment_id"] for s in listed["items"]] == ["a", "inactive_7d"]
    one = (await client.get("/api/segments/a", headers=viewer)).json()
    assert one["name"] == "Not seen for a week"


async def test_bad_segments_are_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    cases = [
        ({**INACTIVE, "conditions": []}, ["body", "conditions"]),
        ({**INACTIVE, "segment_id": "has space"}, ["body", "segment_id"]),
        (
            {**INACTIVE, "conditions": [{"field": "x", "operator": "bigger"}]},
            ["body", "conditions", 0, "operator"],
        ),
        ({**INACTIVE, "color": "red"}, ["body", "color"]),
    ]
    for body, loc in cases:
        response = await client.post("/api/segments", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["details"][0]["loc"] == loc


async def test_members_are_the_profiles_the_conditions_hold_for(client: httpx.AsyncClient) -> None:
    await seen(client, {"id": "u1", "plan": "pro"}, days=30)
    await seen(client, {"id": "u2", "plan": "free"}, days=8)
    await seen(client, {"id": "u3", "plan": "pro"}, days=6)
    await seen(client, {"id": "u4"}, days=0)
    await client.post("/api/segments", json=INACTIVE)
    assert users(await members(client, "inactive_7d")) == ["u1", "u2"]
    idle_pros = {
        "segment_id": "idle_pros",
        "conditions": [
            {"field": "profile.plan", "operator": "equals", "value": "pro"},
            {"field": "days_since_last_seen", "operator": ">", "value": 5},
        ],
    }
    await client.post("/api/segments", json=idle_pros)
    assert users(await members(client, "idle_pros")) == ["u1", "u3"]
    first = await members(client, "inactive_7d", limit=1)
    assert (users(first), first["next_after"]) == (["u1"], "u1")
    second = await members(client, "inactive_7d", limit=1, after="u1")
    assert users(second) == ["u2"]
    assert users(await members(client, "inactive_7d", after=second["next_after"])) == []


async def test_another_tenants_segment_is_not_found(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    acme = await auth_for(resources, "acme", Role.ADMIN)
    globex = await auth_for(resources, "globex", Role.ADMIN)
    await client.post("/api/segments", json=INACTIVE, headers=acme)
    for path in ("/api/segments/inactive_7d", "/api/segments/inactive_7d/members"):
        assert (await client.get(path, headers=globex)).status_code == 404
    assert (await client.get("/api/segments", headers=globex)).json()["items"] == []
