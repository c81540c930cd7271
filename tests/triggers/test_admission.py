"""Flow control as events come in: debounce, throttle, rate limits, quota and priority,
through the API, with a real arq worker on the session's Redis."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.clock import DAY, FrozenClock, ShiftedClock, mid_window, now
from tests.conftest import as_admin, drain, send, serving
from tests.engine.walk.test_runs import create, run_of, workflow

LOG = [{"id": "hello", "type": "log", "data": {"message": "n={{ n }}"}}]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Debounce periods are delays: at half scale, this module's tests take half as long."""
    return settings.model_copy(update={"delay_scale": 0.5})


@pytest.fixture
def still() -> FrozenClock:
    """The clock of a test whose windows last seconds: it moves only when the test moves
    it, so the gaps between its events are the ones it chose, however long a loaded
    machine takes between two requests. Redis still expires a limiter's key on the
    machine's time, a window after its last event: the windows are a few seconds long so
    that only a longer stall between two events could end one."""
    return FrozenClock(now())


@pytest.fixture
async def still_client(settings: Settings, still: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """An admin's client of an app reading ``still``."""
    async with serving(settings, still) as served:
        yield await as_admin(*served)


def reasons(run: dict[str, Any]) -> list[str]:
    return [h["reason"] for h in run["history"]]


def picked_up(run: dict[str, Any]) -> datetime:
    return next(datetime.fromisoformat(h["at"]) for h in run["history"] if h["to"] == "running")


async def event(client: httpx.AsyncClient, n: int, user: str = "u1", **extra: Any) -> str:
    accepted = await send(
        client, {"type": "signup", "user": {"id": user}, "data": {"n": n}, **extra}
    )
    run_id: str = accepted["run_ids"][0]
    return run_id


async def test_debounce_starts_one_run_per_burst_with_its_last_event_within_the_maximum(
    still_client: httpx.AsyncClient, settings: Settings, still: FrozenClock
) -> None:
    client = still_client
    debounce = {"period": 4, "max_delay": 6, "key": "{{ user.id }}"}
    await create(client, workflow(LOG, debounce=debounce))
    burst = []
    for n in range(4):  # every 0.5 s: the burst never goes quiet for its period (2 s)
        burst.append(await event(client, n))
        still.advance(0.5)
    other_user = await event(client, 9, user="u2")
    still.advance(2)  # past the first burst's maximum (3 s)
    second_burst = [await event(client, 10), await event(client, 11)]

    first_run = await run_of(client, burst[0])
    last = await run_of(client, burst[-1])
    assert last["status"] == "waiting"
    deadline = datetime.fromisoformat(first_run["created_at"]) + timedelta(seconds=3)
    assert datetime.fromisoformat(last["due_at"]) <= deadline
    for older in burst[:-1]:
        run = await run_of(client, older)
        assert run["status"] == "cancelled"
    assert (
        reasons(await run_of(client, burst[0]))[-1]
        == f"debounced: run {burst[1]} has a later event"
    )

    still.advance(2)  # the second burst's period: every run is due
    await drain(settings, clock=still)
    ran = {run_id: await run_of(client, run_id) for run_id in [*burst, other_user, *second_burst]}
    completed = [r for r in ran.values() if r["status"] == "completed"]
    assert [r["outputs"]["hello"]["output"]["message"] for r in completed] == ["n=3", "n=9", "n=11"]
    assert picked_up(ran[burst[-1]]) >= datetime.fromisoformat(last["due_at"])


async def test_a_throttle_delays_starts_beyond_its_limit_and_drops_none(
    still_client: httpx.AsyncClient, settings: Settings, still: FrozenClock
) -> None:
    client = still_client
    await create(client, workflow(LOG, throttle={"limit": 2, "period": 5}))
    run_ids = [await event(client, n) for n in range(4)]
    runs = [await run_of(client, run_id) for run_id in run_ids]
    assert [r["status"] for r in runs] == ["pending", "pending", "waiting", "waiting"]
    assert reasons(runs[2]) == ["throttle: workflow 2 starts per 5 s"]
    still.advance(5)  # the throttled starts' time: the worker walks them then
    await drain(settings, clock=still)
    done = [await run_of(client, run_id) for run_id in run_ids]
    assert {r["status"] for r in done} == {"completed"}
    for waited, before in zip(runs[2:], done[2:], strict=True):
        assert picked_up(before) >= datetime.fromisoformat(waited["due_at"])


async def test_a_rate_limit_drops_runs_over_it_with_the_reason_and_run_now_gets_429(
    client: httpx.AsyncClient,
) -> None:
    await create(
        client, workflow(LOG, rate_limit={"limit": 2, "period": 60, "key": "{{ user.id }}"})
    )
    kept = [await send(client, {"type": "signup", "user": {"id": "u1"}}) for _ in range(2)]
    dropped = await send(client, {"type": "signup", "user": {"id": "u1"}})
    assert [len(r["run_ids"]) for r in [*kept, dropped]] == [1, 1, 0]
    assert dropped["skipped"]["wf"].startswith(
        "workflow rate_limit of 2 runs per 60 s for key 'u1' reached; room again in"
    )
    assert len((await send(client, {"type": "signup", "user": {"id": "u2"}}))["run_ids"]) == 1
    refused = await client.post("/api/workflows/wf/run", json={"user": {"id": "u1"}})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    error = refused.json()["error"]
    assert error["code"] == "limit_exceeded"
    assert error["details"][0]["loc"] == ["settings", "rate_limit"]
    assert "rate_limit of 2 runs per 60 s" in error["message"]


async def test_a_rate_limits_huge_key_is_shown_cut_in_the_skip_reason(
    client: httpx.AsyncClient,
) -> None:
    # The reason quoted the rendered key whole, in the event's answer and its record.
    await create(client, workflow(LOG, rate_limit={"limit": 1, "period": 60, "key": "{{ k }}"}))
    event = {"type": "signup", "data": {"k": "k" * 100_000 + "!"}}
    await send(client, event)
    said = (await send(client, event))["skipped"]["wf"]
    assert f"for key '{'k' * 27}...{'k' * 27}!' reached" in said, said[:500]


async def test_the_tenant_quota_skips_runs_over_it_refuses_run_now_and_answers_estimates(
    client: httpx.AsyncClient, clock: ShiftedClock
) -> None:
    mid_window(clock, DAY)  # the day's count starts again at midnight UTC
    limits = {"quota": {"runs": 2, "period": "P1D"}}
    assert (await client.put("/api/tenant/limits", json=limits)).status_code == 200
    await create(client, workflow(LOG))
    first = await send(client, {"type": "signup", "idempotency_key": "once"})
    repeat = await send(client, {"type": "signup", "idempotency_key": "once"})
    assert repeat["duplicate"] is True
    estimate = await client.post("/api/quota/estimate", json={"runs": 1, "workflow_id": "wf"})
    assert estimate.json()["fits"] is True
    assert (await client.get("/api/quota")).json()["quota"]["used"] == 1
    second = await send(client, {"type": "signup"})
    over = await send(client, {"type": "signup"})
    assert [len(r["run_ids"]) for r in (first, second, over)] == [1, 1, 0]
    assert over["skipped"]["wf"].startswith("tenant quota of 2 runs per 86400 s used up; resets in")
    refused = await client.post("/api/workflows/wf/run")
    assert refused.status_code == 429
    assert refused.json()["error"]["details"][0]["loc"] == ["tenant", "quota"]
    assert int(refused.headers["Retry-After"]) <= 86400
    quota = (await client.get("/api/quota")).json()["quota"]
    assert (quota["allowed"], quota["used"], quota["remaining"]) == (2, 2, 0)
    planned = (await client.post("/api/quota/estimate", json={"runs": 1})).json()
    assert (planned["fits"], planned["needed"]) == (False, 1)


async def test_a_priority_workflow_is_taken_first_when_workers_are_busy(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, workflow(LOG, workflow_id="bulk"))
    urgent = workflow(LOG, workflow_id="urgent", priority=600)
    await create(client, urgent | {"trigger": {"type": "password_reset"}})
    bulk = [await event(client, n) for n in range(5)]
    accepted = await send(client, {"type": "password_reset", "data": {"n": 0}})
    worker_of_one = settings.model_copy(update={"worker_concurrency": 1})
    await drain(worker_of_one)
    first_bulk = min([picked_up(await run_of(client, run_id)) for run_id in bulk])
    assert picked_up(await run_of(client, accepted["run_ids"][0])) < first_bulk


async def test_a_batch_of_events_is_admitted_event_by_event(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, workflow(LOG, rate_limit={"limit": 2, "period": 60}, priority=60))
    batch = {"events": [{"type": "signup", "data": {"n": n}} for n in range(3)]}
    results = (await client.post("/api/events/batch", json=batch)).json()["results"]
    assert [len(r["run_ids"]) for r in results] == [1, 1, 0]
    assert results[2]["skipped"]["wf"].startswith("workflow rate_limit of 2 runs per 60 s")
    await drain(settings)
    assert {(await run_of(client, r["run_ids"][0]))["status"] for r in results[:2]} == {"completed"}
