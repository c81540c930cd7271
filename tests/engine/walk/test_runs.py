"""Runs end to end: events in through the API, a real arq worker on a real Redis, real SQLite."""

import asyncio
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
import pytest
from arq.constants import default_queue_name
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter, ConnectorError
from app.actions.registry import Registry
from app.clock import Clock
from app.engine.redis_keys import RESUMES
from app.models.run import Run, RunStatus
from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from app.store.protocol import Store
from app.worker import create_worker
from tests.clock import ShiftedClock
from tests.conftest import drain, key_for, send, worker_running
from tests.waiting import DEADLINE, until


def webhook_step(server: HTTPServer, step_id: str, **extra: Any) -> dict[str, Any]:
    """A ``webhook_call`` step ``step_id`` posting to ``server`` at ``/step_id``."""
    data = {"url": server.url_for(f"/{step_id}")}
    return {"id": step_id, "type": "webhook_call", "data": data, **extra}


def workflow(
    actions: list[dict[str, Any]], workflow_id: str = "wf", **settings: Any
) -> dict[str, Any]:
    return {
        "workflow_id": workflow_id,
        "name": "Test",
        "trigger": {"type": "signup"},
        "actions": actions,
        **({"settings": settings} if settings else {}),
    }


async def create(client: httpx.AsyncClient, document: dict[str, Any]) -> None:
    response = await client.post("/api/workflows", json=document)
    assert response.status_code == 201, response.text


async def run_of(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/api/runs/{run_id}")).json()
    return body


class Flaky(ConnectorAdapter):
    """A test connector (named so): fails with a retryable error ``failures`` times."""

    code: ClassVar[str] = "flaky"
    actions: ClassVar[Mapping[str, ActionSpec]] = {"send_sms": ActionSpec()}

    def __init__(self, failures: int, retryable: bool = True) -> None:
        self.failures = failures
        self.retryable = retryable
        self.calls: list[tuple[dict[str, Any], ActionContext]] = []

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        self.calls.append((params, context))
        if len(self.calls) <= self.failures:
            raise ConnectorError("provider said 503", retryable=self.retryable)
        return {"sent_to": params["recipient"]}


async def test_a_delay_runs_step_two_two_seconds_after_step_one(
    client: httpx.AsyncClient, settings: Settings, clock: ShiftedClock
) -> None:
    await create(
        client,
        workflow(
            [
                {"id": "first", "type": "log", "data": {"message": "hello {{ user.name }}"}},
                {"id": "second", "type": "log", "delay": 2, "data": {"message": "later"}},
            ]
        ),
    )
    accepted = await send(client, {"type": "signup", "user": {"id": "u1", "name": "Ada"}})
    assert accepted["workflow_ids"] == ["wf"]
    run_id = accepted["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"}, clock=clock)
    clock.advance(2)
    await drain_until(client, settings, [run_id], {"completed"}, clock=clock)
    run = await run_of(client, run_id)
    first, second = run["steps"]
    assert first["output"] == {"message": "hello Ada"}
    gap = (_time(second["started_at"]) - _time(first["finished_at"])).total_seconds()
    assert gap >= 2.0
    assert [h["to"] for h in run["history"]] == ["running", "waiting", "running", "completed"]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def parked_before_a_delay(
    client: httpx.AsyncClient, settings: Settings, clock: ShiftedClock
) -> str:
    """A run of two logs, the second 2 s after the first, walked until the delay parks it."""
    await create(
        client,
        workflow(
            [
                {"id": "first", "type": "log"},
                {"id": "second", "type": "log", "delay": 2, "data": {"message": "later"}},
            ]
        ),
    )
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"}, clock=clock)
    return str(run_id)


async def test_a_stale_job_just_before_a_delay_ends_does_not_end_it_early(
    client: httpx.AsyncClient, settings: Settings, clock: ShiftedClock, resources: Resources
) -> None:
    run_id = await parked_before_a_delay(client, settings, clock)
    assert resources.engine is not None
    queue = resources.engine.queue
    # Redis lost the delay's own job, and a stale one comes half a second before the end:
    # only the job it defers to the due time can end the delay in time.
    await queue.pool.delete(default_queue_name, RESUMES)
    clock.advance(1.5)
    await queue.advance("acme", run_id, f"{run_id}:stale", None)
    # Within the reconciler's grace (30 s): only the deferred job can have ended the delay.
    await drain_until(client, settings, [run_id], {"completed"}, seconds=20, clock=clock)
    first, second = (await run_of(client, run_id))["steps"]
    gap = (_time(second["started_at"]) - _time(first["finished_at"])).total_seconds()
    assert gap >= 2.0


