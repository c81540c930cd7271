"""What was measured only by the old Python client until 2026-12-06 (issue 16, items 4 and
7): delay lateness with 1,000 timers falling due at once while the runs' load goes on, Redis
bytes per waiting run, and what 10,000 active workflows cost the ingest path.

- Lateness: on ``automator api`` + N ``automator worker`` + ``automator scheduler``, one
  batch request starts 1,000 runs whose only action has a 10 s delay; once all are parked,
  events that each start a run of the issue's workflow (``bench.runs.hooks``) go in from 2 s
  before the timers fall due (together) until 4 s after: from wrk at concurrency 50 (which
  outruns the workers: a backlog builds), then paced at 25 events/s (which they keep up
  with). A delay counts from when a worker reaches it, and the start jobs of 1,000 runs
  take seconds, so the timers would fall due over those seconds: once all are parked, each
  is scored in Redis at the last one's time, and they fall due at that one instant.
  Lateness is a delayed step's start minus that instant, read from the store. Timers are
  resumes, which workers take before new runs (docs/architecture.md): a due timer waits
  for the CPU, not behind the start jobs queued before it.
- Redis per waiting run: ``INFO memory``'s ``used_memory`` before and after 1,000 runs
  are parked in an hour's delay (the worker has taken each and left its timer).
- 10,000 workflows: single events on two ``automator api``, one with no workflows and one
  with 10,000 over 100 event types, in alternated rounds: events no workflow listens to,
  then events of a type 100 of them listen to (their conditions false, so each event checks
  all 100, starts nothing and records the 100 it skipped); the growth of the API's resident
  memory with the workflows.
"""

import asyncio
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import redis

from app.clock import SystemClock
from app.engine.redis_keys import RESUMES
from app.models.run import RunFilter, RunStatus
from app.models.workflow import Page
from app.settings import Settings
from app.store.factory import open_store
from bench.harness import (
    KEY,
    Figure,
    Meter,
    Options,
    Service,
    automator,
    create_workflow,
    measure,
    wrk,
)
from bench.runs import finished_runs, hooks

TIMERS = 1000
# The timers' delay: time to park them all first, so they fall due together into the load.
DELAY_SECONDS = 10
# Where timers wait in Redis: the resumes, and arq's queue (where they waited before).
QUEUES = (RESUMES, "arq:queue")
LEAD = 2  # seconds of load before the timers fall due
AFTER = 4  # and after
PACED = 25  # events/s starting runs: below what 2 workers complete on the shared machine
WORKFLOWS = 10_000
TYPES = 100  # the 10,000 workflows listen to 100 event types, 100 each
# Pairs of figures without and with the workflows, alternated: one pair moves by 10-40 %.
ROUNDS = 3


def delayed(workflow_id: str, trigger: str, seconds: int) -> dict[str, Any]:
    """One ``log`` action ``seconds`` after the event."""
    action = {"id": "after", "type": "log", "delay": seconds, "data": {"message": "late?"}}
    return {
        "workflow_id": workflow_id,
        "name": workflow_id,
        "trigger": {"type": trigger},
        "actions": [action],
    }


def send_batch(service: Service, event_type: str, count: int) -> None:
    """``count`` events of ``event_type`` in one request to the batch endpoint."""
    events = [{"type": event_type, "user": {"id": f"t{n}"}, "data": {"n": n}} for n in range(count)]
    response = httpx.post(
        f"{service.url}/api/events/batch",
        json={"events": events},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=120,
    )
    response.raise_for_status()


@dataclass(frozen=True)
class Timers:
    """When the delayed steps fell due by their own delays (seconds since the epoch), and
    how late each started after the instant they were all made due at."""

    due: list[float]
    late_ms: list[float]

    @property
    def spread(self) -> float:
        """Seconds between the first timer falling due by its own delay and the last."""
        return max(self.due) - min(self.due)


async def timers_of(directory: Path, workflow_id: str, seconds: float, instant: float) -> Timers:
    """Each run's first step start minus ``instant``, in ms; and when each would have
    fallen due by its own delay, which counts from when the worker reached it (the run's
    move to ``waiting``): the start jobs of 1,000 runs take seconds."""
    store = await open_store(Settings(data_dir=directory), SystemClock())
    try:
        where = RunFilter(workflow_id=workflow_id)
        runs = await store.list_runs("default", where, Page(limit=TIMERS))
        due, late = [], []
        for run in runs:
            steps = await store.list_steps("default", run.run_id)
            parked = [turn["at"] for turn in run.history if turn["to"] == RunStatus.WAITING]
            if steps and parked:
                due.append(datetime.fromisoformat(parked[0]).timestamp() + seconds)
                late.append((steps[0].started_at.timestamp() - instant) * 1000)
        return Timers(due, late)
    finally:
        await store.close()


