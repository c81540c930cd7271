"""trigger_workflow end to end: sub-runs started by a real arq worker on a real Redis, real
SQLite, waited for or not, and the depth limit that stops a workflow triggering itself."""

from typing import Any

import httpx

from app.settings import Settings
from tests.conftest import send
from tests.engine.walk.test_forks import fast_settings, finish, mail
from tests.engine.walk.test_runs import create, drain_until, run_of
from tests.engine.walk.test_waits import mailer


def parent(wait: bool, child: str = "child", **extra: Any) -> dict[str, Any]:
    launch = {"workflow_id": child, "wait": wait, "data": {"plan": "{{ plan }}"}, **extra}
    return {
        "workflow_id": "parent",
        "name": "Parent",
        "trigger": {"type": "signup"},
        "actions": [
            {"id": "go", "type": "trigger_workflow", "data": launch},
            {"id": "after", "type": "log", "data": {"message": "{{ steps.go.output.run_id }}"}},
        ],
    }


CHILD = {
    "workflow_id": "child",
    "name": "Child",
    "trigger": {"type": "never_sent"},
    "actions": [
        mail("hello", "Plan {{ plan }} ({{ event.type }})", delay=1000),
        {"id": "note", "type": "set", "data": {"greeted": "{{ user.id }}"}},
    ],
}


async def signup(client: httpx.AsyncClient) -> str:
    accepted = await send(client, {"type": "signup", "user": {"id": "u1"}, "data": {"plan": "pro"}})
    run_id: str = accepted["run_ids"][0]
    return run_id


