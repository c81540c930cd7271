"""``GET /api/stats/series``: the dashboard's figures over time, in equal buckets."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.settings import Settings
from tests.api.test_approvals import run_status
from tests.api.test_stats import FAILS, WORKS, workflow
from tests.conftest import drain, send, worker_running
from tests.waiting import until


async def series(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get("/api/stats/series", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_buckets_add_up_to_the_period_and_hold_the_runs_when_they_started(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for document in (workflow("works", WORKS), workflow("fails", FAILS)):
        assert (await client.post("/api/workflows", json=document)).status_code == 201
    for n in range(3):
        await send(client, {"type": "signup", "user": {"id": f"u{n}"}})
    await drain(settings)

    body = await series(client, period="4h", buckets="4")

    buckets = body["buckets"]
    assert len(buckets) == 4
    assert buckets[0]["since"] == body["since"]
    assert buckets[-1]["until"] == body["until"]
    assert all(a["until"] == b["since"] for a, b in itertools.pairwise(buckets))
    assert [b["total_executions"] for b in buckets] == [0, 0, 0, 6]
    latest = buckets[-1]
    assert (latest["successful_executions"], latest["failed_executions"]) == (3, 3)
    assert (latest["success_rate"], latest["total_triggers"]) == (50.0, 3)
    assert buckets[0]["success_rate"] is None

    one = await series(client, period="4h", buckets="2", workflow_id="fails")
    assert [b["failed_executions"] for b in one["buckets"]] == [0, 3]
    assert one["buckets"][-1]["total_triggers"] == 3


async def test_a_waiting_run_counts_as_waiting_among_the_unfinished(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    delayed: list[dict[str, Any]] = [{"id": "later", "type": "delay", "delay": "PT1H"}, *WORKS]
    assert (await client.post("/api/workflows", json=workflow("later", delayed))).status_code == 201
    async with worker_running(settings):
        (run_id,) = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"]
        await until(lambda: run_status(client, run_id, "waiting"))

    latest = (await series(client, period="1h", buckets="1"))["buckets"][-1]

    assert (latest["running_executions"], latest["waiting_executions"]) == (1, 1)
    assert latest["paused_executions"] == 0


async def test_an_explicit_window_and_bad_requests(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/workflows", json=workflow("works", WORKS))).status_code == 201
    await send(client, {"type": "signup"})
    until = datetime.now(UTC) - timedelta(hours=1)
    past = await series(
        client, since=(until - timedelta(days=1)).isoformat(), until=until.isoformat(), buckets="24"
    )
    assert len(past["buckets"]) == 24
    assert sum(b["total_executions"] for b in past["buckets"]) == 0

    for params in ({"buckets": "0"}, {"buckets": "201"}, {"period": "soon"}):
        response = await client.get("/api/stats/series", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["details"][0]["loc"][0] == "query"
    missing = await client.get("/api/stats/series", params={"workflow_id": "nope"})
    assert missing.status_code == 404