def fall_due_together(service: Service) -> float:
    """Have every parked timer fall due when the last one does: each is scored in Redis
    (the resumes, or arq's queue before they had their own) at the latest score. Runs
    parked earlier are due by then in the store too, so each is walked then. That instant,
    in seconds since the epoch."""
    client = redis.Redis.from_url(service.redis_url)
    try:
        now = time.time() * 1000
        timers: dict[str, list[tuple[bytes, float]]] = {
            key: client.zrangebyscore(key, now, "+inf", withscores=True)  # type: ignore[misc]
            for key in QUEUES
        }
        instant = max(score for found in timers.values() for _, score in found)
        for key, found in timers.items():
            if found:
                client.zadd(key, {member: instant for member, _ in found}, xx=True)
        return instant / 1000
    finally:
        client.close()


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100)
    return (
        f"p50 {cuts[49]:,.0f}, p95 {cuts[94]:,.0f}, p99 {cuts[98]:,.0f}, max {ordered[-1]:,.0f} ms"
    )


def paced(service: Service, rate: float, seconds: float) -> float:
    """Events starting runs at ``rate`` a second for ``seconds`` (a load the workers keep up
    with, unlike wrk's as-fast-as-it-answers); the rate reached."""
    started, sent = time.monotonic(), 0
    with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as client:
        while (elapsed := time.monotonic() - started) < seconds:
            if sent < elapsed * rate:
                event = {"type": "hook", "user": {"id": f"p{sent}"}, "data": {"n": sent}}
                client.post(f"{service.url}/api/events", json=event).raise_for_status()
                sent += 1
            else:
                time.sleep(0.002)
    return sent / (time.monotonic() - started)


def saturating(service: Service, seconds: float) -> float:
    """wrk at concurrency 50: events as fast as the API takes them."""
    return wrk(f"{service.url}/api/events", "hook", seconds).rate


def timers_under(options: Options, load: str, drive: Callable[[Service, float], float]) -> str:
    """1,000 runs parked in a delay, then the load from LEAD seconds before their timers
    fall due (together) until AFTER seconds after; lateness read from the store."""
    commands = ["api", *["worker"] * options.workers, "scheduler"]
    with automator(options, f"timers-{load.split()[0]}", commands) as service:
        create_workflow(service, hooks(options.sink))
        create_workflow(service, delayed("delayed", "later", DELAY_SECONDS))
        wrk(f"{service.url}/api/events", "unheard", 1)  # warm up the API, as for the runs
        send_batch(service, "later", TIMERS)
        asyncio.run(all_waiting(service.directory, "delayed", TIMERS))
        instant = fall_due_together(service)
        spare = instant - LEAD - time.time()
        if spare < 0:
            raise RuntimeError(f"parking {TIMERS} runs took over {DELAY_SECONDS - LEAD} s")
        time.sleep(spare)
        meter = Meter(service)
        with service.profiled(f"timers under {load}"):
            rate = drive(service, LEAD + AFTER)
        counts = asyncio.run(finished_runs(service.directory))
        asyncio.run(finished_runs(service.directory, "delayed"))
        usage = meter.read()
        timers = asyncio.run(timers_of(service.directory, "delayed", DELAY_SECONDS, instant))
    runs = counts.get(RunStatus.COMPLETED, 0)
    return (
        f"delay lateness, {len(timers.late_ms):,} timers due at once (by their own delays "
        f"within {timers.spread:.1f} s), under {load} ({rate:,.0f} events/s for {LEAD + AFTER:g} s, {runs:,} runs of the "
        f"issue's workflow completed; {usage.total * 1000 / (runs + TIMERS):.2f} ms of CPU "
        f"per run, timers included): {percentiles(timers.late_ms)}"
    )


def lateness(options: Options) -> list[str]:
    """The timers under wrk's load, which outruns the workers (a growing backlog), then
    under a paced load they keep up with."""
    return [
        timers_under(options, "wrk's load at concurrency 50", saturating),
        timers_under(
            options,
            f"a paced load of {PACED} events/s",
            lambda service, seconds: paced(service, PACED, seconds),
        ),
    ]


