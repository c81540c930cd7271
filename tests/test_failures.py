"""settings.on_failure end to end: a real arq worker on a real Redis, real SQLite, a real
HTTP sink (pytest-httpserver) and a real SMTP server on 127.0.0.1."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Retry
from prometheus_client import REGISTRY
from pytest_httpserver import HTTPServer

from app.engine.flow.queue import RUN_FAILED, ArqQueue, deserialize, serialize
from app.engine.walk.jobs import RECONCILE_BATCH, hand_out_failures
from app.failures import RUN_FAILED_TRIES
from app.models.ids import new_id
from app.models.run import Parent, Run, RunStatus, Transition
from app.resources import Resources
from app.settings import Settings
from app.worker import create_worker, run_failed
from tests.clock import ShiftedClock
from tests.conftest import drain, send
from tests.engine.walk.test_runs import create, run_of
from tests.mailbox import SmtpServer
from tests.store.records import run

BROKEN = {"id": "charge", "type": "log", "data": {"message": "{{ card.number }}"}}


def checkout(on_failure: dict[str, Any], workflow_id: str = "checkout") -> dict[str, Any]:
    """A workflow whose second step fails (its template names what the event lacks)."""
    return {
        "workflow_id": workflow_id,
        "name": "Checkout",
        "trigger": {"type": "order_placed"},
        "actions": [{"id": "hello", "type": "log", "data": {"message": "hi"}}, BROKEN],
        "settings": {"on_failure": on_failure},
    }


def error_workflow(actions: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    return {
        "workflow_id": "on_call",
        "name": "On call",
        "trigger": {"type": "never_sent"},
        "actions": actions,
        "settings": settings,
    }


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(
        update=smtp_server.settings()
        | {"http_allowed_hosts": ["127.0.0.1"], "public_url": "https://automator.example"}
    )


async def order(client: httpx.AsyncClient) -> str:
    accepted = await send(
        client, {"type": "order_placed", "user": {"id": "u1"}, "data": {"total": 42}}
    )
    run_id: str = accepted["run_ids"][0]
    return run_id


def notes(run: dict[str, Any]) -> list[str]:
    return [turn["reason"] for turn in run["history"] if turn["reason"].startswith("on_failure")]


async def runs_of(client: httpx.AsyncClient, workflow_id: str) -> list[dict[str, Any]]:
    listed = await client.get("/api/runs", params={"workflow_id": workflow_id})
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def test_a_failed_run_starts_its_error_workflow_with_the_failure(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    keep = {"id": "keep", "type": "set", "data": {"failure": "{{ failure }}"}}
    await create(client, error_workflow([keep]))
    await create(client, checkout({"workflow_id": "on_call"}))
    run_id = await order(client)
    await drain(settings)

    failed = await run_of(client, run_id)
    assert failed["status"] == "failed"
    (handler,) = await runs_of(client, "on_call")
    assert notes(failed) == [f"on_failure: started run {handler['run_id']} of workflow on_call"]
    handled = await run_of(client, handler["run_id"])
    assert handled["status"] == "completed", handled
    assert handled["parent"]["run_id"] == run_id
    failure = handled["vars"]["failure"]
    assert failure["run_id"] == run_id
    assert failure["workflow"] == {"id": "checkout", "name": "Checkout", "version": 1}
    assert failure["step"] == {"id": "charge", "type": "log"}
    assert failure["error"]["code"] == "step_failed"
    assert "card" in failure["error"]["message"]
    assert failure["event"]["type"] == "order_placed"
    assert failure["event"]["data"] == {"total": 42}
    assert failure["event"]["user"] == {"id": "u1"}
    assert failure["links"]["studio_runs"] == (
        "https://automator.example/studio/runs?workflow_id=checkout&status=failed"
    )
    assert failure["links"]["api_run"] == f"https://automator.example/api/runs/{run_id}"
    event = (await client.get(f"/api/events/{handled['event_id']}")).json()
    assert event["type"] == "workflow_failed"
    assert failure["error"]["compensation"] is None


async def test_the_failure_says_why_its_compensation_failed_too(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # The charge fails, and so does the refund compensating it: the handler sees the charge
    # as the failure and the refund's own failure beside it, not only the charge.
    keep = {"id": "keep", "type": "set", "data": {"failure": "{{ failure }}"}}
    await create(client, error_workflow([keep]))
    refund = {"id": "refund", "type": "log", "data": {"message": "{{ payment.id }}"}}
    compensated = checkout({"workflow_id": "on_call"})
    compensated["settings"] |= {"on_error": "compensate", "compensation": [refund]}
    await create(client, compensated)
    await order(client)
    await drain(settings)

    (handler,) = await runs_of(client, "on_call")
    failure = (await run_of(client, handler["run_id"]))["vars"]["failure"]
    assert failure["step"] == {"id": "charge", "type": "log"}
    assert "card" in failure["error"]["message"]
    compensation = failure["error"]["compensation"]
    assert compensation["step"] == {"id": "refund", "type": "log"}
    assert "payment" in compensation["message"]


async def test_inline_actions_send_the_failure_once_though_the_job_runs_again(
    client: httpx.AsyncClient,
    settings: Settings,
    httpserver: HTTPServer,
    smtp_server: SmtpServer,
) -> None:
    httpserver.expect_request("/failed", method="POST").respond_with_json({"ok": True})
    hook = {
        "id": "page",
        "type": "webhook_call",
        "data": {
            "url": httpserver.url_for("/failed"),
            "json": {
                "run": "{{ failure.run_id }}",
                "step": "{{ failure.step }}",
                "error": "{{ failure.error.message }}",
                "event": "{{ failure.event }}",
            },
        },
    }
    mail = {
        "id": "mail",
        "type": "send_email",
        "data": {
            "recipient": "ops@example.com",
            "subject": "{{ failure.workflow.name }} failed at {{ failure.step.id }}",
            "text": "See {{ failure.links.studio_run }}",
        },
    }
    await create(client, checkout({"actions": [hook, mail]}))
    run_id = await order(client)
    await drain(settings)

    ((request, _),) = httpserver.log
    body = json.loads(request.data)
    assert body["run"] == run_id
    assert body["step"] == {"id": "charge", "type": "log"}
    assert "card" in body["error"]
    assert body["event"]["data"] == {"total": 42}
    assert request.headers["Idempotency-Key"] == f"{run_id}:failed:1:page"
    (message,) = smtp_server.messages
    assert message.rcpt_tos == ["ops@example.com"]
    assert message.message["Subject"] == "Checkout failed at charge"
    assert f"/studio/runs/{run_id}" in message.part("plain")
    assert notes(await run_of(client, run_id)) == [
        "on_failure: webhook_call page sent",
        "on_failure: send_email mail sent",
    ]

    await deliver_again(settings, run_id)
    await drain(settings)
    assert len(httpserver.log) == 1
    assert len(smtp_server.messages) == 1
    assert len(notes(await run_of(client, run_id))) == 2


async def test_a_send_claimed_by_a_job_cut_short_is_not_made_again(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, httpserver: HTTPServer
) -> None:
    """A job that claimed its send and died before noting it: the one delivered again
    finds the claim and sends nothing."""
    hook = {"id": "page", "type": "webhook_call", "data": {"url": httpserver.url_for("/f")}}
    await create(client, checkout({"actions": [hook]}))
    run_id = new_id("run")
    await resources.store.add_runs([failed_run(run_id)])
    await resources.store.claim_notice("acme", f"{run_id}:failed:1:page", resources.clock.now())
    claimed = notices("claimed")
    await drain(settings)
    assert httpserver.log == []
    assert notices("claimed") == claimed + 1
    assert notes(await run_of(client, run_id)) == [
        "on_failure: webhook_call page already claimed, not sent again"
    ]


async def test_a_failure_whose_job_redis_lost_is_handled_by_the_reconciler(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, httpserver: HTTPServer
) -> None:
    """A run stored failed with no on_failure job in Redis (flushed, or unreachable when the
    failure was saved): a worker's first reconcile hands the job out again."""
    httpserver.expect_request("/f", method="POST").respond_with_json({})
    hook = {"id": "page", "type": "webhook_call", "data": {"url": httpserver.url_for("/f")}}
    await create(client, checkout({"actions": [hook]}))
    run_id = new_id("run")
    await resources.store.add_runs([failed_run(run_id)])
    await drain(settings)
    assert len(httpserver.log) == 1
    assert notes(await run_of(client, run_id)) == ["on_failure: webhook_call page sent"]
    await drain(settings)
    assert len(httpserver.log) == 1


