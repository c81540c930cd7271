"""``DELETE /api/profiles/{user_id}``: a person erased everywhere the store keeps them, their
live runs cancelled, and no file of the store holding their email afterwards."""

from pathlib import Path

import httpx
import orjson
import pytest

from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import auth_for, drain, send

ADA = {"id": "u1", "email": "ada.lovelace@example.com", "name": "Ada"}
BOB = {"id": "u2", "email": "bob.babbage@example.com", "name": "Bob"}
WELCOME = {
    "workflow_id": "welcome",
    "name": "Welcome",
    "trigger": {"type": "signup"},
    "actions": [
        {
            "id": "mail",
            "type": "send_email",
            "data": {
                "recipient": "{{ user.email }}",
                "subject": "Hi {{ user.name }}",
                "body": "Your address is {{ user.email }}.",
            },
        },
        {"id": "join", "type": "add_to_campaign", "data": {"campaign_id": "vip"}},
        {"id": "keep", "type": "set", "data": {"address": "{{ user.email }}"}},
    ],
}
LATER = {
    "workflow_id": "later",
    "name": "Later",
    "trigger": {"type": "reminder"},
    "actions": [{"id": "note", "type": "set", "data": {"to": "{{ user.email }}"}}],
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"outbox": True})


def files_holding(directory: Path, text: str) -> list[str]:
    """Every file under ``directory`` (the database, its WAL and shared memory included)
    whose bytes hold ``text``."""
    return sorted(
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if path.is_file() and text.encode() in path.read_bytes()
    )


async def test_an_erased_person_is_in_no_file_of_the_store(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    for document in (WELCOME, LATER):
        assert (await client.post("/api/workflows", json=document)).status_code == 201
    signup = await send(client, {"type": "signup", "user": ADA, "data": {"plan": "pro"}})
    await send(client, {"type": "signup", "user": BOB})
    await drain(settings)
    live = await send(client, {"type": "reminder", "user": {"id": "u1"}})  # no worker: pending
    assert files_holding(settings.data_dir, ADA["email"])  # the search finds what is there

    response = await client.delete("/api/profiles/u1")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "cancelled_runs": 1,
        "profiles": 1,
        "memberships": 1,
        "events": 2,
        "runs": 2,
        "steps": 3,
        "outbox": 1,
    }

    assert files_holding(settings.data_dir, ADA["email"]) == []
    assert files_holding(settings.data_dir, BOB["email"]) != []
    assert (await client.get("/api/profiles/u1")).status_code == 404
    assert (await client.get("/api/profiles/u2")).status_code == 200
    event = (await client.get(f"/api/events/{signup['event_id']}")).json()
    assert (event["user"], event["data"], event["user_id"]) == ({}, {}, None)
    assert event["runs"][0]["status"] == "completed"
    run = (await client.get(f"/api/runs/{signup['run_ids'][0]}")).json()
    assert (run["context"], run["vars"], run["outputs"], run["user_id"]) == ({}, {}, {}, None)
    assert {(s["input"], s["output"]) for s in run["steps"]} == {(None, None)}
    assert (await client.get(f"/api/runs/{live['run_ids'][0]}")).json()["status"] == "cancelled"
    members = (await client.get("/api/campaigns/vip/members")).json()["items"]
    assert [m["user_id"] for m in members] == ["u2"]
    outbox = (await client.get("/api/outbox")).json()["items"]
    assert [m["recipient"] for m in outbox] == [BOB["email"]]

    (entry,) = (await client.get("/api/audit", params={"entity_type": "profile"})).json()["items"]
    assert entry["action"] == "profile.erase"
    # Ada's own values, not a lowercase "ada" that a random hex key id can hold.
    assert [v for v in ADA.values() if v.encode() in orjson.dumps(entry)] == []
    again = await client.delete("/api/profiles/u1")
    assert again.json()["profiles"] == 0


async def test_only_an_admin_erases_and_only_in_their_tenant(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await send(client, {"type": "signup", "user": ADA})
    editor = await auth_for(resources, "acme", Role.EDITOR)
    assert (await client.delete("/api/profiles/u1", headers=editor)).status_code == 403
    globex = await auth_for(resources, "globex", Role.ADMIN)
    erased = (await client.delete("/api/profiles/u1", headers=globex)).json()
    assert erased["profiles"] == 0
    assert (await client.get("/api/profiles/u1")).status_code == 200
