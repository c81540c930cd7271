"""The executor: log records say which tenant, workflow, run and step they are about, and
no connector call goes unrecorded, whatever fails after it."""

import io
import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from app import logs
from app.models.run import Run, StepRecord
from app.resources import Resources
from app.settings import Settings
from app.store.protocol import Store
from tests.conftest import drain, send
from tests.engine.walk.test_runs import webhook_step


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
    document = {
        "workflow_id": "hello",
        "name": "n",
        "trigger": {"type": "signup"},
        "actions": [{"id": "greet", "type": "log", "data": {"message": "hi {{ user.id }}"}}],
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    await drain(settings)
    entries = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    logged = [e for e in entries if e["message"].startswith("workflow log:")]
    assert len(logged) == 1
    assert "hi u1" in logged[0]["message"]
    ids = {k: logged[0][k] for k in ("tenant_id", "workflow_id", "run_id", "step_id")}
    assert ids == {
        "tenant_id": "acme",
        "workflow_id": "hello",
        "run_id": run_id,
        "step_id": "greet",
    }


async def test_steps_that_fail_and_the_run_they_fail_are_logged_with_their_ids(
    client: httpx.AsyncClient, settings: Settings, json_lines: io.StringIO, httpserver: HTTPServer
) -> None:
    """An operator following the logs hears of a retry, of a step failing for good and of
    the run it fails, each with the run's ids and the error the run record shows."""
    httpserver.expect_request("/orders").respond_with_data("down", status=503)
    call = {"id": "post", "type": "webhook_call", "retry": {"max_attempts": 2, "backoff": 1}}
    document = {
        "workflow_id": "order",
        "name": "n",
        "trigger": {"type": "buy"},
        "actions": [call | {"data": {"url": httpserver.url_for("/orders")}}],
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    run_id = (await send(client, {"type": "buy"}))["run_ids"][0]
    fast = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"], "delay_scale": 0.01})
    await drain(fast)
    entries = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    told = [(e["level"], e["message"]) for e in entries if e.get("run_id") == run_id]
    answer = "POST to 127.0.0.1 answered 503: down"
    assert told == [
        ("info", f"step post (webhook_call) attempt 1 failed, to be retried: {answer}"),
        ("warning", f"step post (webhook_call) attempt 2 failed: {answer}"),
        ("warning", f"run {run_id} failed at step post: {answer}"),
    ]
    ids = {
        (e["tenant_id"], e["workflow_id"], e.get("step_id"))
        for e in entries
        if e.get("run_id") == run_id
    }
    assert ids == {("acme", "order", "post"), ("acme", "order", None)}


async def test_a_compensated_run_is_logged_failed_by_its_step_not_its_last_turn(
    client: httpx.AsyncClient, settings: Settings, json_lines: io.StringIO, httpserver: HTTPServer
) -> None:
    """Its last turn is "compensation done": the run's line names the step that failed it
    and that step's error, and the compensation step's too when it failed as well. Retried
    through the API (the failure the compensation handles kept), it says that failure
    again once the compensation is done."""
    httpserver.expect_request("/charge").respond_with_data("card declined", status=402)
    httpserver.expect_request("/refund").respond_with_data("down", status=503)
    charge = webhook_step(httpserver, "charge")
    refund = webhook_step(httpserver, "refund", retry={"max_attempts": 1})
    document = {
        "workflow_id": "order",
        "name": "n",
        "trigger": {"type": "buy"},
        "actions": [charge],
        "settings": {"on_error": "compensate", "compensation": [{"id": "note", "type": "log"}]},
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    allowed = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})
    declined = "POST to 127.0.0.1 answered 402: card declined"

    def run_lines(run_id: str) -> list[str]:
        entries = [json.loads(line) for line in json_lines.getvalue().splitlines()]
        return [
            e["message"]
            for e in entries
            if e.get("run_id") == run_id
            and e["level"] == "warning"
            and e["message"].startswith("run ")
        ]

    first = (await send(client, {"type": "buy"}))["run_ids"][0]
    await drain(allowed)
    assert run_lines(first) == [f"run {first} failed at step charge: {declined}"]

    refunding = {"on_error": "compensate", "compensation": [refund]}
    changed = await client.put("/api/workflows/order", json=document | {"settings": refunding})
    assert changed.status_code == 200
    second = (await send(client, {"type": "buy"}))["run_ids"][0]
    await drain(allowed)
    assert run_lines(second) == [
        f"run {second} failed at step charge: {declined}; its compensation failed at step "
        "refund: POST to 127.0.0.1 answered 503: down"
    ]
    httpserver.clear()
    httpserver.expect_request("/refund").respond_with_json({"refunded": True})
    assert (await client.post(f"/api/runs/{second}/retry")).status_code == 200
    await drain(allowed)
    assert run_lines(second)[1:] == [f"run {second} failed at step charge: {declined}"]


class FailsOnceAfterACall:
    """The real store, except that its first save holding a step record (of ``step_id``,
    when given) raises, as an engine or adapter bug would: fault injection, since no real
    bug can be had on demand."""

    def __init__(self, store: Store, step_id: str | None = None) -> None:
        self._store = store
        self._step_id = step_id
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def save_run(self, run: Run, steps: Sequence[StepRecord] = ()) -> bool:
        ours = [step for step in steps if self._step_id in (None, step.step_id)]
        if ours and not self.failed:
            self.failed = True
            raise RuntimeError("a bug after the call")
        return await self._store.save_run(run, steps)


async def drain_failing_once(
    settings: Settings, resources: Resources, step_id: str | None = None
) -> None:
    """Run a real worker until no job is left, over a store whose first save of a step
    record (of ``step_id``, when given) fails (``FailsOnceAfterACall``)."""
    store = FailsOnceAfterACall(resources.store, step_id)
    await drain(settings, store=store)
    assert store.failed


async def test_an_engine_error_after_a_call_still_records_the_step_with_its_output(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/orders").respond_with_json({"order_id": "o-7"})
    data = {"url": httpserver.url_for("/orders"), "json": {"sku": "{{ sku }}"}}
    document = {
        "workflow_id": "order",
        "name": "n",
        "trigger": {"type": "buy"},
        "actions": [{"id": "post", "type": "webhook_call", "data": data}],
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    run_id = (await send(client, {"type": "buy", "data": {"sku": "A1"}}))["run_ids"][0]
    allowed = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})
    await drain_failing_once(allowed, resources)
    run = (await client.get(f"/api/runs/{run_id}")).json()
    assert run["status"] == "failed"
    (step,) = run["steps"]
    assert (step["step_id"], step["status"]) == ("post", "failed")
    assert step["input"]["json"] == {"sku": "A1"}
    assert step["output"]["body"] == {"order_id": "o-7"}
    assert step["error"]["message"].startswith("the call was made, then the engine failed")
    assert run["error"]["step_id"] == "post"
    assert len(httpserver.log) == 1


async def test_an_engine_error_in_a_compensation_keeps_the_failure_it_handles(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, httpserver: HTTPServer
) -> None:
    # The charge is declined; the engine fails right after the refund that compensates it
    # was sent. The run fails with the declined charge, as the failure its compensation
    # handled, the engine's failure at the refund under error.compensation (and in the
    # refund's record), not in the charge's place.
    httpserver.expect_request("/charge").respond_with_data("card declined", status=402)
    httpserver.expect_request("/refund").respond_with_json({"refunded": True})
    charge = webhook_step(httpserver, "charge")
    refund = webhook_step(httpserver, "refund")
    document = {
        "workflow_id": "order",
        "name": "n",
        "trigger": {"type": "buy"},
        "actions": [charge],
        "settings": {"on_error": "compensate", "compensation": [refund]},
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    run_id = (await send(client, {"type": "buy"}))["run_ids"][0]
    allowed = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})
    await drain_failing_once(allowed, resources, "refund")
    run = (await client.get(f"/api/runs/{run_id}")).json()
    assert run["status"] == "failed"
    error = run["error"]
    declined = "POST to 127.0.0.1 answered 402: card declined"
    assert (error["step_id"], error["message"]) == ("charge", declined)
    assert error["compensation"]["step_id"] == "refund"
    engine = "the call was made, then the engine failed"
    assert error["compensation"]["message"].startswith(engine)
    assert [(s["step_id"], s["status"]) for s in run["steps"]] == [
        ("charge", "failed"),
        ("refund", "failed"),
    ]
    assert run["steps"][1]["error"]["message"].startswith(engine)


