"""The SQLite store's planner statistics (sqlite_stat1), refreshed as SQLite's docs ask of a
long-lived connection: once an hour, and as it closes. Without them SQLite read every one of
a tenant's events for a DISTINCT over their types (bench/README.md)."""

import sqlite3
from functools import partial
from pathlib import Path

from app.store.protocol import Intake
from app.store.sqlite.connection import OPTIMIZE_EVERY
from app.store.sqlite.database import Database
from tests.clock import ShiftedClock
from tests.store.records import event


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
