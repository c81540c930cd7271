"""``current_step`` of ``GET /api/runs/{run_id}`` and of each run ``GET /api/runs`` lists: the
step a run is at or goes to next, as the workflow names it (``step`` is only its position in
the compiled program)."""

from typing import Any

import httpx

from app.settings import Settings
from tests.conftest import drain, send

ONBOARDING = {
    "workflow_id": "onboarding_steps",
    "name": "Onboarding",
    "trigger": {"type": "signup"},
    "actions": [
        {"id": "note", "type": "set", "name": "Note the signup", "data": {"seen": True}},
        {
            "id": "welcome",
            "type": "send_email",
            "name": "Welcome email",
            "template": "not_written_yet",
            "data": {"recipient": "ada@example.com"},
        },
    ],
}


async def current(client: httpx.AsyncClient, run_id: str) -> tuple[str, Any]:
    """The run's status and step, once as read alone and once as listed: both must agree."""
    run = (await client.get(f"/api/runs/{run_id}")).json()
    listed = (await client.get("/api/runs", params={"workflow_id": "onboarding_steps"})).json()
    assert [(item["run_id"], item["current_step"]) for item in listed["items"]] == [
        (run_id, run["current_step"])
    ]
    return run["status"], run["current_step"]


async def test_a_run_names_the_step_it_is_at_or_stopped_at_until_it_completes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await client.post("/api/workflows", json=ONBOARDING)).status_code == 201
    run_id = str((await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0])
    assert (await client.post(f"/api/runs/{run_id}/pause")).status_code == 200
    note = {"id": "note", "type": "set", "name": "Note the signup"}
    assert await current(client, run_id) == ("paused", note)

    assert (await client.post(f"/api/runs/{run_id}/resume")).status_code == 200
    await drain(settings)
    welcome = {"id": "welcome", "type": "send_email", "name": "Welcome email"}
    assert await current(client, run_id) == ("failed", welcome)

    assert (await client.post(f"/api/runs/{run_id}/skip")).status_code == 200
    await drain(settings)
    assert await current(client, run_id) == ("completed", None)
