"""``GET /api/audit``: every change, who made it, and its before and after, secrets masked."""

from typing import Any

import httpx

from app.models.tenant import Role
from app.redaction import MASK
from app.resources import Resources
from tests.conftest import auth_for, send
from tests.engine.calls.test_secrets import Echo

DOCUMENT = {
    "workflow_id": "audited",
    "name": "Audited",
    "trigger": {"type": "signup"},
    "actions": [
        {
            "id": "note",
            "type": "log",
            "delay": 60,
            "data": {"message": "hi", "password": "hunter2", "auth": {"$secret": "CRM_TOKEN"}},
        }
    ],
}


async def entries(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/audit", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_every_change_is_recorded_with_its_actor_and_states(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    key_id = (await client.get("/api/keys")).json()[0]["key_id"]
    assert (await client.post("/api/workflows", json=DOCUMENT)).status_code == 201
    renamed = DOCUMENT | {"name": "Renamed"}
    assert (await client.put("/api/workflows/audited", json=renamed)).status_code == 200
    for path in ("disable", "enable", "versions/1/publish"):
        assert (await client.post(f"/api/workflows/audited/{path}")).status_code == 200
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    assert (await client.post(f"/api/runs/{run_id}/pause")).status_code == 200
    assert (await client.post(f"/api/runs/{run_id}/cancel")).status_code == 200
    assert (await client.delete("/api/workflows/audited")).status_code == 204
    imported = await client.post(
        "/api/workflows/import", json=[DOCUMENT | {"workflow_id": "other"}]
    )
    assert imported.json()["results"][0]["status"] == "created"
    created = (await client.post("/api/keys", json={"role": "viewer"})).json()
    assert (await client.delete(f"/api/keys/{created['key_id']}")).status_code == 200

    log = await entries(client)
    assert [e["action"] for e in reversed(log)] == [
        "workflow.create",
        "workflow.update",
        "workflow.disable",
        "workflow.enable",
        "workflow.publish",
        "run.pause",
        "run.cancel",
        "workflow.archive",
        "workflow.import",
        "api_key.create",
        "api_key.revoke",
    ]
    assert {e["actor"] for e in log} == {key_id}
    create, update, disable = log[-1], log[-2], log[-3]
    assert create["before"] is None
    data = create["after"]["document"]["actions"][0]["data"]
    assert data == {"message": "hi", "password": MASK, "auth": {"$secret": MASK}}
    assert (update["before"]["name"], update["after"]["name"]) == ("Audited", "Renamed")
    assert (disable["before"]["enabled"], disable["after"]["enabled"]) == (True, False)
    pause = log[-6]
    assert (pause["entity_type"], pause["entity_id"]) == ("run", run_id)
    assert (pause["before"], pause["after"]["status"]) == ({"status": "pending"}, "paused")
    assert "hunter2" not in (await client.get("/api/audit")).text
    new_key = log[1]
    assert new_key["after"]["role"] == "viewer"
    assert created["key"] not in (await client.get("/api/audit")).text


async def test_filters_paging_and_who_may_read(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    assert (await client.post("/api/workflows", json=DOCUMENT)).status_code == 201
    assert (await client.post("/api/workflows/audited/disable")).status_code == 200
    assert (await client.post("/api/keys", json={"role": "viewer"})).status_code == 201
    assert len(await entries(client, entity_type="workflow", entity_id="audited")) == 2
    assert [e["action"] for e in await entries(client, entity_type="api_key")] == ["api_key.create"]
    assert await entries(client, actor="key_nobody") == []
    assert await entries(client, since="2999-01-01T00:00:00Z") == []
    first = (await client.get("/api/audit", params={"limit": 2})).json()
    rest = await entries(client, limit=2, after=first["next_after"])
    assert [e["action"] for e in first["items"] + rest] == [
        "api_key.create",
        "workflow.disable",
        "workflow.create",
    ]
    editor = await auth_for(resources, "acme", Role.EDITOR)
    assert (await client.get("/api/audit", headers=editor)).status_code == 403
    globex = await auth_for(resources, "globex", Role.ADMIN)
    assert (await client.get("/api/audit", headers=globex)).json()["items"] == []


async def test_secrets_integrations_limits_and_segments_are_audited_without_values(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    resources.registry.register(Echo())
    assert (await client.put("/api/secrets/ERP_KEY", json={"value": "s3cr3t-v1"})).is_success
    assert (
        await client.post("/api/secrets/ERP_KEY/rotate", json={"value": "s3cr3t-v2"})
    ).is_success
    config = {"url": "https://erp.example", "api_key": {"$secret": "ERP_KEY"}, "password": "pw-1"}
    assert (await client.put("/api/integrations/echo", json={"config": config})).is_success
    assert (await client.delete("/api/integrations/echo")).status_code == 204
    assert (await client.delete("/api/secrets/ERP_KEY")).status_code == 204
    limits = {"concurrency": {"limit": 5}}
    assert (await client.put("/api/tenant/limits", json=limits)).is_success
    segment = {
        "segment_id": "vip",
        "conditions": [{"field": "plan", "operator": "equals", "value": "vip"}],
    }
    assert (await client.post("/api/segments", json=segment)).status_code == 201

    log = await entries(client)
    assert [e["action"] for e in reversed(log)] == [
        "secret.create",
        "secret.rotate",
        "integration.create",
        "integration.delete",
        "secret.delete",
        "tenant.limits",
        "segment.create",
    ]
    text = (await client.get("/api/audit")).text
    for value in ("s3cr3t-v1", "s3cr3t-v2", "pw-1"):
        assert value not in text
    integration = log[-3]["after"]["config"]
    assert integration == {"url": "https://erp.example", "api_key": MASK, "password": MASK}
    assert (log[1]["before"], log[1]["after"]) == ({}, limits)
