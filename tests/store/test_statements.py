"""The SQLite store's statements of many rows stay within the parameters SQLite binds."""

import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from app.clock import SystemClock
from app.models.run import RunStatus
from app.models.stats import Period
from app.store.protocol import Intake
from app.store.sqlite import SQLiteStore
from app.store.sqlite.schema import variable_limit
from tests.clock import now
from tests.store.records import event, run
from tests.store.test_group_commit import step

# SQLite before 3.32 binds at most 999 parameters a statement, as builds made without a
# larger SQLITE_MAX_VARIABLE_NUMBER still do (RHEL 8's 3.26, for one).
OLD_LIMIT = 999


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """A SQLite store of its own, binding no more parameters than an older SQLite does."""
    opened = await SQLiteStore.open(tmp_path / "store.db", SystemClock())
    database = opened._database
    database._db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, OLD_LIMIT)
    # The store reads the bound once, as it opens the file.
    database._most_values = variable_limit(database._db)
    yield opened
    await opened.close()


async def test_a_large_batch_and_a_long_save_fit_an_older_sqlites_parameter_limit(
    store: SQLiteStore,
) -> None:
    # 300 events, each of its own user and starting a run: 300 rows of events (7 values),
    # profiles (8) and runs (12), then a save of 300 steps (4): more than 999 values in a
    # statement of 256 rows for each.
    intakes = [
        Intake(replace(event(f"ev{n:03}"), user={"id": f"u{n}"}), [run(f"r{n:03}")])
        for n in range(300)
    ]
    accepted = await store.accept_events(intakes)
    assert [one.event.run_ids for one in accepted] == [[f"r{n:03}"] for n in range(300)]
    assert await store.count_events("acme", Period(now() - timedelta(days=1), now())) == 300
    assert (await store.get_profile("acme", "u299")).event_count == 1
    started = await store.get_run("acme", "r299")
    started.move(RunStatus.RUNNING, started.updated_at, "picked up")
    assert await store.save_run(started, [step("r299", n) for n in range(300)])
    recorded = await store.list_steps("acme", "r299")
    assert [one.output for one in recorded] == list(range(300))


async def test_rows_are_made_as_their_statement_is_written(store: SQLiteStore) -> None:
    # A batch's rows each hold a document (orjson gives each a buffer of 4 KB or more): made
    # from a generator, no more of them are alive at once than one statement's worth.
    database = store._database
    inserts: list[str] = []
    made_after: list[int] = []

    def heard(sql: str) -> None:
        if sql.startswith("INSERT"):
            inserts.append(sql)

    def rows() -> Iterator[tuple[str, ...]]:
        for n in range(600):
            made_after.append(len(inserts))
            yield ("acme", f"key{n}", "owner", "2030-01-01T00:00:00+00:00")

    database._db.set_trace_callback(heard)
    database._write_rows("INSERT INTO claims", rows())
    database._db.set_trace_callback(None)
    assert made_after[:256] == [0] * 256
    assert made_after[256] > 0
    assert made_after[512] > made_after[256]
    count = database._db.execute("SELECT count(*) FROM claims WHERE tenant_id = 'acme'")
    assert count.fetchone()[0] == 600
