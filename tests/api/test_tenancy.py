"""Another tenant's ids are a 404 on every workflow endpoint, and lists never show them."""

import asyncio
from datetime import datetime, timedelta

import httpx

from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.clock import ShiftedClock
from tests.conftest import auth_for, serving

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
    revoked = await client.delete(f"/api/keys/{only['key_id']}", headers=acme)
    assert revoked.status_code == 200
    assert revoked.json()["notice"] is None  # the admin key left does not expire
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


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def utc(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M:%SZ}"


async def test_an_expired_key_is_refused_saying_when(
    settings: Settings, clock: ShiftedClock
) -> None:
    """Refused from its expiry on, though the key cache (two hours here) would have kept it
    longer; by the API and by the Studio's sign-in. The key is used 30 s before its
    expiry: the test's clock flows with the machine's, so a slow machine must not carry the
    first request past it."""
    remembering = settings.model_copy(update={"key_cache_seconds": 7200.0})
    async with serving(remembering, clock) as (client, resources):
        acme = await auth_for(resources, "acme", Role.ADMIN)
        expires = (clock.now() + timedelta(hours=1)).replace(microsecond=0)
        body = {"role": "ingest", "expires_at": expires.isoformat()}
        shop = (await client.post("/api/keys", json=body, headers=acme)).json()
        assert datetime.fromisoformat(shop["expires_at"]) == expires
        event = {"type": "page_viewed", "user": {"id": "u1"}}
        clock.advance(3600 - 30)
        sent = await client.post("/api/events", json=event, headers=bearer(shop["key"]))
        assert sent.status_code == 202
        clock.advance(31)  # within the minute after which a key is read again for its use
        refused = await client.post("/api/events", json=event, headers=bearer(shop["key"]))
        assert (refused.status_code, refused.json()["error"]["message"]) == (
            401,
            f"The API key {shop['prefix']}… expired at {utc(expires)}: use another key, or "
            "ask an admin for a new one (POST /api/keys).",
        )
        signed_in = await client.post("/api/session", json={"api_key": shop["key"]})
        assert signed_in.status_code == 401
        assert f"expired at {utc(expires)}" in signed_in.json()["error"]["message"]
        (listed,) = [
            k
            for k in (await client.get("/api/keys", headers=acme)).json()
            if k["key_id"] == shop["key_id"]
        ]
        assert datetime.fromisoformat(listed["expires_at"]) == expires


async def test_an_expiry_is_a_future_time_with_a_zone(
    app_resources: tuple[httpx.AsyncClient, Resources], clock: ShiftedClock
) -> None:
    client, resources = app_resources
    acme = await auth_for(resources, "acme", Role.ADMIN)
    past = (clock.now() - timedelta(minutes=1)).replace(microsecond=0)
    for expires_at, says in (
        (past.isoformat(), f"expires_at {utc(past)} is not in the future"),
        ("2030-01-01T00:00:00", "timezone"),
    ):
        body = {"role": "viewer", "expires_at": expires_at}
        refused = await client.post("/api/keys", json=body, headers=acme)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert says in error["message"] + " ".join(d["msg"] for d in error["details"])
        assert error["details"][0]["loc"] == ["body", "expires_at"]
    assert len((await client.get("/api/keys", headers=acme)).json()) == 1


async def test_admin_keys_that_all_expire_are_told_and_count_until_they_do(
    app_resources: tuple[httpx.AsyncClient, Resources], clock: ShiftedClock
) -> None:
    """An admin key with an expiry is made with a notice once no admin key is left that
    does not expire; an expired admin key no longer keeps the last working one revocable."""
    client, resources = app_resources
    acme = await auth_for(resources, "acme", Role.ADMIN)
    (first,) = (await client.get("/api/keys", headers=acme)).json()
    week = (clock.now() + timedelta(days=7)).replace(microsecond=0)
    body = {"role": "admin", "expires_at": week.isoformat()}
    temporary = (await client.post("/api/keys", json=body, headers=acme)).json()
    assert temporary["notice"] is None  # the first admin key does not expire
    revoked = await client.delete(f"/api/keys/{first['key_id']}", headers=bearer(temporary["key"]))
    assert revoked.status_code == 200
    assert revoked.json()["notice"].startswith(
        f"Every admin key of the tenant expires, the last at {utc(week)}: "
    )
    month = (clock.now() + timedelta(days=30)).replace(microsecond=0)
    body = {"role": "admin", "expires_at": month.isoformat()}
    created = await client.post("/api/keys", json=body, headers=bearer(temporary["key"]))
    assert created.status_code == 201
    assert created.json()["notice"] == (
        f"Every admin key of the tenant expires, the last at {utc(month)}: after that no key "
        "can create or revoke keys, and only the deployment's operator (`automator "
        "create-api-key` on the server, or the operator API) can let the tenant in. Create an "
        "admin key without an expiry before then."
    )
    viewer = await client.post(
        "/api/keys", json={"role": "viewer"}, headers=bearer(temporary["key"])
    )
    assert viewer.json()["notice"] is None
    gone = await client.delete(
        f"/api/keys/{viewer.json()['key_id']}", headers=bearer(temporary["key"])
    )
    assert gone.json()["notice"] is None  # the tenant's admin keys are as they were
    clock.advance(8 * 86400)
    last = created.json()
    refused = await client.delete(f"/api/keys/{last['key_id']}", headers=bearer(last["key"]))
    assert refused.status_code == 409
    assert "is the tenant's last admin key" in refused.json()["error"]["message"]
