"""``/api/operator/``: tenants made and read with AUTOMATOR_OPERATOR_TOKEN, the deployment's
own credential, which is no tenant's key and opens no tenant's routes."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from app.models.tenant import ApiKey, Role
from app.resources import Resources
from app.settings import Settings
from app.tenancy import issue_key
from tests.clock import ShiftedClock
from tests.conftest import auth_for, send, serving

TOKEN = "operator-" + "s3cret" * 6
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
WORKFLOW = {
    "workflow_id": "welcome",
    "name": "Welcome",
    "trigger": {"type": "signup"},
    "actions": [{"id": "hello", "type": "log", "data": {"message": "hi"}}],
}


@pytest.fixture
async def operated(
    settings: Settings, clock: ShiftedClock
) -> AsyncIterator[tuple[httpx.AsyncClient, Resources]]:
    """The app with AUTOMATOR_OPERATOR_TOKEN set; its client sends no credential."""
    with_token = settings.model_copy(update={"operator_token": SecretStr(TOKEN)})
    async with serving(with_token, clock) as served:
        yield served


async def test_unset_the_operator_routes_answer_403_naming_the_setting(
    client: httpx.AsyncClient,
) -> None:
    """Any credential gets the 403 (the client's is a tenant's admin key); none, a 401."""
    body = {"tenant_id": "x", "name": "X"}
    for headers in ({}, OPERATOR):
        for call in (
            client.get("/api/operator/tenants", headers=headers),
            client.post("/api/operator/tenants", json=body, headers=headers),
        ):
            refused = await call
            assert refused.status_code == 403
            assert "set AUTOMATOR_OPERATOR_TOKEN" in refused.json()["error"]["message"]
    del client.headers["Authorization"]
    unsent = await client.post("/api/operator/tenants", json=body)
    assert unsent.status_code == 401
    assert "Send the operator token" in unsent.json()["error"]["message"]


async def test_only_the_operator_token_passes(
    operated: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = operated
    admin = await auth_for(resources, "acme", Role.ADMIN)
    for headers, says in [
        ({}, "Send the operator token"),
        ({"Authorization": "Bearer " + TOKEN[:-1]}, "Send the operator token"),
        ({"Authorization": "Basic " + TOKEN}, "Send the operator token"),
        (admin, "A tenant's API key does not open /api/operator/"),
    ]:
        refused = await client.get("/api/operator/tenants", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert says in refused.json()["error"]["message"]
        assert TOKEN not in refused.text
    assert (await client.get("/api/operator/tenants", headers=OPERATOR)).status_code == 200
    for path in ("/api/workflows", "/api/keys", "/api/audit"):
        assert (await client.get(path, headers=OPERATOR)).status_code == 401


async def test_a_tenant_made_by_the_operator_works_with_its_first_admin_key(
    operated: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, _ = operated
    made = await client.post(
        "/api/operator/tenants", json={"tenant_id": "globex", "name": "Globex"}, headers=OPERATOR
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["tenant_id"], body["name"]) == ("globex", "Globex")
    assert body["admin_key"]["role"] == "admin"
    tenant = {"Authorization": f"Bearer {body['admin_key']['key']}"}
    client.headers.update(tenant)
    assert (await client.post("/api/workflows", json=WORKFLOW)).status_code == 201
    await send(client, {"type": "signup", "user": {"id": "u1"}, "data": {}})
    keys = await client.get("/api/keys")
    assert [key["key_id"] for key in keys.json()] == [body["admin_key"]["key_id"]]
    audit = (await client.get("/api/audit")).json()["items"]
    made_by_operator = {(e["action"], e["actor"]) for e in audit if e["actor"] == "operator"}
    assert made_by_operator == {("tenant.create", "operator"), ("api_key.create", "operator")}
    del client.headers["Authorization"]

    seen = await client.get("/api/operator/tenants/globex", headers=OPERATOR)
    assert seen.status_code == 200
    glance = seen.json()
    assert glance["live_keys"] == {"admin": 1, "editor": 0, "viewer": 0, "ingest": 0}
    assert (glance["workflows"], glance["events_last_24h"]) == (1, 1)
    assert glance["created_at"] == body["created_at"]


async def test_the_glance_counts_keys_that_work_not_the_revoked_or_expired(
    operated: tuple[httpx.AsyncClient, Resources], clock: ShiftedClock
) -> None:
    client, resources = operated
    made = await client.post(
        "/api/operator/tenants", json={"tenant_id": "globex", "name": "Globex"}, headers=OPERATOR
    )
    assert made.status_code == 201
    store = resources.store
    soon = clock.now() + timedelta(hours=1)
    await issue_key(store, clock, "globex", Role.EDITOR, expires_at=soon)
    await issue_key(store, clock, "globex", Role.VIEWER)
    revoked = await issue_key(store, clock, "globex", Role.INGEST)
    await store.revoke_api_key("globex", revoked.key.key_id)

    async def live_keys() -> dict[str, int]:
        glance = await client.get("/api/operator/tenants/globex", headers=OPERATOR)
        counts: dict[str, int] = glance.json()["live_keys"]
        return counts

    assert await live_keys() == {"admin": 1, "editor": 1, "viewer": 1, "ingest": 0}
    clock.advance(2 * 3600)
    assert await live_keys() == {"admin": 1, "editor": 0, "viewer": 1, "ingest": 0}


async def test_tenants_are_listed_a_page_at_a_time(
    operated: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, _ = operated
    for tenant_id in ("initech", "acme", "globex"):
        made = await client.post(
            "/api/operator/tenants",
            json={"tenant_id": tenant_id, "name": tenant_id.title()},
            headers=OPERATOR,
        )
        assert made.status_code == 201
    first = (await client.get("/api/operator/tenants?limit=2", headers=OPERATOR)).json()
    after = first["next_after"]
    rest = (await client.get(f"/api/operator/tenants?after={after}", headers=OPERATOR)).json()
    listed = [t["tenant_id"] for t in first["items"] + rest["items"]]
    assert listed == ["acme", "globex", "initech"]
    assert rest["next_after"] is None


async def test_a_tenant_made_twice_is_a_conflict_that_keeps_its_keys(
    operated: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = operated
    body = {"tenant_id": "globex", "name": "Globex"}
    assert (await client.post("/api/operator/tenants", json=body, headers=OPERATOR)).is_success
    again = await client.post("/api/operator/tenants", json=body, headers=OPERATOR)
    assert again.status_code == 409
    message = again.json()["error"]["message"]
    assert "Tenant globex exists already" in message
    assert "POST /api/operator/tenants/globex/keys" in message
    assert "automator create-api-key --tenant globex --role admin" in message
    assert len(await resources.store.list_api_keys("globex")) == 1


async def test_a_creation_whose_key_was_not_stored_completes_when_made_again(
    operated: tuple[httpx.AsyncClient, Resources], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tenant is written, its first admin key is not (the store fails): the same
    request made again answers 201 with a key that works, and the audit log holds each
    change once."""
    client, resources = operated
    store = resources.store
    working = store.add_api_key

    async def failing(key: ApiKey, key_hash: str) -> None:
        """A stand-in for a store outage: the key's write fails once."""
        monkeypatch.setattr(store, "add_api_key", working)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "add_api_key", failing)
    body = {"tenant_id": "globex", "name": "Globex"}
    with pytest.raises(sqlite3.OperationalError):
        await client.post("/api/operator/tenants", json=body, headers=OPERATOR)
    assert await store.get_tenant("globex") is not None
    assert await store.list_api_keys("globex") == []

    retried = await client.post("/api/operator/tenants", json=body, headers=OPERATOR)
    assert retried.status_code == 201, retried.text
    tenant = {"Authorization": f"Bearer {retried.json()['admin_key']['key']}"}
    audit = (await client.get("/api/audit", headers=tenant)).json()["items"]
    assert sorted(entry["action"] for entry in audit) == ["api_key.create", "tenant.create"]
    again = await client.post("/api/operator/tenants", json=body, headers=OPERATOR)
    assert again.status_code == 409
    assert len(await store.list_api_keys("globex")) == 1


