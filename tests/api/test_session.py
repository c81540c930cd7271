"""Studio sign-in: an API key exchanged for an HttpOnly session cookie, the same role checks
as a Bearer key, a custom header against cross-site writes, and sign-out that ends it."""

import logging
from http.cookies import SimpleCookie

import httpx
import pytest
import redis.asyncio

from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import auth_for, key_for

STUDIO = {"X-Automator-Client": "studio"}
WORKFLOW = {
    "workflow_id": "w1",
    "name": "W",
    "trigger": {"type": "signup"},
    "actions": [{"type": "log"}],
}

AppClient = tuple[httpx.AsyncClient, Resources]


def _cookie(response: httpx.Response) -> SimpleCookie:
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    return cookie


async def _sign_in(client: httpx.AsyncClient, key: str) -> dict[str, str]:
    """Sign in and return the Cookie header a browser would send from then on."""
    response = await client.post("/api/session", json={"api_key": key})
    assert response.status_code == 200, response.text
    client.cookies.clear()  # each request below says which cookie it carries
    return {"Cookie": f"automator_session={_cookie(response)['automator_session'].value}"}


async def test_sign_in_sets_an_httponly_strict_cookie_that_is_not_the_key(
    app_resources: AppClient, settings: Settings
) -> None:
    client, resources = app_resources
    key = await key_for(resources, "acme", Role.EDITOR)

    response = await client.post("/api/session", json={"api_key": key})

    assert response.status_code == 200
    body = response.json()
    assert body["tenant_id"] == "acme"
    assert body["role"] == "editor"
    assert body["key_id"].startswith("key_")
    assert body["name"] is None  # the key has no label
    assert key not in response.text
    morsel = _cookie(response)["automator_session"]
    assert morsel.value
    assert key not in morsel.value
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "strict"
    assert morsel["path"] == "/"
    assert morsel["max-age"] == str(settings.session_seconds)
    assert not morsel["secure"]  # plain http here; see the https test
    session = {"Cookie": f"automator_session={morsel.value}"}
    client.cookies.clear()
    assert (await client.get("/api/session", headers=session)).json() == body


async def test_the_cookie_is_secure_over_https(app_resources: AppClient) -> None:
    client, resources = app_resources
    key = await key_for(resources, "acme", Role.ADMIN)
    response = await client.post("https://automator/api/session", json={"api_key": key})
    assert _cookie(response)["automator_session"]["secure"] is True


async def test_the_session_is_kept_server_side_with_an_expiry(
    app_resources: AppClient, settings: Settings
) -> None:
    client, resources = app_resources
    await _sign_in(client, await key_for(resources, "acme", Role.ADMIN))
    server = redis.asyncio.Redis.from_url(settings.redis_url or "")
    try:
        keys = await server.keys("automator:session:*")
        assert len(keys) == 1
        assert 0 < await server.ttl(keys[0]) <= settings.session_seconds
    finally:
        await server.aclose()


async def test_the_cookie_authorises_writes_with_the_studio_header(
    app_resources: AppClient,
) -> None:
    client, resources = app_resources
    session = await _sign_in(client, await key_for(resources, "acme", Role.ADMIN))

    refused = await client.post("/api/workflows", json=WORKFLOW, headers=session)
    assert refused.status_code == 403
    assert "X-Automator-Client: studio" in refused.json()["error"]["message"]

    created = await client.post("/api/workflows", json=WORKFLOW, headers=session | STUDIO)
    assert created.status_code == 201, created.text
    listed = await client.get("/api/workflows", headers=session)
    assert [w["workflow_id"] for w in listed.json()["items"]] == ["w1"]


async def test_a_viewer_signed_in_may_read_but_not_write(app_resources: AppClient) -> None:
    client, resources = app_resources
    session = await _sign_in(client, await key_for(resources, "acme", Role.VIEWER))

    assert (await client.get("/api/workflows", headers=session)).status_code == 200
    refused = await client.post("/api/workflows", json=WORKFLOW, headers=session | STUDIO)
    assert refused.status_code == 403
    assert "viewer" in refused.json()["error"]["message"]


async def test_sign_out_ends_the_session_and_clears_the_cookie(app_resources: AppClient) -> None:
    client, resources = app_resources
    session = await _sign_in(client, await key_for(resources, "acme", Role.ADMIN))

    assert (await client.delete("/api/session", headers=session)).status_code == 403
    response = await client.delete("/api/session", headers=session | STUDIO)

    assert response.status_code == 204
    cleared = _cookie(response)["automator_session"]
    assert cleared.value == ""
    assert cleared["max-age"] == "0"
    client.cookies.clear()
    for path in ("/api/session", "/api/workflows"):
        ended = await client.get(path, headers=session)
        assert ended.status_code == 401
        assert "sign in again" in ended.json()["error"]["message"]
    assert (await client.delete("/api/session", headers=session | STUDIO)).status_code == 204


async def test_revoking_the_key_ends_its_sessions(app_resources: AppClient) -> None:
    client, resources = app_resources
    admin = await auth_for(resources, "acme", Role.ADMIN)
    viewer = (await client.post("/api/keys", json={"role": "viewer"}, headers=admin)).json()
    session = await _sign_in(client, viewer["key"])
    assert (await client.get("/api/session", headers=session)).status_code == 200

    await client.delete(f"/api/keys/{viewer['key_id']}", headers=admin)

    assert (await client.get("/api/workflows", headers=session)).status_code == 401


async def test_a_wrong_key_is_refused_then_the_address_is_held_off(
    app_resources: AppClient, settings: Settings
) -> None:
    client, resources = app_resources
    good = await key_for(resources, "acme", Role.ADMIN)

    for _ in range(settings.sign_in_failures):
        wrong = await client.post("/api/session", json={"api_key": "atm_wrong"})
        assert wrong.status_code == 401
        assert "set-cookie" not in wrong.headers
    held_off = await client.post("/api/session", json={"api_key": good})

    assert held_off.status_code == 429
    assert int(held_off.headers["retry-after"]) > 0
    assert "AUTOMATOR_SIGN_IN_FAILURES" in held_off.json()["error"]["message"]
    bearer = await client.get("/api/workflows", headers={"Authorization": f"Bearer {good}"})
    assert bearer.status_code == 200


async def test_a_form_post_from_another_site_cannot_sign_in(app_resources: AppClient) -> None:
    client, resources = app_resources
    key = await key_for(resources, "acme", Role.ADMIN)
    response = await client.post("/api/session", data={"api_key": key})
    assert response.status_code == 422
    assert "set-cookie" not in response.headers


async def test_sign_in_and_out_are_audited_without_the_key(
    app_resources: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, resources = app_resources
    key = await key_for(resources, "acme", Role.ADMIN)
    session = await _sign_in(client, key)
    await client.delete("/api/session", headers=session | STUDIO)

    audit = await client.get(
        "/api/audit?entity_type=session", headers={"Authorization": f"Bearer {key}"}
    )
    actions = [entry["action"] for entry in audit.json()["items"]]
    assert sorted(actions) == ["session.create", "session.delete"]
    assert key not in audit.text
    assert key not in caplog.text
    invalid = await client.post("/api/session", json={"api_key": key, "extra": 1})
    assert invalid.status_code == 422
    assert key not in invalid.text


async def test_no_credentials_say_how_to_sign_in(app_resources: AppClient) -> None:
    client, _ = app_resources
    response = await client.get("/api/session")
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]["message"]
