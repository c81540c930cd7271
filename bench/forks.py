"""What a parallel step costs: ``python -m bench.forks``.

Starts the embedded service (API and worker in one process, as ``python -m bench`` does),
then sends N events to each of two workflows doing the same three ``set`` actions: one in
sequence, one as a ``parallel`` step of three branches joined with ``all``. Prints runs
completed per second and each run's duration (created to finished) for both: the price of
three child runs, their start jobs and the join; then the same, one run at a time.
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from app.models.run import RunFilter
from app.models.workflow import Page
from app.store.sqlite import SQLiteStore
from bench.__main__ import KEY, ingest, percentiles, service, until_finished, wait_ready

SETS = [{"id": f"s{n}", "type": "set", "data": {f"v{n}": "{{ n }}"}} for n in range(3)]
SEQUENTIAL = {
    "workflow_id": "sequential", "name": "Three sets", "trigger": {"type": "seq"},
    "actions": SETS,
}  # fmt: skip
PARALLEL = {
    "workflow_id": "parallel", "name": "Three branches", "trigger": {"type": "par"},
    "actions": [{"id": "fan", "type": "parallel",
                 "branches": [{"name": f"b{n}", "actions": [step]} for n, step in enumerate(SETS)]}],
}  # fmt: skip


async def durations(store: SQLiteStore, workflow_id: str, count: int) -> list[float]:
    runs = await store.list_runs(
        "default", RunFilter(workflow_id=workflow_id), Page(limit=4 * count)
    )
    return [
        (run.updated_at - run.created_at).total_seconds() * 1000
        for run in runs
        if run.parent is None
    ]


async def one(
    client: httpx.AsyncClient, store: SQLiteStore, document: dict[str, Any], events: int
) -> None:
    event_type = document["trigger"]["type"]
    started = time.perf_counter()
    await ingest(client, events, 10, event_type)
    finished = await until_finished(store, document["workflow_id"], events, limit=900)
    took = await durations(store, document["workflow_id"], events)
    print(f"{document['name']}: {events / (finished - started):,.0f} runs/s completed; "
          f"run duration ms {percentiles(took)}")  # fmt: skip


async def alone(
    client: httpx.AsyncClient, store: SQLiteStore, document: dict[str, Any], runs: int, done: int
) -> None:
    """One run at a time: a run's duration with nothing queued before it."""
    for n in range(runs):
        await ingest(client, 1, 1, document["trigger"]["type"])
        await until_finished(store, document["workflow_id"], done + n + 1, limit=60)
    took = (await durations(store, document["workflow_id"], done + runs))[:runs]
    print(f"{document['name']}, one run at a time: run duration ms {percentiles(took)}")


async def bench(events: int, data_dir: Path) -> None:
    with service(data_dir) as (url, _, _):
        headers = {"Authorization": f"Bearer {KEY}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            await wait_ready(client)
            for document in (SEQUENTIAL, PARALLEL):
                (await client.post("/api/workflows", json=document)).raise_for_status()
            store = await SQLiteStore.open(data_dir / "automator.db")
            try:
                for document in (SEQUENTIAL, PARALLEL):
                    await one(client, store, document, events)
                    await alone(client, store, document, 50, events)
            finally:
                await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000, help="events per workflow")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(bench(args.events, Path(directory)))


if __name__ == "__main__":
    main()
