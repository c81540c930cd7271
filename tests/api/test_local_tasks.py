"""Local tasks through the API: refused at save until the deployment allows them and the
tenant opts in (the message says how), listed in GET /api/connectors as disabled until then;
enabled, a run writes a file, reads it back, runs a command on it and aggregates it with a
real worker."""

import sys
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.conftest import drain, send

CSV = "country,amount\nfr,10\nde,5\nfr,2.5\n"
REPORT = {
    "workflow_id": "daily_report",
    "name": "Daily report",
    "trigger": {"type": "report_due"},
    "actions": [
        {
            "id": "save",
            "type": "file",
            "data": {"operation": "write", "path": "in/{{ day }}.csv", "content": "{{ csv }}"},
        },
        {"id": "load", "type": "file", "data": {"operation": "read", "path": "in/{{ day }}.csv"}},
        {
            "id": "lines",
            "type": "shell",
            "data": {
                "argv": [
                    sys.executable,
                    "-c",
                    "import sys; print(len(open(sys.argv[1]).readlines()))",
                    "in/{{ day }}.csv",
                ]
            },
        },
        {
            "id": "rows",
            "type": "transform",
            "data": {"operation": "csv_to_json", "input": "{{ steps.load.output.content }}"},
        },
        {
            "id": "by_country",
            "type": "transform",
            "data": {
                "operation": "group_by",
                "input": "{{ steps.rows.output.rows }}",
                "by": "country",
                "field": "amount",
            },
        },
    ],
}


def local(settings: Settings, *tasks: str) -> Settings:
    return settings.model_copy(
        update={"local_tasks": list(tasks), "shell_commands": [sys.executable]}
    )


def connector(listed: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(entry for entry in listed if entry["code"] == code)


async def test_off_by_default_refused_at_save_and_listed_as_disabled(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post("/api/workflows", json=REPORT)
    assert refused.status_code == 422
    assert "'file' acts on the server and is off" in refused.text
    assert "AUTOMATOR_LOCAL_TASKS=file" in refused.text
    listed = (await client.get("/api/connectors")).json()
    shell = connector(listed, "shell")
    assert (shell["enabled"], "AUTOMATOR_LOCAL_TASKS=shell" in shell["enable_with"]) == (
        False,
        True,
    )
    assert connector(listed, "transform")["enabled"] is True
    flow = [action["name"] for action in connector(listed, "flow")["actions"]]
    assert "approval" in flow
    approval = connector(listed, "flow")["actions"][0]
    assert "on_approve" in approval["description"]
    assert "timeout" in approval["input_schema"]["properties"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return local(settings, "file", "shell")


async def test_enabled_per_deployment_then_per_tenant_a_run_uses_them(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    not_yet = await client.post("/api/workflows", json=REPORT)
    assert not_yet.status_code == 422
    assert (
        'PUT /api/integrations/file {"config": {"enabled": true}}'
        in not_yet.json()["error"]["message"]
    )
    for code in ("file", "shell"):
        opted = await client.put(f"/api/integrations/{code}", json={"config": {"enabled": True}})
        assert opted.status_code in (200, 201), opted.text
    listed = (await client.get("/api/connectors")).json()
    assert [connector(listed, code)["enabled"] for code in ("file", "shell")] == [True, True]
    created = await client.post("/api/workflows", json=REPORT)
    assert created.status_code == 201, created.text

    accepted = await send(client, {"type": "report_due", "data": {"day": "2026-12-06", "csv": CSV}})
    await drain(settings)
    run = (await client.get(f"/api/runs/{accepted['run_ids'][0]}")).json()
    assert run["status"] == "completed", run["error"]
    outputs = {step: value["output"] for step, value in run["outputs"].items()}
    assert outputs["save"] == {"path": "in/2026-12-06.csv", "bytes": len(CSV)}
    assert (outputs["lines"]["exit_code"], outputs["lines"]["stdout"]) == (0, "4\n")
    assert outputs["by_country"]["groups"]["fr"]["sum"] == 12.5
    assert (settings.data_dir / "files" / "acme" / "in" / "2026-12-06.csv").read_text() == CSV
