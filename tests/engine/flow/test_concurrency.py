"""Concurrency limits end to end: the API, a real arq worker, real Redis and SQLite."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from redis.asyncio import Redis

from app.engine.calls.keyring import Keyring
from app.engine.flow.limiters import Gate, Limiters
from app.settings import Settings
from tests.clock import ShiftedClock
from tests.conftest import send
from tests.engine.walk.test_runs import create, drain_until, drain_until_finished, run_of, workflow

# A run for a site that is ``slow`` waits an hour in a delay; one that is ``broken`` fails.
PER_SITE = workflow(
    [
        {
            "id": "slow",
            "type": "condition",
            "conditions": [{"field": "slow", "operator": "equals", "value": True}],
            "then": [{"id": "nap", "type": "log", "delay": 3600}],
        },
        {
            "id": "broken",
            "type": "condition",
            "conditions": [{"field": "broken", "operator": "equals", "value": True}],
            "then": [{"id": "fail", "type": "log", "data": {"message": "{{ missing }}"}}],
        },
        {"id": "done", "type": "log", "data": {"message": "site {{ site }}"}},
    ],
    concurrency={"limit": 1, "key": "{{ site }}"},
)


def held_settings(settings: Settings) -> Settings:
    """Held runs check again only after an hour: a run going on proves it was woken."""
    return settings.model_copy(update={"flow_recheck_seconds": 3600})


def moments(run: dict[str, Any], to: str) -> list[datetime]:
    return [datetime.fromisoformat(h["at"]) for h in run["history"] if h["to"] == to]


def reasons(run: dict[str, Any]) -> list[str]:
    return [h["reason"] for h in run["history"]]


async def site_run(client: httpx.AsyncClient, site: str, **data: Any) -> str:
    accepted = await send(client, {"type": "signup", "data": {"site": site, **data}})
    run_id: str = accepted["run_ids"][0]
    return run_id


async def test_one_run_per_site_holds_the_second_until_the_first_completes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, PER_SITE)
    first = await site_run(client, "s1", slow=True)
    await drain_until(client, held_settings(settings), [first], {"waiting"})  # in its delay
    second = await site_run(client, "s1")
    other_site = await site_run(client, "s2")
    await drain_until(
        client, held_settings(settings), [first, second, other_site], {"waiting", "completed"}
    )
    held = await run_of(client, second)
    assert held["status"] == "waiting"
    assert reasons(held)[-1] == f"queued behind run {first} (workflow concurrency 1 per key 's1')"
    assert (await run_of(client, other_site))["status"] == "completed"

    # The first run's delay is skipped: it completes, and the second starts after it.
    assert (await client.post(f"/api/runs/{first}/skip")).status_code == 200
    await drain_until_finished(client, held_settings(settings), [first, second])
    done_first, done_second = await run_of(client, first), await run_of(client, second)
    assert done_first["status"] == done_second["status"] == "completed"
    assert moments(done_second, "running")[0] >= moments(done_first, "completed")[0]


async def test_a_failed_or_cancelled_run_lets_the_next_one_go(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, PER_SITE)
    failing = await site_run(client, "s1", broken=True)
    after_failure = await site_run(client, "s1")
    await drain_until_finished(client, held_settings(settings), [failing, after_failure])
    assert (await run_of(client, failing))["status"] == "failed"
    assert (await run_of(client, after_failure))["status"] == "completed"

    sleeping = await site_run(client, "s1", slow=True)
    await drain_until(client, held_settings(settings), [sleeping], {"waiting"})
    waiting = await site_run(client, "s1")
    await drain_until(client, held_settings(settings), [sleeping, waiting], {"waiting"})
    assert reasons(await run_of(client, waiting))[-1].startswith(f"queued behind run {sleeping}")
    assert (await client.post(f"/api/runs/{sleeping}/cancel")).status_code == 200
    await drain_until(client, held_settings(settings), [waiting], {"completed"})


async def test_a_run_ended_by_an_exit_event_lets_the_next_one_go(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    exit_on_stop = {"cancel_on": [{"event": "job_stopped", "match": {"job": "{{ job }}"}}]}
    await create(client, PER_SITE | {"settings": PER_SITE["settings"] | exit_on_stop})
    sleeping = await site_run(client, "s1", slow=True, job="j1")
    await drain_until(client, held_settings(settings), [sleeping], {"waiting"})
    waiting = await site_run(client, "s1", job="j2")
    await drain_until(client, held_settings(settings), [sleeping, waiting], {"waiting"})
    await send(client, {"type": "job_stopped", "data": {"job": "j1"}})
    assert (await run_of(client, sleeping))["status"] == "cancelled"
    await drain_until(client, held_settings(settings), [waiting], {"completed"})


async def test_a_slot_whose_worker_died_lapses_and_the_held_run_goes_on(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A worker that died mid-run never gives its slot back: the slot lapses at the end of
    its lease, and the held run's next check takes it. The lease ends an hour on, on the
    workers' clock, so the run is held however slow the machine, until the clock moves."""
    await create(client, PER_SITE)
    redis = Redis.from_url(str(settings.redis_url))
    try:
        # The service's keys: its master key is the data dir's key file.
        limiters = Limiters(redis, Keyring.from_settings(settings).flow_secret())
        gate = Gate(
            limiters.key("acme", "workflow:wf", "slots", "s1"),
            limiters.key("acme", "workflow:wf", "waiters", "s1"),
            1,
            "workflow concurrency 1",
        )
        now = datetime.now(UTC)
        lapses = now + timedelta(hours=1)
        assert await limiters.acquire([gate], "run_dead", now, lapses, now, 60) is None
    finally:
        await redis.aclose()
    blocked = await site_run(client, "s1")
    quick = settings.model_copy(update={"flow_recheck_seconds": 0.5})
    await drain_until(client, quick, [blocked], {"waiting"})
    assert "queued behind run run_dead (workflow concurrency 1 per key 's1')" in reasons(
        await run_of(client, blocked)
    )
    past_the_lease = ShiftedClock()
    past_the_lease.advance(3601)
    await drain_until(client, quick, [blocked], {"completed"}, clock=past_the_lease)


async def test_a_tenant_concurrency_limit_spans_workflows(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    limits = {"concurrency": {"limit": 1}}
    assert (await client.put("/api/tenant/limits", json=limits)).status_code == 200
    await create(client, PER_SITE | {"settings": {}})
    await create(client, PER_SITE | {"workflow_id": "other", "settings": {}})
    accepted = await send(client, {"type": "signup", "data": {"site": "s1", "slow": True}})
    first, second = accepted["run_ids"]
    await drain_until(client, held_settings(settings), [first, second], {"waiting"})
    runs = [await run_of(client, first), await run_of(client, second)]
    held = [r for r in runs if "tenant concurrency 1" in reasons(r)[-1]]
    assert len(held) == 1


async def test_a_huge_key_is_shown_cut_in_the_reason_a_run_waits(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # The reason quoted the rendered key whole, in every run held behind it.
    await create(client, PER_SITE)
    site = "s" * 100_000 + "!"
    first = await site_run(client, site, slow=True)
    await drain_until(client, held_settings(settings), [first], {"waiting"})
    second = await site_run(client, site)
    await drain_until(client, held_settings(settings), [second], {"waiting"})
    said = reasons(await run_of(client, second))[-1]
    assert said.endswith(f" per key '{'s' * 27}...{'s' * 27}!')"), said[:500]
