"""The seed's debugging calls, as written in its documentation."""

import asyncio
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.settings import Settings
from tests.conftest import SEEDS


async def import_seeds(client: httpx.AsyncClient) -> None:
    files = [
        ("files", (p.name, p.read_bytes(), "application/json"))
        for p in sorted(SEEDS.glob("*.json"))
    ]
    assert (await client.post("/api/workflows/import", files=files)).status_code == 200


async def test_trigger_test_with_the_seeds_body(client: httpx.AsyncClient) -> None:
    await import_seeds(client)
    body = {
        "trigger_type": "user_signup",
        "user_data": {"id": "user123", "email": "test@example.com", "name": "Test User"},
    }
    result = (await client.post("/api/triggers/test", json=body)).json()
    assert result["matched_workflow_ids"] == ["user_onboarding"]
    welcome = next(w for w in result["workflows"] if w["workflow_id"] == "welcome_campaign_001")
    assert welcome["matched"] is False
    assert welcome["conditions"][0]["field"] == "email_verified"
    assert welcome["conditions"][0]["result"] is False
    email = welcome["actions"][0]
    assert "data.variables.signup_date" in email["error"]
    assert "createdAt" in email["error"]
    push = welcome["actions"][1]
    assert "deviceToken" in push["error"]
    profile = welcome["actions"][2]
    assert profile["data"] == {
        "user_id": "user123",
        "profile_data": {"onboarding_completed": True, "welcome_campaign_sent": True},
    }
    assert (await client.get("/api/runs")).json()["items"] == [], "a test starts nothing"


async def test_trigger_test_shows_why_a_condition_matched(client: httpx.AsyncClient) -> None:
    await import_seeds(client)
    body = {
        "trigger_type": "abandoned_cart",
        "user_data": {"id": "u1", "email": "a@b.c", "name": "A", "deviceToken": "tok"},
        "data": {"cart_value": 75, "cart": {"items": ["x"], "total": 75}},
    }
    cart = (await client.post("/api/triggers/test", json=body)).json()["workflows"][0]
    assert cart["matched"] is True
    assert cart["conditions"][0]["actual"] == 75
    assert cart["actions"][0]["data"]["variables"]["cart_items"] == ["x"]
    assert cart["actions"][1]["data"]["recipients"] == ["tok"]


async def test_rules_test_reports_each_condition(client: httpx.AsyncClient) -> None:
    body = {
        "conditions": [
            {"field": "cart_value", "operator": "greater_than", "value": 50},
            {"field": "email_verified", "operator": "equals", "value": True},
        ],
        "payload": {"cart_value": 75, "user": {"email_verified": False}},
    }
    result = (await client.post("/api/rules/test", json=body)).json()
    assert result["result"] is False
    assert [c["result"] for c in result["conditions"]] == [True, False]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """With the dev outbox, as `automator dev` runs: the seeds' messages would be kept."""
    return settings.model_copy(update={"outbox": True})


async def test_workflow_test_traces_the_whole_run_without_sending(
    client: httpx.AsyncClient,
) -> None:
    await import_seeds(client)
    for name, text in (("welcome_email", "Welcome, {{ user_name }}"), ("welcome_push", "Hi")):
        template = {"name": name, "subject": "Hi", "text": text}
        assert (await client.post("/api/templates", json=template)).status_code == 201
    event = {
        "type": "user_signup",
        "user": {
            "id": "u1",
            "email": "a@b.c",
            "name": "Ada",
            "createdAt": "2026-11-01",
            "deviceToken": "tok",
            "email_verified": True,
        },
    }
    result = (
        await client.post("/api/workflows/welcome_campaign_001/test", json={"event": event})
    ).json()
    assert (result["matched"], result["status"]) == (True, "completed")
    kinds = [(entry.get("step_id"), entry.get("wait_seconds")) for entry in result["trace"]]
    assert kinds == [
        ("action_001", None),
        (None, 300.0),
        ("action_002", None),
        (None, 600.0),
        ("action_003", None),
    ]
    email = result["trace"][0]
    assert email["output"]["would_send"]["recipient"] == "a@b.c"
    assert result["trace"][-1]["at"] >= 900
    assert (await client.get("/api/runs")).json()["items"] == []


async def test_status_and_logs(client: httpx.AsyncClient) -> None:
    await import_seeds(client)
    status = (await client.get("/api/workflows/status")).json()
    assert {w["workflow_id"] for w in status["workflows"]} >= {"welcome_campaign_001"}
    logs = await client.get("/api/workflows/logs", params={"workflow_id": "welcome_campaign_001"})
    assert logs.json() == {"workflow_id": "welcome_campaign_001", "entries": []}
    missing = await client.get("/api/workflows/logs", params={"workflow_id": "nope"})
    assert missing.status_code == 404


async def test_a_change_in_one_process_is_matched_in_another_within_a_second(
    settings: Settings, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://b", headers=client.headers
        ) as b:
            before = (await b.post("/api/events", json={"type": "ping"})).json()
            assert before["workflow_ids"] == []
            document = {
                "workflow_id": "late",
                "name": "n",
                "trigger": {"type": "ping"},
                "actions": [{"type": "log"}],
            }
            await client.post("/api/workflows", json=document)
            await asyncio.sleep(1.0)
            after = (await b.post("/api/events", json={"type": "ping"})).json()
            assert after["workflow_ids"] == ["late"]


async def test_trigger_test_shows_where_approval_links_go(client: httpx.AsyncClient) -> None:
    document = {
        "workflow_id": "ask",
        "name": "Ask",
        "trigger": {"type": "expense"},
        "actions": [
            {
                "id": "mail",
                "type": "send_email",
                "data": {
                    "recipient": "boss@example.com",
                    "body": "Yes: {{ approval.approve_url }}",
                },
            },
            {"id": "ok", "type": "approval", "data": {"timeout": 60}},
        ],
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    body = {"trigger_type": "expense", "user_data": {"id": "u1"}}
    tested = (await client.post("/api/triggers/test", json=body)).json()
    mail = tested["workflows"][0]["actions"][0]
    assert mail["data"]["body"] == "Yes: (a signed link, made when the run renders this step)"