async def test_the_same_idempotency_key_twice_starts_one_run(client: httpx.AsyncClient) -> None:
    await create(client, workflow([{"type": "log"}]))
    event = {"type": "signup", "user": {"id": "u1"}, "idempotency_key": "signup-u1"}
    first, second = await send(client, event), await send(client, event)
    assert (first["duplicate"], second["duplicate"]) == (False, True)
    assert second["event_id"] == first["event_id"]
    assert second["run_ids"] == first["run_ids"]
    assert len((await client.get("/api/runs")).json()["items"]) == 1


async def test_a_start_job_sent_again_after_its_run_began_changes_nothing(
    client: httpx.AsyncClient, settings: Settings, clock: ShiftedClock, resources: Resources
) -> None:
    """Workers keep no result of a run's jobs (a third of a waiting run's Redis), so Redis
    takes a start job's id again once it ran, as when a parent walked again after a crash
    sends its children's starts again: the run's state makes the copy do nothing, for a run
    parked in a delay as for a finished one."""
    delayed: list[dict[str, Any]] = [
        {"id": "first", "type": "log"},
        {"id": "later", "type": "log", "delay": 3600},
    ]
    await create(client, workflow(delayed, workflow_id="parked"))
    await create(client, workflow([{"id": "only", "type": "log"}], workflow_id="done"))
    accepted = await send(client, {"type": "signup", "user": {"id": "u1"}})
    runs = dict(zip(accepted["workflow_ids"], accepted["run_ids"], strict=True))
    await drain_until(client, settings, list(runs.values()), {"waiting", "completed"}, clock=clock)
    before = {run_id: await run_of(client, run_id) for run_id in runs.values()}
    assert {run["status"] for run in before.values()} == {"waiting", "completed"}

    assert resources.engine is not None
    queue = resources.engine.queue
    await queue.start_many([("acme", run_id) for run_id in runs.values()])
    starts = {f"{run_id}:start".encode() for run_id in runs.values()}
    assert starts <= set(await queue.pool.zrange(default_queue_name, 0, -1))

    async def taken() -> bool:
        return not starts & set(await queue.pool.zrange(default_queue_name, 0, -1))

    async with worker_running(settings, clock=clock):
        await until(taken, "the start jobs taken")
    assert {run_id: await run_of(client, run_id) for run_id in runs.values()} == before


async def test_a_business_key_starts_one_run_per_order(client: httpx.AsyncClient) -> None:
    await create(client, workflow([{"type": "log"}], idempotency_key="{{ order_id }}"))
    first = await send(client, {"type": "signup", "data": {"order_id": "o-1"}})
    second = await send(client, {"type": "signup", "data": {"order_id": "o-1"}})
    other = await send(client, {"type": "signup", "data": {"order_id": "o-2"}})
    assert len(first["run_ids"]) == 1
    assert len(other["run_ids"]) == 1
    assert second["run_ids"] == []
    assert "already started" in second["skipped"]["wf"]
    missing = await send(client, {"type": "signup"})
    assert "order_id is not in the event; it has " in missing["skipped"]["wf"]


async def test_max_executions_caps_runs_and_says_so(client: httpx.AsyncClient) -> None:
    await create(client, workflow([{"type": "log"}], max_executions=2))
    results = [await send(client, {"type": "signup"}) for _ in range(3)]
    assert [len(r["run_ids"]) for r in results] == [1, 1, 0]
    assert results[2]["skipped"] == {"wf": "max_executions (2) reached"}


