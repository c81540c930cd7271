"""Workflows with an ``ai_task``, run by a real worker against a stand-in OpenAI-compatible
server configured the deployment's way (AUTOMATOR_AI_*): the answer's fields feed a later
email, event data stays out of the templates, secrets stay out of the prompt."""

from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from app.settings import Settings
from tests.conftest import drain, send
from tests.mailbox import SmtpServer
from tests.stand_in_models import StandInAnthropic, StandInOpenAI

KEY = "sk-deployment-0123456789"
CLASSIFY: dict[str, Any] = {
    "id": "classify",
    "type": "ai_task",
    "data": {
        "system": "You answer customers of {{ shop }}.",
        "prompt_template": "Classify this review and write a reply: {{ review }}",
        "output_mapping": {
            "type": "object",
            "properties": {
                "sentiment": {"type": "string", "enum": ["positive", "negative"]},
                "reply": {"type": "string"},
            },
            "required": ["sentiment", "reply"],
        },
        "parameters": {"temperature": 0},
    },
}
REPLY = {
    "id": "answer",
    "type": "send_email",
    "data": {
        "recipient": "{{ user.email }}",
        "subject": "About your review",
        "body": "{{ steps.classify.output.reply }}",
    },
}


def workflow(*actions: dict[str, Any]) -> dict[str, Any]:
    return {
        "workflow_id": "review_reply",
        "name": "Reply to reviews",
        "trigger": {"type": "review_posted"},
        "actions": list(actions),
    }


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer, httpserver: HTTPServer) -> Settings:
    return settings.model_copy(
        update=smtp_server.settings()
        | {
            "ai_base_url": httpserver.url_for("/v1"),
            "ai_api_key": SecretStr(KEY),
            "ai_model": "stand-in",
            "ai_prices": {"stand-in": {"input": 1.0, "output": 2.0}},
            "http_allowed_hosts": ["127.0.0.1"],
        }
    )


async def run_of(client: httpx.AsyncClient, event: dict[str, Any], settings: Settings) -> Any:
    accepted = await send(client, event)
    await drain(settings)
    return (await client.get(f"/api/runs/{accepted['run_ids'][0]}")).json()


async def test_the_answer_feeds_a_later_email_and_the_run_shows_tokens_and_cost(
    client: httpx.AsyncClient,
    settings: Settings,
    smtp_server: SmtpServer,
    httpserver: HTTPServer,
) -> None:
    server = StandInOpenAI(httpserver, [{"sentiment": "positive", "reply": "Thanks, Ada!"}])
    created = await client.post("/api/workflows", json=workflow(CLASSIFY, REPLY))
    assert created.status_code == 201, created.text
    event = {
        "type": "review_posted",
        "user": {"id": "u1", "email": "ada@example.com"},
        "data": {"shop": "Appgain", "review": "Lovely! {{ 7 * 7 }} {% raw %}"},
    }

    run = await run_of(client, event, settings)

    assert run["status"] == "completed", run["error"]
    classify = run["steps"][0]
    assert classify["output"]["sentiment"] == "positive"
    usage = classify["output"]["usage"]
    assert (usage["model"], usage["provider"]) == ("stand-in", "openai")
    assert usage["input_tokens"] > 0
    assert usage["output_tokens"] == 5
    assert usage["cost"] == pytest.approx((usage["input_tokens"] + 2 * 5) / 1e6)
    (received,) = smtp_server.messages
    assert received.message.get_content().strip() == "Thanks, Ada!"
    (sent,) = server.requests
    assert sent["model"] == "stand-in"
    assert sent["messages"][0] == {"role": "system", "content": "You answer customers of Appgain."}
    # Event data is never a template: its braces reach the model as the customer wrote them.
    assert "write a reply: Lovely! {{ 7 * 7 }} {% raw %}" in sent["messages"][1]["content"]
    assert server.headers[0]["Authorization"] == f"Bearer {KEY}"
    assert KEY not in str(run)
    spent = {
        "calls": 1,
        "input_tokens": usage["input_tokens"],
        "output_tokens": 5,
        "cost": usage["cost"],
    }
    assert run["ai_usage"] == spent
    stats = (await client.get("/api/stats")).json()
    assert stats["workflows"]["review_reply"]["ai_usage"] == spent
    assert stats["ai_usage"] == spent
    scraped = (await client.get("/metrics")).text
    labels = 'tenant="acme",workflow="review_reply"'
    assert f"automator_ai_cost_dollars_total{{{labels}}} " in scraped
    assert f'automator_ai_tokens_total{{direction="output",{labels}}} 5.0' in scraped


