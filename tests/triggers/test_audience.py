"""Segment-targeted schedules: one run per member at each firing, exactly once, each run
carrying its member's user and profile (the seed's customer_retention, on a schedule)."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.engine.redis_keys import set_last_fired
from app.models import jsonc
from app.models.run import Run, RunFilter
from app.models.workflow import Page
from app.resources import Resources
from app.settings import Settings
from app.triggers.scheduler import Scheduler
from tests.conftest import SEEDS, drain, send

INACTIVE = {
    "segment_id": "inactive_7d",
    "conditions": [{"field": "last_seen", "operator": "before", "value": "now-P7D"}],
}


async def seen(client: httpx.AsyncClient, user_id: str, days: float) -> None:
    at = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    user = {
        "id": user_id,
        "email": f"{user_id}@example.com",
        "name": user_id.title(),
        "deviceToken": f"tok-{user_id}",
    }
    await send(client, {"type": "seen", "user": user, "timestamp": at})


async def people(client: httpx.AsyncClient) -> None:
    """ada and bob were last seen 8 and 30 days ago, cy 2 days ago."""
    for user_id, days in (("ada", 8), ("bob", 30), ("cy", 2)):
        await seen(client, user_id, days)


def retention(segment: Any) -> dict[str, Any]:
    """The seed's customer_retention with its trigger moved onto a schedule and a segment."""
    document: dict[str, Any] = jsonc.loads((SEEDS / "customer_retention.json").read_bytes())
    document["trigger"] = {"type": "schedule", "interval": 3600, "segment": segment}
    return document


async def runs_of(resources: Resources, workflow_id: str) -> list[Run]:
    return await resources.store.list_runs("acme", RunFilter(workflow_id), Page(limit=500))


async def due_now(resources: Resources, workflow_id: str) -> datetime:
    """Have the schedule's next tick fall due; returns a time just after it."""
    now = datetime.now(UTC)
    last = now - timedelta(seconds=3601)
    await set_last_fired(resources.engine.queue.pool, f"acme:{workflow_id}", last.isoformat())
    return now


def scheduler(resources: Resources, **options: Any) -> Scheduler:
    engine = resources.engine
    return Scheduler(
        resources.store, engine.ingestor, engine.queue.pool, resources.clock, **options
    )


async def test_each_inactive_member_gets_one_run_per_tick(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await people(client)
    assert (await client.post("/api/segments", json=INACTIVE)).status_code == 201
    saved = await client.post("/api/workflows", json=retention("inactive_7d"))
    assert saved.status_code == 201, saved.text
    now = await due_now(resources, "customer_retention")
    # Two schedulers fire the same tick (a hand-over race): each member starts once.
    await asyncio.gather(scheduler(resources).tick(now), scheduler(resources).tick(now))
    runs = await runs_of(resources, "customer_retention")
    assert sorted(run.user_id or "" for run in runs) == ["ada", "bob"]
    for run in runs:
        user = run.context["user"]
        assert (user["email"], user["deviceToken"]) == (
            f"{run.user_id}@example.com",
            f"tok-{run.user_id}",
        )
        assert run.context["profile"]["days_since_last_seen"] >= 8
        assert run.context["segment"] == "inactive_7d"
    # The schedule's events are not the members' activity.
    assert (await resources.store.get_profile("acme", "ada")).event_count == 1
    # The next tick starts them again; a member seen meanwhile is left out.
    await seen(client, "ada", 0)
    await set_last_fired(resources.engine.queue.pool, "acme:customer_retention", now.isoformat())
    await scheduler(resources).tick(now + timedelta(seconds=3601))
    users = sorted(run.user_id or "" for run in await runs_of(resources, "customer_retention"))
    assert users == ["ada", "bob", "bob"]


async def test_a_retention_campaign_reaches_each_member_once(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    await people(client)
    segment = {
        "conditions": [
            {"field": "days_since_last_seen", "operator": "greater_than", "value": 7},
            {"field": "profile.retention_sent", "operator": "not_exists"},
        ]
    }
    document = retention(segment) | {
        "workflow_id": "win_back",
        "actions": [
            {"id": "note", "type": "log", "data": {"message": "We miss you, {{ user.name }}"}},
            {
                "id": "mark",
                "type": "update_user_profile",
                "data": {"profile_data": {"retention_sent": True}},
            },
        ],
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    now = await due_now(resources, "win_back")
    await scheduler(resources).tick(now)
    await drain(settings)
    runs = await runs_of(resources, "win_back")
    assert sorted((run.user_id, run.status) for run in runs) == [
        ("ada", "completed"),
        ("bob", "completed"),
    ]
    for run in runs:
        assert (
            run.outputs["note"]["output"]["message"] == f"We miss you, {str(run.user_id).title()}"
        )
    await set_last_fired(resources.engine.queue.pool, "acme:win_back", now.isoformat())
    await scheduler(resources).tick(now + timedelta(seconds=3601))
    assert len(await runs_of(resources, "win_back")) == 2


async def test_a_firing_starts_at_most_the_member_limit(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await people(client)
    await client.post("/api/workflows", json=retention({"conditions": INACTIVE["conditions"]}))
    now = await due_now(resources, "customer_retention")
    await scheduler(resources, segment_max_members=1).tick(now)
    assert [run.user_id for run in await runs_of(resources, "customer_retention")] == ["ada"]


async def test_a_missing_segment_starts_nothing(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await people(client)
    await client.post("/api/workflows", json=retention("no_such_segment"))
    now = await due_now(resources, "customer_retention")
    assert await scheduler(resources).tick(now) == []
    assert await runs_of(resources, "customer_retention") == []


async def test_a_segment_needs_a_schedule_trigger(client: httpx.AsyncClient) -> None:
    document = retention("inactive_7d")
    document["trigger"] = {"type": "user_inactive", "segment": "inactive_7d"}
    response = await client.post("/api/workflows", json=document)
    assert response.status_code == 422
    assert "segment belong to a schedule trigger" in response.json()["error"]["message"]
