"""Four-eyes publishing (issue 19, item 1): under the tenant setting, a version one key
publishes waits for another key's approval while runs keep the active version; the key that
asked cannot approve it; rolling back waits the same way; every decision is audited."""

from typing import Any

import httpx
import pytest

WORKFLOW = "welcome"


def document(subject: str) -> dict[str, Any]:
    return {
        "workflow_id": WORKFLOW,
        "name": "Welcome",
        "trigger": {"type": "user_signup"},
        "actions": [{"id": "hello", "type": "log", "data": {"message": subject}}],
    }


async def key(client: httpx.AsyncClient, role: str) -> tuple[str, dict[str, str]]:
    """A new key of ``role``: its id and the headers that carry it."""
    created = (await client.post("/api/keys", json={"role": role, "name": role})).json()
    return created["key_id"], {"Authorization": f"Bearer {created['key']}"}


@pytest.fixture
async def four_eyes(client: httpx.AsyncClient) -> dict[str, Any]:
    """Version 1 active, then four-eyes publishing on, and two editors, `alice` and `bob`."""
    assert (await client.post("/api/workflows", json=document("v1"))).status_code == 201
    turned = await client.put("/api/tenant/settings", json={"four_eyes_publishing": True})
    assert turned.json() == {"four_eyes_publishing": True}
    alice, bob = await key(client, "editor"), await key(client, "editor")
    return {"alice": alice, "bob": bob}


async def test_a_version_waits_for_another_keys_approval_while_runs_keep_the_active_one(
    client: httpx.AsyncClient, four_eyes: dict[str, Any]
) -> None:
    alice_id, alice = four_eyes["alice"]
    bob_id, bob = four_eyes["bob"]
    saved = await client.put(f"/api/workflows/{WORKFLOW}", json=document("v2"), headers=alice)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["active_version"], body["latest_version"], body["version"]) == (1, 2, 2)
    assert body["pending_approval"]["version"] == 2
    assert body["pending_approval"]["requested_by"] == alice_id
    versions = (await client.get(f"/api/workflows/{WORKFLOW}/versions")).json()
    assert [v["status"] for v in versions] == ["active", "pending_approval"]
    listed = (await client.get("/api/workflows")).json()["items"]
    assert listed[0]["pending_version"] == 2

    event = {"type": "user_signup", "user": {"id": "u1"}}
    assert (await client.post("/api/events", json=event)).status_code == 202
    runs = (await client.get("/api/runs", params={"workflow_id": WORKFLOW})).json()["items"]
    assert [run["version"] for run in runs] == [1], "runs keep the active version"

    own = await client.post(f"/api/workflows/{WORKFLOW}/versions/2/approve", headers=alice)
    assert own.status_code == 403
    assert "this key asked for version 2" in own.json()["error"]["message"]
    approved = await client.post(
        f"/api/workflows/{WORKFLOW}/versions/2/approve",
        json={"comment": "Subject checked."},
        headers=bob,
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["active_version"], approved.json()["pending_approval"]) == (2, None)
    assert approved.json()["document"]["actions"][0]["data"]["message"] == "v2"
    assert (await client.post("/api/events", json=event)).status_code == 202
    runs = (await client.get("/api/runs", params={"workflow_id": WORKFLOW})).json()["items"]
    assert [run["version"] for run in runs] == [2, 1]

    audit = (await client.get("/api/audit", params={"entity_id": WORKFLOW})).json()["items"]
    decided = next(e for e in audit if e["action"] == "workflow.publish_approve")
    assert decided["actor"] == bob_id
    assert {k: decided["after"][k] for k in ("version", "requested_by", "approved_by")} == {
        "version": 2,
        "requested_by": alice_id,
        "approved_by": bob_id,
    }
    assert decided["after"]["comment"] == "Subject checked."
    requested = next(e for e in audit if e["action"] == "workflow.publish_request")
    assert (requested["actor"], requested["after"]["version"]) == (alice_id, 2)


async def test_a_roll_back_waits_too_and_a_rejection_keeps_the_active_version(
    client: httpx.AsyncClient, four_eyes: dict[str, Any]
) -> None:
    alice_id, alice = four_eyes["alice"]
    bob_id, bob = four_eyes["bob"]
    await client.put(f"/api/workflows/{WORKFLOW}", json=document("v2"), headers=alice)
    await client.post(f"/api/workflows/{WORKFLOW}/versions/2/approve", headers=bob)
    same = await client.post(f"/api/workflows/{WORKFLOW}/versions/2/publish", headers=bob)
    assert (same.json()["active_version"], same.json()["pending_approval"]) == (2, None)
    back = await client.post(f"/api/workflows/{WORKFLOW}/versions/1/publish", headers=bob)
    assert (back.json()["active_version"], back.json()["pending_approval"]["version"]) == (2, 1)
    stale = await client.post(f"/api/workflows/{WORKFLOW}/versions/2/approve", headers=alice)
    assert stale.status_code == 409
    assert "is not waiting for approval" in stale.json()["error"]["message"]
    rejected = await client.post(f"/api/workflows/{WORKFLOW}/versions/1/reject", headers=alice)
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["active_version"], rejected.json()["pending_approval"]) == (2, None)
    again = await client.post(f"/api/workflows/{WORKFLOW}/versions/1/approve", headers=alice)
    assert again.status_code == 409
    # Disabling and enabling change whether runs start, not what they run: at once.
    disabled = await client.post(f"/api/workflows/{WORKFLOW}/disable", headers=bob)
    assert disabled.json()["enabled"] is False
    audit = (await client.get("/api/audit", params={"entity_id": WORKFLOW})).json()["items"]
    rejection = next(e for e in audit if e["action"] == "workflow.publish_reject")
    assert (rejection["after"]["requested_by"], rejection["after"]["rejected_by"]) == (
        bob_id,
        alice_id,
    )


async def test_a_new_workflow_waits_and_a_viewer_cannot_approve(
    client: httpx.AsyncClient, four_eyes: dict[str, Any]
) -> None:
    _, alice = four_eyes["alice"]
    _, viewer = await key(client, "viewer")
    created = await client.post(
        "/api/workflows", json=document("new") | {"workflow_id": "fresh"}, headers=alice
    )
    assert created.status_code == 201, created.text
    assert (created.json()["active_version"], created.json()["pending_approval"]["version"]) == (
        None,
        1,
    )
    refused = await client.post("/api/workflows/fresh/versions/1/approve", headers=viewer)
    assert refused.status_code == 403
    draft = await client.put(
        "/api/workflows/fresh",
        json=document("draft") | {"workflow_id": "fresh"},
        params={"publish": "false"},
        headers=alice,
    )
    assert draft.json()["pending_approval"]["version"] == 1, "a draft asks for nothing"
    approved = await client.post("/api/workflows/fresh/versions/1/approve")
    assert approved.json()["active_version"] == 1
    assert (await client.get("/api/tenant/settings", headers=viewer)).json() == {
        "four_eyes_publishing": True
    }
    settings = await client.put("/api/tenant/settings", json={"four_eyes": True})
    assert (settings.status_code, "four_eyes" in settings.text) == (422, True)
    assert (await client.put("/api/tenant/settings", json={}, headers=alice)).status_code == 403
