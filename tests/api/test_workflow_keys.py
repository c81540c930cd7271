"""Keys limited to named workflows: a sweep of every route that names a workflow, a run or
an approval shows a key limited to one workflow gets 404 for another's, as if it did not
exist; lists show only its workflows and runs; the tenant's other resources are a 403."""

import re
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.settings import Settings

ROUTE_PARAM = re.compile(r"\{(\w+)\}")
SCOPED = {"workflow_id", "run_id", "approval_id"}
SAMPLES = {"version": "1", "command": "pause", "decision": "approve"}


def workflow(workflow_id: str) -> dict[str, Any]:
    return {
        "workflow_id": workflow_id,
        "name": workflow_id,
        "trigger": {"type": "ping"},
        "actions": [{"id": "note", "type": "log", "data": {"message": "hi"}}],
    }


def scoped_routes() -> list[tuple[str, str]]:
    """(method, path template) of every API route naming a workflow, a run or an approval."""
    paths: dict[str, dict[str, Any]] = create_app(Settings(_env_file=None)).openapi()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/") and set(ROUTE_PARAM.findall(path)) & SCOPED
        for method in operations
    ]


@pytest.fixture
async def limited(client: httpx.AsyncClient) -> dict[str, Any]:
    """Two workflows with a run each, and an editor key limited to the first."""
    runs = {}
    for workflow_id in ("mine", "theirs"):
        assert (await client.post("/api/workflows", json=workflow(workflow_id))).status_code == 201
        started = await client.post(f"/api/workflows/{workflow_id}/run", json={})
        runs[workflow_id] = started.json()["run_ids"][0]
    key = await client.post("/api/keys", json={"role": "editor", "workflows": ["mine"]})
    assert key.status_code == 201, key.text
    assert key.json()["workflows"] == ["mine"]
    return {"headers": {"Authorization": f"Bearer {key.json()['key']}"}, "runs": runs}


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
    assert (created.status_code, "limited to the workflows mine" in created.text) == (403, True)
    updated = await client.put("/api/workflows/mine", json=workflow("mine"), headers=headers)
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
