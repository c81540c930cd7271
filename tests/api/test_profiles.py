"""Profiles over the API: built by events, read by viewers, scoped by tenant."""

from datetime import UTC, datetime, timedelta

import httpx

from app.models.tenant import Role
from app.resources import Resources
from tests.conftest import auth_for, key_for, send


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def test_events_build_the_profile_a_viewer_reads(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    client.headers["Authorization"] = f"Bearer {await key_for(resources, 'acme', Role.INGEST)}"
    user = {"id": "u1", "email": "ada@example.com", "plan": "trial"}
    signed_up = days_ago(2)
    await send(client, {"type": "user_signup", "user": user, "timestamp": signed_up})
    await send(client, {"type": "purchase_completed", "user": {"id": "u1", "plan": "pro"}})
    assert (await client.get("/api/profiles/u1")).status_code == 403
    client.headers["Authorization"] = f"Bearer {await key_for(resources, 'acme', Role.VIEWER)}"
    profile = (await client.get("/api/profiles/u1")).json()
    assert profile["attributes"] == {"email": "ada@example.com", "plan": "pro"}
    assert profile["event_count"] == 2
    first_seen = datetime.fromisoformat(profile["first_seen"])
    assert first_seen == datetime.fromisoformat(signed_up)
    assert datetime.fromisoformat(profile["last_seen"]) > first_seen


async def test_profiles_list_by_last_seen_in_pages(client: httpx.AsyncClient) -> None:
    for user_id, days in (("a", 30), ("b", 10), ("c", 1), ("d", 0)):
        await send(client, {"type": "seen", "user": {"id": user_id}, "timestamp": days_ago(days)})

    async def listed(**params: str | int) -> tuple[list[str], str | None]:
        body = (await client.get("/api/profiles", params=params)).json()
        return [p["user_id"] for p in body["items"]], body["next_after"]

    assert await listed() == (["a", "b", "c", "d"], None)
    assert await listed(seen_before=days_ago(7)) == (["a", "b"], None)
    week = (datetime.now(UTC) - timedelta(days=7)).replace(tzinfo=None).isoformat()
    assert await listed(seen_after=week) == (["c", "d"], None)  # no offset: UTC
    assert await listed(limit=2) == (["a", "b"], "b")
    assert await listed(limit=2, after="b") == (["c", "d"], "d")


async def test_user_ids_may_hold_slashes_and_must_be_scalars(client: httpx.AsyncClient) -> None:
    await send(client, {"type": "seen", "user": {"id": "shop/42", "n": 1}})
    assert (await client.get("/api/profiles/shop/42")).json()["attributes"] == {"n": 1}
    await send(client, {"type": "seen", "user": {"id": 7}})
    assert (await client.get("/api/profiles/7")).status_code == 200
    for bad in ({"id": {"nested": 1}}, {"id": True}, {"id": "x" * 257}, {"id": ""}):
        response = await client.post("/api/events", json={"type": "seen", "user": bad})
        assert response.status_code == 422, bad
        detail = response.json()["error"]["details"][0]
        assert detail["loc"] == ["body", "user"]
        assert "user.id must be" in detail["msg"]


async def test_another_tenants_profile_is_not_found(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    acme = await auth_for(resources, "acme", Role.ADMIN)
    globex = await auth_for(resources, "globex", Role.ADMIN)
    event = {"type": "seen", "user": {"id": "u1", "secret": "acme's"}}
    assert (await client.post("/api/events", json=event, headers=acme)).status_code == 202
    response = await client.get("/api/profiles/u1", headers=globex)
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "No profile for user 'u1'.",
        "details": [],
    }
    assert (await client.get("/api/profiles", headers=globex)).json()["items"] == []


async def test_a_last_seen_bound_past_the_year_9999_in_utc_is_a_422(
    client: httpx.AsyncClient,
) -> None:
    params = {"seen_after": "9999-12-31T23:59:59-14:00"}
    response = await client.get("/api/profiles", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["loc"] == ["query", "seen_after"]
    params = {"seen_before": "9999-12-31T23:59:59+14:00"}
    assert (await client.get("/api/profiles", params=params)).status_code == 200