async def test_secrets_reach_a_prompt_only_where_a_step_references_them(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    server = StandInOpenAI(httpserver, ["ok"])
    assert (
        await client.put("/api/secrets/SIGNATURE", json={"value": "Yours, the Appgain team"})
    ).status_code in (200, 201)
    nosy = {
        "id": "nosy",
        "type": "ai_task",
        "data": {
            "prompt_template": "Context: {{ run }} {{ workflow }} {{ vars }} {{ user }}",
            "system": {"$secret": "SIGNATURE"},
        },
    }
    assert (await client.post("/api/workflows", json=workflow(nosy))).status_code == 201

    run = await run_of(client, {"type": "review_posted", "user": {"id": "u1"}}, settings)

    assert run["status"] == "completed", run["error"]
    (sent,) = server.requests
    assert sent["messages"][0]["content"] == "Yours, the Appgain team"  # referenced: sent
    assert "Appgain team" not in sent["messages"][1]["content"]
    assert KEY not in str(sent["messages"])  # the provider's key is never in the context
    assert "Appgain team" not in str(run["steps"][0]["input"])  # masked in the record


async def test_with_no_provider_the_workflow_saves_and_the_step_says_what_to_set(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    bare = settings.model_copy(update={"ai_base_url": None})
    assert (await client.post("/api/workflows", json=workflow(CLASSIFY))).status_code == 201

    run = await run_of(
        client, {"type": "review_posted", "data": {"shop": "s", "review": "x"}}, bare
    )

    assert run["status"] == "failed"
    message = run["steps"][0]["error"]["message"]
    assert "no AI provider is configured: set AUTOMATOR_AI_BASE_URL" in message


async def test_a_tenant_brings_its_own_anthropic_key_from_the_secrets_store(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    own = StandInAnthropic(httpserver, [{"sentiment": "negative", "reply": "Sorry, Ada."}])
    secret = "sk-ant-tenant-0123456789"
    assert (
        await client.put("/api/secrets/ANTHROPIC_KEY", json={"value": secret})
    ).status_code == 201
    config = {
        "providers": [
            {
                "provider": "anthropic",
                "base_url": own.base_url,
                "api_key": {"$secret": "ANTHROPIC_KEY"},
                "model": "claude-x",
            }
        ]
    }
    put = await client.put("/api/integrations/ai", json={"config": config})
    assert put.status_code == 201, put.text
    assert (await client.post("/api/workflows", json=workflow(CLASSIFY))).status_code == 201

    run = await run_of(
        client, {"type": "review_posted", "data": {"shop": "s", "review": "Bad"}}, settings
    )

    assert run["status"] == "completed", run["error"]
    assert run["steps"][0]["output"]["reply"] == "Sorry, Ada."
    assert run["steps"][0]["output"]["usage"]["provider"] == "anthropic"
    assert own.headers[0]["X-Api-Key"] == secret  # the tenant's, not the deployment's
    assert own.requests[0]["tools"][0]["input_schema"] == CLASSIFY["data"]["output_mapping"]
    assert secret not in str(run)


async def test_an_answer_that_never_fits_fails_the_run_with_it_and_its_tokens_counted(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    server = StandInOpenAI(httpserver, [{"sentiment": "meh", "reply": "?"}])
    assert (await client.post("/api/workflows", json=workflow(CLASSIFY))).status_code == 201

    run = await run_of(
        client, {"type": "review_posted", "data": {"shop": "s", "review": "x"}}, settings
    )

    assert run["status"] == "failed"
    error = run["steps"][0]["error"]
    assert error["answer"] == '{"sentiment": "meh", "reply": "?"}'
    assert error["validation_error"].startswith("at /sentiment: 'meh' is not one of")
    assert error["retryable"] is False
    assert len(server.requests) == 3
    assert run["ai_usage"]["calls"] == 1
    assert run["ai_usage"]["output_tokens"] == 3 * 4  # three answers of four words, all spent