async def test_an_at_most_once_call_an_engine_error_followed_is_made_again_on_retry(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, httpserver: HTTPServer
) -> None:
    # The failed step's message says a retry makes the call again: the call's outcome is
    # known (recorded), so at_most_once must not take the retry for a crash mid-call.
    httpserver.expect_request("/orders").respond_with_json({"order_id": "o-7"})
    step = {
        "id": "post",
        "type": "webhook_call",
        "delivery": "at_most_once",
        "data": {"url": httpserver.url_for("/orders"), "json": {"sku": "A1"}},
    }
    document = {"workflow_id": "order", "name": "n", "trigger": {"type": "buy"}, "actions": [step]}
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    run_id = (await send(client, {"type": "buy"}))["run_ids"][0]
    allowed = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})
    await drain_failing_once(allowed, resources)

    retried = await client.post(f"/api/runs/{run_id}/retry")
    assert retried.status_code == 200, retried.text
    await drain(allowed)
    run = (await client.get(f"/api/runs/{run_id}")).json()
    assert run["status"] == "completed"
    assert [(s["attempt"], s["status"]) for s in run["steps"]] == [(1, "failed"), (2, "completed")]
    assert len({s["idempotency_key"] for s in run["steps"]}) == 1
    assert len(httpserver.log) == 2
