"""``after`` on a listing paged by id: a ``next_after`` pages on, anything else is a 422
naming ``after`` rather than an empty page that looks like the end."""

import httpx
import pytest

from app.models.ids import new_id
from tests.conftest import send


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
    workflow = {
        "workflow_id": "welcome",
        "name": "Welcome",
        "trigger": {"type": "signup"},
        "actions": [{"id": "hello", "type": "set", "data": {"greeted": "{{ user.id }}"}}],
    }
    assert (await client.post("/api/workflows", json=workflow)).status_code == 201
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
