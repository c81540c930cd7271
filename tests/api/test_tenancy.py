"""Another tenant's ids are a 404 on every workflow endpoint, and lists never show them."""

import asyncio
from datetime import datetime

import httpx

from app.models.tenant import Role
from app.resources import Resources
from tests.clock import ShiftedClock
from tests.conftest import auth_for

DOCUMENT = {
    "workflow_id": "secret_flow",
    "name": "Acme only",
    "trigger": {"type": "user_signup"},
    "actions": [{"type": "log"}],
}

ENDPOINTS = [
    ("GET", "/api/workflows/secret_flow", None),
    ("PUT", "/api/workflows/secret_flow", DOCUMENT),
    ("DELETE", "/api/workflows/secret_flow", None),
    ("GET", "/api/workflows/secret_flow/export", None),
    ("GET", "/api/workflows/secret_flow/versions", None),
    ("GET", "/api/workflows/secret_flow/versions/1", None),
    ("POST", "/api/workflows/secret_flow/versions/1/publish", None),
    ("POST", "/api/workflows/secret_flow/enable", None),
    ("POST", "/api/workflows/secret_flow/disable", None),
]


async def test_other_tenants_workflows_are_invisible(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    acme = await auth_for(resources, "acme", Role.ADMIN)
    globex = await auth_for(resources, "globex", Role.ADMIN)
    assert (await client.post("/api/workflows", json=DOCUMENT, headers=acme)).status_code == 201

    for method, path, body in ENDPOINTS:
        response = await client.request(method, path, json=body, headers=globex)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"

    for path in ("/api/workflows", "/api/workflows?include_archived=true"):
        assert (await client.get(path, headers=globex)).json()["items"] == []
    assert (await client.get("/api/workflows/export", headers=globex)).json() == []
    imported = await client.post("/api/workflows/import", json=DOCUMENT, headers=globex)
    assert imported.json()["results"][0]["status"] == "created"

    acme_view = (await client.get("/api/workflows/secret_flow", headers=acme)).json()
    assert (acme_view["name"], acme_view["latest_version"], acme_view["enabled"]) == (
        "Acme only",
        1,
        True,
    )


async def test_keys_are_managed_per_tenant(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    acme = await auth_for(resources, "acme", Role.ADMIN)
    globex = await auth_for(resources, "globex", Role.ADMIN)
    created = (await client.post("/api/keys", json={"role": "viewer"}, headers=acme)).json()
    assert created["key"].startswith("atm_")
    assert created["prefix"] == created["key"][:8]
    assert (
        await client.delete(f"/api/keys/{created['key_id']}", headers=globex)
    ).status_code == 404
    viewer = {"Authorization": f"Bearer {created['key']}"}
    assert (await client.get("/api/workflows", headers=viewer)).status_code == 200
    assert (await client.get("/api/keys", headers=viewer)).status_code == 403
    assert (await client.delete(f"/api/keys/{created['key_id']}", headers=acme)).status_code == 200
    assert (await client.get("/api/workflows", headers=viewer)).status_code == 401
    listed = (await client.get("/api/keys", headers=globex)).json()
    assert all("key" not in item for item in listed)
    assert len(listed) == 1


async def test_the_tenants_last_admin_key_is_not_revoked(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    """Revoking it would leave the tenant with no key that can make keys: a 409 saying
    what to do first. Once another admin key is made, it goes."""
    client, resources = app_resources
    acme = await auth_for(resources, "acme", Role.ADMIN)
    (only,) = (await client.get("/api/keys", headers=acme)).json()
    limited = {"role": "admin", "workflows": ["w"]}
    assert (await client.post("/api/keys", json=limited, headers=acme)).status_code == 201
    refused = await client.delete(f"/api/keys/{only['key_id']}", headers=acme)
    assert refused.status_code == 409
    assert refused.json()["error"]["message"].startswith(
        f"API key '{only['key_id']}' is the tenant's last admin key"
    )
    assert (await client.get("/api/keys", headers=acme)).status_code == 200
    other = (await client.post("/api/keys", json={"role": "admin"}, headers=acme)).json()
    assert (await client.delete(f"/api/keys/{only['key_id']}", headers=acme)).status_code == 200
    second = {"Authorization": f"Bearer {other['key']}"}
    again = await client.delete(f"/api/keys/{other['key_id']}", headers=second)
    assert again.status_code == 409


async def test_two_admins_revoking_each_others_keys_at_once_keep_one(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    """Both keys are in use (remembered by the API process, as keys in use are), and each
    request finds the other admin key live when it starts; only one may go, or the tenant
    would be left with no key that can make keys."""
    client, resources = app_resources
    first = await auth_for(resources, "acme", Role.ADMIN)
    made = (await client.post("/api/keys", json={"role": "admin"}, headers=first)).json()
    second = {"Authorization": f"Bearer {made['key']}"}
    assert (await client.get("/api/keys", headers=second)).status_code == 200
    keys = {k["key_id"] for k in (await client.get("/api/keys", headers=first)).json()}
    (first_id,) = keys - {made["key_id"]}
    answers = await asyncio.gather(
        client.delete(f"/api/keys/{made['key_id']}", headers=first),
        client.delete(f"/api/keys/{first_id}", headers=second),
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    statuses = [(await client.get("/api/keys", headers=h)).status_code for h in (first, second)]
    assert sorted(statuses) == [200, 401]


async def test_a_refused_role_is_told_which_roles_may(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    ingest = await auth_for(resources, "acme", Role.INGEST)
    keys = await client.get("/api/keys", headers=ingest)
    assert (keys.status_code, keys.json()["error"]["message"]) == (
        403,
        "The ingest role may not do this (needs manage_keys: a key of role admin).",
    )
    runs = await client.get("/api/runs", headers=ingest)
    assert runs.json()["error"]["message"].endswith(
        "(needs read: a key of role admin, editor or viewer)."
    )


async def last_used(client: httpx.AsyncClient, headers: dict[str, str], key_id: str) -> str | None:
    listed = {key["key_id"]: key for key in (await client.get("/api/keys", headers=headers)).json()}
    used: str | None = listed[key_id]["last_used_at"]
    return used


async def test_a_keys_last_use_is_listed_to_within_a_minute(
    app_resources: tuple[httpx.AsyncClient, Resources], clock: ShiftedClock
) -> None:
    """Events sent with a key show when it was last used: recorded at its first request,
    not again for a minute whatever the requests meanwhile, then at the next one."""
    client, resources = app_resources
    acme = await auth_for(resources, "acme", Role.ADMIN)
    shop = (await client.post("/api/keys", json={"role": "ingest"}, headers=acme)).json()
    assert await last_used(client, acme, shop["key_id"]) is None
    sender = {"Authorization": f"Bearer {shop['key']}"}
    event = {"type": "page_viewed", "user": {"id": "u1"}}

    async def send() -> None:
        assert (await client.post("/api/events", json=event, headers=sender)).status_code == 202
        await resources.keys.recorded()

    await send()
    first = await last_used(client, acme, shop["key_id"])
    assert first is not None
    for _ in range(3):
        clock.advance(15)
        await send()
    assert await last_used(client, acme, shop["key_id"]) == first
    clock.advance(15)
    await send()
    later = await last_used(client, acme, shop["key_id"])
    assert later is not None
    elapsed = datetime.fromisoformat(later) - datetime.fromisoformat(first)
    assert elapsed.total_seconds() >= 60
