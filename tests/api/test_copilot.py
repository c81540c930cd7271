"""``POST /api/copilot/draft`` against a stand-in OpenAI-compatible server: what the model is
given, a refused draft repaired with the validator's errors, and the settings it names, which
``GET /api/copilot`` names before any draft."""

import json
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import key_for
from tests.stand_in_models import StandInOpenAI

SENTENCE = (
    "When a high value order comes in, email the customer a thank-you and alert sales on Slack"
)
THANK = {
    "id": "thank_customer",
    "type": "send_email",
    "data": {
        "recipient": "{{ user.email }}",
        "subject": "Thank you for your order",
        "body": "Thanks for order {{ order_id }}!",
    },
}
SLACK = {"id": "alert_sales", "type": "slack_message", "data": {"channel": "#sales"}}
WEBHOOK = {
    "id": "alert_sales",
    "type": "webhook_call",
    "data": {
        "url": "https://hooks.slack.com/services/T000/B000/XXXX",
        "json": {"text": "High value order {{ order_id }}: {{ amount }}"},
    },
}
TRIGGER = {
    "type": "order_placed",
    "conditions": [{"field": "amount", "operator": "greater_than", "value": 500}],
}


def answer(alert: dict[str, Any]) -> dict[str, Any]:
    document = {
        "workflow_id": "high_value_order",
        "name": "High value order",
        "trigger": TRIGGER,
        "actions": [THANK, alert],
    }
    return {
        "document": document,
        "explanation": "Emails the customer and posts to Slack for orders over 500.",
        "assumptions": [
            "The event type is order_placed with data.amount and data.order_id",
            "High value means an amount over 500",
            "Slack is reached through an incoming webhook",
        ],
    }


@pytest.fixture
def settings(settings: Settings, httpserver: HTTPServer) -> Settings:
    return settings.model_copy(
        update={
            "ai_base_url": httpserver.url_for("/v1"),
            "ai_model": "stand-in",
            "http_allowed_hosts": ["127.0.0.1"],
        }
    )


async def test_a_sentence_becomes_a_document_the_validator_accepts(
    client: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    model = StandInOpenAI(httpserver, [answer(SLACK), answer(WEBHOOK)])
    ready = await client.get("/api/copilot")
    assert ready.json() == {"ready": True, "reason": None}
    assert model.requests == []  # asking does not call the model

    drafted = await client.post("/api/copilot/draft", json={"prompt": SENTENCE})

    assert drafted.status_code == 200, drafted.text
    body = drafted.json()
    checked = await client.post("/api/workflows/validate", json=body["document"])
    assert checked.json()["valid"] is True, checked.text
    assert [a["type"] for a in body["document"]["actions"]] == ["send_email", "webhook_call"]
    assert body["assumptions"][0].startswith("The event type is order_placed")
    first, repair = model.requests
    guide, asked = first["messages"][0]["content"], first["messages"][1]["content"]
    assert '"title":"WorkflowDocument"' in guide  # the document's JSON Schema
    assert '"type":"webhook_call"' in guide
    assert '"type":"send_email"' in guide
    assert asked == f"Draft a workflow for this: {SENTENCE}"
    assert first["model"] == "stand-in"
    assert first["response_format"]["json_schema"]["schema"]["required"] == [
        "document",
        "explanation",
        "assumptions",
    ]
    refused = repair["messages"][-1]["content"]
    assert "actions.1.type: unknown action type 'slack_message'" in refused
    assert (await client.get("/api/workflows")).json()["items"] == []  # nothing saved
    stats = (await client.get("/api/stats")).json()
    assert stats["ai_usage"]["calls"] == 1  # one draft, of two answers
    assert stats["ai_usage"]["input_tokens"] > 2000  # the schema and actions were sent twice


async def test_a_document_is_revised_by_an_instruction(
    client: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    revised = answer(WEBHOOK)
    revised["document"]["trigger"]["conditions"][0]["value"] = 1000
    model = StandInOpenAI(httpserver, [revised])
    current = answer(WEBHOOK)["document"]

    drafted = await client.post(
        "/api/copilot/draft", json={"document": current, "instruction": "Only over 1000"}
    )

    assert drafted.status_code == 200, drafted.text
    assert drafted.json()["document"]["trigger"]["conditions"][0]["value"] == 1000
    asked = model.requests[0]["messages"][1]["content"]
    assert json.dumps(current) in asked
    assert asked.endswith("Revise it: Only over 1000")


async def test_drafts_that_stay_invalid_answer_502_with_the_error(
    client: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    model = StandInOpenAI(httpserver, [answer(SLACK)])

    drafted = await client.post("/api/copilot/draft", json={"prompt": SENTENCE})

    assert drafted.status_code == 502
    assert len(model.requests) == 3
    message = drafted.json()["error"]["message"]
    assert message.startswith("The model's draft is still invalid after 3 answers: actions.1")


@pytest.mark.parametrize(
    ("changes", "setting"),
    [({"ai_base_url": None}, "AUTOMATOR_AI_BASE_URL"), ({"ai_model": None}, "AUTOMATOR_AI_MODEL")],
)
async def test_with_no_model_configured_it_answers_503_naming_the_setting(
    settings: Settings, changes: dict[str, Any], setting: str
) -> None:
    from app.main import create_app

    bare = settings.model_copy(update=changes)
    app = create_app(bare)
    async with app.router.lifespan_context(app):
        resources: Resources = app.state.resources
        key = await key_for(resources, "acme", Role.ADMIN)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://automator") as client:
            headers = {"Authorization": f"Bearer {key}"}
            drafted = await client.post(
                "/api/copilot/draft", json={"prompt": SENTENCE}, headers=headers
            )
            # The Studio asks first, and says why before a sentence is typed for nothing.
            status = (await client.get("/api/copilot", headers=headers)).json()

    assert drafted.status_code == 503
    assert setting in drafted.json()["error"]["message"]
    assert status == {"ready": False, "reason": drafted.json()["error"]["message"]}


async def test_bad_requests_name_the_field(client: httpx.AsyncClient) -> None:
    alone = await client.post("/api/copilot/draft", json={"instruction": "shorter"})
    assert alone.status_code == 422
    assert "`instruction` revises a `document`" in alone.json()["error"]["details"][0]["msg"]
    long = await client.post("/api/copilot/draft", json={"prompt": "x" * 4001})
    assert long.status_code == 422
    assert long.json()["error"]["details"][0]["loc"] == ["body", "prompt"]
