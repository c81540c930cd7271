"""``ai_task`` against a stand-in OpenAI-compatible server: the answer checked against
output_mapping, repaired with the validation error, costs counted, answers cached."""

from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from redis.asyncio import Redis

from app.actions.ai.answers import RedisAnswers
from app.actions.ai.task import SPEC, AiConnector
from app.actions.base import ActionContext, ConnectorError, Services
from app.actions.breaker import LocalBreaker
from tests.stand_in_models import StandInOpenAI

MAPPING = {
    "type": "object",
    "properties": {"sentiment": {"enum": ["positive", "negative"]}, "reply": {"type": "string"}},
    "required": ["sentiment", "reply"],
}
PRICES = {"stand-in": {"input": 1.0, "output": 2.0}}  # USD per million tokens
TASK = {"prompt_template": "Classify: I love it", "output_mapping": MAPPING}
GOOD = {"sentiment": "positive", "reply": "Thank you!"}


def step(
    http: httpx.AsyncClient, server: StandInOpenAI, tenant: str = "acme", answers: Any = None
) -> ActionContext:
    provider = {"provider": "openai", "base_url": server.base_url, "model": "stand-in"}
    return ActionContext(
        tenant_id=tenant,
        run_id="run1",
        step_id="classify",
        idempotency_key="run1:classify:0",
        attempt=1,
        config={"providers": [provider]},
        services=Services(http=http, breaker=LocalBreaker(), ai_prices=PRICES, answers=answers),
    )


async def test_an_answer_breaking_the_mapping_is_asked_again_with_the_error(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    server = StandInOpenAI(httpserver, [{"sentiment": "meh", "reply": "ok"}, GOOD])

    output = await AiConnector().execute("ai_task", dict(TASK), step(http, server))

    assert output["sentiment"] == "positive"
    assert output["reply"] == "Thank you!"
    first, second = server.requests
    assert "matches this JSON Schema" in first["messages"][0]["content"]
    repair = second["messages"][-1]["content"]
    assert "at /sentiment: 'meh' is not one of ['positive', 'negative']" in repair
    assert second["messages"][1] == {
        "role": "assistant",
        "content": '{"sentiment": "meh", "reply": "ok"}',
    }
    usage = output["usage"]
    assert usage["answers"] == 2
    assert output["cached"] is False
    spent = (usage["input_tokens"], usage["output_tokens"])
    assert spent[0] > 0
    assert spent[1] == 4 + 5
    assert usage["cost"] == pytest.approx((spent[0] * 1.0 + spent[1] * 2.0) / 1e6)
    assert usage["priced"] is True


async def test_an_answer_that_stays_wrong_fails_with_the_answer_and_error_recorded(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    server = StandInOpenAI(httpserver, ["I think it is positive."])

    with pytest.raises(ConnectorError) as failed:
        await AiConnector().execute("ai_task", dict(TASK), step(http, server))

    assert len(server.requests) == 3  # the answer and two repairs
    assert not failed.value.retryable
    assert failed.value.detail["answer"] == "I think it is positive."
    assert failed.value.detail["validation_error"].startswith("the answer is not JSON")
    assert failed.value.detail["usage"]["answers"] == 3


async def test_without_a_mapping_the_answer_is_text(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    server = StandInOpenAI(httpserver, ["Hello there"])
    task = {"prompt_template": "Greet", "system": "Be kind", "parameters": {"max_tokens": 5}}

    output = await AiConnector().execute("ai_task", task, step(http, server))

    assert output["text"] == "Hello there"
    (sent,) = server.requests
    assert sent["max_tokens"] == 5
    assert "response_format" not in sent


async def test_a_cached_answer_is_reused_per_tenant_and_costs_nothing(
    http: httpx.AsyncClient, httpserver: HTTPServer, redis_url: str
) -> None:
    server = StandInOpenAI(httpserver, [GOOD])
    cached = {**TASK, "cache": {"ttl": 60}}
    async with Redis.from_url(redis_url) as redis:
        answers = RedisAnswers(redis)
        first = await AiConnector().execute(
            "ai_task", dict(cached), step(http, server, "acme", answers)
        )
        again = await AiConnector().execute(
            "ai_task", dict(cached), step(http, server, "acme", answers)
        )
        other = await AiConnector().execute(
            "ai_task", dict(cached), step(http, server, "globex", answers)
        )
        ttl = await redis.pttl((await redis.keys("automator:ai:answer:acme:*"))[0])

    assert len(server.requests) == 2  # acme once, globex once
    assert again["cached"] is True
    assert again["reply"] == first["reply"]
    assert again["usage"]["cost"] == 0
    assert again["usage"]["input_tokens"] == 0
    assert first["cached"] is other["cached"] is False
    assert 0 < ttl <= 60_000


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {"prompt_template": "x", "output_mapping": {"type": "object", "required": 3}},
            "data.output_mapping: not a JSON Schema: 3 is not of type 'array'",
        ),
        (
            {
                "prompt_template": "x",
                "output_mapping": {"type": "object", "properties": {"usage": {}}},
            },
            "data.output_mapping.properties: 'usage' should not be valid",
        ),
        (
            {"prompt_template": "x", "parameters": {"stream": True}},
            "data.parameters: Additional properties are not allowed ('stream' was unexpected)",
        ),
        (
            {"prompt_template": "x", "cache": {"ttl": 0}},
            "data.cache.ttl: 0 is less than the minimum of 1",
        ),
    ],
)
def test_bad_task_data_is_named_when_saved(data: dict[str, Any], problem: str) -> None:
    assert str(SPEC.problems(data)[0]).startswith(problem)
