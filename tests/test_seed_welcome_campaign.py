"""The seed's welcome_campaign_001, imported unchanged, run end to end by a real worker: a
real email through a local SMTP server, then the push through a local HTTP provider and the
profile update, after their delays (shortened by ``delay_scale``)."""

from datetime import datetime
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from app.settings import Settings
from tests.conftest import SEEDS, drain, send
from tests.mailbox import SmtpServer

SCALE = 0.01
WELCOME_EMAIL = {
    "name": "welcome_email",
    "subject": "Welcome, {{ user_name }}",
    "text": "Hi {{ user_name }}, you joined on {{ signup_date }}.",
    "html": "<h1>Welcome {{ user_name }}</h1><p>Joined {{ signup_date }}</p>",
}
WELCOME_PUSH = {"name": "welcome_push", "subject": "Welcome!", "text": "Hi {{ user.name }}"}
USER = {
    "id": "user123",
    "email": "ada@example.com",
    "name": "Ada <Lovelace>",
    "createdAt": "2024-01-15",
    "email_verified": True,
    "deviceToken": "device-1",
}


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer, httpserver: HTTPServer) -> Settings:
    push = {"provider": "http", "url": httpserver.url_for("/push")}
    return settings.model_copy(
        update=smtp_server.settings()
        | {
            "delay_scale": SCALE,
            "integrations": {"notify_service": {"push": [push]}},
            "http_allowed_hosts": ["127.0.0.1"],
        }
    )


def gap(earlier: dict[str, Any], later: dict[str, Any]) -> float:
    finished = datetime.fromisoformat(earlier["finished_at"])
    return (datetime.fromisoformat(later["started_at"]) - finished).total_seconds()


async def test_the_welcome_campaign_emails_the_user_then_pushes_then_updates_the_profile(
    client: httpx.AsyncClient,
    settings: Settings,
    smtp_server: SmtpServer,
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/push", method="POST").respond_with_json({"id": "push-1"})
    for template in (WELCOME_EMAIL, WELCOME_PUSH):
        assert (await client.post("/api/templates", json=template)).status_code == 201
    seed = (SEEDS / "welcome_campaign_001.json").read_bytes()
    created = await client.post("/api/workflows", content=seed)
    assert created.status_code == 201, created.text
    accepted = await send(client, {"type": "user_signup", "user": USER})
    assert accepted["workflow_ids"] == ["welcome_campaign_001"]

    await drain(settings)

    run = (await client.get(f"/api/runs/{accepted['run_ids'][0]}")).json()
    email, push, profile = run["steps"]
    assert [s["step_id"] for s in run["steps"]] == ["action_001", "action_002", "action_003"]
    assert email["status"] == "completed", email
    assert email["output"]["accepted"] == ["ada@example.com"]
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["ada@example.com"]
    assert received.message["Subject"] == "Welcome to Appgain!"
    assert received.part("plain") == "Hi Ada <Lovelace>, you joined on 2024-01-15."
    assert received.part("html") == (
        "<h1>Welcome Ada &lt;Lovelace&gt;</h1><p>Joined 2024-01-15</p>"
    )
    assert received.message["Idempotency-Key"] == email["idempotency_key"]

    assert gap(email, push) >= 300 * SCALE
    assert gap(push, profile) >= 600 * SCALE
    assert run["status"] == "completed", run["error"]
    assert [s["status"] for s in (push, profile)] == ["completed", "completed"]
    ((request, _),) = httpserver.log
    sent = request.json
    assert (sent["to"], sent["title"], sent["body"]) == (
        "device-1",
        "Welcome!",
        "Thanks for joining Appgain",
    )
    assert sent["idempotency_key"].startswith(push["idempotency_key"])
    assert push["output"]["sent"] == 1
    assert push["output"]["results"][0]["message_id"] == "push-1"
    profile_read = (await client.get("/api/profiles/user123")).json()
    assert profile_read["attributes"]["onboarding_completed"] is True
    assert profile_read["attributes"]["welcome_campaign_sent"] is True
