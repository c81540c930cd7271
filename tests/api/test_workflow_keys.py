"""Keys limited to named workflows or to a tag: a sweep of every route that names a
workflow, a run or an approval shows such a key gets 404 for any other workflow's, as if it
did not exist; lists show only its workflows and runs; the tenant's other resources are a
403; a key limited by tag changes only its own tags."""

import re
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.settings import Settings

ROUTE_PARAM = re.compile(r"\{(\w+)\}")
SCOPED = {"workflow_id", "run_id", "approval_id"}
SAMPLES = {"version": "1", "command": "pause", "decision": "approve"}


# How each kind of limited key is created, and how its 403 names its limit.
LIMITS = {
    "workflow": ({"workflows": ["mine"]}, "limited to the workflows mine"),
    "tag": ({"tags": ["growth"]}, "limited to the tags growth"),
}


def workflow(workflow_id: str, tags: list[str] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "workflow_id": workflow_id,
        "name": workflow_id,
        "trigger": {"type": "ping"},
        "actions": [{"id": "note", "type": "log", "data": {"message": "hi"}}],
    }
    return document if tags is None else document | {"tags": tags}


def scoped_routes() -> list[tuple[str, str]]:
    """(method, path template) of every API route naming a workflow, a run or an approval."""
    paths: dict[str, dict[str, Any]] = create_app(Settings(_env_file=None)).openapi()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/") and set(ROUTE_PARAM.findall(path)) & SCOPED
        for method in operations
    ]


