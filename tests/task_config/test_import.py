"""``automator import`` of seed 002's configuration file into a real SQLite store, then runs
of the imported workflows through the real app and arq worker (real Redis, a real HTTP
server on 127.0.0.1); a refused file names its line and saves none of its workflows."""

import asyncio
import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner, Result

from app.cli import cli
from app.main import create_app
from app.models.tenant import DEFAULT_TENANT, Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import drain, key_for
from tests.test_dev import AUTOMATOR

FIXTURES = Path(__file__).parent.parent / "fixtures" / "seed002"
SEED_FILE = FIXTURES / "automation.json"


@pytest.fixture
def environment(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The deployment: file and shell tasks enabled for every tenant, 127.0.0.1 reachable."""
    for name in [name for name in os.environ if name.startswith("AUTOMATOR_")]:
        monkeypatch.delenv(name)
    return {
        "AUTOMATOR_DATA_DIR": str(tmp_path / "data"),
        "AUTOMATOR_REDIS_URL": redis_url,
        "AUTOMATOR_LOCAL_TASKS": "file,shell",
        "AUTOMATOR_SHELL_COMMANDS": "df",
        "AUTOMATOR_INTEGRATIONS": json.dumps(
            {"file": {"enabled": True}, "shell": {"enabled": True}}
        ),
        "AUTOMATOR_HTTP_ALLOWED_HOSTS": "127.0.0.1",
    }


def automator(environment: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)


@pytest.fixture
async def service(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, Resources, Settings]]:
    """The app on the store the CLI imported into, with an admin key of its tenant."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        resources: Resources = app.state.resources
        key = await key_for(resources, DEFAULT_TENANT, Role.ADMIN)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://automator", headers=headers
        ) as client:
            yield client, resources, settings


async def run_to_the_end(
    client: httpx.AsyncClient, settings: Settings, workflow_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    started = await client.post(f"/api/workflows/{workflow_id}/run", json={"data": data})
    assert started.status_code == 202, started.text
    await drain(settings)
    (run_id,) = started.json()["run_ids"]
    detail: dict[str, Any] = (await client.get(f"/api/runs/{run_id}")).json()
    return detail


def test_the_seed_file_imports_as_four_workflows_once(environment: dict[str, str]) -> None:
    imported = automator(environment, "import", "--file", str(SEED_FILE))
    assert imported.exit_code == 0, imported.stderr
    lines = imported.stdout.splitlines()
    for workflow_id in ("file_processing", "api_integration", "disk_check", "backup_workflow"):
        assert f"{SEED_FILE}: created {workflow_id} v1" in lines
    assert "  note: 'logging' is not imported" in imported.stdout
    assert lines[-1] == "4 imported, 0 failed"
    again = automator(environment, "import", "--file", str(SEED_FILE))
    assert f"{SEED_FILE}: unchanged backup_workflow v1" in again.stdout.splitlines()
    checked = automator(environment, "validate", "--file", str(SEED_FILE))
    assert checked.stdout.strip() == (
        f"{SEED_FILE}: valid: file_processing, api_integration, disk_check, backup_workflow"
    )


async def test_an_imported_workflow_runs_its_tasks_with_their_results(
    environment: dict[str, str],
    service: tuple[httpx.AsyncClient, Resources, Settings],
) -> None:
    # The command itself, as a user runs it (in this process it would log to a closed stream).
    command = [AUTOMATOR, "import", "--file", str(SEED_FILE)]
    imported = await asyncio.to_thread(
        subprocess.run, command, env=os.environ | environment, capture_output=True, check=False
    )
    assert imported.returncode == 0, imported.stderr
    client, resources, settings = service
    folder = resources.settings.data_dir / "files" / DEFAULT_TENANT
    folder.mkdir(parents=True)
    (folder / "input.txt").write_text("hello")

    run = await run_to_the_end(client, settings, "file_processing", {})
    assert run["status"] == "completed", run
    steps = {step["step_id"]: step for step in run["steps"]}
    assert steps["log_content"]["output"] == {"message": "Processing: hello"}
    assert (folder / "output.txt").read_text() == "Processed: hello"


async def test_an_imported_http_task_sends_the_runs_context(
    service: tuple[httpx.AsyncClient, Resources, Settings], httpserver: HTTPServer
) -> None:
    httpserver.expect_request(
        "/data", headers={"Authorization": "Bearer xyz123"}
    ).respond_with_json({"items": [1, 2]})
    client, resources, settings = service
    text = SEED_FILE.read_text().replace("https://api.example.com", httpserver.url_for("/")[:-1])
    files = {"files": ("automation.json", text.encode(), "application/json")}
    report = (await client.post("/api/workflows/import", files=files)).json()
    assert [r["status"] for r in report["results"]] == ["created"] * 4, report

    run = await run_to_the_end(client, settings, "api_integration", {"API_TOKEN": "xyz123"})
    assert run["status"] == "completed", run
    saved = resources.settings.data_dir / "files" / DEFAULT_TENANT / "api_data.json"
    assert json.loads(saved.read_text()) == {"items": [1, 2]}


def test_a_refused_file_names_its_line_and_saves_none_of_its_workflows(
    environment: dict[str, str], tmp_path: Path
) -> None:
    lines = SEED_FILE.read_text().splitlines()
    at = next(n for n, line in enumerate(lines) if '"name": "report"' in line)
    bad = '        {"type": "shell", "name": "count", "config": {"command": "wc -l *.txt"}},'
    lines.insert(at, bad)  # the last workflow's, after the three the file holds before it
    broken = tmp_path / "broken.json"
    broken.write_text("\n".join(lines))

    refused = automator(environment, "import", "--file", str(broken))
    assert refused.exit_code == 1
    (said,) = [line for line in refused.stderr.splitlines() if ": error: " in line]
    column = bad.index('"wc -l') + 1
    assert said == (
        f"{broken}: error: {broken}, line {at + 1}, column {column}: workflow "
        "'backup_workflow', task 'count': the command 'wc -l *.txt' needs a shell for '*'; "
        "Automator's shell task runs one allow-listed executable with its arguments and no "
        "shell: put the command in a script that is allow-listed (AUTOMATOR_SHELL_COMMANDS), "
        "or split it into tasks"
    )
    assert refused.stdout.splitlines()[-1] == "0 imported, 1 failed"
    missing = automator(environment, "export", "file_processing")
    assert missing.exit_code == 1, "the file's first workflows were saved before the refusal"


def test_a_local_task_the_tenant_has_not_enabled_refuses_the_whole_file(
    environment: dict[str, str],
) -> None:
    files_only = environment | {"AUTOMATOR_INTEGRATIONS": json.dumps({"file": {"enabled": True}})}
    refused = automator(files_only, "import", "--file", str(SEED_FILE))
    assert refused.exit_code == 1
    (said,) = [line for line in refused.stderr.splitlines() if ": error: " in line]
    assert said.startswith(f"{SEED_FILE}: error: workflow 'disk_check': "), said
    assert "PUT /api/integrations/shell" in said
    assert refused.stdout.splitlines()[-1] == "0 imported, 1 failed"
    # The two workflows before it passed every check, and were not saved either.
    assert automator(files_only, "export", "file_processing").exit_code == 1