async def test_the_reconciler_finds_a_lost_job_behind_a_thousand_failures_with_none(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, httpserver: HTTPServer
) -> None:
    """A full batch of failed runs that set nothing off (their workflow has no on_failure,
    or on_failure started them) changed before the one whose job Redis lost: it is read
    all the same, and only it is handed out."""
    httpserver.expect_request("/f", method="POST").respond_with_json({})
    hook = {"id": "page", "type": "webhook_call", "data": {"url": httpserver.url_for("/f")}}
    await create(client, checkout({"actions": [hook]}))
    await create(client, error_workflow([{"type": "log", "data": {"message": "x"}}]))
    at = datetime.now(UTC)
    handler: Parent = {"run_id": "r0", "step": "$on_failure", "branch": None}
    quiet = [
        replace(failed_run(new_id("run")), workflow_id="on_call", updated_at=at)
        for _ in range(RECONCILE_BATCH - 1)
    ]
    started = replace(failed_run(new_id("run")), parent=handler, updated_at=at)
    lost = replace(failed_run(new_id("run")), updated_at=at + timedelta(seconds=1))
    await resources.store.add_runs([*quiet, started, lost])
    queue = ArqQueue.from_url(str(settings.redis_url), resources.clock)
    try:
        since, until = at - timedelta(minutes=1), at + timedelta(minutes=1)
        assert await hand_out_failures(resources.store, queue, since, until) == 1
    finally:
        await queue.close()
    await drain(settings)
    assert len(httpserver.log) == 1
    assert notes(await run_of(client, lost.run_id)) == ["on_failure: webhook_call page sent"]


