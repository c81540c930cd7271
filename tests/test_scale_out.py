"""The scale-out drill: two of each process against one Redis and one store, one of each
killed mid-way, and every accepted event's runs complete, once."""

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from app.clock import SystemClock
from app.engine.walk.executor import RESUMED
from app.models.run import Run, RunFilter, RunStatus
from app.models.workflow import Page
from app.redis_server import LocalRedisServer
from app.settings import Settings
from app.store.factory import open_store
from tests.processes import Process, fleet
from tests.sink import sink

KEY = "ak_scale_out_drill_0123456789abcdef"
EVENTS = 240
CONCURRENCY = 8
# The drill's own lease, short to keep the test short (the 15 s takeover with the default
# lease is tests/engine/walk/test_recovery.py's).
LEASE = "3"


def hooks_workflow(url: str) -> dict[str, Any]:
    calls = [
        {"id": f"call_{n}", "type": "webhook_call", "data": {"url": url, "json": {"n": "{{ n }}"}}}
        for n in range(2)
    ]
    return {"workflow_id": "hooks", "name": "Hooks", "trigger": {"type": "go"}, "actions": calls}


TICKS = {
    "workflow_id": "ticks",
    "name": "Ticks",
    "trigger": {"type": "schedule", "interval": 1},
    "actions": [{"id": "note", "type": "log", "data": {"message": "tick"}}],
}


class Client:
    """A client of both APIs, as behind a load balancer: an event whose request fails (its
    API died) is sent again to the other, with the same idempotency key."""

    def __init__(self, apis: list[Process]) -> None:
        self.urls = [api.url for api in apis]
        self.accepted: dict[str, list[str]] = {}
        self.http = httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=10)

    async def send(self, n: int) -> None:
        key = f"event-{n}"
        event = {"type": "go", "data": {"n": n}, "idempotency_key": key}
        for attempt in range(4):
            url = self.urls[(n + attempt) % len(self.urls)]
            try:
                response = await self.http.post(f"{url}/api/events", json=event)
            except httpx.TransportError:
                continue
            assert response.status_code == 202, response.text
            self.accepted[key] = response.json()["run_ids"]
            return
        raise AssertionError(f"event {n} was refused by both APIs")


def leader(schedulers: list[Process]) -> Process:
    """The scheduler that logged last that it leads."""
    for _ in range(100):
        leading = [s for s in schedulers if "this scheduler leads" in s.output()]
        if leading:
            return leading[0]
        time.sleep(0.1)
    raise AssertionError("no scheduler leads")


async def load(client: Client, numbers: range) -> None:
    """Send each event of ``numbers``, CONCURRENCY at a time."""
    queue = list(numbers)

    async def sender() -> None:
        while queue:
            await client.send(queue.pop(0))

    await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))


async def finished(settings: Settings, seconds: float, ticked_after: datetime) -> list[Run]:
    """Every run, once none is left unfinished and the schedule has fired after
    ``ticked_after`` (a new leader took over: up to the leadership's 5 s after the kill),
    within ``seconds``."""
    store = await open_store(settings, SystemClock())
    try:
        for _ in range(int(seconds * 5)):
            runs = await store.list_runs("default", RunFilter(), Page(limit=10_000))
            ticked = any(r.workflow_id == "ticks" and r.created_at > ticked_after for r in runs)
            if ticked and all(run.finished for run in runs if run.workflow_id == "hooks"):
                return runs
            await asyncio.sleep(0.2)
    finally:
        await store.close()
    unfinished = Counter(run.status.value for run in runs if not run.finished)
    raise AssertionError(f"after {seconds} s: unfinished {unfinished}; fired since: {ticked}")


async def test_two_of_each_process_lose_one_of_each_and_every_run_completes_once(
    tmp_path: Path, redis_server: LocalRedisServer, redis_url: str
) -> None:
    """2 `automator api`, 2 `automator worker`, 2 `automator scheduler` on one Redis and one
    SQLite file, started at once (the store's schema and the bootstrap key are created by
    whichever comes first). Events go through both APIs; half-way, one API, one worker and
    the leading scheduler are SIGKILLed, and the client sends the events its dead API did
    not answer to the other one, with the same idempotency keys. Every accepted event has
    its one run, and every run completes; the schedule fires each tick once, before and
    after its scheduler died."""
    env = {
        "AUTOMATOR_BOOTSTRAP_API_KEY": KEY,
        "AUTOMATOR_RUN_LEASE_SECONDS": LEASE,
        "AUTOMATOR_HTTP_ALLOWED_HOSTS": "127.0.0.1",
    }
    with sink(delay=0.05) as hooks, fleet(tmp_path, redis_url, **env) as started:
        processes = [started.start(command) for command in ["api", "worker", "scheduler"] * 2]
        await asyncio.gather(*(asyncio.to_thread(p.wait_ready) for p in processes))
        apis, workers, schedulers = processes[0::3], processes[1::3], processes[2::3]
        client = Client(apis)
        for document in (hooks_workflow(f"{hooks.url}/hooks"), TICKS):
            created = await client.http.post(f"{apis[0].url}/api/workflows", json=document)
            assert created.status_code == 201, created.text
        await load(client, range(EVENTS // 2))
        killed_at = datetime.now(UTC)
        for process in (apis[0], workers[0], await asyncio.to_thread(leader, schedulers)):
            process.kill()
        await load(client, range(EVENTS // 2, EVENTS))
        await client.http.aclose()
        settings = Settings(data_dir=tmp_path, _env_file=None)
        runs = await finished(settings, 120, ticked_after=killed_at + timedelta(seconds=1))

    calls = [run for run in runs if run.workflow_id == "hooks"]
    assert len(client.accepted) == EVENTS
    assert sorted(run.run_id for run in calls) == sorted(
        run_id for run_ids in client.accepted.values() for run_id in run_ids
    )
    assert all(len(run_ids) == 1 for run_ids in client.accepted.values())
    assert {run.status for run in calls} == {RunStatus.COMPLETED}
    expected = {f"{run.run_id}:call_{n}:0" for run in calls for n in range(2)}
    assert set(hooks.received) == expected
    resumed = [run for run in calls if any(t["reason"] == RESUMED for t in run.history)]
    assert hooks.repeats() <= len(resumed)

    ticks = [run for run in runs if run.workflow_id == "ticks"]
    fired = Counter(run.context["scheduled_at"] for run in ticks)
    assert fired
    assert max(fired.values()) == 1, fired
    assert any(run.created_at > killed_at + timedelta(seconds=1) for run in ticks)