async def test_conditions_branches_variables_and_templates(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(
        client,
        workflow(
            [
                {
                    "id": "tier",
                    "type": "condition",
                    "conditions": [{"field": "cart.total", "operator": ">=", "value": 100}],
                    "then": [
                        {
                            "id": "vip",
                            "type": "set",
                            "data": {"tier": "vip", "items": "{{ cart.items }}"},
                        }
                    ],
                    "else": [{"id": "std", "type": "set", "data": {"tier": "standard"}}],
                },
                {
                    "id": "only_vip",
                    "type": "log",
                    "conditions": [{"field": "vars.tier", "operator": "equals", "value": "vip"}],
                    "data": {"message": "{{ vars.tier }} with {{ vars['items'] | length }} items"},
                },
                {"id": "done", "type": "stop", "data": {"reason": "finished"}},
                {"id": "never", "type": "log"},
            ]
        ),
    )
    big = await send(client, {"type": "signup", "data": {"cart": {"total": 150, "items": [1, 2]}}})
    small = await send(client, {"type": "signup", "data": {"cart": {"total": 20, "items": []}}})
    await drain(settings)
    vip, standard = (
        await run_of(client, big["run_ids"][0]),
        await run_of(client, small["run_ids"][0]),
    )
    assert [s["step_id"] for s in vip["steps"]] == ["tier", "vip", "only_vip", "done"]
    assert vip["steps"][0]["output"]["branch"] == "then"
    assert vip["vars"] == {"tier": "vip", "items": [1, 2]}
    assert vip["outputs"]["only_vip"]["output"] == {"message": "vip with 2 items"}
    assert [(s["step_id"], s["status"]) for s in standard["steps"]] == [
        ("tier", "completed"),
        ("std", "completed"),
        ("only_vip", "skipped"),
        ("done", "completed"),
    ]
    assert vip["status"] == standard["status"] == "completed"
    # The event that started the run, as its steps saw it (the Studio's run page shows it).
    assert vip["context"]["cart"] == {"total": 150, "items": [1, 2]}
    assert vip["context"]["event"]["type"] == "signup"


async def test_internal_steps_are_saved_with_the_next_call_and_the_end_with_the_last(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    """A condition and two calls: the run is written three times (picked up, the first call
    with the condition before it, the last call with the run's end), every step recorded."""
    sms = Flaky(failures=0)
    await create(
        client,
        workflow(
            [
                {
                    "id": "big",
                    "type": "condition",
                    "conditions": [{"field": "total", "operator": ">=", "value": 100}],
                    "then": [{"id": "note", "type": "set", "data": {"tier": "vip"}}],
                },
                {"id": "first", "type": "send_sms", "data": {"recipient": "+15550100"}},
                {"id": "second", "type": "send_sms", "data": {"recipient": "+15550101"}},
            ]
        ),
    )
    accepted = await send(client, {"type": "signup", "data": {"total": 150}})
    await drain(settings, registry_of(sms))
    run = await run_of(client, accepted["run_ids"][0])
    assert run["status"] == "completed"
    assert [(s["step_id"], s["status"]) for s in run["steps"]] == [
        ("big", "completed"),
        ("note", "completed"),
        ("first", "completed"),
        ("second", "completed"),
    ]
    assert run["vars"] == {"tier": "vip"}
    assert [h["to"] for h in run["history"]] == ["running", "completed"]
    stored = await resources.store.get_run("acme", accepted["run_ids"][0])
    assert stored.revision == 3
    assert len(sms.calls) == 2


async def test_a_timer_followed_by_internal_steps_writes_its_run_once(
    client: httpx.AsyncClient, settings: Settings, clock: ShiftedClock, resources: Resources
) -> None:
    """A walk saves its pick-up with its first checkpoint when no step before it calls out:
    the delay's walk writes the run once (parked), the timer's once (ended)."""
    run_id = await parked_before_a_delay(client, settings, clock)
    assert (await resources.store.get_run("acme", run_id)).revision == 1
    clock.advance(2)
    await drain_until(client, settings, [run_id], {"completed"}, clock=clock)
    stored = await resources.store.get_run("acme", run_id)
    assert stored.revision == 2
    assert [h["to"] for h in stored.history] == ["running", "waiting", "running", "completed"]
    assert [s["step_id"] for s in (await run_of(client, run_id))["steps"]] == ["first", "second"]


class CancelledOnceRead:
    """The real store, except that the run is cancelled (as through the API) just after a
    walk reads it: fault injection, since no real race can be had on demand."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.cancelled = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def get_run(self, tenant_id: str, run_id: str) -> Run:
        read = await self._store.get_run(tenant_id, run_id)
        if not self.cancelled:
            self.cancelled = True
            fresh = await self._store.get_run(tenant_id, run_id)
            fresh.move(RunStatus.CANCELLED, fresh.updated_at, "cancelled by a test")
            fresh.due_at = None
            assert await self._store.save_run(fresh)
        return read


async def test_a_run_cancelled_after_its_walk_read_it_sends_nothing(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    """The pick-up is saved before the first call, under the revision guard: a run
    cancelled since the walk read it stops there, its condition taken (and recorded, as
    every step that happened) but nothing sent."""
    sms = Flaky(failures=0)
    condition = {
        "id": "big",
        "type": "condition",
        "conditions": [{"field": "total", "operator": ">=", "value": 100}],
        "then": [],
    }
    sms_step = {"id": "first", "type": "send_sms", "data": {"recipient": "+15550100"}}
    await create(client, workflow([condition, sms_step]))
    run_id = (await send(client, {"type": "signup", "data": {"total": 150}}))["run_ids"][0]
    store = CancelledOnceRead(resources.store)
    worker = create_worker(
        settings,
        registry_of(sms),
        store=store,
        burst=True,
        poll_delay=0.01,
        handle_signals=False,
    )
    try:
        await worker.async_run()
    finally:
        await worker.close()
    assert store.cancelled
    assert sms.calls == []
    run = await run_of(client, run_id)
    assert run["status"] == "cancelled"
    assert [step["step_id"] for step in run["steps"]] == ["big"]


async def test_an_undefined_variable_fails_the_step_naming_action_and_field(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(
        client,
        workflow([{"id": "greet", "type": "log", "data": {"message": "{{ user.nickname }}"}}]),
    )
    accepted = await send(client, {"type": "signup", "user": {"id": "u1"}})
    await drain(settings)
    run = await run_of(client, accepted["run_ids"][0])
    assert run["status"] == "failed"
    assert run["error"]["step_id"] == "greet"
    assert "action greet data.message" in run["error"]["message"]
    assert "nickname" in run["error"]["message"]


async def test_an_action_without_a_connector_fails_clearly(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    data = {"recipient": "a@b.c"}
    await create(client, workflow([{"id": "mail", "type": "send_email", "data": data}]))
    accepted = await send(client, {"type": "signup"})
    await drain(settings, Registry())  # a worker with no connector installed
    run = await run_of(client, accepted["run_ids"][0])
    assert run["status"] == "failed"
    assert run["error"]["message"] == (
        "action type 'send_email' is not available: no connector for it is installed"
    )


async def test_retryable_errors_back_off_and_keep_one_idempotency_key(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    fast = settings.model_copy(update={"delay_scale": 0.01})
    flaky = Flaky(failures=2)
    registry = Registry()
    registry.register(flaky)
    await create(
        client,
        workflow(
            [
                {
                    "id": "sms",
                    "type": "send_sms",
                    "data": {"recipient": "+15550100"},
                    "retry": {"max_attempts": 3, "backoff": 10},
                }
            ]
        ),
    )
    accepted = await send(client, {"type": "signup"})
    await drain(fast, registry)
    run = await run_of(client, accepted["run_ids"][0])
    assert run["status"] == "completed"
    assert [(s["attempt"], s["status"]) for s in run["steps"]] == [
        (1, "retrying"),
        (2, "retrying"),
        (3, "completed"),
    ]
    keys = {context.idempotency_key for _, context in flaky.calls}
    assert keys == {f"{accepted['run_ids'][0]}:sms:0"}
    waits = [
        _time(b["started_at"]) - _time(a["finished_at"])
        for a, b in zip(run["steps"], run["steps"][1:], strict=False)
    ]
    assert waits[0] >= timedelta(seconds=0.1)
    assert waits[1] >= timedelta(seconds=0.2)


async def test_a_final_error_fails_at_once_and_retry_resumes_there(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    flaky = Flaky(failures=1, retryable=False)
    registry = Registry()
    registry.register(flaky)
    await create(
        client,
        workflow(
            [
                {"id": "a", "type": "log"},
                {"id": "sms", "type": "send_sms", "data": {"recipient": "+15550100"}},
            ]
        ),
    )
    accepted = await send(client, {"type": "signup"})
    run_id = accepted["run_ids"][0]
    await drain(settings, registry)
    failed = await run_of(client, run_id)
    assert (failed["status"], failed["error"]["retryable"]) == ("failed", False)
    assert len(flaky.calls) == 1
    retried = await client.post(f"/api/runs/{run_id}/retry")
    assert retried.json()["status"] == "pending"
    await drain(settings, registry)
    done = await run_of(client, run_id)
    assert done["status"] == "completed"
    assert [s["step_id"] for s in done["steps"]] == ["a", "sms", "sms"]


async def test_a_retry_through_the_api_numbers_attempts_on_with_a_fresh_budget(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    fast = settings.model_copy(update={"delay_scale": 0.01})
    flaky = Flaky(failures=3)
    registry = Registry()
    registry.register(flaky)
    sms = {"id": "sms", "type": "send_sms", "data": {"recipient": "+15550100"}}
    await create(client, workflow([sms | {"retry": {"max_attempts": 2, "backoff": 1}}]))
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    await drain(fast, registry)
    failed = await run_of(client, run_id)
    assert (failed["status"], failed["attempt"]) == ("failed", 2)

    assert (await client.post(f"/api/runs/{run_id}/retry")).status_code == 200
    # What users read counts every attempt made of the call (the retried run's first is its
    # third); the retry policy's budget starts again: two more, the second one completing.
    assert (await run_of(client, run_id))["attempt"] == 3
    await drain(fast, registry)
    done = await run_of(client, run_id)
    assert [(s["attempt"], s["status"]) for s in done["steps"]] == [
        (1, "retrying"),
        (2, "failed"),
        (3, "retrying"),
        (4, "completed"),
    ]
    assert done["status"] == "completed"
    assert [context.attempt for _, context in flaky.calls] == [1, 2, 3, 4]


async def test_pause_resume_cancel_and_skip(client: httpx.AsyncClient, settings: Settings) -> None:
    await create(
        client,
        workflow(
            [
                {"id": "a", "type": "log"},
                {"id": "later", "type": "log", "delay": 3600},
                {"id": "end", "type": "log"},
            ]
        ),
    )
    one, two = await send(client, {"type": "signup"}), await send(client, {"type": "signup"})
    paused_id, cancelled_id = one["run_ids"][0], two["run_ids"][0]
    await drain_until_waiting(client, settings, [paused_id, cancelled_id])
    assert (await client.post(f"/api/runs/{paused_id}/pause")).json()["status"] == "paused"
    refused = await client.post(f"/api/runs/{paused_id}/pause")
    assert refused.status_code == 409
    assert "it is paused" in refused.json()["error"]["message"]
    resumed = (await client.post(f"/api/runs/{paused_id}/resume")).json()
    assert resumed["status"] == "waiting"
    skipped = (await client.post(f"/api/runs/{paused_id}/skip")).json()
    assert (skipped["status"], skipped["step"]) == ("pending", 2)
    assert (await client.post(f"/api/runs/{cancelled_id}/cancel")).json()["status"] == "cancelled"
    assert (await client.post(f"/api/runs/{cancelled_id}/resume")).status_code == 409
    await drain_until_finished(client, settings, [paused_id])
    finished = await run_of(client, paused_id)
    assert finished["status"] == "completed"
    assert [s["step_id"] for s in finished["steps"]] == ["a", "end"]
    assert [h["to"] for h in finished["history"]][-4:] == [
        "waiting",
        "pending",
        "running",
        "completed",
    ]
    assert (await run_of(client, cancelled_id))["status"] == "cancelled"


async def drain_until(
    client: httpx.AsyncClient,
    settings: Settings,
    run_ids: list[str],
    statuses: set[str],
    seconds: float = DEADLINE,
    registry: Registry | None = None,
    clock: Clock | None = None,
) -> None:
    """Run a real worker (reading ``clock``, or the system's) only until every run is in
    one of ``statuses`` (jobs deferred for an hour stay queued, so a burst worker would wait
    for them). The worker's first reconcile takes every run due by its clock: a test moves
    the clock past a delay rather than sleep through it."""
    behind: list[str] = []

    async def arrived() -> bool:
        # Up to the first run not there yet: reading every run each time (200 in the
        # recovery drills) held up the worker, which shares this event loop.
        for run_id in run_ids:
            status = (await run_of(client, run_id))["status"]
            if status not in statuses:
                behind[:] = [f"run {run_id} is {status}"]
                return False
        return True

    async with worker_running(settings, registry, clock=clock):
        await until(arrived, lambda: f"{behind[0]}, not {statuses}", seconds=seconds)


async def drain_until_waiting(
    client: httpx.AsyncClient, settings: Settings, run_ids: list[str]
) -> None:
    await drain_until(client, settings, run_ids, {"waiting"})


async def drain_until_finished(
    client: httpx.AsyncClient, settings: Settings, run_ids: list[str]
) -> None:
    await drain_until(client, settings, run_ids, {"completed", "failed", "cancelled"})


async def test_runs_list_filters_and_tenant_scope(
    app_resources: tuple[httpx.AsyncClient, Resources], client: httpx.AsyncClient
) -> None:
    await create(client, workflow([{"type": "log"}]))
    await send(client, {"type": "signup", "user": {"id": "u1"}})
    await send(client, {"type": "signup", "user": {"id": "u2"}})
    listed = (await client.get("/api/runs", params={"user_id": "u2"})).json()["items"]
    assert [r["user_id"] for r in listed] == ["u2"]
    assert (await client.get("/api/runs", params={"status": "completed"})).json()["items"] == []
    _, resources = app_resources
    other = {"Authorization": f"Bearer {await key_for(resources, 'globex', Role.ADMIN)}"}
    assert (await client.get("/api/runs", headers=other)).json()["items"] == []
    assert (await client.get(f"/api/runs/{listed[0]['run_id']}", headers=other)).status_code == 404
    assert (
        await client.post(f"/api/runs/{listed[0]['run_id']}/cancel", headers=other)
    ).status_code == 404


async def test_the_ingest_role_may_only_send_events(client: httpx.AsyncClient) -> None:
    await create(client, workflow([{"type": "log"}]))
    key = (await client.post("/api/keys", json={"role": "ingest"})).json()["key"]
    headers = {"Authorization": f"Bearer {key}"}
    assert (
        await client.post("/api/events", json={"type": "signup"}, headers=headers)
    ).status_code == 202
    assert (await client.get("/api/runs", headers=headers)).status_code == 403
    assert (await client.get("/api/workflows", headers=headers)).status_code == 403


class Broken(ConnectorAdapter):
    """A test connector (named so) with a bug: it raises something that is no ConnectorError."""

    code: ClassVar[str] = "broken"
    actions: ClassVar[Mapping[str, ActionSpec]] = {"send_sms": ActionSpec()}

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        raise KeyError("oops")


class Slow(ConnectorAdapter):
    """A test connector (named so) that takes ``seconds`` to answer."""

    code: ClassVar[str] = "slow"
    actions: ClassVar[Mapping[str, ActionSpec]] = {"send_sms": ActionSpec()}

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        await asyncio.sleep(self.seconds)
        return {"slept": self.seconds}


def registry_of(connector: Any) -> Registry:
    registry = Registry()
    registry.register(connector)
    return registry


async def test_a_connector_bug_fails_its_step_not_the_engine(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, workflow([{"id": "sms", "type": "send_sms"}]))
    accepted = await send(client, {"type": "signup"})
    await drain(settings, registry_of(Broken()))
    run = await run_of(client, accepted["run_ids"][0])
    assert run["status"] == "failed"
    assert run["error"]["message"] == "the connector failed: KeyError: 'oops'"


async def test_a_walk_hands_over_to_a_fresh_job_before_the_job_timeout(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, workflow([{"id": f"s{n}", "type": "send_sms"} for n in range(3)]))
    accepted = await send(client, {"type": "signup"})
    await drain(settings.model_copy(update={"job_timeout": 2}), registry_of(Slow(0.6)))
    run = await run_of(client, accepted["run_ids"][0])
    assert run["status"] == "completed"
    assert [s["status"] for s in run["steps"]] == ["completed"] * 3
    assert "handover" in [h["reason"] for h in run["history"]]


async def test_a_retry_does_not_wait_out_the_steps_delay_again(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(
        client,
        workflow(
            [
                {
                    "id": "sms",
                    "type": "send_sms",
                    "delay": 100,
                    "data": {"recipient": "+15550100"},
                    "retry": {"max_attempts": 2, "backoff": 1},
                }
            ]
        ),
    )
    accepted = await send(client, {"type": "signup"})
    await drain(settings.model_copy(update={"delay_scale": 0.01}), registry_of(Flaky(failures=1)))
    run = await run_of(client, accepted["run_ids"][0])
    reasons = [h["reason"] for h in run["history"] if h["to"] == "waiting"]
    assert (run["status"], reasons) == ("completed", ["delay", "retry"])


async def test_skip_at_the_end_of_a_then_branch_does_not_run_the_else_branch(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(
        client,
        workflow(
            [
                {
                    "id": "if",
                    "type": "condition",
                    "conditions": [{"field": "go", "operator": "equals", "value": True}],
                    "then": [{"id": "wait", "type": "log", "delay": 3600}],
                    "else": [{"id": "other", "type": "log"}],
                },
                {"id": "after", "type": "log"},
            ]
        ),
    )
    run_id = (await send(client, {"type": "signup", "data": {"go": True}}))["run_ids"][0]
    await drain_until_waiting(client, settings, [run_id])
    await client.post(f"/api/runs/{run_id}/skip")
    await drain_until_finished(client, settings, [run_id])
    assert [s["step_id"] for s in (await run_of(client, run_id))["steps"]] == ["if", "after"]


async def test_inputs_no_store_can_keep_are_422_not_500(client: httpx.AsyncClient) -> None:
    await create(client, workflow([{"type": "log"}]))
    huge = await client.post("/api/workflows/wf/run", json={"data": {"n": 2**70}})
    assert huge.status_code == 422
    assert (await client.get("/api/workflows/wf/versions/99999999999999999999")).status_code == 422
    far = await client.post(
        "/api/workflows", json=workflow([{"type": "log", "delay": 1e15}], "far")
    )
    assert far.status_code == 422
    assert "366 days" in far.json()["error"]["details"][0]["msg"]


class Unreachable(ConnectorAdapter):
    """A test connector (named so) whose first call meets a refused connection."""

    code: ClassVar[str] = "unreachable"
    actions: ClassVar[Mapping[str, ActionSpec]] = {"send_sms": ActionSpec()}

    def __init__(self) -> None:
        self.calls = 0

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionRefusedError("connection refused")
        return {"ok": True}


async def test_a_network_error_a_connector_let_through_is_retried(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, workflow([{"id": "sms", "type": "send_sms", "retry": {"backoff": 1}}]))
    accepted = await send(client, {"type": "signup"})
    await drain(settings.model_copy(update={"delay_scale": 0.01}), registry_of(Unreachable()))
    run = await run_of(client, accepted["run_ids"][0])
    assert [s["status"] for s in run["steps"]] == ["retrying", "completed"]
    assert run["status"] == "completed"


async def test_on_error_continue_goes_on_with_the_error_in_the_steps_output(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(
        client,
        workflow(
            [
                {"id": "sms", "type": "send_sms", "data": {"recipient": "+15550100"}},
                {
                    "id": "after",
                    "type": "log",
                    "data": {"message": "sms said: {{ steps.sms.error.message }}"},
                },
            ],
            on_error="continue",
        ),
    )
    accepted = await send(client, {"type": "signup"})
    await drain(settings, registry_of(Flaky(failures=1, retryable=False)))
    run = await run_of(client, accepted["run_ids"][0])
    assert (run["status"], run["error"]) == ("completed", None)
    assert [(s["step_id"], s["status"]) for s in run["steps"]] == [
        ("sms", "failed"),
        ("after", "completed"),
    ]
    assert run["outputs"]["after"]["output"] == {"message": "sms said: provider said 503"}


COMPENSATED: dict[str, Any] = {
    "on_error": "compensate",
    "compensation": [
        {"id": "refund", "type": "log", "data": {"message": "undo after {{ run.error.step_id }}"}},
    ],
}


async def test_on_error_compensate_runs_the_compensation_then_fails_the_run(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(
        client,
        workflow(
            [
                {"id": "reserve", "type": "log"},
                {"id": "charge", "type": "send_sms", "data": {"recipient": "+15550100"}},
                {"id": "notify", "type": "log"},
            ],
            **COMPENSATED,
        ),
    )
    accepted = await send(client, {"type": "signup"})
    await drain(settings, registry_of(Flaky(failures=1, retryable=False)))
    run = await run_of(client, accepted["run_ids"][0])
    assert run["status"] == "failed"
    assert (run["error"]["step_id"], run["error"]["message"]) == ("charge", "provider said 503")
    assert [s["step_id"] for s in run["steps"]] == ["reserve", "charge", "refund"]
    assert run["outputs"]["refund"]["output"] == {"message": "undo after charge"}
    reasons = [h["reason"] for h in run["history"]]
    assert reasons[-2:] == ["step charge failed: compensating", "compensation done"]


async def test_a_failing_compensation_is_reported_with_the_first_failure(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    settings_ = {
        **COMPENSATED,
        "compensation": [{"id": "undo", "type": "send_sms", "data": {"recipient": "+15550100"}}],
    }
    await create(
        client,
        workflow(
            [{"id": "charge", "type": "send_sms", "data": {"recipient": "+15550100"}}], **settings_
        ),
    )
    accepted = await send(client, {"type": "signup"})
    await drain(settings, registry_of(Flaky(failures=2, retryable=False)))
    run = await run_of(client, accepted["run_ids"][0])
    assert run["status"] == "failed"
    assert run["error"]["step_id"] == "charge"
    assert run["error"]["compensation"]["step_id"] == "undo"


RUN_TIMEOUT = 3  # seconds of the run's active time; the refund alone takes longer


async def test_a_run_timing_out_in_its_compensation_fails_with_the_failure_it_handles(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    # The charge is declined at once; the refund that compensates it is answered only after
    # the run's whole timeout, so the run times out before the step after the refund. It
    # fails with the declined charge, the timeout under error.compensation, not in its place.
    def slow_refund(request: Request) -> Response:
        time.sleep(RUN_TIMEOUT + 0.5)  # a lower bound on the run's active time, no race
        return Response('{"refunded": true}', content_type="application/json")

    httpserver.expect_request("/charge").respond_with_data("card declined", status=402)
    httpserver.expect_request("/refund").respond_with_handler(slow_refund)
    charge = webhook_step(httpserver, "charge")
    refund = webhook_step(httpserver, "refund")
    note = {"id": "note", "type": "log", "data": {"message": "refunded"}}
    compensated: dict[str, Any] = {"on_error": "compensate", "compensation": [refund, note]}
    await create(client, workflow([charge], timeout=RUN_TIMEOUT, **compensated))
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    await drain(settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]}))
    run = await run_of(client, run_id)
    assert (run["status"], run["history"][-1]["reason"]) == ("failed", "timeout")
    declined = "POST to 127.0.0.1 answered 402: card declined"
    timed_out = f"the run exceeded its timeout of {RUN_TIMEOUT} s of execution"
    error = run["error"]
    assert (error["step_id"], error["message"]) == ("charge", declined)
    assert error["compensation"] == {"message": timed_out}
    assert [s["step_id"] for s in run["steps"]] == ["charge", "refund"]


@pytest.mark.parametrize("command", ["retry", "skip"])
async def test_a_failed_compensation_retried_or_skipped_keeps_the_failure_it_handles(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer, command: str
) -> None:
    # The charge is declined; the refund that compensates it fails, and is retried through
    # the API (then answered) or skipped. The compensation's steps still read the declined
    # charge as run.error, the run fails with it once they are done, and the refund's
    # failure stays said in the history, not only in its step's record.
    httpserver.expect_request("/charge").respond_with_data("card declined", status=402)
    httpserver.expect_request("/refund").respond_with_data("down", status=503)
    charge = webhook_step(httpserver, "charge")
    refund = {
        "id": "refund",
        "type": "webhook_call",
        "retry": {"max_attempts": 1},
        "data": {"url": httpserver.url_for("/refund"), "json": {"undo": "{{ run.error.step_id }}"}},
    }
    note = {"id": "note", "type": "log", "data": {"message": "undone: {{ run.error.step_id }}"}}
    await create(client, workflow([charge], on_error="compensate", compensation=[refund, note]))
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    allowed = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})
    await drain(allowed)
    first = (await run_of(client, run_id))["error"]
    assert (first["step_id"], first["compensation"]["step_id"]) == ("charge", "refund")
    handled = {name: value for name, value in first.items() if name != "compensation"}

    httpserver.clear()
    httpserver.expect_request("/refund").respond_with_json({"refunded": True})
    moved = await client.post(f"/api/runs/{run_id}/{command}")
    assert moved.status_code == 200, moved.text
    assert moved.json()["error"] == handled
    said = "; its compensation failed at step refund: POST to 127.0.0.1 answered 503: down"
    assert moved.json()["history"][-1]["reason"].endswith(said)

    await drain(allowed)
    run = await run_of(client, run_id)
    assert (run["status"], run["error"]) == ("failed", handled)
    assert run["history"][-1]["reason"] == "compensation done"
    assert run["outputs"]["note"]["output"] == {"message": "undone: charge"}
    refunds = [request.get_json() for request, _ in httpserver.log]
    assert refunds == ([{"undo": "charge"}] if command == "retry" else [])


async def test_compensate_needs_compensation_actions(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/workflows", json=workflow([{"type": "log"}], on_error="compensate")
    )
    assert response.status_code == 422
    assert "on_error: compensate and compensation actions go together" in response.text


THREE_DAYS = 3 * 24 * 3600


async def test_a_run_started_to_skip_delays_passes_over_them_and_says_so(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A test run of a workflow with a 3-day delay waited 3 days: run now with
    `skip_delays` goes through at once, its branches too, each delay noted in its history;
    a run started without it waits."""
    await create(
        client,
        workflow(
            [
                {"id": "hello", "type": "log"},
                {"id": "later", "type": "log", "delay": THREE_DAYS},
                {
                    "id": "fan",
                    "type": "parallel",
                    "branches": [
                        {"name": "a", "actions": [{"id": "in_a", "type": "log", "delay": 60}]},
                        {"name": "b", "actions": [{"id": "in_b", "type": "log"}]},
                    ],
                },
            ]
        ),
    )
    vague = await client.post("/api/workflows/wf/run", json={"skip_delays": 0})
    assert vague.status_code == 422  # true or false, as the schema says: 0 starts no run
    assert vague.json()["error"]["details"][0]["loc"] == ["body", "skip_delays"]
    body = {"user": {"id": "u1"}, "skip_delays": True}
    tested = (await client.post("/api/workflows/wf/run", json=body)).json()["run_ids"][0]
    plain = (await client.post("/api/workflows/wf/run", json={"user": {"id": "u2"}})).json()
    await drain_until(client, settings, [tested], {"completed", "failed"})
    run = await run_of(client, tested)
    assert (run["status"], run["skip_delays"]) == ("completed", True)
    assert [s["step_id"] for s in run["steps"]] == ["hello", "later", "fan"]
    notes = [turn["reason"] for turn in run["history"] if "skipped" in turn["reason"]]
    assert notes == ["delay of 259200 s before later skipped: a test run skipping delays"]
    await drain_until(client, settings, plain["run_ids"], {"waiting"})
    waiting = await run_of(client, plain["run_ids"][0])
    assert ([s["step_id"] for s in waiting["steps"]], waiting["skip_delays"]) == (["hello"], False)
