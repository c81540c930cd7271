"""Schedules: cron in a time zone across DST, intervals, one firing per tick with two
schedulers, the misfire policy, and run now."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.engine.redis_keys import set_last_fired
from app.models.run import RunFilter
from app.models.trigger import Trigger
from app.models.workflow import Page
from app.resources import Resources
from app.supervisor import Supervisor
from app.triggers.scheduler import Misfire, Scheduler, fires_between, next_fire
from tests.clock import FrozenClock
from tests.waiting import until

BERLIN_0230 = Trigger(type="schedule", cron="30 2 * * *", timezone="Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_cron_follows_the_time_zone_across_spring_forward() -> None:
    # 2026-03-29: Berlin skips 02:00-03:00; a 02:30 job runs at 03:00 local (01:00 UTC).
    assert next_fire(BERLIN_0230, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1)
    assert next_fire(BERLIN_0230, utc(2026, 3, 29, 1)) == utc(2026, 3, 30, 0, 30)


def test_cron_fires_once_on_the_fall_back_day() -> None:
    # 2026-10-25: 02:30 happens twice in Berlin; the job fires once that day.
    fired = fires_between(BERLIN_0230, utc(2026, 10, 24, 12), utc(2026, 10, 26, 12))
    assert [at.date().isoformat() for at in fired] == ["2026-10-25", "2026-10-26"]
    assert fired[0] == utc(2026, 10, 25, 0, 30)


def test_an_every_hour_cron_keeps_real_time_through_the_repeated_hour() -> None:
    hourly = Trigger(type="schedule", cron="30 * * * *", timezone="Europe/Berlin")
    fired = fires_between(hourly, utc(2026, 10, 24, 23, 45), utc(2026, 10, 25, 2, 45))
    assert fired == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2, 30)]


def test_intervals_count_from_the_last_firing() -> None:
    every = Trigger(type="schedule", interval="PT15M")
    assert fires_between(every, utc(2026, 1, 1), utc(2026, 1, 1, 0, 50)) == [
        utc(2026, 1, 1, 0, 15),
        utc(2026, 1, 1, 0, 30),
        utc(2026, 1, 1, 0, 45),
    ]


def schedule(workflow_id: str, **trigger: Any) -> dict[str, Any]:
    return {
        "workflow_id": workflow_id,
        "name": "Scheduled",
        "trigger": {"type": "schedule", **trigger},
        "actions": [{"id": "note", "type": "log", "data": {"message": "{{ scheduled_at }}"}}],
    }


async def runs_of(resources: Resources, workflow_id: str) -> int:
    return len(await resources.store.list_runs("acme", RunFilter(workflow_id), Page(limit=500)))


async def test_two_schedulers_fire_each_tick_once(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    """Both schedulers tick many times at each instant of their clock: the one leading
    fires each second once, the other stands by, ready."""
    await client.post("/api/workflows", json=schedule("every_second", interval=1))
    engine = resources.engine
    clock = FrozenClock(resources.clock.now())
    first, second = (
        Scheduler(resources.store, engine.ingestor, engine.queue.pool, clock, period=0.02)
        for _ in range(2)
    )
    supervisor = Supervisor()
    tasks = [
        asyncio.create_task(supervisor.run(f"s{i}", s.run)) for i, s in enumerate((first, second))
    ]
    for second_count in (1, 2, 3):
        await ticks()
        clock.advance(1)
        await until_runs(resources, "every_second", second_count)
    await ticks()
    assert supervisor.problems() == {"s0": None, "s1": None}, "a standby scheduler is ready"
    supervisor.stop.set()
    await asyncio.gather(*tasks)
    assert await runs_of(resources, "every_second") == 3
    events = {
        r.event_id
        for r in await resources.store.list_runs("acme", RunFilter("every_second"), Page())
    }
    assert len(events) == 3


async def ticks() -> None:
    """Long enough for both schedulers (a 0.02 s period) to tick a few times."""
    await asyncio.sleep(0.1)


async def until_runs(resources: Resources, workflow_id: str, count: int) -> None:
    async def started() -> bool:
        return await runs_of(resources, workflow_id) >= count

    await until(started, f"{workflow_id} has {count} runs")


async def test_a_handover_race_still_starts_one_run_per_tick(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await client.post("/api/workflows", json=schedule("minutely", cron="* * * * *"))
    engine = resources.engine
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    await set_last_fired(
        engine.queue.pool, "acme:minutely", (now - timedelta(minutes=1, seconds=10)).isoformat()
    )
    leaders = [
        Scheduler(resources.store, engine.ingestor, engine.queue.pool, resources.clock)
        for _ in range(2)
    ]
    both = await asyncio.gather(*(leader.tick(now) for leader in leaders))
    assert sorted(len(started) for started in both) == [1, 1]
    assert sum(1 for started in both for a in started if not a.duplicate) == 1
    assert await runs_of(resources, "minutely") == 1


@pytest.mark.parametrize(("policy", "expected"), [(Misfire.SKIP, 0), (Misfire.RUN_ONCE, 1)])
async def test_the_misfire_policy_after_downtime(
    client: httpx.AsyncClient, resources: Resources, policy: Misfire, expected: int
) -> None:
    await client.post("/api/workflows", json=schedule("minutely", cron="* * * * *"))
    engine = resources.engine
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    await set_last_fired(engine.queue.pool, "acme:minutely", (now - timedelta(hours=3)).isoformat())
    grace = timedelta(seconds=10)  # the tick at :00 is 30 s late: missed, under "skip"
    scheduler = Scheduler(
        resources.store, engine.ingestor, engine.queue.pool, resources.clock, policy, grace
    )
    await scheduler.tick(now)
    assert await runs_of(resources, "minutely") == expected
    await scheduler.tick(now + timedelta(seconds=35))
    assert await runs_of(resources, "minutely") == expected + 1


async def test_a_new_schedule_does_not_fire_the_past(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await client.post("/api/workflows", json=schedule("minutely", cron="* * * * *"))
    engine = resources.engine
    scheduler = Scheduler(resources.store, engine.ingestor, engine.queue.pool, resources.clock)
    assert await scheduler.tick(datetime.now(UTC)) == []
    assert await runs_of(resources, "minutely") == 0


async def test_run_now_starts_one_run(client: httpx.AsyncClient, resources: Resources) -> None:
    await client.post(
        "/api/workflows", json=schedule("nightly", cron="0 3 * * *", timezone="Asia/Tokyo")
    )
    response = await client.post("/api/workflows/nightly/run", json={"data": {"site": "s1"}})
    assert response.status_code == 202
    run = await resources.store.get_run("acme", response.json()["run_ids"][0])
    assert run.context["site"] == "s1"
    assert run.context["event"]["type"] == "run_now"
    await client.delete("/api/workflows/nightly")
    refused = await client.post("/api/workflows/nightly/run")
    assert refused.status_code == 409


async def test_schedule_fields_are_validated(client: httpx.AsyncClient) -> None:
    bad = await client.post("/api/workflows", json=schedule("bad", cron="61 * * * *"))
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["loc"] == ["trigger"]
    assert "invalid cron expression '61 * * * *'" in bad.json()["error"]["details"][0]["msg"]
    # A directory of the zone database is no zone: a 422, not a 500.
    folder = await client.post(
        "/api/workflows", json=schedule("tz", cron="0 9 * * *", timezone="Etc")
    )
    assert folder.status_code == 422, folder.text
    assert "unknown time zone 'Etc'" in folder.json()["error"]["details"][0]["msg"]


async def test_one_broken_schedule_does_not_stop_the_others(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    for workflow_id in ("a_broken", "b_fine"):
        await client.post("/api/workflows", json=schedule(workflow_id, cron="* * * * *"))
    engine = resources.engine
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    for workflow_id in ("a_broken", "b_fine"):
        await set_last_fired(
            engine.queue.pool, f"acme:{workflow_id}", (now - timedelta(seconds=50)).isoformat()
        )
    await set_last_fired(engine.queue.pool, "acme:a_broken", "not a time")
    await Scheduler(resources.store, engine.ingestor, engine.queue.pool, resources.clock).tick(now)
    assert await runs_of(resources, "b_fine") == 1


async def test_a_cron_that_can_never_fire_is_refused(client: httpx.AsyncClient) -> None:
    never = await client.post("/api/workflows", json=schedule("feb30", cron="0 0 30 2 *"))
    assert never.status_code == 422
    assert "invalid cron expression '0 0 30 2 *'" in never.json()["error"]["details"][0]["msg"]
