"""The model providers' real HTTP code against stand-ins for an OpenAI-compatible server and
Anthropic's API (tests/stand_in_models.py): wire formats, Retry-After, failover, refusals."""

from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from app.actions.ai.language_models import Models, Prompt, Turn, providers
from app.actions.base import ActionContext, ConnectorError, Services
from app.actions.breaker import LocalBreaker
from app.actions.net import http_client
from app.settings import Settings
from tests.stand_in_models import Refusal, StandInAnthropic, StandInOpenAI

KEY = "sk-test-0123456789"
SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
PROMPT = Prompt(
    [Turn("user", "Say ok")],
    model="small",
    system="Be brief.",
    parameters={"temperature": 0},
    schema=SCHEMA,
)


def context(http: httpx.AsyncClient) -> ActionContext:
    return ActionContext(
        tenant_id="acme",
        run_id="run1",
        step_id="ask",
        idempotency_key="run1:ask:0",
        attempt=1,
        services=Services(http=http, breaker=LocalBreaker()),
    )


class Sleeps:
    """Records the waits asked for instead of sleeping them."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def openai(server: StandInOpenAI, **extra: Any) -> dict[str, Any]:
    return {"provider": "openai", "base_url": server.base_url, "api_key": KEY, **extra}


def anthropic(server: StandInAnthropic, **extra: Any) -> dict[str, Any]:
    return {"provider": "anthropic", "base_url": server.base_url, "api_key": KEY, **extra}


async def test_the_openai_wire_format_carries_the_schema_and_the_key(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    server = StandInOpenAI(httpserver, [{"ok": True}])

    answer = await Models(providers({"providers": [openai(server)]})).complete(
        PROMPT, context(http)
    )

    (sent,) = server.requests
    assert sent == {
        "temperature": 0,
        "model": "small",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say ok"},
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": SCHEMA},
        },
    }
    assert server.headers[0]["Authorization"] == f"Bearer {KEY}"
    assert (answer.text, answer.model, answer.provider) == ('{"ok": true}', "small", "openai")
    assert (answer.input_tokens, answer.output_tokens) == (10, 2)


async def test_the_anthropic_wire_format_forces_a_tool_shaped_like_the_schema(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    server = StandInAnthropic(httpserver, [{"ok": True}])

    answer = await Models(providers({"providers": [anthropic(server)]})).complete(
        PROMPT, context(http)
    )

    (sent,) = server.requests
    assert sent["max_tokens"] == 1024
    assert sent["system"] == "Be brief."
    assert sent["messages"] == [{"role": "user", "content": "Say ok"}]
    assert sent["tools"][0]["input_schema"] == SCHEMA
    assert sent["tool_choice"] == {"type": "tool", "name": "answer"}
    assert server.headers[0]["X-Api-Key"] == KEY
    assert server.headers[0]["Anthropic-Version"] == "2023-06-01"
    assert answer.structured
    assert answer.value == {"ok": True}


async def test_a_429_is_asked_again_after_its_retry_after(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    limited = Refusal(429, {"error": {"message": "slow down"}}, {"Retry-After": "2"})
    server = StandInOpenAI(httpserver, [limited, "fine"])
    sleeps = Sleeps()

    answer = await Models(providers({"providers": [openai(server)]}), sleep=sleeps).complete(
        PROMPT, context(http)
    )

    assert answer.text == "fine"
    assert len(server.requests) == 2
    assert sleeps.asked == [2.0]


async def test_a_503_fails_over_to_the_next_provider_and_the_answer_names_both(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    down = StandInOpenAI(httpserver, [Refusal(503, {"error": {"message": "overloaded"}})])
    backup = StandInAnthropic(httpserver, [{"ok": True}])
    config = {
        "providers": [
            openai(down, retries=0, name="primary"),
            anthropic(backup, models={"small": "claude-small"}),
        ]
    }

    answer = await Models(providers(config)).complete(PROMPT, context(http))

    assert answer.provider == "anthropic"
    assert answer.model == "claude-small"
    assert answer.failed_providers == [{"provider": "primary", "error": "HTTP 503: overloaded"}]


async def test_every_provider_failing_is_retryable_after_the_shortest_wait(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    busy = Refusal(429, {"error": {"message": "busy"}}, {"Retry-After": "120"})
    one, two = StandInOpenAI(httpserver, [busy]), StandInAnthropic(httpserver, [busy])
    config = {"providers": [openai(one), anthropic(two)]}

    with pytest.raises(ConnectorError) as failed:
        await Models(providers(config), sleep=Sleeps()).complete(PROMPT, context(http))

    # Two minutes is too long to wait inside a step: each is passed over at once.
    assert len(one.requests) == len(two.requests) == 1
    assert failed.value.retryable
    assert failed.value.retry_after == 120
    assert "every ai provider failed" in failed.value.message


async def test_a_400_is_final_and_its_error_never_shows_the_key(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    bad = Refusal(400, {"error": {"message": f"model 'nope' not found for key {KEY}"}})
    server, backup = StandInOpenAI(httpserver, [bad]), StandInAnthropic(httpserver, ["unused"])
    config = {"providers": [openai(server), anthropic(backup)]}

    with pytest.raises(ConnectorError) as failed:
        await Models(providers(config)).complete(PROMPT, context(http))

    assert not failed.value.retryable
    assert backup.requests == []
    assert failed.value.message == "openai: HTTP 400: model 'nope' not found for key ***"


async def test_a_base_url_on_a_private_address_is_refused_by_the_address_guard(
    settings: Settings, httpserver: HTTPServer
) -> None:
    server = StandInOpenAI(httpserver, ["never"])
    async with http_client(settings) as guarded:  # no allow list: loopback is refused
        with pytest.raises(ConnectorError) as failed:
            await Models(providers({"providers": [openai(server)]})).complete(
                PROMPT, context(guarded)
            )

    assert "AUTOMATOR_HTTP_ALLOWED_HOSTS" in failed.value.message
    assert server.requests == []


def test_no_provider_says_what_to_set() -> None:
    with pytest.raises(ConnectorError) as failed:
        providers({})
    assert "AUTOMATOR_AI_BASE_URL" in failed.value.message
    assert not failed.value.retryable


def test_a_bad_provider_field_is_named_and_its_value_is_not() -> None:
    with pytest.raises(ConnectorError) as failed:
        providers({"providers": [{"provider": "openai", "base_url": "ftp://x", "api_key": KEY}]})
    assert failed.value.message.startswith("ai config providers[0].base_url:")
    assert KEY not in failed.value.message
