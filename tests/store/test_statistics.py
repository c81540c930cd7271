"""The SQLite store's planner statistics (sqlite_stat1), refreshed as SQLite's docs ask of a
long-lived connection: once an hour, and as it closes. Without them SQLite read every one of
a tenant's events for a DISTINCT over their types (bench/README.md)."""

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
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


def filled(database: Database) -> datetime:
    """``database`` with RUNS events, a second apart, each starting a run, nine in ten for
    ``acme``: the first one's time."""
    start = now()
    intakes = []
    for n in range(RUNS):
        at = start + timedelta(seconds=n)
        tenant = "acme" if n % 10 else "other"
        record = replace(event(f"ev{n:05d}", tenant_id=tenant), received_at=at)
        intakes.append(Intake(record, [run(f"run_{n:05d}", created_at=at, tenant_id=tenant)]))
    database.accept_events(intakes)
    return start


def test_a_listing_by_time_reads_its_range_whatever_the_statistics_say(tmp_path: Path) -> None:
    """With statistics, SQLite walked every run (or event) of the tenant newest first for a
    listing since a time: the page's 100 found at once when most match, every one of them
    read when none does."""
    database = Database(tmp_path / "store.db", ShiftedClock())
    try:
        start = filled(database)
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


def plans(database: Database, call: Callable[[], object]) -> list[str]:
    """SQLite's plan (EXPLAIN QUERY PLAN) of each statement ``call`` runs."""
    statements: list[str] = []
    database._db.set_trace_callback(statements.append)
    try:
        call()
    finally:
        database._db.set_trace_callback(None)
    return [
        " / ".join(str(row[3]) for row in database._db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        for sql in statements
    ]


def test_a_page_by_time_walks_the_time_index_in_its_order_and_stops_at_its_last_run(
    tmp_path: Path,
) -> None:
    """Listed by run id, a page since a time most runs match read and sorted every run in
    range (a temporary B-tree for the ORDER BY): 1.9 million VM steps for 90,000 runs
    (bench/README.md). In the index's order, created_at then run_id, its LIMIT ends the
    walk, with the statistics as without."""
    database = Database(tmp_path / "store.db", ShiftedClock())
    acme = [f"run_{n:05d}" for n in reversed(range(RUNS)) if n % 10]
    try:
        start = filled(database)
        for optimized in (False, True):
            if optimized:
                database._optimize()
            since = RunFilter(since=start)
            first = partial(database.list_runs, "acme", since, Page())
            assert ids(first()) == acme[:100]
            second = partial(database.list_runs, "acme", since, Page(after=acme[99]))
            assert ids(second()) == acme[100:200]
            assert plans(database, first) == [
                "SEARCH runs USING INDEX runs_created (tenant_id=? AND created_at>?)"
            ]
            assert plans(database, second) == [
                "SEARCH runs USING INDEX sqlite_autoindex_runs_1 (tenant_id=? AND run_id=?)",
                "SEARCH runs USING INDEX runs_created "
                "(tenant_id=? AND created_at>? AND (created_at,run_id)<(?,?))",
            ]
            # Its page's rows and a few steps each, not the 2,700 runs in range.
            assert steps(database, first) < 20 * 100
    finally:
        database.close()
