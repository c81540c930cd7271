"""Trigger conditions on profile.*: the profile as the event leaves it, read only when a
listening workflow needs it; and every run's context carries the user's profile."""

from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app.models.condition import Condition
from app.resources import Resources
from app.triggers.ingest import EventIn, plainly_an_event
from app.triggers.matcher import reads_profile
from tests.conftest import send


def returning(**trigger: Any) -> dict[str, Any]:
    return {
        "workflow_id": "returning",
        "name": "Second visit",
        "trigger": {"type": "seen", **trigger},
        "actions": [{"type": "log", "data": {"message": "{{ profile.event_count }}"}}],
    }


async def test_a_trigger_condition_reads_the_profile_after_this_event(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    condition = {"field": "profile.event_count", "operator": "greater_than", "value": 1}
    assert (
        await client.post("/api/workflows", json=returning(conditions=[condition]))
    ).status_code == 201
    first = await send(client, {"type": "seen", "user": {"id": "u1"}})
    second = await send(client, {"type": "seen", "user": {"id": "u1", "plan": "pro"}})
    assert (first["run_ids"], len(second["run_ids"])) == ([], 1)
    run = await resources.store.get_run("acme", second["run_ids"][0])
    assert (run.context["profile"]["event_count"], run.context["profile"]["plan"]) == (2, "pro")
    nobody = await send(client, {"type": "seen"})
    assert nobody["run_ids"] == []


async def test_runs_see_the_profile_merged_from_earlier_events(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await client.post("/api/workflows", json=returning())
    await send(client, {"type": "signup", "user": {"id": "u1", "country": "NO"}})
    accepted = await send(client, {"type": "seen", "user": {"id": "u1"}})
    run = await resources.store.get_run("acme", accepted["run_ids"][0])
    assert run.context["user"] == {"id": "u1"}
    assert run.context["profile"]["country"] == "NO"


def test_only_conditions_that_read_profile_fields_need_the_profile() -> None:
    def needs(*conditions: dict[str, Any]) -> bool:
        return reads_profile([Condition.model_validate(c) for c in conditions])

    leaf = {"field": "profile.plan", "operator": "equals", "value": "pro"}
    assert needs({"not": {"any": [{"field": "x", "operator": "exists"}, leaf]}})
    assert not needs(
        {"field": "profiles.plan", "operator": "exists"},
        {"field": "user.plan", "operator": "exists"},
    )
    assert not needs()


async def test_a_batch_matches_each_event_on_the_profile_its_predecessors_left(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    condition = {"field": "profile.event_count", "operator": "equals", "value": 2}
    await client.post("/api/workflows", json=returning(conditions=[condition]))
    batch = {"events": [{"type": "seen", "user": {"id": "u1"}} for _ in range(3)]}
    results = (await client.post("/api/events/batch", json=batch)).json()["results"]
    assert [len(result["run_ids"]) for result in results] == [0, 1, 0]
    assert (await resources.store.get_profile("acme", "u1")).event_count == 3


@pytest.mark.parametrize(
    "key",
    [
        "replay:evt_1:fix-42",
        "hook:hk_1:delivery-9",
        "schedule:nightly:2026-12-07T00:00:00+00:00",
        "on_failure:run_01a2529576a2dd3449bc7cef:1",
        "run_01a2529576a2dd3449bc7cef:send:0:0",
    ],
)
def test_a_client_may_not_key_an_event_as_automator_keys_its_own(key: str) -> None:
    """Each family of keys Automator gives the events it makes (replays, hook deliveries,
    schedules, error workflows, sub-runs) is refused from clients, on either path a batch's
    events take."""
    assert not plainly_an_event({"type": "x", "idempotency_key": key})
    with pytest.raises(ValidationError, match="are kept for the events Automator makes"):
        EventIn(type="x", idempotency_key=key)
    assert EventIn(type="x").with_key(key).idempotency_key == key
    assert EventIn(type="x", idempotency_key=f"order-{key}").idempotency_key == f"order-{key}"
