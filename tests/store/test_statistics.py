"""The SQLite store's planner statistics (sqlite_stat1), refreshed as SQLite's docs ask of a
long-lived connection: once an hour, and as it closes. Without them SQLite read every one of
a tenant's events for a DISTINCT over their types (bench/README.md)."""

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path

from app.models.run import EventFilter, RunFilter, RunStatus
from app.models.workflow import Page
from app.store.protocol import Intake
from app.store.sqlite.connection import OPTIMIZE_EVERY
from app.store.sqlite.database import Database
from tests.clock import ShiftedClock, now
from tests.store.records import event, ids, run

# Runs (and events) enough for the statistics to make a walk of them look cheaper.
RUNS = 3000


def analyzed(path: Path) -> set[str]:
    """The tables of the file at ``path`` that have statistics."""
    db = sqlite3.connect(path)
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return set()
        return {str(row[0]) for row in db.execute("SELECT DISTINCT tbl FROM sqlite_stat1")}
    finally:
        db.close()


def test_statistics_are_refreshed_once_an_hour_and_as_the_store_closes(tmp_path: Path) -> None:
    clock = ShiftedClock()
    path = tmp_path / "store.db"
    database = Database(path, clock)
    try:
        database.accept_events([Intake(event(f"ev{n}"), []) for n in range(50)])
        types = partial(database.event_types, "acme", 10)
        assert database.hop([types], [])[0][0].result == ["user_signup"]
        assert analyzed(path) == set()  # within the hour: nothing yet
        clock.advance(OPTIMIZE_EVERY)
        database.hop([types], [])
        assert "events" in analyzed(path)
    finally:
        database.close()

    other = tmp_path / "other.db"
    database = Database(other, clock)
    database.accept_events([Intake(event(f"ev{n}"), []) for n in range(50)])
    database.event_types("acme", 10)
    database.close()
    assert "events" in analyzed(other)


def steps(database: Database, call: Callable[[], object]) -> int:
    """SQLite's VM steps (opcodes run) for ``call``: the work a query does, whatever the
    machine's load."""
    count = 0

    def step() -> int:
        nonlocal count
        count += 1
        return 0

    database._db.set_progress_handler(step, 1)
    try:
        call()
    finally:
        database._db.set_progress_handler(None, 1)
    return count


def test_a_listing_by_time_reads_its_range_whatever_the_statistics_say(tmp_path: Path) -> None:
    """With statistics, SQLite walked every run (or event) of the tenant newest first for a
    listing since a time: the page's 100 found at once when most match, every one of them
    read when none does."""
    database = Database(tmp_path / "store.db", ShiftedClock())
    try:
        start = now()
        intakes = []
        for n in range(RUNS):
            at = start + timedelta(seconds=n)
            tenant = "acme" if n % 10 else "other"
            record = replace(event(f"ev{n:05d}", tenant_id=tenant), received_at=at)
            intakes.append(Intake(record, [run(f"run_{n:05d}", created_at=at, tenant_id=tenant)]))
        database.accept_events(intakes)
        newest = database.list_runs("acme", RunFilter(since=start), Page(limit=2))
        assert ids(newest) == [f"run_{RUNS - 1:05d}", f"run_{RUNS - 2:05d}"]
        database.list_events("acme", EventFilter(since=start), Page())
        database._optimize()  # the hourly refresh, of the tables this connection has read
        later = start + timedelta(seconds=RUNS)
        for where in (RunFilter(since=later), RunFilter(status=RunStatus.PENDING, since=later)):
            assert steps(database, partial(database.list_runs, "acme", where, Page())) < 100
            assert database.count_runs("acme", where) == 0
        listing = partial(database.list_events, "acme", EventFilter(since=later), Page())
        assert steps(database, listing) < 100
    finally:
        database.close()
