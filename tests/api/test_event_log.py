"""The event log: ``GET /api/events`` and ``/api/events/{id}`` show what each event did, and
``POST /api/events/{id}/replay`` sends it again, linked to it."""

from typing import Any

import httpx

from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import auth_for, drain, send


def greeting(workflow_id: str, **trigger: Any) -> dict[str, Any]:
    return {
        "workflow_id": workflow_id,
        "name": workflow_id.title(),
        "trigger": {"type": "signup", **trigger},
        "actions": [{"id": "hello", "type": "set", "data": {"greeted": "{{ user.id }}"}}],
    }


async def publish(client: httpx.AsyncClient, document: dict[str, Any]) -> None:
    assert (await client.post("/api/workflows", json=document)).status_code == 201


async def test_an_event_is_listed_with_its_runs_and_replay_starts_new_ones(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await publish(client, greeting("welcome"))
    await publish(
        client,
        greeting("vip", conditions=[{"field": "plan", "operator": "equals", "value": "vip"}]),
    )
    sent = await send(client, {"type": "signup", "user": {"id": "u1"}, "data": {"plan": "free"}})
    await send(client, {"type": "page_view", "user": {"id": "u1"}})
    await drain(settings)

    listing = (await client.get("/api/events", params={"type": "signup"})).json()
    (item,) = listing["items"]
    assert (item["event_id"], item["run_ids"]) == (sent["event_id"], sent["run_ids"])
    assert item["skipped"] == {
        "vip": "trigger conditions not met: trigger.conditions.0 (plan equals)"
    }
    assert listing["next_after"] is None

    detail = (await client.get(f"/api/events/{sent['event_id']}")).json()
    assert (detail["user"], detail["data"]) == ({"id": "u1"}, {"plan": "free"})
    assert [(r["run_id"], r["status"]) for r in detail["runs"]] == [
        (sent["run_ids"][0], "completed")
    ]

    replayed = await client.post(f"/api/events/{sent['event_id']}/replay")
    assert replayed.status_code == 202, replayed.text
    again = replayed.json()
    assert again["replay_of"] == sent["event_id"]
    assert again["workflow_ids"] == ["welcome"]
    assert again["run_ids"] != sent["run_ids"]
    await drain(settings)
    run = (await client.get(f"/api/runs/{again['run_ids'][0]}")).json()
    assert (run["status"], run["event_id"]) == ("completed", again["event_id"])
    newest = (await client.get("/api/events", params={"type": "signup"})).json()["items"]
    assert [(e["event_id"], e["replay_of"]) for e in newest] == [
        (again["event_id"], sent["event_id"]),
        (sent["event_id"], None),
    ]

    audit = (await client.get("/api/audit", params={"entity_type": "event"})).json()["items"]
    assert [(a["action"], a["entity_id"]) for a in audit] == [("event.replay", sent["event_id"])]
    assert audit[0]["after"]["run_ids"] == again["run_ids"]


async def test_a_replay_keeps_to_a_workflows_business_key(client: httpx.AsyncClient) -> None:
    # As docs/api.md says: the replay drops the event's own key, not the workflow's, so an
    # order's one run stays one (a replay to resend it would send it twice).
    keyed = greeting("receipt") | {"settings": {"idempotency_key": "{{ order_id }}"}}
    await publish(client, keyed)
    sent = await send(client, {"type": "signup", "data": {"order_id": "o1"}})
    replayed = (await client.post(f"/api/events/{sent['event_id']}/replay")).json()
    assert (replayed["workflow_ids"], replayed["run_ids"]) == ([], [])
    (run_id,) = sent["run_ids"]
    assert replayed["skipped"] == {
        "receipt": f"idempotency key 'run:receipt:o1' already started {run_id}"
    }


async def test_a_replay_sent_again_with_its_key_starts_nothing_more(
    client: httpx.AsyncClient,
) -> None:
    """A script that replays an event and retries on a timeout would send the order's
    confirmation twice: with a key, the retry answers the first replay's ids."""
    await publish(client, greeting("welcome"))
    sent = await send(client, {"type": "signup", "user": {"id": "u1"}})
    path = f"/api/events/{sent['event_id']}/replay"
    first = (await client.post(path, json={"idempotency_key": "fix-42"})).json()
    (run_id,) = first["run_ids"]
    retried = (await client.post(path, json={"idempotency_key": "fix-42"})).json()
    assert (retried["duplicate"], retried["event_id"]) == (True, first["event_id"])
    assert (retried["run_ids"], retried["replay_of"]) == ([run_id], sent["event_id"])
    other = (await client.post(path, json={"idempotency_key": "fix-43"})).json()
    assert (other["duplicate"], len(other["run_ids"])) == (False, 1)
    assert other["run_ids"] != [run_id]
    # The key is the replay's own: an event sent with the same one is not its duplicate.
    fresh = await send(client, {"type": "signup", "idempotency_key": "fix-42"})
    assert fresh["duplicate"] is False
    audit = (await client.get("/api/audit", params={"entity_type": "event"})).json()["items"]
    assert [a["after"]["event_id"] for a in audit] == [other["event_id"], first["event_id"]]


async def test_a_clients_key_spelled_as_a_replays_is_refused_where_it_comes_in(
    client: httpx.AsyncClient,
) -> None:
    """Else an event sent with it would be taken for the replay (answered with the replay's
    runs, itself started nothing), or the replay for it. The replay keeps its key."""
    await publish(client, greeting("welcome"))
    sent = await send(client, {"type": "signup", "user": {"id": "u1"}})
    path = f"/api/events/{sent['event_id']}/replay"
    first = (await client.post(path, json={"idempotency_key": "fix-42"})).json()
    spelled = f"replay:{sent['event_id']}:fix-42"
    said = (
        f"{spelled!r} starts with 'replay:': keys so spelled are kept for the events "
        "Automator makes itself"
    )
    body = await client.post("/api/events", json={"type": "signup", "idempotency_key": spelled})
    assert body.status_code == 422
    ((where, why),) = [(d["loc"], d["msg"]) for d in body.json()["error"]["details"]]
    assert (where, why.startswith(said)) == (["body", "idempotency_key"], True)
    assert "choose a key that does not start with replay:" in why
    header = await client.post(
        "/api/events", json={"type": "signup"}, headers={"Idempotency-Key": spelled}
    )
    assert header.status_code == 422
    assert header.json()["error"]["details"][0]["loc"] == ["header", "Idempotency-Key"]
    batch = [{"type": "signup", "idempotency_key": "b-1"}, {"type": "signup"}]
    batch[1]["idempotency_key"] = spelled
    refused = await client.post("/api/events/batch", json={"events": batch})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["loc"] == ["body", "events", 1, "idempotency_key"]
    run_now = await client.post("/api/workflows/welcome/run", json={"idempotency_key": spelled})
    assert run_now.status_code == 422
    again = (await client.post(path, json={"idempotency_key": "fix-42"})).json()
    assert (again["duplicate"], again["event_id"]) == (True, first["event_id"])
    for key in ("replayed", "hook-1", "run_1:a", "schedule"):
        accepted = await send(client, {"type": "signup", "idempotency_key": key})
        assert accepted["duplicate"] is False


async def test_a_replay_for_named_workflows_starts_only_those(client: httpx.AsyncClient) -> None:
    await publish(client, greeting("welcome"))
    await publish(client, greeting("onboard"))
    sent = await send(client, {"type": "signup", "user": {"id": "u1"}})
    assert sorted(sent["workflow_ids"]) == ["onboard", "welcome"]
    body = {"workflow_ids": ["onboard", "gone"]}
    again = (await client.post(f"/api/events/{sent['event_id']}/replay", json=body)).json()
    assert again["workflow_ids"] == ["onboard"]
    assert "listens for 'signup'" in again["skipped"]["gone"]
    assert "welcome" not in again["skipped"]
    refused = await client.post(f"/api/events/{sent['event_id']}/replay", json={"x": 1})
    assert refused.status_code == 422


async def test_the_event_log_is_filtered_and_kept_per_tenant(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    first = await send(client, {"type": "signup", "user": {"id": "u1"}, "idempotency_key": "k1"})
    await send(client, {"type": "signup", "user": {"id": "u2"}})
    by_user = (await client.get("/api/events", params={"user_id": "u1"})).json()["items"]
    by_key = (await client.get("/api/events", params={"idempotency_key": "k1"})).json()["items"]
    assert [e["event_id"] for e in by_user] == [e["event_id"] for e in by_key]
    assert [e["event_id"] for e in by_key] == [first["event_id"]]
    page = (await client.get("/api/events", params={"limit": 1})).json()
    rest = (await client.get("/api/events", params={"after": page["next_after"]})).json()
    assert [e["event_id"] for e in rest["items"]] == [first["event_id"]]
    bad_time = await client.get("/api/events", params={"since": "1700000000"})
    assert bad_time.status_code == 422

    viewer = await auth_for(resources, "acme", Role.VIEWER)
    path = f"/api/events/{first['event_id']}"
    assert (await client.get(path, headers=viewer)).status_code == 200
    assert (await client.post(f"{path}/replay", headers=viewer)).status_code == 403
    globex = await auth_for(resources, "globex", Role.ADMIN)
    assert (await client.get(path, headers=globex)).status_code == 404
    assert (await client.post(f"{path}/replay", headers=globex)).status_code == 404
    assert (await client.get("/api/events", headers=globex)).json()["items"] == []