def waiting_bytes(options: Options) -> list[str]:
    """Redis's ``used_memory`` growth per run parked in an hour's delay."""
    with automator(options, "waiting", ["api", "worker"]) as service:
        create_workflow(service, delayed("parked", "park", 3600))
        client = redis.Redis.from_url(service.redis_url)
        try:
            before = used_memory(client)
            send_batch(service, "park", TIMERS)
            asyncio.run(all_waiting(service.directory, "parked", TIMERS))
            time.sleep(1)  # the last pick-ups' leases are given back
            used = used_memory(client) - before
            keys = int(info(client, "keyspace").get("db0", {}).get("keys", 0))
        finally:
            client.close()
    return [
        f"Redis per run waiting in a delay: {used / TIMERS:,.0f} bytes ({TIMERS:,} runs "
        f"parked; {keys:,} keys in Redis then)"
    ]


def info(client: redis.Redis, section: str) -> dict[str, Any]:
    found: dict[str, Any] = client.info(section)  # type: ignore[assignment]
    return found


def used_memory(client: redis.Redis) -> int:
    """Bytes Redis has allocated (``INFO memory``'s ``used_memory``)."""
    return int(info(client, "memory")["used_memory"])


async def all_waiting(directory: Path, workflow_id: str, count: int, limit: float = 300) -> None:
    store = await open_store(Settings(data_dir=directory), SystemClock())
    try:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            counts = (await store.run_counts("default")).get(workflow_id, {})
            if counts.get(RunStatus.WAITING, 0) >= count:
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"runs not all waiting after {limit:g} s: {counts}")
    finally:
        await store.close()


def many(count: int) -> list[dict[str, Any]]:
    """``count`` workflows over TYPES event types, each with a condition no event meets."""
    return [
        {
            "workflow_id": f"many_{n}",
            "name": "many",
            "trigger": {
                "type": f"type_{n % TYPES}",
                "conditions": [{"field": "n", "operator": "<", "value": 0}],
            },
            "actions": [{"id": "note", "type": "log", "data": {"message": "x"}}],
        }
        for n in range(count)
    ]


def import_all(service: Service, documents: list[dict[str, Any]]) -> None:
    for start in range(0, len(documents), 500):
        response = httpx.post(
            f"{service.url}/api/workflows/import",
            json=documents[start : start + 500],
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=600,
        )
        response.raise_for_status()


def rss_mb(service: Service, name: str) -> float:
    """The process's resident memory now (VmRSS), in MB."""
    status = Path(f"/proc/{service.processes[name].pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def workflows(options: Options) -> list[Figure]:
    """Ingest on an API with no workflows and on one with 10,000 active, side by side and
    alternated (ROUNDS rounds, each side first in turn): events no workflow listens to,
    then events of a type 100 of them listen to. Measured one after the other on one API,
    the two figures were 40 s apart, with the import of the 10,000 between them, and moved
    by more than the 10 % they are compared against."""
    kinds = {"unheard": "no workflow listens to", "type_7": "100 workflows listen to"}
    with (
        automator(options, "workflows-none", ["api"]) as none,
        automator(options, "workflows-many", ["api"]) as loaded,
    ):
        resident = rss_mb(loaded, "api")
        import_all(loaded, many(WORKFLOWS))
        time.sleep(2)  # the matcher sees the new revision within a second
        # The first event has the matcher read and compile the 10,000 (seconds of CPU,
        # once): not what the figures after it are about.
        send_batch(loaded, "unheard", 1)
        grown = rss_mb(loaded, "api") - resident
        sides = {False: (none, "no workflows"), True: (loaded, f"{WORKFLOWS:,} active workflows")}
        figures: list[Figure] = []
        cpu_ms: dict[tuple[str, bool], list[float]] = defaultdict(list)
        for turn in range(ROUNDS):
            for kind, words in kinds.items():
                for active in (False, True) if turn % 2 == 0 else (True, False):
                    service, label = sides[active]
                    name = f"`automator api`, events {words}, {label}"
                    figures.append(measure(service, name, kind, options.seconds))
                    cpu_ms[words, active].append(figures[-1].cpu_ms)
    costs = "; ".join(cost(words, cpu_ms) for words in kinds.values())
    note = f"the API's resident memory grew {grown:.0f} MB with the {WORKFLOWS:,} workflows"
    return [*figures[:-1], replace(figures[-1], note=f"{note}; means of {ROUNDS} rounds: {costs}")]


def cost(words: str, cpu_ms: dict[tuple[str, bool], list[float]]) -> str:
    """The mean CPU per event of a kind of event without the workflows and with them."""
    without, active = (statistics.mean(cpu_ms[words, side]) for side in (False, True))
    return (
        f"events {words}: {without:.3f} ms of CPU each without the workflows, {active:.3f} "
        f"with them ({active / without - 1:+.0%})"
    )
