"""``GET /api/stats``: the seed's workflow metrics, per tenant and per workflow, by period."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.settings import Settings
from tests.conftest import drain, send


def workflow(workflow_id: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "workflow_id": workflow_id,
        "name": workflow_id,
        "trigger": {"type": "signup"},
        "actions": actions,
    }


FAILS = [{"id": "boom", "type": "log", "data": {"message": "{{ user.missing }}"}}]
WORKS = [{"id": "ok", "type": "log", "data": {"message": "hi"}}]


async def stats(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get("/api/stats", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_seeds_metrics_per_tenant_and_per_workflow(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for document in (
        workflow("works", WORKS),
        workflow("fails", FAILS),
        workflow("idle", WORKS) | {"trigger": {"type": "never"}},
    ):
        assert (await client.post("/api/workflows", json=document)).status_code == 201
    assert (await client.post("/api/workflows/idle/disable")).status_code == 200
    for n in range(3):
        await send(client, {"type": "signup", "user": {"id": f"u{n}"}})
    await send(client, {"type": "nobody_listens"})
    await drain(settings)

    tenant = await stats(client)
    assert tenant["total_executions"] == 6
    assert (tenant["successful_executions"], tenant["failed_executions"]) == (3, 3)
    assert tenant["success_rate"] == 50.0
    assert tenant["average_execution_time"] >= 0
    assert (tenant["active_workflows"], tenant["total_triggers"]) == (2, 4)
    assert tenant["workflow_id"] is None
    assert tenant["workflows"]["works"]["success_rate"] == 100.0
    assert tenant["workflows"]["works"]["active_workflows"] == 1
    assert tenant["workflows"]["fails"]["failed_executions"] == 3
    assert "idle" not in tenant["workflows"]

    one = await stats(client, workflow_id="works")
    assert (one["total_executions"], one["successful_executions"], one["total_triggers"]) == (
        3,
        3,
        3,
    )
    assert one["active_workflows"] == 1
    idle = await stats(client, workflow_id="idle")
    assert (idle["total_executions"], idle["success_rate"], idle["active_workflows"]) == (
        0,
        None,
        0,
    )


async def test_the_period_bounds_what_is_counted(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/workflows", json=workflow("works", WORKS))).status_code == 201
    await send(client, {"type": "signup"})
    assert (await stats(client, period="1h"))["total_executions"] == 1
    past = await stats(client, until=(datetime.now(UTC) - timedelta(hours=1)).isoformat())
    assert (past["total_executions"], past["total_triggers"]) == (0, 0)
    window = await stats(client, since="2020-01-01T00:00:00", until="2099-01-01T00:00:00")
    assert window["total_executions"] == 1
    assert window["since"].startswith("2020-01-01T00:00:00")


async def test_bad_periods_and_other_tenants_workflows_are_refused(
    client: httpx.AsyncClient,
) -> None:
    for params in (
        {"period": "3 days"},
        {"period": "0h"},
        {"period": "99999d"},
        {"since": "2030-01-01T00:00:00Z", "until": "2029-01-01T00:00:00Z"},
    ):
        response = await client.get("/api/stats", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["details"][0]["loc"][0] == "query"
    assert (await client.get("/api/stats", params={"workflow_id": "nope"})).status_code == 404


async def test_times_utc_cannot_hold_are_a_422_naming_the_field(client: httpx.AsyncClient) -> None:
    for params, field in (
        ({"until": "0001-01-01T00:00:00"}, "period"),
        ({"until": "9999-12-31T23:59:59-14:00"}, "until"),
        ({"since": "0001-01-01T00:00:00+14:00", "until": "0001-01-02T00:00:00"}, "since"),
    ):
        response = await client.get("/api/stats", params=params)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"][0]["loc"] == ["query", field]
    edge = {"since": "0001-01-01T00:00:00", "until": "9999-12-31T23:59:59"}
    assert (await client.get("/api/stats", params=edge)).status_code == 200
