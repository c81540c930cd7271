"""Several triggers per workflow: event types with their own conditions and schedules beside
the seed's single ``trigger``; any one starts a run (one per event), and the run records
which (``event.trigger``)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.engine.redis_keys import set_last_fired
from app.models.run import RunFilter
from app.models.workflow import Page
from app.resources import Resources
from app.triggers.scheduler import Scheduler
from tests.conftest import send

WORKFLOW = {
    "workflow_id": "reengage",
    "name": "Re-engage",
    "trigger": {"type": "user_signup"},
    "triggers": [
        {
            "id": "big_cart",
            "type": "cart_updated",
            "conditions": [{"field": "cart_value", "operator": "greater_than", "value": 100}],
        },
        {
            "type": "cart_updated",
            "conditions": [{"field": "vip", "operator": "equals", "value": True}],
        },
        {"id": "nightly", "type": "schedule", "cron": "0 3 * * *", "timezone": "Europe/Paris"},
    ],
    "actions": [{"id": "note", "type": "log", "data": {"message": "by {{ event.trigger }}"}}],
}


async def started_by(client: httpx.AsyncClient, event: dict[str, Any]) -> list[str | None]:
    accepted = await send(client, event)
    triggers = []
    for run_id in accepted["run_ids"]:
        run = (await client.get(f"/api/runs/{run_id}")).json()
        triggers.append(run["trigger"])
        assert run["context"]["event"].get("trigger") == run["trigger"]
    return triggers


async def test_each_trigger_starts_runs_that_name_it(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/workflows", json=WORKFLOW)
    assert created.status_code == 201, created.text
    assert created.json()["trigger_type"] == "user_signup"
    assert await started_by(client, {"type": "user_signup", "user": {"id": "u1"}}) == ["trigger"]
    big = {"type": "cart_updated", "user": {"id": "u1"}, "data": {"cart_value": 150, "vip": True}}
    assert await started_by(client, big) == ["big_cart"]  # both match: one run, the first
    vip = {"type": "cart_updated", "user": {"id": "u2"}, "data": {"cart_value": 5, "vip": True}}
    assert await started_by(client, vip) == ["triggers.1"]
    small = await send(client, {"type": "cart_updated", "data": {"cart_value": 5}})
    # Each trigger listening for the type, and the condition of it that failed.
    assert (small["run_ids"], small["skipped"]) == (
        [],
        {
            "reengage": "trigger conditions not met: big_cart.conditions.0 (cart_value "
            "greater_than); triggers.1.conditions.0 (vip equals)"
        },
    )


async def test_a_schedule_among_the_triggers_fires(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    assert (await client.post("/api/workflows", json=WORKFLOW)).status_code == 201
    engine = resources.engine
    now = datetime(2026, 12, 7, 2, 0, 30, tzinfo=UTC)  # 03:00:30 in Paris
    await set_last_fired(
        engine.queue.pool, "acme:reengage:nightly", (now - timedelta(minutes=5)).isoformat()
    )
    [accepted] = await Scheduler(
        resources.store, engine.ingestor, engine.queue.pool, resources.clock
    ).tick(now)
    [run] = await resources.store.list_runs("acme", RunFilter("reengage"), Page())
    assert run.run_id == accepted.runs[0].run_id
    assert run.context["event"]["trigger"] == "nightly"


async def test_trigger_ids_are_unique_and_triggers_bounded(client: httpx.AsyncClient) -> None:
    twice = {**WORKFLOW, "triggers": [{"id": "a", "type": "x"}, {"id": "a", "type": "y"}]}
    refused = await client.post("/api/workflows", json=twice)
    assert refused.status_code == 422
    assert "trigger id 'a' is used twice" in refused.text
    many = {**WORKFLOW, "triggers": [{"type": f"t{n}"} for n in range(11)]}
    assert (await client.post("/api/workflows", json=many)).status_code == 422
