"""End-to-end benchmark: ``make bench`` (or ``python -m bench --events 3000``).

Starts a Redis server and ``automator dev`` (the embedded mode: API and one worker in one
process, sharing one SQLite store) on loopback, drives it over HTTP from this process, and
prints throughput, latency percentiles and memory.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from app.models.run import RunFilter, RunStatus
from app.models.workflow import Page
from app.redis_server import LocalRedisServer, free_port
from app.store.sqlite import SQLiteStore

KEY = "atm_bench_0123456789abcdef0123456789abcdef"
AUTOMATOR = str(Path(sys.executable).parent / "automator")
THREE_ACTIONS = {
    "workflow_id": "three", "name": "Three actions", "trigger": {"type": "bench"},
    "actions": [
        {"id": "check", "type": "condition", "conditions": [{"field": "n", "operator": ">=", "value": 0}],
         "then": [{"id": "mark", "type": "set", "data": {"seen": "{{ n }}"}}]},
        {"id": "note", "type": "log", "data": {"message": "event {{ n }} for {{ user.id }}"}},
    ],
}  # fmt: skip
PARKED = {
    "workflow_id": "parked", "name": "Parked", "trigger": {"type": "park"},
    "actions": [{"id": "later", "type": "log", "delay": 3600, "data": {"message": "in an hour"}}],
}  # fmt: skip
DELAYED = {
    "workflow_id": "delayed", "name": "Delayed", "trigger": {"type": "later"},
    "actions": [{"id": "after", "type": "log", "delay": 2, "data": {"message": "late?"}}],
}  # fmt: skip


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49]:.1f}  p95 {q[94]:.1f}  p99 {q[98]:.1f}  max {max(values):.1f}"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def service(data_dir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], str]]:
    port = free_port()
    with LocalRedisServer(data_dir / "redis", port=free_port(), persistent=False) as redis:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")} | {
            "AUTOMATOR_DATA_DIR": str(data_dir), "AUTOMATOR_REDIS_URL": redis.url,
            "AUTOMATOR_PORT": str(port), "AUTOMATOR_BOOTSTRAP_API_KEY": KEY,
            "AUTOMATOR_LOG_LEVEL": "ERROR", "AUTOMATOR_RATE_LIMIT": "1000000",
            "AUTOMATOR_HTTP_ALLOWED_HOSTS": '["127.0.0.1"]',
        }  # fmt: skip
        service = subprocess.Popen([AUTOMATOR, "dev"], env=env, stdout=subprocess.DEVNULL)
        try:
            yield f"http://127.0.0.1:{port}", service, redis.url
        finally:
            service.terminate()
            service.wait(timeout=30)


@contextmanager
def bare_endpoint() -> Iterator[str]:
    """The baseline server (bench/bare.py) in its own process."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.bare", str(port)])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


async def wait_ready(client: httpx.AsyncClient, path: str = "/ready") -> None:
    for _ in range(300):
        try:
            if (await client.get(path)).status_code in (200, 405):
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the service did not become ready")


