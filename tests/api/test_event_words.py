"""An event no active workflow listens to (issue 13, item 6 c): still a 202, with a notice."""

import httpx

WORKFLOW = {"workflow_id": "greet", "name": "Greet", "trigger": {"type": "signup"},
            "actions": [{"type": "log", "data": {"message": "hi"}}]}  # fmt: skip


async def test_an_event_no_workflow_listens_to_gets_a_notice(client: httpx.AsyncClient) -> None:
    reply = await client.post("/api/events", json={"type": "sigup", "user": {"id": "u1"}})
    assert reply.status_code == 202
    assert reply.json()["notice"].startswith(
        "No active workflow listens to events of type 'sigup': the event is stored"
    )
    batch = await client.post("/api/events/batch", json={"events": [{"type": "sigup"}]})
    assert "'sigup'" in batch.json()["results"][0]["notice"]


async def test_a_listened_to_type_gets_no_notice_even_when_conditions_fail(
    client: httpx.AsyncClient,
) -> None:
    conditional = WORKFLOW | {"trigger": {"type": "signup", "conditions": [
        {"field": "user.vip", "operator": "equals", "value": True}]}}  # fmt: skip
    assert (await client.post("/api/workflows", json=conditional)).status_code == 201
    reply = (await client.post("/api/events", json={"type": "signup", "user": {"id": "u1"}})).json()
    assert (reply["workflow_ids"], reply["notice"]) == ([], None)
    assert (await client.post("/api/workflows/greet/disable")).status_code == 200
    reply = (await client.post("/api/events", json={"type": "signup"})).json()
    assert "'signup'" in reply["notice"]
