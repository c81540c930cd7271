"""What the SQLite planner's statistics change: ``python -m bench.planner``.

Fills a fresh store with events through the store's own intake (``--events``, seven types,
nine in ten for one tenant, each starting a run of one of ten workflows, in four statuses),
then runs each query below and each run listing the API offers (by time, status and
workflow, as the store writes them, and the page after a full first page since a time) on
it before and after the ``PRAGMA optimize`` the store runs (hourly, and as it closes), and
prints each one's plan, its VM steps (SQLite's opcodes executed, counted by a progress
handler: the same on a busy machine as on an idle one) and its best time of 20.
"""

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from app.clock import SystemClock
from app.models.run import EventFilter, EventRecord, Run, RunFilter, RunStatus
from app.models.workflow import Page
from app.store.protocol import Intake
from app.store.sqlite.database import Database

QUERIES = {
    "DISTINCT over a tenant's event types": (
        "SELECT DISTINCT type FROM events WHERE tenant_id = 'acme'"
    ),
    "event_types (the store's, one probe per type)": (
        "WITH RECURSIVE found(type) AS ("
        " SELECT min(type) FROM events WHERE tenant_id = 'acme'"
        " UNION ALL"
        " SELECT (SELECT min(type) FROM events WHERE tenant_id = 'acme' AND type > found.type)"
        " FROM found WHERE found.type IS NOT NULL LIMIT 100"
        ") SELECT type FROM found WHERE type IS NOT NULL"
    ),
}
BATCH = 1000
STATUSES = (RunStatus.COMPLETED, RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.WAITING)


def event_listings(start: datetime, end: datetime) -> dict[str, EventFilter]:
    """The event log's listings by time, alone and beside its other filters."""
    return {
        "since, none": EventFilter(since=end),
        "since, all": EventFilter(since=start),
        "type since, none": EventFilter(type="type3", since=end),
        "user since, none": EventFilter(user_id="u7", since=end),
        "key since, none": EventFilter(idempotency_key="k7", since=end),
    }


def listings(start: datetime, end: datetime) -> dict[str, RunFilter]:
    """Each run listing by time, status and workflow: times no run matches (``end``, after
    the last) and every run matches (``start``)."""
    return {
        "all": RunFilter(),
        "status": RunFilter(status=RunStatus.FAILED),
        "workflow": RunFilter(workflow_id="wf3"),
        "since, none": RunFilter(since=end),
        "since, all": RunFilter(since=start),
        "until, none": RunFilter(until=start),
        "until, all": RunFilter(until=end),
        "since and until, none": RunFilter(since=end, until=end + timedelta(hours=1)),
        "status since, none": RunFilter(status=RunStatus.FAILED, since=end),
        "status since, all": RunFilter(status=RunStatus.FAILED, since=start),
        "workflow since, none": RunFilter(workflow_id="wf3", since=end),
        "workflow since, all": RunFilter(workflow_id="wf3", since=start),
        "workflow status until, none": RunFilter("wf3", RunStatus.FAILED, until=start),
    }


def fill(database: Database, events: int) -> tuple[datetime, datetime]:
    """The store filled; the first run's creation time and one after the last's."""
    start = SystemClock().now()
    for first in range(0, events, BATCH):
        intakes = []
        for n in range(first, min(first + BATCH, events)):
            at = start + timedelta(milliseconds=n)
            tenant = "acme" if n % 10 else "other"
            user = {"id": f"u{n}"}
            record = EventRecord(tenant, f"ev{n:07d}", f"type{n % 7}", user, {}, at, at, f"k{n}")
            intakes.append(Intake(record, [_run(record, n)]))
        database.accept_events(intakes)
    return start, start + timedelta(milliseconds=events)


def _run(event: EventRecord, n: int) -> Run:
    return Run(
        run_id=f"run_{n:024d}",
        tenant_id=event.tenant_id,
        workflow_id=f"wf{n % 10}",
        version=1,
        event_id=event.event_id,
        user_id=f"u{n}",
        status=STATUSES[n % len(STATUSES)],
        context={},
        created_at=event.received_at,
        updated_at=event.received_at,
    )


def measure(db: sqlite3.Connection, sql: str) -> tuple[list[str], int, float]:
    plan = [str(row[3]) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]
    steps = _steps(db, lambda: db.execute(sql).fetchall())
    return plan, steps, _best(lambda: db.execute(sql).fetchall())


def _best(call: Callable[[], object]) -> float:
    """The shortest of 20 calls' times, in seconds: the least the machine's load added."""
    best = float("inf")
    for _ in range(20):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def report(db: sqlite3.Connection, when: str) -> None:
    for name, sql in QUERIES.items():
        plan, steps, best = measure(db, sql)
        print(f"{when:>6} | {name} | {' / '.join(plan)} | {steps:,} steps | {best * 1e3:.3f} ms")


def report_listings(database: Database, start: datetime, end: datetime, when: str) -> None:
    """Each listing's page of 100 (and a run listing's count), as the store runs them."""
    calls: dict[str, Callable[[], object]] = {}
    for name, where in listings(start, end).items():
        calls[f"runs page: {name}"] = partial(database.list_runs, "acme", where, Page())
        calls[f"runs count: {name}"] = partial(database.count_runs, "acme", where)
    since = RunFilter(since=start)
    cursor = database.list_runs("acme", since, Page())[-1].run_id
    calls["runs page: since, all, after a page"] = partial(
        database.list_runs, "acme", since, Page(after=cursor)
    )
    for name, events in event_listings(start, end).items():
        calls[f"events page: {name}"] = partial(database.list_events, "acme", events, Page())
    db = database._db
    for name, call in calls.items():
        statements: list[str] = []
        db.set_trace_callback(statements.append)
        steps = _steps(db, call)
        db.set_trace_callback(None)
        plan = [str(row[3]) for row in db.execute(f"EXPLAIN QUERY PLAN {statements[-1]}")]
        took = _best(call)
        print(f"{when:>6} | {name} | {' / '.join(plan)} | {steps:,} steps | {took * 1e3:.3f} ms")


def _steps(db: sqlite3.Connection, call: Callable[[], object]) -> int:
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(step, 1)
    call()
    db.set_progress_handler(None, 1)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "store.db"
        database = Database(path, SystemClock())
        start, end = fill(database, args.events)
        db = database._db
        print(f"SQLite {sqlite3.sqlite_version}, {args.events:,} events and runs")
        report(db, "before")
        report_listings(database, start, end, "before")
        started = time.perf_counter()
        database._optimize()
        took = time.perf_counter() - started
        print(f"PRAGMA optimize: {took * 1e3:.1f} ms")
        report(db, "after")
        report_listings(database, start, end, "after")
        database.close()


if __name__ == "__main__":
    main()
