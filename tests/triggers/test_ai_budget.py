"""The tenant's AI budget: the estimate of a planned send, and runs not started when their
expected AI cost, times 1.2, does not fit what the period has left."""

import math
from typing import Any

import httpx
import pytest

from app.models.usage import AiUsage
from app.resources import Resources
from app.settings import Settings
from tests.clock import DAY, ShiftedClock, mid_window

PROMPT = "Write a thank-you note for order {{ order_id }}"
WORKFLOW = {
    "workflow_id": "thank_you",
    "name": "Thank you",
    "trigger": {"type": "order_placed"},
    "actions": [
        {
            "id": "note",
            "type": "ai_task",
            "data": {"prompt_template": PROMPT, "parameters": {"max_tokens": 400}},
        }
    ],
}
# USD per million tokens: 400 output tokens cost $0.0008, the prompt about $0.00001.
PRICES = {"stand-in": {"input": 1.0, "output": 2.0}}
PER_RUN = (math.ceil(len(f'[null, "{PROMPT}", null]') / 4) + 400 * 2) / 1e6


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"ai_model": "stand-in", "ai_prices": PRICES})


async def spend(resources: Resources, usd: float) -> None:
    """Record ``usd`` spent on the app's clock: in the window the budget reads."""
    await resources.store.add_ai_usage(
        AiUsage(
            tenant_id="acme",
            workflow_id="thank_you",
            run_id="earlier",
            step_id="note",
            model="stand-in",
            input_tokens=0,
            output_tokens=0,
            cost=usd,
            at=resources.clock.now(),
        )
    )


async def estimate(client: httpx.AsyncClient) -> dict[str, Any]:
    asked = {"workflow_id": "thank_you", "runs": 10, "margin": 0.2}
    response = await client.post("/api/quota/estimate", json=asked)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_a_send_is_estimated_and_a_run_that_would_pass_the_budget_is_skipped(
    client: httpx.AsyncClient, resources: Resources, clock: ShiftedClock
) -> None:
    mid_window(clock, DAY)  # what the day spent counts from midnight UTC
    assert (await client.post("/api/workflows", json=WORKFLOW)).status_code == 201
    budget = {"ai_budget": {"usd": 0.02, "period": "P1D"}}
    assert (await client.put("/api/tenant/limits", json=budget)).status_code == 200

    fits = await estimate(client)

    assert fits["ai_cost"] == pytest.approx(10 * PER_RUN)
    assert fits["ai_budget"] == {
        "allowed": 0.02,
        "period_seconds": 86400,
        "spent": 0,
        "remaining": 0.02,
        "needed": pytest.approx(10 * PER_RUN * 1.2),
        "resets_at": fits["ai_budget"]["resets_at"],
    }
    assert fits["fits"] is True

    await spend(resources, 0.0195)  # $0.0005 left: less than one run's estimate times 1.2
    assert (await estimate(client))["fits"] is False
    accepted = await client.post("/api/events", json={"type": "order_placed", "data": {}})

    assert accepted.status_code == 202
    assert accepted.json()["run_ids"] == []
    reason = accepted.json()["skipped"]["thank_you"]
    needed = f"${PER_RUN * 1.2:.6f} needed (the run's estimate with its margin)"
    assert reason.startswith(f"AI budget: {needed}")
    assert "$0.000500 of $0.02 left; resets in" in reason


async def test_a_workflow_without_ai_steps_starts_whatever_the_budget(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    plain = {**WORKFLOW, "actions": [{"type": "log", "data": {"message": "hi"}}]}
    assert (await client.post("/api/workflows", json=plain)).status_code == 201
    budget = {"ai_budget": {"usd": 0.01, "period": 3600}}
    assert (await client.put("/api/tenant/limits", json=budget)).status_code == 200
    await spend(resources, 5.0)

    accepted = await client.post("/api/events", json={"type": "order_placed", "data": {}})

    assert len(accepted.json()["run_ids"]) == 1
