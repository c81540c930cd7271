"""The dev outbox, end to end: the seed's welcome campaign with no SMTP server and no push
provider completes under ``AUTOMATOR_OUTBOX=true`` (what ``automator dev`` sets), a real
worker keeping each message in the store, read back through ``GET /api/outbox``."""

import logging
from typing import Any

import httpx
import pytest

from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import SEEDS, auth_for, drain, send

TEMPLATES = [
    {
        "name": "welcome_email",
        "subject": "Welcome, {{ user_name }}!",
        "text": "Hi {{ user_name }}, thanks for joining on {{ signup_date }}.",
        "html": "<p>Hi {{ user_name }}, thanks for joining on {{ signup_date }}.</p>",
    },
    {"name": "welcome_push", "text": "Hi {{ user.name }}, welcome aboard."},
]
USER = {
    "id": "u1",
    "email": "ada@example.com",
    "name": "Ada",
    "email_verified": True,
    "createdAt": "2026-11-23",
    "deviceToken": "device-token-u1",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"delay_scale": 0.001, "outbox": True})


async def welcome_run(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    for template in TEMPLATES:
        assert (await client.post("/api/templates", json=template)).status_code == 201
    seed = (SEEDS / "welcome_campaign_001.json").read_bytes()
    assert (await client.post("/api/workflows", content=seed)).status_code == 201
    accepted = await send(client, {"type": "user_signup", "user": USER})
    await drain(settings)
    run: dict[str, Any] = (await client.get(f"/api/runs/{accepted['run_ids'][0]}")).json()
    return run


async def test_a_run_with_no_provider_completes_into_the_outbox(
    client: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.worker"):
        run = await welcome_run(client, settings)
    assert run["status"] == "completed", run["error"]
    email, push, _ = run["steps"]
    assert email["output"]["delivered_to"] == "outbox"
    assert push["output"]["delivered_to"] == "outbox"
    assert "Dev outbox on: send_email, send_sms, send_push, send_whatsapp" in caplog.text

    listed = (await client.get("/api/outbox")).json()
    assert [m["channel"] for m in listed["items"]] == ["push", "email"]
    assert listed["next_after"] is None
    kept = (await client.get(f"/api/outbox/{email['output']['outbox_id']}")).json()
    assert kept["recipient"] == "ada@example.com"
    assert kept["subject"] == "Welcome to Appgain!"  # the seed's data.subject wins
    assert kept["text"] == "Hi Ada, thanks for joining on 2026-11-23."
    assert kept["html"] == "<p>Hi Ada, thanks for joining on 2026-11-23.</p>"
    assert kept["idempotency_key"] == email["idempotency_key"]
    assert (kept["run_id"], kept["step_id"]) == (run["run_id"], email["step_id"])
    assert kept["workflow_id"] == "welcome_campaign_001"
    pushed = listed["items"][0]
    assert (pushed["recipient"], pushed["text"]) == (
        "device-token-u1",
        "Thanks for joining Appgain",
    )


async def test_the_outbox_filters_pages_and_keeps_to_its_tenant(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    run = await welcome_run(client, settings)
    emails = (await client.get("/api/outbox", params={"channel": "email"})).json()["items"]
    assert [m["recipient"] for m in emails] == ["ada@example.com"]
    by_recipient = await client.get("/api/outbox", params={"recipient": "device-token-u1"})
    assert [m["channel"] for m in by_recipient.json()["items"]] == ["push"]
    by_run = await client.get("/api/outbox", params={"run_id": run["run_id"]})
    assert len(by_run.json()["items"]) == 2
    assert (await client.get("/api/outbox", params={"run_id": "run_other"})).json()["items"] == []
    first = (await client.get("/api/outbox", params={"limit": 1})).json()
    second = (await client.get("/api/outbox", params={"after": first["next_after"]})).json()
    assert [m["channel"] for m in first["items"] + second["items"]] == ["push", "email"]
    bad = await client.get("/api/outbox", params={"channel": "fax"})
    assert bad.status_code == 422

    globex = await auth_for(resources, "globex", Role.VIEWER)
    assert (await client.get("/api/outbox", headers=globex)).json()["items"] == []
    other = await client.get(f"/api/outbox/{emails[0]['id']}", headers=globex)
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"


async def test_production_processes_fail_without_a_provider_unless_told(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    run = await welcome_run(client, settings.model_copy(update={"outbox": None}))
    assert run["status"] == "failed"
    assert "no SMTP server" in run["steps"][0]["error"]["message"]
    assert (await client.get("/api/outbox")).json()["items"] == []
