"""The profiles connector through the real worker: update_user_profile, create_segment and
add_to_campaign as workflow steps, and their inputs checked when a workflow is saved."""

from typing import Any

import httpx

from app.resources import Resources
from app.settings import Settings
from tests.conftest import drain, send

SIGNUP = {
    "type": "user_signup",
    "user": {"id": "u1", "email": "ada@example.com", "name": "Ada", "plan": "trial"},
}
# The seed's welcome_campaign_001 profile step, as written there.
SEED_UPDATE = {
    "id": "action_003",
    "type": "update_user_profile",
    "delay": 600,
    "data": {
        "user_id": "{{user.id}}",
        "profile_data": {"onboarding_completed": True, "welcome_campaign_sent": True},
    },
}


def workflow(*actions: dict[str, Any], workflow_id: str = "welcome") -> dict[str, Any]:
    return {
        "workflow_id": workflow_id,
        "name": "Profiles",
        "trigger": {"type": "user_signup"},
        "actions": list(actions),
    }


async def create(client: httpx.AsyncClient, document: dict[str, Any]) -> None:
    response = await client.post("/api/workflows", json=document)
    assert response.status_code == 201, response.text


async def run_of(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/api/runs/{run_id}")).json()
    return body


async def test_update_user_profile_merges_into_the_events_profile(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    plan = {"type": "update_user_profile", "id": "plan", "data": {"profile_data": {"plan": None}}}
    await create(client, workflow(SEED_UPDATE, plan))
    run_id = (await send(client, SIGNUP))["run_ids"][0]
    await drain(settings.model_copy(update={"delay_scale": 0.001}))
    run = await run_of(client, run_id)
    assert run["status"] == "completed", run["error"]
    first = run["outputs"]["action_003"]["output"]
    assert (first["user_id"], first["created"]) == ("u1", False)
    assert sorted(first["changed"]) == ["onboarding_completed", "welcome_campaign_sent"]
    assert run["outputs"]["plan"]["output"]["changed"] == ["plan"]
    profile = (await client.get("/api/profiles/u1")).json()
    assert profile["attributes"] == {
        "email": "ada@example.com",
        "name": "Ada",
        "onboarding_completed": True,
        "welcome_campaign_sent": True,
    }
    assert profile["event_count"] == 1


async def test_add_to_campaign_adds_the_runs_user_once(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    add = {
        "id": "add",
        "type": "add_to_campaign",
        "data": {"campaign_id": "spring", "name": "Spring"},
    }
    await create(client, workflow(add))
    first = (await send(client, SIGNUP))["run_ids"][0]
    second = (await send(client, SIGNUP))["run_ids"][0]
    await drain(settings)
    outputs = [(await run_of(client, r))["outputs"]["add"]["output"] for r in (first, second)]
    assert sorted(o["added"] for o in outputs) == [False, True]
    assert {o["user_id"] for o in outputs} == {"u1"}
    campaigns = (await client.get("/api/campaigns")).json()["items"]
    assert [(c["campaign_id"], c["name"], c["members"]) for c in campaigns] == [
        ("spring", "Spring", 1)
    ]


async def test_create_segment_saves_conditions_the_segment_api_evaluates(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    conditions = [{"field": "plan", "operator": "in_list", "value": ["trial", "pro"]}]
    save = {
        "id": "seg",
        "type": "create_segment",
        "data": {"segment_id": "triallers", "name": "On trial", "conditions": conditions},
    }
    await create(client, workflow(save))
    run_id = (await send(client, SIGNUP))["run_ids"][0]
    await send(client, {"type": "page_viewed", "user": {"id": "u2", "plan": "free"}})
    await drain(settings)
    assert (await run_of(client, run_id))["outputs"]["seg"]["output"] == {
        "segment_id": "triallers",
        "created": True,
    }
    segment = (await client.get("/api/segments/triallers")).json()
    assert (segment["name"], segment["conditions"]) == ("On trial", conditions)
    members = (await client.get("/api/segments/triallers/members")).json()
    assert [m["user_id"] for m in members["items"]] == ["u1"]


async def test_a_profile_over_its_size_bound_fails_the_step(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    bloat = {
        "id": "bloat",
        "type": "update_user_profile",
        "data": {"profile_data": {"notes": "{{ 'x' * 5000 }}"}},
    }
    await create(client, workflow(bloat))
    run_id = (await send(client, SIGNUP))["run_ids"][0]
    # The worker's store holds profiles to 1 KiB.
    await drain(settings.model_copy(update={"profile_max_bytes": 1024}))
    run = await run_of(client, run_id)
    assert run["status"] == "failed"
    assert "over the limit of 1024 bytes (AUTOMATOR_PROFILE_MAX_BYTES)" in run["error"]["message"]
    assert "notes" not in (await resources.store.get_profile("acme", "u1")).attributes


async def test_inputs_are_checked_when_the_workflow_is_saved(client: httpx.AsyncClient) -> None:
    cases = [
        ({"type": "update_user_profile", "data": {"profile_data": "yes"}}, "data.profile_data"),
        ({"type": "update_user_profile", "data": {}}, "'profile_data' is a required property"),
        ({"type": "add_to_campaign", "data": {"campaign_id": "no spaces"}}, "data.campaign_id"),
        (
            {
                "type": "create_segment",
                "data": {"segment_id": "s", "conditions": [{"field": "a", "operator": "bigger"}]},
            },
            "data.conditions.0.operator",
        ),
    ]
    for action, problem in cases:
        response = await client.post("/api/workflows", json=workflow(action))
        assert response.status_code == 422, action
        assert problem in response.json()["error"]["message"]
    symbols = {"segment_id": "s", "conditions": [{"field": "n", "operator": ">=", "value": 2}]}
    await create(client, workflow({"type": "create_segment", "data": symbols}))


async def test_a_run_without_a_user_fails_with_a_clear_error(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(
        client, workflow({"id": "add", "type": "add_to_campaign", "data": {"campaign_id": "c"}})
    )
    run_id = (await send(client, {"type": "user_signup"}))["run_ids"][0]
    await drain(settings)
    run = await run_of(client, run_id)
    assert run["status"] == "failed"
    assert run["error"]["message"] == "data.user_id: not given, and the run has no user id"


async def test_a_refused_rendered_id_is_shown_cut_in_the_middle(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # It was cut at 80 characters, its end (often what differs) never seen.
    step = {"id": "add", "type": "add_to_campaign", "data": {"campaign_id": "{{ code }}"}}
    await create(client, workflow(step))
    run_id = (await send(client, SIGNUP | {"data": {"code": "c" * 100_000 + "!"}}))["run_ids"][0]
    await drain(settings)
    run = await run_of(client, run_id)
    assert run["status"] == "failed"
    said = run["error"]["message"]
    assert said.startswith("data.campaign_id: letters, digits")
    assert said.endswith(f"not '{'c' * 27}...{'c' * 27}!'")
