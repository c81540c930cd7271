"""What the SQLite planner's statistics change: ``python -m bench.planner``.

Fills a fresh store with events through the store's own intake (``--events``, seven types,
nine in ten for one tenant), then runs each query below on it before and after the
``PRAGMA optimize`` the store runs (hourly, and as it closes), and prints each query's plan,
its VM steps (SQLite's opcodes executed, counted by a progress handler: the same on a busy
machine as on an idle one) and its best time of 20.
"""

import argparse
import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from app.clock import SystemClock
from app.models.run import EventRecord
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


def fill(database: Database, events: int) -> None:
    start = SystemClock().now()
    for first in range(0, events, BATCH):
        intakes = []
        for n in range(first, min(first + BATCH, events)):
            at = start + timedelta(milliseconds=n)
            tenant = "acme" if n % 10 else "other"
            record = EventRecord(tenant, f"ev{n:07d}", f"type{n % 7}", {"id": f"u{n}"}, {}, at, at)
            intakes.append(Intake(record, []))
        database.accept_events(intakes)


def measure(db: sqlite3.Connection, sql: str) -> tuple[list[str], int, float]:
    plan = [str(row[3]) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(step, 1)
    db.execute(sql).fetchall()
    db.set_progress_handler(None, 1)
    best = float("inf")
    for _ in range(20):
        started = time.perf_counter()
        db.execute(sql).fetchall()
        best = min(best, time.perf_counter() - started)
    return plan, steps, best


def report(db: sqlite3.Connection, when: str) -> None:
    for name, sql in QUERIES.items():
        plan, steps, best = measure(db, sql)
        print(f"{when:>6} | {name} | {' / '.join(plan)} | {steps:,} steps | {best * 1e3:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "store.db"
        database = Database(path, SystemClock())
        fill(database, args.events)
        db = database._db
        print(f"SQLite {sqlite3.sqlite_version}, {args.events:,} events")
        report(db, "before")
        started = time.perf_counter()
        database._optimize()
        took = time.perf_counter() - started
        print(f"PRAGMA optimize: {took * 1e3:.1f} ms")
        report(db, "after")
        database.close()


if __name__ == "__main__":
    main()