async def test_a_limit_delays_the_error_workflow_not_the_sends(
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    httpserver: HTTPServer,
    clock: ShiftedClock,
) -> None:
    """The error workflow may start once an hour and has: the sends go at once, its start
    waits as long as the limit says, and a job out of tries says why it never started."""
    httpserver.expect_request("/f", method="POST").respond_with_json({})
    hook = {"id": "page", "type": "webhook_call", "data": {"url": httpserver.url_for("/f")}}
    hourly = {"limit": 1, "period": 3600}
    await create(
        client, error_workflow([{"type": "log", "data": {"message": "x"}}], rate_limit=hourly)
    )
    await create(client, checkout({"workflow_id": "on_call", "actions": [hook]}))
    assert (await client.post("/api/workflows/on_call/run", json={})).is_success
    first, second = new_id("run"), new_id("run")
    await resources.store.add_runs([failed_run(first), failed_run(second)])
    sent = "on_failure: webhook_call page sent"
    delayed = "on_failure: delayed, error workflow on_call not started yet: Not started: "

    async with job_context(settings, clock) as ctx:
        for job_try in (1, 2):
            with pytest.raises(Retry) as retry:
                await run_failed(ctx | {"job_try": job_try}, "acme", first, 1)
            assert (retry.value.defer_score or 0) > 3_500_000, "as long as the limit says"
        assert len(httpserver.log) == 1
        held = notes(await run_of(client, first))
        assert (held[0], held[1].startswith(delayed), len(held)) == (sent, True, 2)
        clock.advance(3600)
        await run_failed(ctx | {"job_try": 3}, "acme", first, 1)
        started = [run["run_id"] for run in await runs_of(client, "on_call")]
        assert notes(await run_of(client, first))[2] == (
            f"on_failure: started run {started[0]} of workflow on_call"
        )

        # The run just started takes the next hour: the second failure's job runs out.
        with pytest.raises(Retry):
            await run_failed(ctx | {"job_try": 1}, "acme", second, 1)
        await run_failed(ctx | {"job_try": RUN_FAILED_TRIES}, "acme", second, 1)
    assert len(httpserver.log) == 2
    said = notes(await run_of(client, second))
    assert (said[0], said[1].startswith(delayed)) == (sent, True)
    assert said[2].startswith("on_failure: error workflow on_call not started: Not started: ")
    assert "rate_limit of 1 runs per 3600 s" in said[2]
    assert len(await runs_of(client, "on_call")) == 2


@asynccontextmanager
async def job_context(settings: Settings, clock: ShiftedClock) -> AsyncIterator[dict[str, Any]]:
    """What a real worker gives its jobs (built by its start-up), to run one job by hand at
    a chosen try, as arq would after deferring it."""
    worker = create_worker(settings, clock=clock, burst=True, handle_signals=False)
    pool = await create_pool(RedisSettings.from_dsn(str(settings.redis_url)))
    ctx: dict[str, Any] = {"redis": pool}
    try:
        await worker.on_startup(ctx)  # type: ignore[misc]
        yield ctx
    finally:
        await worker.on_shutdown(ctx)  # type: ignore[misc]
        await pool.aclose()
        await worker.close()