async def ingest(
    client: httpx.AsyncClient, count: int, concurrency: int, kind: str
) -> tuple[float, list[float]]:
    """Send ``count`` events from ``concurrency`` tasks; events/s and latencies in ms."""
    latencies: list[float] = []
    numbers = iter(range(count))

    async def sender() -> None:
        for n in numbers:
            started = time.perf_counter()
            response = await client.post(
                "/api/events", json={"type": kind, "user": {"id": f"u{n}"}, "data": {"n": n}}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return count / (time.perf_counter() - started), latencies


async def batches(client: httpx.AsyncClient, count: int, size: int, concurrency: int) -> float:
    """Send ``count`` batches of ``size`` events no workflow listens to; events/s."""
    remaining = iter(range(count))
    events = [{"type": "unheard", "user": {"id": f"u{n}"}, "data": {"n": n}} for n in range(size)]

    async def sender() -> None:
        for _ in remaining:
            (await client.post("/api/events/batch", json={"events": events})).raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return count * size / (time.perf_counter() - started)


def hooks(sink: str) -> dict[str, Any]:
    """The issue's end-to-end workflow: a condition and three webhook calls to a sink."""
    call = {"type": "webhook_call", "data": {"url": sink, "json": {"n": "{{ n }}"}}}
    return {
        "workflow_id": "hooks", "name": "Three webhooks", "trigger": {"type": "hook"},
        "actions": [
            {"id": "check", "type": "condition",
             "conditions": [{"field": "n", "operator": ">=", "value": 0}],
             "then": [{**call, "id": f"call_{n}"} for n in range(3)]},
        ],
    }  # fmt: skip


async def baseline(url: str, events: int) -> float:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await wait_ready(client, "/api/events")
        rate, latencies = await ingest(client, events, 50, "unheard")
    print(f"baseline: bare FastAPI endpoint parsing the JSON body, concurrency 50: "
          f"{rate:,.0f} requests/s; latency ms {percentiles(latencies)}")  # fmt: skip
    return rate


async def until_finished(store: SQLiteStore, workflow_id: str, count: int, limit: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        counts = (await store.run_counts("default")).get(workflow_id, {})
        if counts.get(RunStatus.COMPLETED, 0) + counts.get(RunStatus.FAILED, 0) >= count:
            return time.perf_counter()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{workflow_id}: runs did not finish in {limit} s: {counts}")


async def step_delays(
    store: SQLiteStore, workflow_id: str, offset: float, sample: int
) -> list[float]:
    """ms between a run's due time (created + offset) and its first step's start."""
    runs = await store.list_runs("default", RunFilter(workflow_id=workflow_id), Page(limit=sample))
    delays = []
    for run in runs:
        steps = await store.list_steps("default", run.run_id)
        due = run.created_at + timedelta(seconds=offset)
        delays.append((steps[0].started_at - due).total_seconds() * 1000)
    return delays


async def bench(args: argparse.Namespace, data_dir: Path) -> None:
    """The bare endpoint is the baseline first, then the webhooks' sink."""
    with bare_endpoint() as sink, service(data_dir) as (url, process, redis_url):
        bare = await baseline(sink, args.events)
        headers = {"Authorization": f"Bearer {KEY}"}
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(
            base_url=url, headers=headers, limits=limits, timeout=30
        ) as client:
            await wait_ready(client)
            for document in (THREE_ACTIONS, DELAYED, PARKED, hooks(f"{sink}/api/events")):
                (await client.post("/api/workflows", json=document)).raise_for_status()
            store = await SQLiteStore.open(data_dir / "automator.db")
            try:
                await measure(args, client, store, process, bare)
                await webhooks_end_to_end(client, store, args.events)
                await redis_per_waiting_run(client, redis_url, args.timers)
                await matching_cost(client, args.events, args.workflows)
            finally:
                await store.close()


async def measure(args: argparse.Namespace, client: httpx.AsyncClient, store: SQLiteStore,
                  process: subprocess.Popen[bytes], bare: float) -> None:  # fmt: skip
    for concurrency in (10, 50):
        rate, latencies = await ingest(client, args.events, concurrency, "unheard")
        print(f"ingest, no workflow listening, concurrency {concurrency}: {rate:,.0f} events/s "
              f"({rate / bare:.0%} of the baseline); latency ms {percentiles(latencies)}")  # fmt: skip
    for concurrency in (1, 4):
        rate = await batches(client, args.batches, 1000, concurrency)
        print(f"batch endpoint, 1,000 events per request, {concurrency} at once: "
              f"{rate:,.0f} events/s")  # fmt: skip
    sent = 0
    for concurrency in (10, 50):
        started = time.perf_counter()
        rate, latencies = await ingest(client, args.events, concurrency, "bench")
        sent += args.events
        print(
            f"ingest, concurrency {concurrency}: {rate:,.0f} events/s; latency ms {percentiles(latencies)}"
        )
        finished = await until_finished(store, "three", sent, limit=600)
        print(f"  end to end: {args.events / (finished - started):,.0f} runs/s completed "
              f"(3-action workflow; API and worker in one process)")  # fmt: skip
    first = await step_delays(store, "three", 0, sample=500)
    print(f"trigger to first action, ms: {percentiles(first)}")
    print(f"RSS of the service after load: {rss_mb(process.pid):.0f} MB")
    await ingest(client, args.timers, 50, "later")
    await until_finished(store, "delayed", args.timers, limit=600)
    lateness = await step_delays(store, "delayed", 2, sample=args.timers)
    print(
        f"delay lateness, {args.timers} timers of 2 s set within about a second, ms: {percentiles(lateness)}"
    )


async def webhooks_end_to_end(client: httpx.AsyncClient, store: SQLiteStore, count: int) -> None:
    started = time.perf_counter()
    await ingest(client, count, 10, "hook")
    finished = await until_finished(store, "hooks", count, limit=900)
    print(f"end to end, a condition and 3 webhook calls to a local sink: "
          f"{count / (finished - started):,.0f} runs/s completed")  # fmt: skip


async def redis_per_waiting_run(client: httpx.AsyncClient, redis_url: str, count: int) -> None:
    """Redis bytes per run parked in an hour-long delay (its deferred job)."""
    redis = Redis.from_url(redis_url)
    try:
        before = (await redis.info("memory"))["used_memory"]
        await ingest(client, count, 50, "park")
        await asyncio.sleep(3)  # the worker picks each run up and parks it
        after = (await redis.info("memory"))["used_memory"]
    finally:
        await redis.aclose()
    print(f"Redis memory per run waiting in a delay: {(after - before) / count:,.0f} bytes")


async def matching_cost(client: httpx.AsyncClient, events: int, workflows: int) -> None:
    """Ingest with the few workflows above, then with ``workflows`` more spread over 100
    event types, sending events of one of those types (its workflows' conditions are false,
    so every event evaluates them all and starts nothing)."""
    before, _ = await ingest(client, events, 10, "unheard")
    documents = [
        {"workflow_id": f"many_{n}", "name": "many", "trigger": {"type": f"type_{n % 100}",
         "conditions": [{"field": "n", "operator": "<", "value": 0}]},
         "actions": [{"type": "log", "data": {"message": "x"}}]}
        for n in range(workflows)
    ]  # fmt: skip
    for start in range(0, workflows, 500):
        response = await client.post("/api/workflows/import", json=documents[start : start + 500])
        response.raise_for_status()
    await asyncio.sleep(1.5)  # the matcher index refreshes within a second
    after, _ = await ingest(client, events, 10, "type_7")
    print(f"matching cost: ingest at concurrency 10 with 3 workflows {before:,.0f} events/s; "
          f"with {workflows:,} more ({workflows // 100} on the event's type, conditions false) "
          f"{after:,.0f} events/s ({after / before - 1:+.0%})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=3000, help="events per concurrency level")
    parser.add_argument(
        "--timers", type=int, default=1000, help="delayed runs for the lateness figure"
    )
    parser.add_argument("--batches", type=int, default=40, help="batch requests per level")
    parser.add_argument("--workflows", type=int, default=10000, help="for the matching cost")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(bench(args, Path(directory)))


if __name__ == "__main__":
    main()