async def test_a_tenant_with_no_key_is_not_made_again_under_another_name(
    operated: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = operated
    await resources.store.ensure_tenant("globex", "Globex")
    other = {"tenant_id": "globex", "name": "Globex Corporation"}
    refused = await client.post("/api/operator/tenants", json=other, headers=OPERATOR)
    assert refused.status_code == 409
    assert "Tenant globex exists already" in refused.json()["error"]["message"]
    assert await resources.store.list_api_keys("globex") == []


async def test_a_tenant_made_twice_at_once_gets_one_first_key(
    operated: tuple[httpx.AsyncClient, Resources],
) -> None:
    """Whichever request finds the tenant made by the other, and no key yet, stores the
    same first key id as the other: one of them is refused."""
    client, resources = operated
    body = {"tenant_id": "globex", "name": "Globex"}
    answers = await asyncio.gather(
        *(client.post("/api/operator/tenants", json=body, headers=OPERATOR) for _ in range(2))
    )
    assert sorted(answer.status_code for answer in answers) == [201, 409]
    assert len(await resources.store.list_api_keys("globex")) == 1


async def test_a_tenant_whose_admin_keys_expired_gets_another_from_the_operator(
    operated: tuple[httpx.AsyncClient, Resources], clock: ShiftedClock
) -> None:
    client, resources = operated
    expiring = await issue_key(
        resources.store, clock, "globex", Role.ADMIN, expires_at=clock.now() + timedelta(hours=1)
    )
    clock.advance(2 * 3600)
    lost = {"Authorization": f"Bearer {expiring.secret}"}
    assert (await client.get("/api/keys", headers=lost)).status_code == 401
    path = "/api/operator/tenants/globex/keys"
    assert (await client.post(path, json={}, headers=lost)).status_code == 401

    made = await client.post(path, json={"name": "recovery"}, headers=OPERATOR)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["role"], body["name"], body["expires_at"]) == ("admin", "recovery", None)
    again = {"Authorization": f"Bearer {body['key']}"}
    listed = (await client.get("/api/keys", headers=again)).json()
    assert {key["key_id"] for key in listed} == {expiring.key.key_id, body["key_id"]}
    assert all("key" not in key for key in listed)
    audit = (await client.get("/api/audit?actor=operator", headers=again)).json()["items"]
    assert [(e["action"], e["entity_id"]) for e in audit] == [("api_key.create", body["key_id"])]
    glance = (await client.get("/api/operator/tenants/globex", headers=OPERATOR)).json()
    assert glance["live_keys"]["admin"] == 1


