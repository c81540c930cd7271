"""A worker's log records say which tenant, workflow, run and step they are about."""

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from app import logs
from app.settings import Settings
from tests.conftest import drain, send


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


async def test_a_log_action_is_logged_with_the_runs_ids(
    client: httpx.AsyncClient, settings: Settings, json_lines: io.StringIO
) -> None:
    document = {"workflow_id": "hello", "name": "n", "trigger": {"type": "signup"},
                "actions": [{"id": "greet", "type": "log", "data": {"message": "hi {{ user.id }}"}}]}  # fmt: skip
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    await drain(settings)
    entries = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    logged = [e for e in entries if e["message"].startswith("workflow log:")]
    assert len(logged) == 1
    assert "hi u1" in logged[0]["message"]
    ids = {k: logged[0][k] for k in ("tenant_id", "workflow_id", "run_id", "step_id")}
    assert ids == {"tenant_id": "acme", "workflow_id": "hello", "run_id": run_id,
                   "step_id": "greet"}  # fmt: skip