async def test_a_sub_run_not_waited_for_starts_and_the_run_goes_on(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    await create(client, CHILD)
    await create(client, parent(wait=False))
    run_id = await signup(client)
    await finish(client, settings, run_id, registry)
    run = await run_of(client, run_id)
    assert run["status"] == "completed", run
    child_id = run["outputs"]["go"]["output"]["run_id"]
    assert run["outputs"]["after"]["output"] == {"message": child_id}
    await finish(client, settings, child_id, registry)
    child = await run_of(client, child_id)
    assert child["status"] == "completed"
    assert child["workflow_id"] == "child"
    assert child["parent"] == {"run_id": run_id, "step": "go", "branch": None, "wait": False}
    assert child["depth"] == 1
    assert [m["subject"] for m in sent.sent] == ["Plan pro (workflow_triggered)"]
    assert sent.sent[0]["recipient"] == "u1@example.com"


async def test_a_waited_sub_run_hands_its_outputs_and_vars_back(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    await create(client, CHILD)
    await create(client, parent(wait=True))
    run_id = await signup(client)
    await finish(client, settings, run_id, registry)
    run = await run_of(client, run_id)
    assert run["status"] == "completed", run
    output = run["outputs"]["go"]["output"]
    assert output["status"] == "completed"
    assert output["workflow_id"] == "child"
    assert output["vars"] == {"greeted": "u1"}
    assert output["outputs"]["hello"]["output"] == {"sent_to": "u1@example.com"}
    assert len(sent.sent) == 1


async def test_a_workflow_triggering_itself_stops_at_the_depth_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    itself = parent(wait=False, child="parent")
    await create(client, itself)
    first = await signup(client)
    limited = settings.model_copy(update={"max_workflow_depth": 3})
    run_ids, run_id = [first], first
    for _ in range(4):
        await finish(client, limited, run_id, mailer()[1])
        run = await run_of(client, run_id)
        if run["status"] == "failed":
            break
        run_id = run["outputs"]["go"]["output"]["run_id"]
        run_ids.append(run_id)
    depths = [(await run_of(client, one))["depth"] for one in run_ids]
    assert depths == [0, 1, 2, 3]
    last = await run_of(client, run_ids[-1])
    assert last["status"] == "failed"
    assert last["error"]["message"] == (
        "workflow parent not started: this run is 3 sub-workflow levels deep, the limit of 3 "
        "(AUTOMATOR_MAX_WORKFLOW_DEPTH)"
    )


async def test_a_failed_sub_run_fails_the_waiting_step(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    broken = CHILD | {
        "actions": [{"id": "bad", "type": "log", "data": {"message": "{{ nope.x }}"}}]
    }
    await create(client, broken)
    await create(client, parent(wait=True))
    run_id = await signup(client)
    await finish(client, settings, run_id, mailer()[1])
    run = await run_of(client, run_id)
    assert run["status"] == "failed"
    assert run["error"]["step_id"] == "go"
    assert run["error"]["message"].endswith("of workflow child failed")
    assert "nope" in run["error"]["error"]["message"]


async def test_cancelling_a_run_cancels_the_sub_run_it_waits_for(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    slow = CHILD | {"actions": [mail("hello", "late", delay=100_000)]}
    await create(client, slow)
    await create(client, parent(wait=True))
    run_id = await signup(client)
    fast = fast_settings(settings)
    await drain_until(client, fast, [run_id], {"waiting"}, registry=mailer()[1])
    child_id = (await run_of(client, run_id))["join"]["children"][0]["run_id"]
    await drain_until(client, fast, [child_id], {"waiting"}, registry=mailer()[1])
    assert (await client.post(f"/api/runs/{run_id}/cancel")).json()["status"] == "cancelled"
    assert (await run_of(client, child_id))["status"] == "cancelled"


async def test_a_disabled_or_unknown_workflow_fails_the_step_naming_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, CHILD)
    assert (await client.post("/api/workflows/child/disable")).status_code == 200
    await create(client, parent(wait=False))
    await create(client, parent(wait=False, child="ghost") | {"workflow_id": "parent2"})
    accepted = await send(client, {"type": "signup", "user": {"id": "u1"}, "data": {"plan": "pro"}})
    errors = {}
    for run_id in accepted["run_ids"]:
        await finish(client, settings, run_id, mailer()[1])
        run = await run_of(client, run_id)
        assert run["status"] == "failed"
        errors[run["workflow_id"]] = run["error"]["message"]
    assert errors == {
        "parent": "workflow 'child' is disabled",
        "parent2": "workflow 'ghost' not found",
    }


async def test_a_waited_sub_run_under_the_tenant_concurrency_limit_of_its_parent_runs(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """The parent keeps its slot while it waits for its sub-run; the sub-run must not queue
    behind its own parent."""
    sent, registry = mailer()
    limits = {"concurrency": {"limit": 1}}
    assert (await client.put("/api/tenant/limits", json=limits)).status_code == 200
    await create(client, CHILD)
    await create(client, parent(wait=True))
    run_id = await signup(client)
    await finish(client, settings, run_id, registry)
    run = await run_of(client, run_id)
    assert run["status"] == "completed", run
    assert len(sent.sent) == 1


async def test_retrying_a_run_whose_sub_run_was_refused_launches_again(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """The refused launch's event holds its key: a retry through the API, once the cause is
    fixed, must not find that event and its missing run again."""
    await create(client, CHILD | {"settings": {"max_executions": 1}})
    await create(client, parent(wait=False))
    runs: list[str] = []
    for _ in range(2):  # one after the other: walked together, either could launch first
        runs.append(await signup(client))
        await finish(client, settings, runs[-1], mailer()[1])
    refused = await run_of(client, runs[1])
    assert refused["status"] == "failed"
    assert refused["error"]["message"].endswith("max_executions (1) reached")
    raised = CHILD | {"settings": {"max_executions": 2}}
    assert (await client.put("/api/workflows/child", json=raised)).status_code == 200
    assert (await client.post(f"/api/runs/{runs[1]}/retry")).status_code == 200
    await finish(client, settings, runs[1], mailer()[1])
    retried = await run_of(client, runs[1])
    assert retried["status"] == "completed", retried["error"]
