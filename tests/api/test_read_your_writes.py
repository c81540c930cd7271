"""Read your writes (issue 13, item 5): a workflow saved, published, enabled or disabled
through the API is matched (or no longer) by the very next event the same process accepts;
another API process sharing the store sees it within the documented bound
(``MATCHER_BOUND``: the matcher re-reads the store's revision every 0.5 s)."""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ports import on_a_free_port
from tests.test_dev import AUTOMATOR, wait_for_health

KEY = "atm_read_your_writes_0123456789abcdef0123"
MATCHER_BOUND = 1.0  # seconds, as docs/api.md says
EVENT = {"type": "signup", "user": {"id": "u1"}}


def workflow(trigger: str = "signup") -> dict[str, Any]:
    return {
        "workflow_id": "greet",
        "name": "Greet",
        "trigger": {"type": trigger},
        "actions": [{"type": "log", "data": {"message": "hi"}}],
    }


async def matched(client: httpx.AsyncClient, event_type: str = "signup") -> list[str]:
    reply = await client.post("/api/events", json=EVENT | {"type": event_type})
    assert reply.status_code == 202, reply.text
    ids: list[str] = reply.json()["workflow_ids"]
    return ids


async def test_the_next_event_sees_each_change_made_through_the_api(
    client: httpx.AsyncClient,
) -> None:
    assert await matched(client) == []  # the process now holds the tenant's workflows
    assert (await client.post("/api/workflows", json=workflow())).status_code == 201
    assert await matched(client) == ["greet"]
    assert (await client.post("/api/workflows/greet/disable")).status_code == 200
    assert await matched(client) == []
    assert (await client.post("/api/workflows/greet/enable")).status_code == 200
    assert await matched(client) == ["greet"]
    saved = await client.put("/api/workflows/greet", json=workflow("login"))
    assert saved.status_code == 200, saved.text
    assert (await matched(client), await matched(client, "login")) == ([], ["greet"])
    rollback = await client.post("/api/workflows/greet/versions/1/publish")
    assert rollback.status_code == 200
    assert (await matched(client), await matched(client, "login")) == (["greet"], [])
    assert (await client.delete("/api/workflows/greet")).status_code == 204
    assert await matched(client) == []


def api_process(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    port, process = on_a_free_port(
        lambda port: subprocess.Popen(
            [AUTOMATOR, "api"],
            env=env | {"AUTOMATOR_PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
    )
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def two_apis(tmp_path: Path, redis_url: str) -> Iterator[tuple[str, str]]:
    """Two ``automator api`` processes on one SQLite file and one Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    env |= {
        "AUTOMATOR_DATA_DIR": str(tmp_path),
        "AUTOMATOR_REDIS_URL": redis_url,
        "AUTOMATOR_BOOTSTRAP_API_KEY": KEY,
    }
    first = api_process(env)
    wait_for_health(f"{first[1]}/ready", first[0], seconds=60)
    second = api_process(env)
    try:
        wait_for_health(f"{second[1]}/ready", second[0], seconds=60)
        yield first[1], second[1]
    finally:
        for process, _ in (first, second):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_another_api_process_sees_a_change_within_the_bound(two_apis: tuple[str, str]) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    with (
        httpx.Client(base_url=two_apis[0], headers=headers) as one,
        httpx.Client(base_url=two_apis[1], headers=headers) as other,
    ):
        check_both(one, other)


def check_both(one: httpx.Client, other: httpx.Client) -> None:
    def matched_by(client: httpx.Client) -> list[str]:
        reply = client.post("/api/events", json=EVENT)
        assert reply.status_code == 202, reply.text
        ids: list[str] = reply.json()["workflow_ids"]
        return ids

    assert matched_by(other) == []  # the other process now holds the tenant's workflows
    assert one.post("/api/workflows", json=workflow()).status_code == 201
    assert matched_by(one) == ["greet"]
    time.sleep(MATCHER_BOUND)
    assert matched_by(other) == ["greet"]
    assert one.post("/api/workflows/greet/disable").status_code == 200
    time.sleep(MATCHER_BOUND)
    assert matched_by(other) == []
