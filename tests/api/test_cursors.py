"""``after`` on a listing paged by id: a ``next_after`` pages on, anything else is a 422
naming ``after`` rather than an empty page that looks like the end."""

from datetime import timedelta

import httpx
import pytest

from app.models.ids import new_id, new_ids
from app.resources import Resources
from tests.clock import now
from tests.conftest import send
from tests.store.records import run

WELCOME = {
    "workflow_id": "welcome",
    "name": "Welcome",
    "trigger": {"type": "signup"},
    "actions": [{"id": "hello", "type": "set", "data": {"greeted": "{{ user.id }}"}}],
}


@pytest.mark.parametrize("listing", ["/api/runs", "/api/events"])
async def test_an_after_no_page_handed_out_is_refused_by_name(
    client: httpx.AsyncClient, listing: str
) -> None:
    refused = await client.get(listing, params={"after": "garbage"})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["details"][0]["loc"] == ["query", "after"]
    assert "next_after of an earlier page" in error["message"]


async def test_a_next_after_pages_on(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/workflows", json=WELCOME)).status_code == 201
    first = await send(client, {"type": "signup", "user": {"id": "u1"}})
    await send(client, {"type": "signup", "user": {"id": "u2"}})
    for listing, ids in (("/api/runs", first["run_ids"]), ("/api/events", [first["event_id"]])):
        page = (await client.get(listing, params={"limit": 1})).json()
        rest = (await client.get(listing, params={"after": page["next_after"]})).json()
        key = "run_id" if listing == "/api/runs" else "event_id"
        assert [item[key] for item in rest["items"]] == ids
    # A parallel step's runs are named after their parent: their ids page on too.
    branch = await client.get("/api/runs", params={"after": f"{new_id('run')}.0.email"})
    assert branch.status_code == 200, branch.text


async def test_a_listing_by_time_pages_by_creation_time_from_each_pages_last_run(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    """Three runs of one instant, and ids that sort otherwise than their times (as ids
    from several processes' clocks may): each page goes on after its last run, none left
    out or repeated. A run no longer stored is no place to go on from: a 422 names it."""
    assert (await client.post("/api/workflows", json=WELCOME)).status_code == 201
    at = now().replace(microsecond=0)
    first, *same, last = new_ids("run", 5)
    created = {first: 2, same[0]: 0, same[1]: 0, same[2]: 0, last: 1}
    await resources.store.add_runs(
        [
            run(run_id, "welcome", created_at=at + timedelta(seconds=s))
            for run_id, s in created.items()
        ]
    )
    listed: list[str] = []
    query: dict[str, str | int] = {"since": at.isoformat(), "limit": 2}
    while True:
        page = (await client.get("/api/runs", params=query)).json()
        listed += [item["run_id"] for item in page["items"]]
        if page["next_after"] is None:
            break
        query["after"] = page["next_after"]
    assert listed == [first, last, *reversed(same)]

    refused = await client.get(
        "/api/runs", params={"since": at.isoformat(), "after": new_id("run")}
    )
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["details"][0]["loc"] == ["query", "after"]
    assert "which is not stored" in error["message"]