def notices(outcome: str) -> float:
    """What the worker (in this process) counted in ``automator_notices_total``."""
    labels = {"kind": "on_failure", "outcome": outcome}
    return REGISTRY.get_sample_value("automator_notices_total", labels) or 0.0


def failed_run(run_id: str) -> Run:
    """A run of checkout as its walk leaves one that failed at its step ``charge``."""
    at = datetime.now(UTC)
    failed: Transition = {"at": at.isoformat(), "from": "running", "to": "failed", "reason": "x"}
    return run(
        run_id,
        "checkout",
        status=RunStatus.FAILED,
        error={"step_id": "charge", "message": "the card was declined"},
        history=[failed],
        due_at=None,
    )


async def deliver_again(settings: Settings, run_id: str) -> None:
    """The run's on_failure job delivered a second time (as arq does when a worker dies
    mid-job), under a new job id so that arq does not refuse it."""
    pool: ArqRedis = await create_pool(
        RedisSettings.from_dsn(str(settings.redis_url)),
        job_serializer=serialize,
        job_deserializer=deserialize,
    )
    try:
        await pool.enqueue_job(RUN_FAILED, "acme", run_id, 1, _job_id=f"{run_id}:again")
    finally:
        await pool.aclose()


async def test_an_error_workflow_that_fails_sets_nothing_off(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    hook = {"type": "webhook_call", "data": {"url": httpserver.url_for("/failed")}}
    await create(
        client, error_workflow([BROKEN], on_failure={"workflow_id": "on_call", "actions": [hook]})
    )
    await create(client, checkout({"workflow_id": "on_call"}))
    run_id = await order(client)
    await drain(settings)

    (handler,) = await runs_of(client, "on_call")
    assert handler["status"] == "failed"
    assert notes(await run_of(client, handler["run_id"])) == []
    assert httpserver.log == []
    assert len(await runs_of(client, "checkout")) == 1
    assert (await run_of(client, run_id))["status"] == "failed"


async def test_a_workflow_naming_itself_handles_its_failure_once(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, checkout({"workflow_id": "checkout"}))
    run_id = await order(client)
    await drain(settings)

    runs = await runs_of(client, "checkout")
    assert [run["status"] for run in runs] == ["failed", "failed"]
    handler = next(run for run in runs if run["run_id"] != run_id)
    assert notes(await run_of(client, run_id)) == [
        f"on_failure: started run {handler['run_id']} of workflow checkout"
    ]
    assert notes(await run_of(client, handler["run_id"])) == []


async def test_on_failure_is_checked_when_the_workflow_is_saved(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.post("/api/workflows", json=checkout({"workflow_id": "nowhere"}))
    assert missing.status_code == 422
    error = missing.json()["error"]
    assert "settings.on_failure.workflow_id: no workflow 'nowhere'" in error["message"]
    assert error["details"][0]["loc"] == ["body", "settings", "on_failure", "workflow_id"]
    empty = await client.post("/api/workflows", json=checkout({}))
    assert empty.status_code == 422
    assert "on_failure needs a workflow_id, actions, or both" in empty.text
    walker = {"type": "wait_for_event", "data": {"event": "paid", "timeout": 60}}
    wrong = await client.post("/api/workflows", json=checkout({"actions": [walker]}))
    assert wrong.status_code == 422
    assert "on_failure action 1 is a wait_for_event" in wrong.text
    no_url = await client.post(
        "/api/workflows", json=checkout({"actions": [{"type": "webhook_call", "data": {}}]})
    )
    assert no_url.status_code == 422
    assert "url" in no_url.text


async def test_workflows_naming_their_error_workflow_import_in_any_order(
    client: httpx.AsyncClient,
) -> None:
    handler = error_workflow([{"type": "log", "data": {"message": "{{ failure.run_id }}"}}])
    imported = await client.post(
        "/api/workflows/import", json=[checkout({"workflow_id": "on_call"}), handler]
    )
    assert imported.status_code == 200, imported.text
    assert [(r["workflow_id"], r["status"]) for r in imported.json()["results"]] == [
        ("checkout", "created"),
        ("on_call", "created"),
    ]
    missing = await client.post(
        "/api/workflows/import", json=[checkout({"workflow_id": "nowhere"}, "other")]
    )
    (result,) = missing.json()["results"]
    assert result["status"] == "error"
    assert "no workflow 'nowhere'" in result["error"]["message"]
