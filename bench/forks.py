"""What a parallel step costs: ``python -m bench.forks``.

Starts ``automator dev`` (API, worker and scheduler in one process) and, for each of two
workflows doing the same three ``set`` actions, in sequence and as a ``parallel`` step of
three branches joined with ``all``: sends events starting runs with wrk at concurrency 50
for a few seconds and prints runs completed per second, CPU per run and the runs' durations
(created to finished); then the durations of 50 runs sent one at a time.
"""

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path
from typing import Any

import httpx

from app.clock import SystemClock
from app.models.run import RunFilter
from app.models.workflow import Page
from app.settings import Settings
from app.store.factory import open_store
from bench.harness import KEY, Options, Service, automator, create_workflow
from bench.runs import completed, finished_runs

SETS = [{"id": f"s{n}", "type": "set", "data": {f"v{n}": "{{ n }}"}} for n in range(3)]
SEQUENTIAL: dict[str, Any] = {
    "workflow_id": "sequential",
    "name": "Three sets",
    "trigger": {"type": "seq"},
    "actions": SETS,
}
PARALLEL: dict[str, Any] = {
    "workflow_id": "parallel",
    "name": "Three branches",
    "trigger": {"type": "par"},
    "actions": [
        {
            "id": "fan",
            "type": "parallel",
            "branches": [{"name": f"b{n}", "actions": [step]} for n, step in enumerate(SETS)],
        }
    ],
}


def percentiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49]:.0f}, p99 {q[98]:.0f}"


async def durations(directory: Path, workflow_id: str) -> list[float]:
    """ms from created to finished of each run started by an event, the latest first."""
    store = await open_store(Settings(data_dir=directory), SystemClock())
    try:
        runs = await store.list_runs("default", RunFilter(workflow_id=workflow_id), Page(limit=500))
    finally:
        await store.close()
    return [(r.updated_at - r.created_at).total_seconds() * 1000 for r in runs if r.parent is None]


def alone(service: Service, document: dict[str, Any], runs: int) -> None:
    """One run at a time: a run's duration with nothing queued before it."""
    event = {"type": document["trigger"]["type"], "data": {"n": 1}}
    headers = {"Authorization": f"Bearer {KEY}"}
    for _ in range(runs):
        httpx.post(f"{service.url}/api/events", json=event, headers=headers).raise_for_status()
        asyncio.run(finished_runs(service.directory, document["workflow_id"], limit=60))
    took = asyncio.run(durations(service.directory, document["workflow_id"]))[:runs]
    print(f"{document['name']}, one run at a time: run duration ms {percentiles(took)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3, help="of events per workflow")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        options = Options(Path(directory), "", args.seconds, args.seconds, 0, {}, None)
        with automator(options, "forks", ["dev"]) as service:
            for document in (SEQUENTIAL, PARALLEL):
                create_workflow(service, document)
                name, event_type = document["name"], document["trigger"]["type"]
                burst = completed(service, name, args.seconds, event_type, document["workflow_id"])
                took = asyncio.run(durations(service.directory, document["workflow_id"]))
                print(
                    f"{name}: {burst.rate:,.0f} runs/s completed, {burst.cpu_ms:.1f} ms of "
                    f"CPU per run; run duration ms {percentiles(took)}"
                )
                alone(service, document, 50)


if __name__ == "__main__":
    main()