async def test_the_operator_gives_keys_to_existing_tenants_only(
    operated: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = operated
    path = "/api/operator/tenants/nobody/keys"
    missing = await client.post(path, json={}, headers=OPERATOR)
    assert missing.status_code == 404
    assert "GET /api/operator/tenants lists them" in missing.json()["error"]["message"]
    assert await resources.store.get_tenant("nobody") is None
    await resources.store.ensure_tenant("acme", "Acme")
    for body, field in [({"name": "x" * 201}, "name"), ({"role": "viewer"}, "role")]:
        refused = await client.post("/api/operator/tenants/acme/keys", json=body, headers=OPERATOR)
        assert refused.status_code == 422
        assert refused.json()["error"]["details"][0]["loc"][-1] == field
    assert await resources.store.list_api_keys("acme") == []


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"tenant_id": "-acme", "name": "A"}, "tenant_id", "1 to 128 letters, digits"),
        ({"tenant_id": "a b", "name": "A"}, "tenant_id", "1 to 128 letters, digits"),
        ({"tenant_id": "x" * 129, "name": "A"}, "tenant_id", "1 to 128 letters, digits"),
        ({"tenant_id": 7, "name": "A"}, "tenant_id", "string"),
        ({"tenant_id": "acme", "name": ""}, "name", "at least 1 character"),
        ({"tenant_id": "acme"}, "name", "required"),
        ({"tenant_id": "acme", "name": "A", "plan": "pro"}, "plan", "not permitted"),
    ],
)
async def test_a_bad_tenant_is_refused_by_field(
    operated: tuple[httpx.AsyncClient, Resources], body: dict[str, object], field: str, says: str
) -> None:
    client, resources = operated
    refused = await client.post("/api/operator/tenants", json=body, headers=OPERATOR)
    assert refused.status_code == 422
    (detail,) = refused.json()["error"]["details"]
    assert detail["loc"][-1] == field
    assert says in detail["msg"]
    assert await resources.store.get_tenant("acme") is None


async def test_an_unknown_tenant_is_not_found(
    operated: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, _ = operated
    missing = await client.get("/api/operator/tenants/nobody", headers=OPERATOR)
    assert missing.status_code == 404
    assert "GET /api/operator/tenants lists them" in missing.json()["error"]["message"]


async def test_each_operator_route_declares_only_the_errors_it_answers(
    client: httpx.AsyncClient,
) -> None:
    """A client generated from the schema handles the answers each route can give: a
    conflict only where a tenant is made, a missing tenant only where one is named."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    errors = {
        (method.upper(), path): sorted(int(status) for status in operation["responses"])
        for path, operations in paths.items()
        if path.startswith("/api/operator/")
        for method, operation in operations.items()
    }
    assert errors == {
        ("POST", "/api/operator/tenants"): [201, 401, 403, 409, 422],
        ("GET", "/api/operator/tenants"): [200, 401, 403, 422],
        ("GET", "/api/operator/tenants/{tenant_id}"): [200, 401, 403, 404, 422],
        ("POST", "/api/operator/tenants/{tenant_id}/keys"): [201, 401, 403, 404, 422],
    }
