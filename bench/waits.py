"""What answering a wait costs as waiting runs pile up: ``python -m bench.waits``.

Parks N runs of an abandoned-cart workflow at their ``wait_for_event`` step in a fresh SQLite
store (one user each), then accepts ``purchase_completed`` events that each answer one of
them, and prints the time per event for each N. The store call is measured alone (no HTTP,
no Redis): the cost of keying the event and finding the waits it answers.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from app.clock import SystemClock
from app.engine.walk.waits import correlation_key, event_key
from app.models.document import WorkflowDocument
from app.models.ids import new_id
from app.models.run import EventRecord, Run, RunStatus, Wait
from app.store.protocol import Intake
from app.store.sqlite import SQLiteStore

CART = {
    "workflow_id": "abandoned_cart",
    "name": "Abandoned cart",
    "trigger": {"type": "cart_updated"},
    "actions": [
        {
            "id": "wait_purchase",
            "type": "wait_for_event",
            "data": {
                "event": "purchase_completed",
                "match": {"user.id": "{{user.id}}"},
                "timeout": 86400,
            },
        }
    ],
}
BATCH = 1000


def event(event_type: str, user: str) -> EventRecord:
    at = datetime.now(UTC)
    return EventRecord("bench", new_id("evt"), event_type, {"id": user}, {}, at, at)


def parked(user: str, started: EventRecord) -> Run:
    at = started.received_at
    match = {"user.id": user}
    wait: Wait = {
        "step": "wait_purchase",
        "event": "purchase_completed",
        "match": match,
        "key": correlation_key("purchase_completed", match),
        "started_at": at.isoformat(),
        "since": at.isoformat(),
        "deadline": (at + timedelta(days=1)).isoformat(),
    }
    return Run(
        run_id=new_id("run"),
        tenant_id="bench",
        workflow_id="abandoned_cart",
        version=1,
        event_id=started.event_id,
        user_id=user,
        status=RunStatus.WAITING,
        context={"user": {"id": user}},
        created_at=at,
        updated_at=at,
        due_at=at + timedelta(days=1),
        wait=wait,
    )


async def park(store: SQLiteStore, first: int, count: int) -> None:
    for start in range(first, first + count, BATCH):
        started = event("cart_updated", f"batch{start}")
        users = range(start, min(start + BATCH, first + count))
        await store.accept_event(Intake(started, [parked(f"u{n}", started) for n in users]))


async def answer(store: SQLiteStore, user: str) -> float:
    purchase = event("purchase_completed", user)
    correlate = partial(event_key, purchase.type, purchase.context())
    began = time.perf_counter()
    accepted = await store.accept_event(Intake(purchase, [], correlate=correlate))
    elapsed = time.perf_counter() - began
    assert len(accepted.woken) == 1, user
    return elapsed * 1000


async def main(sizes: list[int], events: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = await SQLiteStore.open(Path(directory) / "bench.db", SystemClock())
        await store.create_workflow(
            "bench", WorkflowDocument.model_validate(CART), None, publish=True
        )
        waiting = 0
        print(f"{'waiting runs':>12}  {'ms per answering event (p50 / p95)':>36}")
        for size in sorted(sizes):
            await park(store, waiting, size - waiting)
            # Answer runs parked in this round (earlier ones were answered already).
            step = max(1, (size - waiting) // events)
            users = range(waiting, size, step)[:events]
            times = [await answer(store, f"u{n}") for n in users]
            waiting = size
            q = statistics.quantiles(times, n=20)
            print(f"{size:>12}  {q[9]:>27.3f} / {q[18]:.3f}")
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--events", type=int, default=300)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.sizes, arguments.events))
