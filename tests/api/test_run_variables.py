"""``PATCH /api/runs/{run_id}/variables``: a paused or waiting run's variables set before it
goes on, audited with before and after; refused on a running or ended run."""

import httpx

from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import auth_for, drain, send

OFFER = {
    "workflow_id": "offer",
    "name": "Offer",
    "trigger": {"type": "signup"},
    "actions": [
        {
            "id": "write",
            "type": "set",
            "data": {"message": "Use {{ vars.code | default('nothing') }}"},
        }
    ],
}


async def paused_run(client: httpx.AsyncClient) -> str:
    assert (await client.post("/api/workflows", json=OFFER)).status_code == 201
    run_id = str((await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0])
    assert (await client.post(f"/api/runs/{run_id}/pause")).status_code == 200
    return run_id


async def test_a_paused_run_goes_on_with_the_variables_set_on_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    run_id = await paused_run(client)
    path = f"/api/runs/{run_id}/variables"
    first = await client.patch(path, json={"code": "WELCOME10", "tier": "gold"})
    assert first.status_code == 200, first.text
    assert first.json()["vars"] == {"code": "WELCOME10", "tier": "gold"}
    second = await client.patch(path, json={"tier": None, "missing": None})
    assert second.json()["vars"] == {"code": "WELCOME10"}
    assert second.json()["status"] == "paused"

    assert (await client.post(f"/api/runs/{run_id}/resume")).status_code == 200
    await drain(settings)
    run = (await client.get(f"/api/runs/{run_id}")).json()
    assert (run["status"], run["vars"]["message"]) == ("completed", "Use WELCOME10")
    ended = await client.patch(path, json={"code": "LATE"})
    assert ended.status_code == 409
    assert "it is completed" in ended.json()["error"]["message"]

    audit = (await client.get("/api/audit", params={"entity_id": run_id})).json()["items"]
    changes = [(a["before"], a["after"]) for a in audit if a["action"] == "run.variables"]
    assert changes == [
        ({"tier": "gold", "missing": None}, {"tier": None, "missing": None}),
        ({"code": None, "tier": None}, {"code": "WELCOME10", "tier": "gold"}),
    ]


async def test_variables_are_checked_and_kept_per_tenant(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    run_id = await paused_run(client)
    path = f"/api/runs/{run_id}/variables"
    for body in ({}, {"not a name": 1}, ["code"], {"n": 2**64}):
        assert (await client.patch(path, json=body)).status_code == 422, body
    # A refused name is quoted cut, not sent back whole.
    huge = await client.patch(path, json={"{0} " + "x" * 100_000: 1})
    assert huge.status_code == 422
    assert len(huge.content) < 1_000, huge.text[:1_000]
    viewer = await auth_for(resources, "acme", Role.VIEWER)
    assert (await client.patch(path, json={"a": 1}, headers=viewer)).status_code == 403
    globex = await auth_for(resources, "globex", Role.ADMIN)
    assert (await client.patch(path, json={"a": 1}, headers=globex)).status_code == 404