@pytest.fixture(params=sorted(LIMITS))
async def limited(client: httpx.AsyncClient, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Two workflows with a run each ("mine" tagged growth, "theirs" tagged ops), and an
    editor key limited to the first by name or by its tag."""
    runs = {}
    for workflow_id, tag in (("mine", "growth"), ("theirs", "ops")):
        created = await client.post("/api/workflows", json=workflow(workflow_id, [tag]))
        assert created.status_code == 201, created.text
        started = await client.post(f"/api/workflows/{workflow_id}/run", json={})
        runs[workflow_id] = started.json()["run_ids"][0]
    limit, named = LIMITS[request.param]
    key = await client.post("/api/keys", json={"role": "editor", **limit})
    assert key.status_code == 201, key.text
    assert {name: key.json()[name] for name in limit} == limit
    headers = {"Authorization": f"Bearer {key.json()['key']}"}
    return {"headers": headers, "runs": runs, "named": named}


async def test_every_route_of_another_workflow_answers_404(
    client: httpx.AsyncClient, limited: dict[str, Any]
) -> None:
    theirs = limited["runs"]["theirs"]
    values = {
        "workflow_id": "theirs",
        "run_id": theirs,
        "approval_id": f"{theirs}~step~0",
        **SAMPLES,
    }
    routes = scoped_routes()
    assert len(routes) >= 15
    answers = {}
    for method, template in routes:
        path = ROUTE_PARAM.sub(lambda m: values.get(m.group(1), "x"), template)
        response = await client.request(method, path, headers=limited["headers"], json={})
        answers[f"{method} {template}"] = response.status_code
    assert {route: code for route, code in answers.items() if code != 404} == {}
    # The same routes exist for its own workflow: reads answer 200.
    mine = limited["runs"]["mine"]
    for path in ("/api/workflows/mine", "/api/workflows/mine/versions", f"/api/runs/{mine}"):
        assert (await client.get(path, headers=limited["headers"])).status_code == 200, path
    logs = await client.get("/api/workflows/logs?workflow_id=theirs", headers=limited["headers"])
    assert logs.status_code == 404


async def test_lists_show_only_its_workflows_and_the_rest_is_out_of_reach(
    client: httpx.AsyncClient, limited: dict[str, Any]
) -> None:
    headers = limited["headers"]
    listed = (await client.get("/api/workflows", headers=headers)).json()["items"]
    assert [item["workflow_id"] for item in listed] == ["mine"]
    runs = (await client.get("/api/runs", headers=headers)).json()["items"]
    assert [run["run_id"] for run in runs] == [limited["runs"]["mine"]]
    assert (await client.get("/api/runs?workflow_id=theirs", headers=headers)).status_code == 404
    created = await client.post("/api/workflows", json=workflow("new_one"), headers=headers)
    assert (created.status_code, limited["named"] in created.text) == (403, True)
    updated = await client.put(
        "/api/workflows/mine", json=workflow("mine", ["growth"]), headers=headers
    )
    assert updated.status_code == 200, updated.text
    for method, path in (
        ("GET", "/api/secrets"),
        ("POST", "/api/events"),
        ("GET", "/api/workflows/status"),
        ("GET", "/api/workflows/export"),
        ("POST", "/api/runs/bulk"),
        ("GET", "/api/audit"),
    ):
        answer = await client.request(method, path, headers=headers, json={})
        assert answer.status_code == 403, (method, path, answer.text)
    assert (await client.get("/api/workflows", headers=headers)).status_code == 200


async def test_an_error_workflow_out_of_reach_is_named_as_if_missing(
    client: httpx.AsyncClient, limited: dict[str, Any]
) -> None:
    """A limited key learns nothing of "theirs" through on_failure, and starts none of its
    runs: the answer is the one for a workflow that does not exist."""
    headers = limited["headers"]

    async def save(error_workflow: str) -> httpx.Response:
        document = workflow("mine", ["growth"])
        document["settings"] = {"on_failure": {"workflow_id": error_workflow}}
        return await client.put("/api/workflows/mine", json=document, headers=headers)

    answers = {name: await save(name) for name in ("theirs", "nowhere")}
    for name, answer in answers.items():
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert f"settings.on_failure.workflow_id: no workflow {name!r}" in error["message"]
        assert error["details"] == answers["nowhere"].json()["error"]["details"]
    assert (await save("mine")).status_code == 200


async def test_a_limited_key_starts_no_sub_workflow_out_of_its_reach(
    client: httpx.AsyncClient, limited: dict[str, Any]
) -> None:
    async def save(started: str) -> httpx.Response:
        document = workflow("mine", ["growth"])
        step = {"id": "child", "type": "trigger_workflow", "data": {"workflow_id": started}}
        document["actions"].append(step)
        return await client.put("/api/workflows/mine", json=document, headers=limited["headers"])

    answers = {name: await save(name) for name in ("theirs", "nowhere")}
    for name, answer in answers.items():
        assert answer.status_code == 422, answer.text
        assert f"trigger_workflow: no workflow {name!r} within this key's reach" in answer.text
        assert answer.json()["error"]["details"][0]["loc"] == ["body", "actions"]
    assert (await save("mine")).status_code == 200
    # A key over the whole tenant still names any workflow, even one it creates later.
    document = workflow("mine", ["growth"])
    document["actions"].append({"type": "trigger_workflow", "data": {"workflow_id": "later"}})
    assert (await client.put("/api/workflows/mine", json=document)).status_code == 200


async def test_a_key_limited_by_tag_changes_only_its_own_tags(client: httpx.AsyncClient) -> None:
    for workflow_id, tags in (("mine", ["growth", "ops"]), ("theirs", ["ops"])):
        assert (await client.post("/api/workflows", json=workflow(workflow_id, tags))).is_success
    key = await client.post("/api/keys", json={"role": "editor", "tags": ["growth", "emea"]})
    headers = {"Authorization": f"Bearer {key.json()['key']}"}

    async def save(workflow_id: str, tags: list[str]) -> httpx.Response:
        document = workflow(workflow_id, tags)
        return await client.put(f"/api/workflows/{workflow_id}", json=document, headers=headers)

    escaping = await save("mine", ["ops"])
    assert escaping.status_code == 403
    assert "cannot save 'mine' without one of its tags" in escaping.text
    assert escaping.json()["error"]["details"][0]["loc"] == ["body", "tags"]
    foreign = await save("mine", ["growth", "ops", "finance"])
    assert (foreign.status_code, "not finance" in foreign.text) == (403, True)
    dropping = await save("mine", ["growth"])
    assert (dropping.status_code, "not ops" in dropping.text) == (403, True)
    own = await save("mine", ["emea", "ops"])
    assert own.status_code == 200, own.text
    assert own.json()["tags"] == ["emea", "ops"]

    created = await client.post(
        "/api/workflows", json=workflow("campaign", ["growth"]), headers=headers
    )
    assert created.status_code == 201, created.text
    listed = (await client.get("/api/workflows", headers=headers)).json()["items"]
    assert [item["workflow_id"] for item in listed] == ["campaign", "mine"]
    assert (await client.delete("/api/workflows/theirs")).status_code == 204
    taken = await client.post(
        "/api/workflows", json=workflow("theirs", ["growth"]), headers=headers
    )
    assert taken.status_code == 409, "an archived workflow out of its reach stays out"

    # The admin moves "mine" out of the key's tags: from then on it is a 404 to the key.
    assert (await client.put("/api/workflows/mine", json=workflow("mine", ["ops"]))).is_success
    assert (await client.get("/api/workflows/mine", headers=headers)).status_code == 404
