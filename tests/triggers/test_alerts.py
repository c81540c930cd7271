"""Failure alerts end to end: the scheduler's check on the test's clock, a real arq worker on
a real Redis, real SQLite, a real HTTP sink (pytest-httpserver) and a real SMTP server."""

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import redis
from pytest_httpserver import HTTPServer

from app.resources import Resources
from app.settings import Settings
from app.triggers.alerts import AlertCheck
from tests.clock import ShiftedClock
from tests.conftest import drain, send
from tests.engine.walk.test_runs import create
from tests.mailbox import SmtpServer

CHECKOUT = {
    "workflow_id": "checkout",
    "name": "Checkout",
    "trigger": {"type": "order_placed"},
    # Fails on an order without a card: its template names what the event lacks.
    "actions": [{"id": "charge", "type": "log", "data": {"message": "{{ card.number }}"}}],
}


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(
        update=smtp_server.settings()
        | {"http_allowed_hosts": ["127.0.0.1"], "public_url": "https://automator.example"}
    )


async def orders(client: httpx.AsyncClient, settings: Settings, ok: int, failing: int) -> None:
    for _ in range(ok):
        await send(client, {"type": "order_placed", "data": {"card": {"number": "4242"}}})
    for _ in range(failing):
        await send(client, {"type": "order_placed"})
    await drain(settings)


def check_now(resources: Resources, clock: ShiftedClock) -> Any:
    """A scheduler's alert check as a newly started scheduler makes it."""
    queue = resources.engine.queue
    return AlertCheck(resources.store, queue, "https://automator.example", 60).check(clock.now())


async def test_a_failure_rate_over_its_threshold_alerts_once_per_window(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    clock: ShiftedClock,
    httpserver: HTTPServer,
    smtp_server: SmtpServer,
) -> None:
    httpserver.expect_request("/alerts", method="POST").respond_with_json({"ok": True})
    await create(client, CHECKOUT)
    rule = {
        "rule_id": "checkout-failing",
        "workflow_id": "checkout",
        "window_minutes": 10,
        "threshold": 0.5,
        "min_runs": 3,
        "email": ["ops@example.com"],
        "webhook_url": httpserver.url_for("/alerts"),
    }
    put = await client.put("/api/tenant/alerts", json={"rules": [rule]})
    assert put.status_code == 200, put.text

    await orders(client, settings, ok=0, failing=1)
    assert await check_now(resources, clock) == [], "1 run of 1 is under min_runs"
    await orders(client, settings, ok=2, failing=0)
    assert await check_now(resources, clock) == [], "1 failed of 3 is under the threshold"
    await orders(client, settings, ok=0, failing=2)

    checked_at = clock.now()
    await resources.engine.scheduler.tick(checked_at)  # the leader's tick checks alerts
    await drain(settings)
    ((request, _),) = httpserver.log
    alert = json.loads(request.data)
    # The rate is the last 10 minutes' before the check, not an aligned window's.
    since, until = (datetime.fromisoformat(alert[name]) for name in ("since", "until"))
    assert (until, until - since) == (checked_at, timedelta(minutes=10))
    assert (alert["rule_id"], alert["workflow_id"], alert["runs"], alert["failed"]) == (
        "checkout-failing",
        "checkout",
        5,
        3,
    )
    assert alert["failure_rate"] == 0.6
    assert alert["links"]["studio_runs"].startswith(
        "https://automator.example/studio/runs?workflow_id=checkout&status=failed&since="
    )
    assert alert["links"]["api_runs"].startswith(
        "https://automator.example/api/runs?workflow_id=checkout&status=failed"
    )
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["ops@example.com"]
    assert mail.message["Subject"] == "Alert checkout-failing: checkout failed 3 of 5 runs"
    assert "60.0 %" in mail.part("plain")
    assert alert["links"]["studio_runs"] in mail.part("plain")

    # The same window: a check by a restarted scheduler, after Redis lost every job and
    # result too, finds the sends claimed in the store.
    assert len(await check_now(resources, clock)) == 1
    redis.Redis.from_url(str(settings.redis_url)).flushdb()
    assert len(await check_now(resources, clock)) == 1
    await drain(settings)
    assert len(httpserver.log) == 1
    assert len(smtp_server.messages) == 1

    # The next window: the old runs are out of it; new failures alert again.
    clock.advance(10 * 60)
    assert await check_now(resources, clock) == []
    await orders(client, settings, ok=0, failing=3)
    assert len(await check_now(resources, clock)) == 1
    await drain(settings)
    assert len(httpserver.log) == 2
    assert len(smtp_server.messages) == 2
    # Alerts are sent outside runs: they start none, so they can count toward no rule.
    runs = (await client.get("/api/runs", params={"limit": 100})).json()["items"]
    assert len(runs) == 8


async def test_a_rule_for_every_workflow_rates_each_on_its_own(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    clock: ShiftedClock,
) -> None:
    await create(client, CHECKOUT)
    fine = CHECKOUT | {"workflow_id": "fine", "trigger": {"type": "order_placed"}}
    await create(client, fine | {"actions": [{"type": "log", "data": {"message": "ok"}}]})
    rule = {"rule_id": "any", "min_runs": 2, "webhook_url": "https://hooks.example.com/a"}
    assert (await client.put("/api/tenant/alerts", json={"rules": [rule]})).status_code == 200
    await orders(client, settings, ok=0, failing=2)
    due = await check_now(resources, clock)
    assert [(one["workflow_id"], one["runs"], one["failed"]) for one in due] == [("checkout", 2, 2)]
