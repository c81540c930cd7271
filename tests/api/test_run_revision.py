"""A control command decided on a run as read: with the revision it was read at, a command
on a run that moved on since is refused, not applied to where the run stands now (the API,
a real arq worker, real Redis and SQLite)."""

import httpx

from app.settings import Settings
from tests.conftest import send
from tests.engine.walk.test_runs import create, drain_until, run_of, workflow

HOUR = 3600
TWO_WAITS = workflow(
    [
        {"id": "first", "type": "log", "delay": HOUR},
        {"id": "second", "type": "log", "delay": HOUR},
        {"id": "last", "type": "log"},
    ]
)


async def test_a_skip_decided_on_a_run_that_moved_on_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, TWO_WAITS)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"})
    seen = await run_of(client, run_id)
    assert seen["current_step"]["id"] == "first"

    # Someone else skips the first wait; the run walks on to the second.
    moved = await client.post(f"/api/runs/{run_id}/skip", params={"revision": seen["revision"]})
    assert moved.status_code == 200, moved.text
    await drain_until(client, settings, [run_id], {"waiting"})
    now = await run_of(client, run_id)
    assert now["current_step"]["id"] == "second"

    # The skip decided on the first wait would skip the second: refused, naming why.
    stale = await client.post(f"/api/runs/{run_id}/skip", params={"revision": seen["revision"]})
    assert stale.status_code == 409, stale.text
    message = stale.json()["error"]["message"]
    assert f"read at revision {seen['revision']}: it moved on" in message
    assert f"(now waiting, at revision {now['revision']})" in message
    assert (await run_of(client, run_id))["current_step"]["id"] == "second"

    # Decided on the run as it is now, it goes through; without a revision, as before.
    fresh = await client.post(f"/api/runs/{run_id}/skip", params={"revision": now["revision"]})
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["current_step"]["id"] == "last"


async def test_a_revision_that_is_no_number_is_a_422_naming_it(client: httpx.AsyncClient) -> None:
    await create(client, TWO_WAITS)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    answer = await client.post(f"/api/runs/{run_id}/cancel", params={"revision": "latest"})
    assert answer.status_code == 422
    assert "revision" in answer.text
