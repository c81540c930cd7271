"""Runs completed end to end: the issue's workflow (a condition and three ``webhook_call``s
to a local sink) on ``automator api`` + N ``automator worker`` + ``automator scheduler``,
then on ``automator dev``.

Events that each start a run go in at concurrency 50 for a few seconds; the figure is runs
completed per second from the first event until the last run ends (read from the store), and
the CPU every process of the service used over that time, per completed run.
"""

import asyncio
import time
from pathlib import Path
from typing import Any

from app.clock import SystemClock
from app.models.run import FINISHED, RunStatus
from app.settings import Settings
from app.store.factory import open_store
from bench.harness import Figure, Meter, Options, Service, automator, create_workflow, wrk

WORKFLOW = "hooks"


def hooks(sink: str) -> dict[str, Any]:
    """A condition and three webhook calls to ``sink``'s /api/events."""
    call = {"type": "webhook_call", "data": {"url": f"{sink}/api/events", "json": {"n": "{{ n }}"}}}
    return {
        "workflow_id": WORKFLOW,
        "name": "Three webhooks",
        "trigger": {"type": "hook"},
        "actions": [
            {
                "id": "check",
                "type": "condition",
                "conditions": [{"field": "n", "operator": ">=", "value": 0}],
                "then": [{**call, "id": f"call_{n}"} for n in range(3)],
            },
        ],
    }


async def finished_runs(
    directory: Path, workflow_id: str = WORKFLOW, limit: float = 900
) -> dict[RunStatus, int]:
    """Wait until every run of ``workflow_id`` has finished; its runs by status."""
    store = await open_store(Settings(data_dir=directory), SystemClock())
    try:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            counts = (await store.run_counts("default")).get(workflow_id, {})
            if counts and all(status in FINISHED for status in counts):
                return counts
            await asyncio.sleep(0.1)
    finally:
        await store.close()
    raise RuntimeError(f"runs still unfinished after {limit:g} s: {counts}")


def completed(
    service: Service,
    name: str,
    seconds: float,
    event_type: str = "hook",
    workflow_id: str = WORKFLOW,
) -> Figure:
    """Events starting runs for ``seconds``, then wait for the runs to finish."""
    wrk(f"{service.url}/api/events", "unheard", 1)  # warm up the API, as for ingest
    meter, started = Meter(service), time.monotonic()
    with service.profiled(name):
        load = wrk(f"{service.url}/api/events", event_type, seconds)
        counts = asyncio.run(finished_runs(service.directory, workflow_id))
    took = time.monotonic() - started
    runs = counts.get(RunStatus.COMPLETED, 0)
    failed = sum(counts.values()) - runs
    note = f"{failed} runs did not complete" if failed else ""
    return Figure(name, runs / took, "runs/s", load, meter.read(), runs, note)


def scenario(options: Options) -> list[Figure]:
    figures = []
    separate = ["api", *["worker"] * options.workers, "scheduler"]
    label = f"runs: `automator api` + {options.workers} `automator worker` + `automator scheduler`"
    for name, commands in ((label, separate), ("runs: `automator dev`", ["dev"])):
        with automator(options, f"runs-{commands[0]}", commands) as service:
            create_workflow(service, hooks(options.sink))
            figures.append(completed(service, name, options.run_seconds))
    return figures
